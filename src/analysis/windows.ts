/**
 * Plot windows around Gaussians: the per-axis union of mean ± k·σ (3.2σ by default, so the 95 %
 * contour at 2.45σ never touches the frame), and rounding a window outwards to a step.
 */
import type { Range2 } from './grid.js';

/** Half-width of a window in standard deviations. */
export const WINDOW_SIGMAS = 3.2;

/**
 * The per-axis window [lo, hi] holding mean ± k·sd of every Gaussian listed (means and sds
 * per axis), so every contour of every density drawn stays inside one shared frame.
 */
export function gaussianWindow(
  parts: { mean: ArrayLike<number>; sd: ArrayLike<number> }[],
  k = WINDOW_SIGMAS,
): Range2[] {
  if (parts.length === 0) throw new Error('analysis/windows gaussianWindow: no Gaussian given');
  const D = parts[0].mean.length;
  const out: Range2[] = [];
  for (let d = 0; d < D; d++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const p of parts) {
      lo = Math.min(lo, p.mean[d] - k * p.sd[d]);
      hi = Math.max(hi, p.mean[d] + k * p.sd[d]);
    }
    out.push([lo, hi]);
  }
  return out;
}

/** [lo, hi] widened to multiples of `step`. */
export const roundOut = (r: Range2, step = 0.25): Range2 => [
  Math.floor(r[0] / step) * step,
  Math.ceil(r[1] / step) * step,
];
