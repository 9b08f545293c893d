/**
 * Monotonic rational-quadratic spline (Zuko's `MonotonicRQSTransform`): the readable reference
 * for the three spline kernels (forward, inverse, backward). Spec: shared/spec §3 and §7.
 *
 * Hand-written because the engine has no autodiff through a data-dependent bin search: the
 * spline is one fused kernel, and its backward is derived here by hand (bin index held fixed).
 *
 * Per element e (n = x.size) the P = 3K − 1 raw parameters are params[e·P .. e·P + P), laid
 * out [K widths, K heights, K − 1 interior derivatives] — the hyper-network's feature-major
 * output [B, F·P] seen as [B·F, P].
 *
 * Steps, one helper each:
 *   1. normalise parameters: soft clamps (scale λ = ln σ), softmax, knots by prefix sum,
 *      knot derivatives exp(d′) with δ_0 = δ_K = 1            → `prepareKnots`
 *   2. bin search: k = #{ j : knot_j < v } − 1 ("strictly less"); inside iff 0 ≤ k < K
 *                                                             → `searchBin`
 *   3. evaluate the rational quadratic in bin k              → `forwardInBin`, `inverseInBin`
 *   4. hand-derived backward                                 → `backwardInBin`, `backwardElement`
 * Outside [−B, x_K] the spline is the identity: y = x, ladj = 0, dx = gy, dparams = 0.
 *
 * Precision: every helper takes a rounding function `r`. With `roundF32` (Math.fround after
 * every operation) the arithmetic is IEEE float32 operation for operation — the kernels below
 * use it, and the wasm kernel (assembly/spline.ts) performs the very same operations in the
 * same order, so the two backends agree to the last bit (up to rare 1-ulp log ties).
 * With `roundF64` (identity) the same code is the float64 function, used by the tests for
 * finite-difference gradient checks.
 *
 * Rounding choices (closest to PyTorch CPU): the softmax sum and the prefix sums accumulate in
 * float64 and round each output to f32 (PyTorch's cumsum keeps a double accumulator); the
 * softmax normalises by multiplying with the rounded reciprocal of the sum (as PyTorch's
 * vectorised softmax does); exp is the float32 `expF32` below (≤ ~1 ulp, like PyTorch's own
 * vectorised exp), log is evaluated in float64 and rounded.
 *
 * Deviations from Zuko (same mathematics; results differ beyond rounding only on degenerate
 * inputs): the inverse clamps the discriminant to ≥ 0 and the root ζ to [0, 1] (spec §7.6
 * "safe deviation") and evaluates the quadratic's coefficients and root in cancellation-free
 * forms (see `inverseInBin`); a NaN or ±∞ input is outside, so ladj = 0 there instead of
 * Zuko's NaN (y still carries the NaN/∞).
 */
import type { Tensor } from '../../tensor/tensor.js';
import type { SplineSpec } from '../kernels.js';

/** Rounds an intermediate result to the working precision. */
export type Round = (v: number) => number;
export const roundF32: Round = Math.fround;
export const roundF64: Round = (v) => v;

// ------------------------------------------------------------------- float32 exp

// Hand-written because the wasm kernel evaluates the 2K softmax exps four lanes at a time and
// needs an exp it can vectorise; writing the very same operations here keeps both backends
// bit-identical (exp is the only transcendental besides one log per element). Within ~1 ulp
// of the correctly rounded exp on the range the spline uses (|v| ≤ 2|λ|).
const LOG2E = Math.fround(Math.LOG2E);
/** ln 2 split so that n·LN2_HI is exact for |n| < 2^15. */
const LN2_HI = 0.693359375;
const LN2_LO = Math.fround(-2.1219444170128554e-4); // f32(ln 2 − LN2_HI)
/** Taylor coefficients 1/k!, k = 2..7 (|r| ≤ ln2/2: the degree-8 term is < 2e-9). */
const EXP_C = [1 / 2, 1 / 6, 1 / 24, 1 / 120, 1 / 720, 1 / 5040].map(Math.fround);

/** Round half to even, like wasm's `f32.nearest`. */
function nearestEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d !== 0.5) return d < 0.5 ? f : f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/** float32 exp(v) = 2ⁿ·p(r), n = nearest(v·log₂e), r = v − n·ln 2; valid for |v| < 87. */
export function expF32(v: number): number {
  const f = Math.fround;
  const n = nearestEven(f(v * LOG2E));
  const r = f(f(v - f(n * LN2_HI)) - f(n * LN2_LO));
  let p = EXP_C[5];
  for (let i = 4; i >= 0; i--) p = f(f(p * r) + EXP_C[i]);
  p = f(f(p * r) + 1);
  p = f(f(p * r) + 1);
  return f(p * 2 ** n);
}

/** The exp of a precision: the float32 one above, or Math.exp for float64. */
const expFor = (r: Round): ((v: number) => number) => (r === roundF32 ? expF32 : Math.exp);

/** Spline constants in the working precision. */
export interface SplineShape {
  /** K bins. */
  readonly bins: number;
  /** B: the spline lives on [−B, B]. */
  readonly bound: number;
  /** λ = ln σ < 0, the soft-clamp scale. */
  readonly logSlope: number;
}

export function splineShape(spec: SplineSpec, r: Round): SplineShape {
  return { bins: spec.bins, bound: r(spec.bound), logSlope: r(Math.log(spec.slope)) };
}

/** Raw parameters per element. */
export const paramsPerElement = (bins: number): number => 3 * bins - 1;

/** One element's normalised spline: knots, derivatives and the bin masses behind them. */
export class SplineKnots {
  /** x_0..x_K (x_0 = −B exactly). */
  readonly xs: Float64Array;
  /** y_0..y_K. */
  readonly ys: Float64Array;
  /** δ_0..δ_K (δ_0 = δ_K = 1). */
  readonly ds: Float64Array;
  /** softmax of the clamped widths, W_0..W_{K−1}. */
  readonly widths: Float64Array;
  /** softmax of the clamped heights, H_0..H_{K−1}. */
  readonly heights: Float64Array;
  /** scratch for the selected bin (see readBin) */
  readonly bin: Bin = { xlo: 0, dxw: 0, ylo: 0, dyh: 0, dlo: 0, dhi: 0, s: 0 };

  constructor(readonly bins: number) {
    this.xs = new Float64Array(bins + 1);
    this.ys = new Float64Array(bins + 1);
    this.ds = new Float64Array(bins + 1);
    this.widths = new Float64Array(bins);
    this.heights = new Float64Array(bins);
  }
}

// ------------------------------------------------------------- 1. normalise parameters

/**
 * Zuko's soft clamp c(v) = v / (1 + |f·v/λ|) with f = 2 (widths, heights) or 1 (derivatives):
 * |c| < |λ|/f, so every softmax ratio and every exp(d′) stays bounded by 1/σ.
 */
function softClamp(v: number, f: number, lambda: number, r: Round): number {
  return r(v / r(1 + Math.abs(r(r(f * v) / lambda))));
}

/**
 * dc/dv. With a = |f/λ|: c = v/(1 + a|v|), so c′ = ((1 + a|v|) − v·a·sign v)/(1 + a|v|)²
 * = 1/(1 + a|v|)² — the sign terms cancel, c′ is continuous (also at v = 0).
 */
function softClampDerivative(v: number, f: number, lambda: number, r: Round): number {
  const q = r(1 + Math.abs(r(r(f * v) / lambda)));
  return r(1 / r(q * q));
}

/** out[j] = softmax(c(raw[off + j])), max-subtracted; sum in float64, one rounded reciprocal. */
function softmaxOfClamped(
  out: Float64Array,
  raw: ArrayLike<number>,
  off: number,
  bins: number,
  lambda: number,
  r: Round,
): void {
  let max = -Infinity;
  for (let j = 0; j < bins; j++) {
    const c = softClamp(raw[off + j], 2, lambda, r);
    if (c > max) max = c;
  }
  const exp = expFor(r);
  let sum = 0;
  for (let j = 0; j < bins; j++) {
    const e = exp(r(softClamp(raw[off + j], 2, lambda, r) - max));
    out[j] = e;
    sum += e;
  }
  const inv = r(1 / r(sum));
  for (let j = 0; j < bins; j++) out[j] = r(out[j] * inv);
}

/** knots[0] = −B, knots[k] = B·(2·S_k − 1), S_k = Σ_{j<k} mass_j (f64 accumulator, rounded). */
function knotsFromMasses(knots: Float64Array, masses: Float64Array, bound: number, r: Round): void {
  knots[0] = -bound;
  let acc = 0;
  for (let j = 0; j < masses.length; j++) {
    acc += masses[j];
    knots[j + 1] = r(bound * r(2 * r(acc) - 1));
  }
}

/** Step 1: everything the bin formulas need, from the raw parameters raw[off .. off + P). */
export function prepareKnots(
  knots: SplineKnots,
  raw: ArrayLike<number>,
  off: number,
  shape: SplineShape,
  r: Round,
): void {
  const K = shape.bins;
  softmaxOfClamped(knots.widths, raw, off, K, shape.logSlope, r);
  softmaxOfClamped(knots.heights, raw, off + K, K, shape.logSlope, r);
  knotsFromMasses(knots.xs, knots.widths, shape.bound, r);
  knotsFromMasses(knots.ys, knots.heights, shape.bound, r);
  knots.ds[0] = 1;
  knots.ds[K] = 1;
  for (let i = 1; i < K; i++) {
    knots.ds[i] = r(expFor(r)(softClamp(raw[off + 2 * K + i - 1], 1, shape.logSlope, r)));
  }
}

// ---------------------------------------------------------------------- 2. bin search

/**
 * k = #{ j ∈ 0..K : knots_j < v } − 1. Inside iff 0 ≤ k < K. A value exactly on an interior
 * knot j lands in bin j − 1 at local coordinate 1 (Zuko's rule); v ≤ −B gives −1, v > x_K
 * gives K, NaN gives −1 (no comparison holds).
 */
export function searchBin(knots: Float64Array, v: number): number {
  let count = 0;
  for (let j = 0; j < knots.length; j++) if (knots[j] < v) count++;
  return count - 1;
}

export const isInsideBin = (k: number, bins: number): boolean => k >= 0 && k < bins;

// ------------------------------------------------------------------------- 3. evaluate

/** Result holder, reused across elements (no allocation per element). */
export interface SplinePoint {
  /** y (forward) or x (inverse). */
  value: number;
  /** ln|dy/dx| (forward) or ln|dx/dy| (inverse). */
  ladj: number;
}

/**
 * ln J at local coordinate ζ, J = s²·(2s·ζ(1−ζ) + d_lo(1−ζ)² + d_hi·ζ²) / den²,
 * den = s + ((d_lo + d_hi) − 2s)·ζ·(1 − ζ): Zuko's evaluation order.
 */
function logJacobian(z: number, s: number, dlo: number, dhi: number, r: Round): number {
  const omz = r(1 - z);
  const den = r(s + r(r(r(r(dlo + dhi) - r(2 * s)) * z) * omz));
  const q = r(r(r(r(r(2 * s) * z) * omz) + r(dlo * r(omz * omz))) + r(dhi * r(z * z)));
  return r(Math.log(r(r(r(s * s) * q) / r(den * den))));
}

/** What every evaluation in bin k starts from: its edges, widths, end slopes and secant slope. */
export interface Bin {
  xlo: number;
  /** x_{k+1} − x_k */
  dxw: number;
  ylo: number;
  /** y_{k+1} − y_k */
  dyh: number;
  dlo: number;
  dhi: number;
  /** secant slope Δy/Δx */
  s: number;
}

/** Fills and returns the knots' scratch Bin for bin k (one object per kernel call, no allocation). */
export function readBin(knots: SplineKnots, k: number, r: Round): Bin {
  const { xs, ys, ds, bin } = knots;
  bin.xlo = xs[k];
  bin.dxw = r(xs[k + 1] - bin.xlo);
  bin.ylo = ys[k];
  bin.dyh = r(ys[k + 1] - bin.ylo);
  bin.dlo = ds[k];
  bin.dhi = ds[k + 1];
  bin.s = r(bin.dyh / bin.dxw);
  return bin;
}

/** Step 3, forward: y and ln|dy/dx| of x in bin k (k must be inside). */
export function forwardInBin(out: SplinePoint, x: number, k: number, knots: SplineKnots, r: Round): void {
  const { xlo, dxw, ylo, dyh, dlo, dhi, s } = readBin(knots, k, r);
  const z = r(r(x - xlo) / dxw);
  const omz = r(1 - z);
  const den = r(s + r(r(r(r(dlo + dhi) - r(2 * s)) * z) * omz));
  const num = r(r(s * r(z * z)) + r(r(dlo * z) * omz));
  out.value = r(ylo + r(r(dyh * num) / den));
  out.ladj = logJacobian(z, s, dlo, dhi, r);
}

/**
 * Step 3, inverse: x and ln|dx/dy| of y in bin k (k from the y-knots, inside). Solves
 * a·ζ² + b·ζ + c = 0 for its root in [0, 1], ζ = 2c / (−b − √(b² − 4ac)) = (−b + √(b² − 4ac)) / 2a,
 * with (ŷ = y − y_lo, ŷ′ = y_hi − y, so Δy = ŷ + ŷ′)
 *   a = Δy(s − d_lo) + ŷ(d_lo + d_hi − 2s) = s(ŷ′ − ŷ) − d_lo·ŷ′ + d_hi·ŷ
 *   b = Δy·d_lo − ŷ(d_lo + d_hi − 2s)      = d_lo·ŷ′ − d_hi·ŷ + 2s·ŷ
 *   c = −s·ŷ.
 * Zuko evaluates the left-hand forms, where the d_lo terms cancel as y → y_hi (a large d_lo
 * then leaves a and b with a few % error in float32); the right-hand forms have no such term.
 * Zuko always uses the first form, which cancels catastrophically when b < 0 (a steep knot
 * derivative next to a flat bin: ζ off by ~1e-2 in float32); we take whichever form adds
 * terms of equal sign (identical to Zuko for b ≥ 0). The
 * log-derivative is −ln J at the recovered x, re-localised in the same bin, as Zuko computes it
 * (not at the root ζ itself: ln J can vary fast inside a bin, and this keeps
 * inverse ladj = −forward ladj(x̂) to rounding).
 */
export function inverseInBin(out: SplinePoint, y: number, k: number, knots: SplineKnots, r: Round): void {
  const { xlo, dxw, ylo, dlo, dhi, s } = readBin(knots, k, r);
  const below = r(y - ylo); // ŷ = y − y_lo
  const above = r(knots.ys[k + 1] - y); // Δy − ŷ = y_hi − y
  const a = r(r(r(s * r(above - below)) - r(dlo * above)) + r(dhi * below));
  const b = r(r(r(dlo * above) - r(dhi * below)) + r(r(2 * s) * below));
  const c = r(-s * below);
  const sq = r(Math.sqrt(Math.max(r(r(b * b) - r(r(4 * a) * c)), 0)));
  const root = b >= 0 ? r(r(2 * c) / r(-b - sq)) : r(r(sq - b) / r(2 * a));
  const z = Math.min(Math.max(root, 0), 1);
  const x = r(xlo + r(z * dxw));
  out.value = x;
  // Zuko's inverse log-derivative: minus the forward one at the recovered x (same bin).
  out.ladj = -logJacobian(r(r(x - xlo) / dxw), s, dlo, dhi, r);
}

/** Forward of one element: outside the bins the identity with ln-derivative 0. */
export function forwardElement(
  out: SplinePoint,
  x: number,
  knots: SplineKnots,
  r: Round,
  bin = searchBin(knots.xs, x),
): void {
  if (isInsideBin(bin, knots.bins)) forwardInBin(out, x, bin, knots, r);
  else {
    out.value = x;
    out.ladj = 0;
  }
}

/** Inverse of one element (bin searched on the y-knots). */
export function inverseElement(
  out: SplinePoint,
  y: number,
  knots: SplineKnots,
  r: Round,
  bin = searchBin(knots.ys, y),
): void {
  if (isInsideBin(bin, knots.bins)) inverseInBin(out, y, bin, knots, r);
  else {
    out.value = y;
    out.ladj = 0;
  }
}

// ------------------------------------------------------------------------- 4. backward

/** Gradients of the loss w.r.t. the seven bin quantities; reused across elements. */
export interface BinGradient {
  x: number;
  xlo: number;
  xhi: number;
  ylo: number;
  yhi: number;
  dlo: number;
  dhi: number;
}

export const newBinGradient = (): BinGradient => ({
  x: 0,
  xlo: 0,
  xhi: 0,
  ylo: 0,
  yhi: 0,
  dlo: 0,
  dhi: 0,
});

/**
 * Backward of `forwardInBin` for fixed k. Notation: Δx = x_hi − x_lo, Δy = y_hi − y_lo,
 * s = Δy/Δx, ζ = (x − x_lo)/Δx, ω = ζ(1 − ζ), D = s + (d_lo + d_hi − 2s)ω (den),
 * N = sζ² + d_lo·ω (num), R = N/D, Q = 2sω + d_lo(1−ζ)² + d_hi·ζ².
 *   y    = y_lo + Δy·R
 *   ladj = 2 ln s + ln Q − 2 ln D
 * Partials of R, simplified so that nothing cancels (all terms ≥ 0 up to one sign):
 *   ∂R/∂ζ    = s·Q/D²                               (since dy/dx = s·∂R/∂ζ = s²Q/D² = J)
 *   ∂R/∂s    = (ζ²·D − N·(1 − 2ω))/D²  = ω(d_hi·ζ² − d_lo(1−ζ)²)/D²   [1 − 2ω = ζ² + (1−ζ)²]
 *   ∂R/∂d_lo = ω(D − N)/D²             = ω(s(1−ζ)² + d_hi·ω)/D²
 *   ∂R/∂d_hi = −ω·N/D²
 * Partials of ladj (∂D/∂ζ = (d_lo + d_hi − 2s)(1 − 2ζ), ∂D/∂s = 1 − 2ω):
 *   ∂/∂ζ    = ∂Q/∂ζ / Q − 2(d_lo + d_hi − 2s)(1 − 2ζ)/D,  ∂Q/∂ζ = 2s(1−2ζ) − 2d_lo(1−ζ) + 2d_hi·ζ
 *   ∂/∂s    = 2/s + 2ω/Q − 2(1 − 2ω)/D
 *   ∂/∂d_lo = (1−ζ)²/Q − 2ω/D,   ∂/∂d_hi = ζ²/Q − 2ω/D
 * Then through s = Δy/Δx and ζ = (x − x_lo)/Δx:
 *   ∂L/∂Δy = gy·R + g_s/Δx,   ∂L/∂Δx = −(g_s·s + g_ζ·ζ)/Δx,   ∂L/∂x = g_ζ/Δx,
 *   ∂L/∂x_lo = −∂L/∂x − ∂L/∂Δx,  ∂L/∂x_hi = ∂L/∂Δx,  ∂L/∂y_lo = gy − ∂L/∂Δy,  ∂L/∂y_hi = ∂L/∂Δy.
 */
export function backwardInBin(
  g: BinGradient,
  gy: number,
  gl: number,
  x: number,
  k: number,
  knots: SplineKnots,
  r: Round,
): void {
  const { xlo, dxw, dyh, dlo, dhi, s } = readBin(knots, k, r);
  const z = r(r(x - xlo) / dxw);
  const omz = r(1 - z);
  const w = r(z * omz);
  const zz = r(z * z);
  const omz2 = r(omz * omz);
  const dsum = r(r(dlo + dhi) - r(2 * s));
  const den = r(s + r(r(dsum * z) * omz));
  const num = r(r(s * zz) + r(r(dlo * z) * omz));
  const q = r(r(r(r(r(2 * s) * z) * omz) + r(dlo * omz2)) + r(dhi * zz));
  const den2 = r(den * den);
  const oneM2z = r(1 - r(2 * z));
  const oneM2w = r(1 - r(2 * w));

  // y = y_lo + Δy·R
  const ratio = r(num / den);
  const rZ = r(r(s * q) / den2);
  const rS = r(r(w * r(r(dhi * zz) - r(dlo * omz2))) / den2);
  const rDlo = r(r(w * r(r(s * omz2) + r(dhi * w))) / den2);
  const rDhi = r(-r(r(w * num) / den2));
  // ladj = 2 ln s + ln Q − 2 ln D
  const qZ = r(r(r(r(2 * s) * oneM2z) - r(r(2 * dlo) * omz)) + r(r(2 * dhi) * z));
  const lZ = r(r(qZ / q) - r(r(2 * r(dsum * oneM2z)) / den));
  const lS = r(r(r(2 / s) + r(r(2 * w) / q)) - r(r(2 * oneM2w) / den));
  const twoWoverD = r(r(2 * w) / den);
  const lDlo = r(r(omz2 / q) - twoWoverD);
  const lDhi = r(r(zz / q) - twoWoverD);

  const gyd = r(gy * dyh);
  const gz = r(r(gyd * rZ) + r(gl * lZ));
  const gs = r(r(gyd * rS) + r(gl * lS));
  g.dlo = r(r(gyd * rDlo) + r(gl * lDlo));
  g.dhi = r(r(gyd * rDhi) + r(gl * lDhi));
  const gDy = r(r(gy * ratio) + r(gs / dxw));
  const gDx = r(-r(r(r(gs * s) + r(gz * z)) / dxw));
  g.x = r(gz / dxw);
  g.xlo = r(-g.x - gDx);
  g.xhi = gDx;
  g.ylo = r(gy - gDy);
  g.yhi = gDy;
}

/**
 * Knot gradients → raw width (or height) gradients, written to out[off .. off + K).
 * knot_k = B(2S_k − 1) with S_k = Σ_{j<k} W_j, and only knots k and k+1 carry gradient, so
 *   ∂L/∂W_j = 2B(g_lo + g_hi) for j < k,  2B·g_hi for j = k,  0 for j > k.
 * Softmax: ∂L/∂c_j = W_j(∂L/∂W_j − Σ_i W_i ∂L/∂W_i); soft clamp: ∂L/∂raw_j = ∂L/∂c_j · c′(raw_j).
 */
function massesBackward(
  out: ArrayLike<number> & { [i: number]: number },
  off: number,
  masses: Float64Array,
  k: number,
  gKnotLo: number,
  gKnotHi: number,
  raw: ArrayLike<number>,
  rawOff: number,
  shape: SplineShape,
  r: Round,
): void {
  const K = shape.bins;
  const twoB = r(2 * shape.bound);
  const gBelow = r(twoB * r(gKnotLo + gKnotHi));
  const gAt = r(twoB * gKnotHi);
  const gMass = (j: number) => (j < k ? gBelow : j === k ? gAt : 0);
  let dot = 0;
  for (let j = 0; j < K; j++) dot += r(masses[j] * gMass(j));
  const dotR = r(dot);
  for (let j = 0; j < K; j++) {
    const gc = r(masses[j] * r(gMass(j) - dotR));
    out[off + j] = r(gc * softClampDerivative(raw[rawOff + j], 2, shape.logSlope, r));
  }
}

/**
 * Backward of one element: returns ∂L/∂x and writes ∂L/∂raw to dparams[dOff .. dOff + P).
 * `knots` must be prepared from raw[off ..]. The bin index is a constant of the backward.
 */
export function backwardElement(
  dparams: ArrayLike<number> & { [i: number]: number },
  dOff: number,
  gy: number,
  gl: number,
  x: number,
  raw: ArrayLike<number>,
  off: number,
  knots: SplineKnots,
  shape: SplineShape,
  r: Round,
  g: BinGradient = newBinGradient(),
  bin = searchBin(knots.xs, x),
): number {
  const K = shape.bins;
  const P = paramsPerElement(K);
  for (let p = 0; p < P; p++) dparams[dOff + p] = 0;
  if (!isInsideBin(bin, K)) return gy;
  backwardInBin(g, gy, gl, x, bin, knots, r);
  massesBackward(dparams, dOff, knots.widths, bin, g.xlo, g.xhi, raw, off, shape, r);
  massesBackward(dparams, dOff + K, knots.heights, bin, g.ylo, g.yhi, raw, off + K, shape, r);
  // δ_k = exp(c(d_{k−1})) for interior knots 1..K−1; ∂δ/∂c = δ. δ_0 = δ_K = 1 are constants.
  const dBase = off + 2 * K;
  if (bin >= 1) {
    const i = bin - 1;
    const c1 = softClampDerivative(raw[dBase + i], 1, shape.logSlope, r);
    dparams[dOff + 2 * K + i] = r(r(g.dlo * knots.ds[bin]) * c1);
  }
  if (bin + 1 <= K - 1) {
    const i = bin;
    const c1 = softClampDerivative(raw[dBase + i], 1, shape.logSlope, r);
    dparams[dOff + 2 * K + i] = r(r(g.dhi * knots.ds[bin + 1]) * c1);
  }
  return g.x;
}

// ---------------------------------------------------------------------- Tensor kernels

function checkShapes(op: string, n: number, tensors: [string, Tensor, number][]): void {
  for (const [name, t, want] of tensors) {
    if (t.size !== want) {
      throw new Error(
        `${op}: ${name} has ${t.size} elements (shape [${t.shape.join(', ')}]), expected ${want} ` +
          `(n = ${n} elements × ${want / Math.max(n, 1)})`,
      );
    }
  }
}

function checkSpec(op: string, spec: SplineSpec): void {
  if (!Number.isInteger(spec.bins) || spec.bins < 1) {
    throw new Error(`${op}: spec.bins must be an integer ≥ 1, got ${spec.bins}`);
  }
  if (!(spec.bound > 0)) throw new Error(`${op}: spec.bound must be > 0, got ${spec.bound}`);
  if (!(spec.slope > 0 && spec.slope < 1)) {
    throw new Error(`${op}: spec.slope must lie in (0, 1), got ${spec.slope}`);
  }
}

/**
 * Forward and inverse share one loop: per element, normalise its parameters into knots, then
 * evaluate one direction into (value, ladj).
 */
function mapElements(
  kernel: string,
  names: [string, string],
  out: Tensor,
  ladj: Tensor,
  input: Tensor,
  params: Tensor,
  spec: SplineSpec,
  element: typeof forwardElement,
): void {
  checkSpec(kernel, spec);
  const n = input.size;
  const P = paramsPerElement(spec.bins);
  checkShapes(kernel, n, [
    [names[0], out, n],
    [names[1], ladj, n],
    ['params', params, n * P],
  ]);
  const shape = splineShape(spec, roundF32);
  const knots = new SplineKnots(spec.bins);
  const pt: SplinePoint = { value: 0, ladj: 0 };
  const id = input.data;
  const pd = params.data;
  const od = out.data;
  const ld = ladj.data;
  for (let e = 0; e < n; e++) {
    prepareKnots(knots, pd, e * P, shape, roundF32);
    element(pt, id[e], knots, roundF32);
    od[e] = pt.value;
    ld[e] = pt.ladj;
  }
}

/**
 * y[n], ladj[n] = spline(x[n]; params[n, P]). `saved` is where the wasm kernels keep the
 * masses for their backward; this reference recomputes them there, and leaves it untouched.
 */
export function splineForwardTs(
  y: Tensor,
  ladj: Tensor,
  x: Tensor,
  params: Tensor,
  spec: SplineSpec,
  _saved: Tensor | null = null,
): void {
  mapElements('splineForward', ['y', 'ladj'], y, ladj, x, params, spec, forwardElement);
}

/** x[n], ladj[n] = spline⁻¹(y[n]; params[n, P]); ladj = ln|dx/dy| = −forward ladj. */
export function splineInverseTs(x: Tensor, ladj: Tensor, y: Tensor, params: Tensor, spec: SplineSpec): void {
  mapElements('splineInverse', ['x', 'ladj'], x, ladj, y, params, spec, inverseElement);
}

/** dx[n] = ∂L/∂x, dparams[n, P] = ∂L/∂params from gy = ∂L/∂y, gl = ∂L/∂ladj (overwrites). */
export function splineBackwardTs(
  dx: Tensor,
  dparams: Tensor,
  gy: Tensor,
  gl: Tensor,
  x: Tensor,
  params: Tensor,
  spec: SplineSpec,
  _saved: Tensor | null = null,
): void {
  checkSpec('splineBackward', spec);
  const n = x.size;
  const P = paramsPerElement(spec.bins);
  checkShapes('splineBackward', n, [
    ['dx', dx, n],
    ['dparams', dparams, n * P],
    ['gy', gy, n],
    ['gl', gl, n],
    ['params', params, n * P],
  ]);
  const shape = splineShape(spec, roundF32);
  const knots = new SplineKnots(spec.bins);
  const g = newBinGradient();
  const xd = x.data;
  const pd = params.data;
  const gyd = gy.data;
  const gld = gl.data;
  const dxd = dx.data;
  const dpd = dparams.data;
  for (let e = 0; e < n; e++) {
    prepareKnots(knots, pd, e * P, shape, roundF32);
    dxd[e] = backwardElement(dpd, e * P, gyd[e], gld[e], xd[e], pd, e * P, knots, shape, roundF32, g);
  }
}
