/**
 * The validation figures' look, for the page: the class table and the contour masses come from
 * src/analysis (Node-free, shared with the figures); the model line and fills repeat the few values
 * of src/validate/style.ts, which also writes figures to disk (Node) and so is not bundled.
 */
import { COLORS } from '../../../src/plot/colors.js';

export { CLASSES } from '../../../src/analysis/classes.js';
/** Highest-density masses the contours enclose, as in every validation figure. */
export { CONTOUR_MASSES as MASSES } from '../../../src/analysis/levels.js';
export const LEVEL_RULE = "contours enclose 95/80/50/20 % of each density's mass";
export const MODEL_LINE = { color: COLORS.model, dash: [7, 4], width: 1.6 };
export const TRUTH_ALPHA = 0.75;
export const CMAP_RANGE: [number, number] = [0.25, 0.95];
export const FONT_FAMILY = "'DejaVu Sans', 'Helvetica', 'Arial', sans-serif";
