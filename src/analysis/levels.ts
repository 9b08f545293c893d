/**
 * The one contour rule of every density figure: lines enclose fixed probability masses of the
 * density drawn (highest-density regions), the same masses for truth and model.
 */
import { gridCellArea, type Grid2D } from '../plot/grid.js';
import { hpdLevels } from '../plot/levels.js';

/** Probability masses the contours enclose, descending (→ ascending levels). */
export const CONTOUR_MASSES = [0.95, 0.8, 0.5, 0.2];

/** "20/50/80/95": the masses in percent, ascending, for figure titles. */
export const CONTOUR_PERCENTS = CONTOUR_MASSES.map((m) => Math.round(m * 100))
  .reverse()
  .join('/');

/**
 * Contour levels (ascending) of a density grid by the one rule. `normalize`: the grid holds a
 * histogram of unknown total (dataset figures), so the masses are of its sum on the grid.
 */
export function massLevels(g: Grid2D, opts: { normalize?: boolean } = {}): number[] {
  const levels = hpdLevels(g.values, gridCellArea(g), CONTOUR_MASSES, opts.normalize ? { normalize: true } : {});
  return levels.sort((a, b) => a - b);
}
