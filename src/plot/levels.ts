/**
 * Contour levels for a scalar field on a grid.
 *
 * Two rules: `contourLevels` reproduces the reference (equally spaced fractions of the maximum,
 * figures.md §0.4), `hpdLevels` is the better default for exact densities (figures.md §C.2):
 * the density thresholds whose super-level sets enclose given probability masses, so every
 * density in every figure is contoured by the same, interpretable rule.
 */
import type { Numbers } from './grid.js';

function maxOf(field: Numbers): number {
  let m = -Infinity;
  for (let i = 0; i < field.length; i++) if (field[i] > m) m = field[i];
  return m;
}

export interface FractionLevelOptions {
  /** Number of levels (reference: 7 for the base models, 6 elsewhere). */
  n?: number;
  loFrac?: number;
  hiFrac?: number;
}

/** n levels equally spaced between loFrac·max and hiFrac·max (numpy.linspace), ascending. */
export function contourLevels(field: Numbers, opts: FractionLevelOptions = {}): number[] {
  const n = opts.n ?? 7;
  const lo = opts.loFrac ?? 0.04;
  const hi = opts.hiFrac ?? 0.95;
  const m = maxOf(field);
  if (!(m > 0) || !Number.isFinite(m))
    throw new Error(`plot/levels contourLevels: field maximum must be positive and finite, got ${m}`);
  if (n === 1) return [lo * m];
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(m * (lo + ((hi - lo) * i) / (n - 1)));
  return out;
}

export interface HpdOptions {
  /**
   * Normalise by the mass on the grid instead of treating `field` as an absolute density
   * (use when the grid cuts off tails you want to ignore, or for an unnormalised field).
   */
  normalize?: boolean;
}

/**
 * Highest-density levels: for each mass m, the density t such that the region {f ≥ t} holds
 * mass m (∑_{f_i ≥ t} f_i·cellArea = m, linearly interpolated between sorted cell values).
 * Returned in the order of `masses`; since larger masses give lower levels, pass masses
 * descending (0.99, 0.95, 0.8, 0.5) to get ascending levels as the contour primitives want,
 * or sort the result. A mass beyond what the grid holds gets the smallest positive density.
 */
export function hpdLevels(
  field: Numbers,
  cellArea: number,
  masses: number[] = [0.99, 0.95, 0.8, 0.5],
  opts: HpdOptions = {},
): number[] {
  if (!(cellArea > 0)) throw new Error(`plot/levels hpdLevels: cellArea must be > 0, got ${cellArea}`);
  for (const m of masses) {
    if (!(m > 0 && m < 1)) throw new Error(`plot/levels hpdLevels: masses must lie in (0, 1), got ${m}`);
  }
  let n = 0;
  for (let i = 0; i < field.length; i++) if (field[i] > 0 && Number.isFinite(field[i])) n++;
  if (n === 0) throw new Error('plot/levels hpdLevels: field has no positive finite value');
  const asc = new Float64Array(n);
  for (let i = 0, k = 0; i < field.length; i++) if (field[i] > 0 && Number.isFinite(field[i])) asc[k++] = field[i];
  // Positive finite doubles order like their bit patterns read as unsigned integers, and V8 sorts a
  // BigUint64Array about twice as fast as a Float64Array (no NaN/−0 handling): same order, same levels.
  new BigUint64Array(asc.buffer, asc.byteOffset, n).sort();
  // Descending order, and the mass held by the k+1 densest cells.
  const sorted = asc.reverse();
  const cum = new Float64Array(n);
  let acc = 0;
  for (let i = 0; i < n; i++) {
    acc += sorted[i] * cellArea;
    cum[i] = acc;
  }
  const scale = opts.normalize ? 1 / acc : 1;
  return masses.map((m) => {
    const target = m / scale;
    if (target > acc) return sorted[sorted.length - 1];
    // First k with cum[k] >= target (binary search on the increasing cumulative mass).
    let a = 0;
    let b = cum.length - 1;
    while (a < b) {
      const mid = (a + b) >> 1;
      if (cum[mid] >= target) b = mid;
      else a = mid + 1;
    }
    const k = a;
    if (k === 0) return sorted[0];
    const c0 = cum[k - 1];
    const f = (target - c0) / (cum[k] - c0);
    return sorted[k - 1] + f * (sorted[k] - sorted[k - 1]);
  });
}
