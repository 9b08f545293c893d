/**
 * The validation figures' look, for the page: the same class colours and colour maps
 * (src/plot/colors.ts), the same contour rule and model line as src/validate/style.ts. That file
 * also writes figures to disk (Node), so its few constants are repeated here rather than bundled.
 */
import { COLORS, type ColorMapName } from '../../../src/plot/colors.js';

export const CLASSES = [
  { c: 0, name: 'Class A', color: COLORS.classA, cmap: 'Blues' as ColorMapName },
  { c: 1, name: 'Class B', color: COLORS.classB, cmap: 'Oranges' as ColorMapName },
] as const;

/** Highest-density masses the contours enclose (validate/style.ts MASSES). */
export const MASSES = [0.95, 0.8, 0.5, 0.2];
export const LEVEL_RULE = "contours enclose 95/80/50/20 % of each density's mass";
export const MODEL_LINE = { color: COLORS.model, dash: [7, 4], width: 1.6 };
export const TRUTH_ALPHA = 0.75;
export const CMAP_RANGE: [number, number] = [0.25, 0.95];
export const FONT_FAMILY = "'DejaVu Sans', 'Helvetica', 'Arial', sans-serif";
