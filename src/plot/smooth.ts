/**
 * Separable Gaussian smoothing of a grid (the reference smooths its 2-D histograms with
 * σ = 1.2–1.5 bins, boundary mode "reflect", truncated at 4σ, figures.md §0.4). Hand-written:
 * a dozen lines, and no image library is otherwise needed.
 */
import type { Numbers } from './grid.js';

/** Index into [0, n) under half-sample symmetric reflection (d c b a | a b c d | d c b a). */
function reflect(i: number, n: number): number {
  const period = 2 * n;
  let k = ((i % period) + period) % period;
  if (k >= n) k = period - 1 - k;
  return k;
}

function kernel1d(sigma: number, truncate: number): Float64Array {
  const r = Math.max(1, Math.round(truncate * sigma));
  const k = new Float64Array(2 * r + 1);
  let s = 0;
  for (let i = -r; i <= r; i++) {
    const v = Math.exp((-0.5 * i * i) / (sigma * sigma));
    k[i + r] = v;
    s += v;
  }
  for (let i = 0; i < k.length; i++) k[i] /= s;
  return k;
}

/**
 * Gaussian filter of a row-major nx × ny field (values[i + j·nx]); sigma in bins, per axis.
 * sigma ≤ 0 on an axis leaves that axis untouched.
 */
export function gaussianFilter2d(
  values: Numbers,
  nx: number,
  ny: number,
  sigma: number | [number, number],
  truncate = 4,
): Float64Array {
  if (values.length !== nx * ny)
    throw new Error(`plot/smooth gaussianFilter2d: values length ${values.length} != nx·ny = ${nx}·${ny}`);
  const [sx, sy] = typeof sigma === 'number' ? [sigma, sigma] : sigma;
  let cur = Float64Array.from(values as ArrayLike<number>);
  if (sx > 0) {
    const k = kernel1d(sx, truncate);
    const r = (k.length - 1) / 2;
    const out = new Float64Array(nx * ny);
    for (let j = 0; j < ny; j++) {
      const row = j * nx;
      for (let i = 0; i < nx; i++) {
        let s = 0;
        for (let t = -r; t <= r; t++) s += k[t + r] * cur[row + reflect(i + t, nx)];
        out[row + i] = s;
      }
    }
    cur = out;
  }
  if (sy > 0) {
    const k = kernel1d(sy, truncate);
    const r = (k.length - 1) / 2;
    const out = new Float64Array(nx * ny);
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        let s = 0;
        for (let t = -r; t <= r; t++) s += k[t + r] * cur[reflect(j + t, ny) * nx + i];
        out[j * nx + i] = s;
      }
    }
    cur = out;
  }
  return cur;
}
