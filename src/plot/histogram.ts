/**
 * Binning, ranges and ratios: the pure numeric side of the figures (no drawing here).
 *
 * Hand-written rather than pulled from a stats library because the conventions matter and are
 * few: numpy's bin rule (half-open bins, last bin closed), numpy's linear-interpolation
 * percentile, and the reference's "percentile range widened by 5 % of the span" (figures.md §0.4).
 */

import type { Grid2D, Numbers } from './grid.js';

export type { Numbers } from './grid.js';

/** `n` equally spaced numbers from `a` to `b` inclusive (numpy.linspace). */
export function linspace(a: number, b: number, n: number): number[] {
  if (!Number.isInteger(n) || n < 1) throw new Error(`plot/histogram linspace: n must be an integer ≥ 1, got ${n}`);
  if (n === 1) return [a];
  const out = new Array<number>(n);
  const step = (b - a) / (n - 1);
  for (let i = 0; i < n; i++) out[i] = a + i * step;
  out[n - 1] = b;
  return out;
}

export interface Histogram1D {
  /** Per-bin counts (or densities with `density`), length edges.length − 1. */
  values: Float64Array;
  edges: number[];
  /** Summed weight below edges[0] / above edges[last]; NaN values are counted in neither. */
  underflow: number;
  overflow: number;
  /** Summed weight inside [edges[0], edges[last]]. */
  inRange: number;
}

export interface HistogramOptions {
  /** Divide by (in-range weight × bin width) so the histogram integrates to 1 over the edges. */
  density?: boolean;
  weights?: Numbers;
}

function checkEdges(edges: Numbers, what: string): void {
  if (edges.length < 2) throw new Error(`plot/histogram ${what}: need ≥ 2 edges, got ${edges.length}`);
  for (let i = 1; i < edges.length; i++) {
    if (!(edges[i] > edges[i - 1])) {
      throw new Error(
        `plot/histogram ${what}: edges must be strictly increasing` +
          ` (edges[${i - 1}]=${edges[i - 1]}, edges[${i}]=${edges[i]})`,
      );
    }
  }
}

/** Relative spacing error below which edges are treated as uniform (fast O(1) bin lookup). */
const UNIFORM_TOL = 1e-9;

function isUniform(edges: Numbers): boolean {
  const n = edges.length - 1;
  const w = (edges[n] - edges[0]) / n;
  for (let i = 1; i <= n; i++) {
    if (Math.abs(edges[i] - (edges[0] + i * w)) > UNIFORM_TOL * Math.max(1, Math.abs(edges[n] - edges[0])))
      return false;
  }
  return true;
}

/**
 * Returns a function value → bin index, −1 for underflow, `nBins` for overflow, NaN for NaN.
 * Bins are [e_i, e_{i+1}) except the last, which is closed (numpy convention).
 */
function binLocator(edges: Numbers): (v: number) => number {
  const n = edges.length - 1;
  const lo = edges[0];
  const hi = edges[n];
  if (isUniform(edges)) {
    const inv = n / (hi - lo);
    return (v) => {
      if (v !== v) return NaN;
      if (v < lo) return -1;
      if (v > hi) return n;
      if (v === hi) return n - 1;
      let k = Math.floor((v - lo) * inv);
      // Guard the float rounding at interior edges so a value equal to an edge lands in the bin it opens.
      if (k < n - 1 && v >= edges[k + 1]) k++;
      else if (k > 0 && v < edges[k]) k--;
      return Math.min(k, n - 1);
    };
  }
  return (v) => {
    if (v !== v) return NaN;
    if (v < lo) return -1;
    if (v > hi) return n;
    if (v === hi) return n - 1;
    let a = 0;
    let b = n; // edges[a] <= v < edges[b]
    while (b - a > 1) {
      const m = (a + b) >> 1;
      if (v >= edges[m]) a = m;
      else b = m;
    }
    return a;
  };
}

/** 1-D histogram with numpy's binning rule; under/overflow reported separately. */
export function histogram1d(values: Numbers, edges: Numbers, opts: HistogramOptions = {}): Histogram1D {
  checkEdges(edges, 'histogram1d(edges)');
  const w = opts.weights;
  if (w && w.length !== values.length) {
    throw new Error(`plot/histogram histogram1d: weights length ${w.length} != values length ${values.length}`);
  }
  const n = edges.length - 1;
  const locate = binLocator(edges);
  const out = new Float64Array(n);
  let under = 0;
  let over = 0;
  let inRange = 0;
  for (let i = 0; i < values.length; i++) {
    const k = locate(values[i]);
    if (k !== k) continue;
    const wi = w ? w[i] : 1;
    if (k < 0) under += wi;
    else if (k >= n) over += wi;
    else {
      out[k] += wi;
      inRange += wi;
    }
  }
  if (opts.density && inRange > 0) {
    for (let k = 0; k < n; k++) out[k] /= inRange * (edges[k + 1] - edges[k]);
  }
  return { values: out, edges: Array.from(edges), underflow: under, overflow: over, inRange };
}

export interface Histogram2D extends Grid2D {
  /** Bin values at bin centres (x0..x1 are the first/last bin centres). */
  values: Float64Array;
  xEdges: number[];
  yEdges: number[];
  /** Summed weight of points outside the 2-D range (either coordinate out, or NaN excluded). */
  outside: number;
  inRange: number;
  /** Area of one bin (for hpdLevels on a density histogram). */
  cellArea: number;
}

/**
 * 2-D histogram on uniform edges (the result doubles as a Grid2D at bin centres, which is
 * what the contour/heat-map primitives need; non-uniform edges would break that, so they are
 * rejected).
 */
export function histogram2d(
  xs: Numbers,
  ys: Numbers,
  xEdges: Numbers,
  yEdges: Numbers,
  opts: HistogramOptions = {},
): Histogram2D {
  checkEdges(xEdges, 'histogram2d(xEdges)');
  checkEdges(yEdges, 'histogram2d(yEdges)');
  if (!isUniform(xEdges) || !isUniform(yEdges))
    throw new Error('plot/histogram histogram2d: edges must be uniform (the result is a regular Grid2D)');
  if (xs.length !== ys.length)
    throw new Error(`plot/histogram histogram2d: xs length ${xs.length} != ys length ${ys.length}`);
  const w = opts.weights;
  if (w && w.length !== xs.length)
    throw new Error(`plot/histogram histogram2d: weights length ${w.length} != points ${xs.length}`);
  const nx = xEdges.length - 1;
  const ny = yEdges.length - 1;
  const lx = binLocator(xEdges);
  const ly = binLocator(yEdges);
  const out = new Float64Array(nx * ny);
  let outside = 0;
  let inRange = 0;
  for (let p = 0; p < xs.length; p++) {
    const i = lx(xs[p]);
    const j = ly(ys[p]);
    if (i !== i || j !== j) continue;
    const wp = w ? w[p] : 1;
    if (i < 0 || i >= nx || j < 0 || j >= ny) {
      outside += wp;
      continue;
    }
    out[i + j * nx] += wp;
    inRange += wp;
  }
  const dx = (xEdges[nx] - xEdges[0]) / nx;
  const dy = (yEdges[ny] - yEdges[0]) / ny;
  if (opts.density && inRange > 0) {
    const s = 1 / (inRange * dx * dy);
    for (let k = 0; k < out.length; k++) out[k] *= s;
  }
  return {
    nx,
    ny,
    x0: xEdges[0] + dx / 2,
    x1: xEdges[nx] - dx / 2,
    y0: yEdges[0] + dy / 2,
    y1: yEdges[ny] - dy / 2,
    values: out,
    xEdges: Array.from(xEdges),
    yEdges: Array.from(yEdges),
    outside,
    inRange,
    cellArea: dx * dy,
  };
}

/** Percentile q ∈ [0, 1] of an ascending-sorted array, numpy's default linear interpolation. */
export function percentileSorted(sorted: Numbers, q: number): number {
  const n = sorted.length;
  if (n === 0) throw new Error('plot/histogram percentileSorted: empty array');
  const pos = Math.min(Math.max(q, 0), 1) * (n - 1);
  const i = Math.floor(pos);
  const f = pos - i;
  return i + 1 < n ? sorted[i] + f * (sorted[i + 1] - sorted[i]) : sorted[i];
}

export interface AutoRangeOptions {
  lo?: number;
  hi?: number;
  /** Fraction of the percentile span added on each side. */
  pad?: number;
}

/**
 * Axis range from pooled samples: [P_lo, P_hi] widened by pad·span on each side (reference:
 * 0.5 % / 99.5 % / 5 %). Non-finite samples are ignored; a zero span is widened to ±0.5.
 */
export function autoRange(samples: Numbers | Numbers[], opts: AutoRangeOptions = {}): [number, number] {
  const lo = opts.lo ?? 0.005;
  const hi = opts.hi ?? 0.995;
  const pad = opts.pad ?? 0.05;
  const parts: Numbers[] = isArrayOfArrays(samples) ? samples : [samples];
  let n = 0;
  for (const p of parts) n += p.length;
  const all = new Float64Array(n);
  let k = 0;
  for (const p of parts) for (let i = 0; i < p.length; i++) if (Number.isFinite(p[i])) all[k++] = p[i];
  if (k === 0) throw new Error('plot/histogram autoRange: no finite samples');
  const s = all.subarray(0, k).sort();
  const a = percentileSorted(s, lo);
  const b = percentileSorted(s, hi);
  const span = b - a;
  if (span === 0) return [a - 0.5, b + 0.5];
  return [a - pad * span, b + pad * span];
}

function isArrayOfArrays(x: Numbers | Numbers[]): x is Numbers[] {
  return x.length > 0 && typeof (x as ArrayLike<unknown>)[0] === 'object';
}

/** Element-wise a/b, `fill` (default NaN) where b is 0 or either side is not finite. */
export function safeRatio(a: Numbers, b: Numbers, fill = NaN): Float64Array {
  if (a.length !== b.length) throw new Error(`plot/histogram safeRatio: lengths ${a.length} != ${b.length}`);
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const r = a[i] / b[i];
    out[i] = b[i] !== 0 && Number.isFinite(r) ? r : fill;
  }
  return out;
}

export interface RatioPoints {
  ratio: Float64Array;
  /** 1σ error of the ratio (NaN where the ratio is NaN). */
  err: Float64Array;
}

export interface RatioOptions {
  /** Normalisation totals (default: the sum of each histogram). */
  numTotal?: number;
  denTotal?: number;
  /**
   * Whether the denominator is exact (an integrated density, no sampling noise): then only the
   * numerator's Poisson error enters. Default false: both counts' Poisson errors are combined.
   */
  denExact?: boolean;
  /** Whether the inputs are raw counts (Poisson errors from them). Default true. */
  counts?: boolean;
  /**
   * With an exact denominator: bins where fewer than this many numerator counts are expected are
   * not drawn (NaN). An exact truth has no empty bins, so far tails where the sample expects well
   * under one event drew markers at 0 with bars spanning the panel. Default 1; 0 draws every bin.
   */
  minExpected?: number;
}

/**
 * Shape ratio r = (num/N_num)/(den/N_den) per bin with its error. With raw counts,
 * σ_r = r·sqrt(1/num + 1/den) (or r/sqrt(num) with an exact denominator); empty-numerator bins
 * use 1 count for the error, empty-denominator bins give NaN (not drawn).
 */
export function ratioWithErrors(num: Numbers, den: Numbers, opts: RatioOptions = {}): RatioPoints {
  if (num.length !== den.length)
    throw new Error(`plot/histogram ratioWithErrors: lengths ${num.length} != ${den.length}`);
  const sum = (x: Numbers) => {
    let s = 0;
    for (let i = 0; i < x.length; i++) s += x[i];
    return s;
  };
  const nn = opts.numTotal ?? sum(num);
  const nd = opts.denTotal ?? sum(den);
  const ratio = new Float64Array(num.length);
  const err = new Float64Array(num.length);
  for (let i = 0; i < num.length; i++) {
    if (!(den[i] > 0) || !(nn > 0) || !(nd > 0)) {
      ratio[i] = NaN;
      err[i] = NaN;
      continue;
    }
    if (opts.denExact && (den[i] / nd) * nn < (opts.minExpected ?? 1)) {
      ratio[i] = NaN;
      err[i] = NaN;
      continue;
    }
    const r = num[i] / nn / (den[i] / nd);
    ratio[i] = r;
    if (opts.counts === false) {
      err[i] = 0;
      continue;
    }
    const relNum = 1 / Math.max(num[i], 1);
    const relDen = opts.denExact ? 0 : 1 / den[i];
    // With an empty numerator r = 0; use the 1-count error scaled to the expected ratio 1/(den/nd·nn).
    err[i] = num[i] > 0 ? r * Math.sqrt(relNum + relDen) : 1 / nn / (den[i] / nd);
  }
  return { ratio, err };
}

export interface RatioRangeOptions {
  /** The range always shown (default [0.8, 1.2]). */
  base?: [number, number];
  /** Hard limits the range never exceeds (default [0, 3]). */
  limit?: [number, number];
  /** Fraction of the considered points that should fit (default 0.9). */
  cover?: number;
  /**
   * Per-point errors: only points with err ≤ maxErr widen the range (a tail bin with a few
   * events should not squash the well-measured ones; it is marked as clipped instead).
   */
  errors?: Numbers;
  maxErr?: number;
}

/**
 * A y-range for a ratio panel: at least `base`, widened to hold the central `cover` fraction
 * of the finite ratios, capped at `limit`, rounded out to multiples of 0.1. Points still
 * outside are drawn as clipped markers by the error-bar primitive.
 */
export function ratioYRange(ratios: Numbers, opts: RatioRangeOptions = {}): [number, number] {
  const [b0, b1] = opts.base ?? [0.8, 1.2];
  const [l0, l1] = opts.limit ?? [0, 3];
  const cover = opts.cover ?? 0.9;
  const maxErr = opts.maxErr ?? 0.15;
  const errs = opts.errors;
  if (errs && errs.length !== ratios.length)
    throw new Error(`plot/histogram ratioYRange: errors length ${errs.length} != ratios length ${ratios.length}`);
  const finite = Array.from(ratios)
    .filter((r, i) => Number.isFinite(r) && (!errs || errs[i] <= maxErr))
    .sort((a, b) => a - b);
  let lo = b0;
  let hi = b1;
  if (finite.length > 0) {
    const tail = (1 - cover) / 2;
    lo = Math.min(lo, percentileSorted(finite, tail));
    hi = Math.max(hi, percentileSorted(finite, 1 - tail));
  }
  lo = Math.max(l0, Math.floor(lo * 10 + 1e-9) / 10);
  hi = Math.min(l1, Math.ceil(hi * 10 - 1e-9) / 10);
  // Keep 1 centred-ish: a symmetric window reads better when comparing over/under-shoot.
  const half = Math.max(1 - lo, hi - 1);
  return [Math.max(l0, round1(1 - half)), Math.min(l1, round1(1 + half))];
}

const round1 = (v: number) => Math.round(v * 10) / 10;
