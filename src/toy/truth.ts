/**
 * Exact (analytic) densities of the toy generator, in float64.
 *
 * Class prior: p(c = B) = 0.5.
 * x | c, ν ~ N(m_c, A_c A_cᵀ) — see prepared.ts for m_c and A_c (rotation, squeeze, shift).
 * y | x, c, ν (pre-sigmoid, undistorted), class sign s = −1 (A) / +1 (B),
 * d = y_shift_scale·ν_shift, b = y_squeeze_scale·ν_squeeze (golden/README.md, generator_truth):
 *   mu  = ( sin(1.5 x1) + 0.3 x2 + s·d·tanh(x1),  0.3 x1² − 1.2 + 0.5 sin(x2) − s·d·tanh(x1) )
 *   σ0  = softplus(0.4 x1 + 0.1)·e^{s b},   σ1 = softplus(−0.2 x1 + 0.4)·e^{−s b}
 *   ρ   = 0.8 tanh(0.5 (x1 + x2)),   Σ = [[σ0², ρσ0σ1], [ρσ0σ1, σ1²]]
 * The observed y may additionally pass through the distortion D and the sigmoid
 * (distortion.ts); `logProbY` then adds −log|det D| − Σ log(u(1 − u)).
 */
import type { GeneratorConfig, Vec2 } from './config.js';
import { distortionLogDet, logit, undistortInto } from './distortion.js';
import { classIndex, prepareGenerator, type PreparedClass, type PreparedGenerator } from './prepared.js';

const LOG_2PI = Math.log(2 * Math.PI);

/** p(c = B); p(c = A) = 1 − P_CLASS_B. */
export const P_CLASS_B = 0.5;

/** log p(c). */
export function logClassPrior(c: number): number {
  return Math.log(classIndex(c, 'logClassPrior') === 1 ? P_CLASS_B : 1 - P_CLASS_B);
}

/** Numerically stable softplus log(1 + e^t). */
export function softplus(t: number): number {
  return Math.max(t, 0) + Math.log1p(Math.exp(-Math.abs(t)));
}

export interface XParams {
  /** Mean of x | c, ν. */
  mean: Vec2;
  /** Marginal standard deviations sqrt(Σ_ii). */
  sd: Vec2;
  /** Correlation of x1 and x2 (0 unless variation_rot ≠ 0). */
  rho: number;
  /** A with x = mean + A ε, row-major [a00, a01, a10, a11]. */
  factor: [number, number, number, number];
  /** log|det A|. */
  logDet: number;
}

/** The Gaussian x | c at the config's ν. */
export function xParams(c: number, cfg: Readonly<GeneratorConfig>): XParams {
  const k = prepareGenerator(cfg).classes[classIndex(c, 'xParams')];
  const v0 = k.a00 * k.a00 + k.a01 * k.a01;
  const v1 = k.a10 * k.a10 + k.a11 * k.a11;
  const cov = k.a00 * k.a10 + k.a01 * k.a11;
  const sd0 = Math.sqrt(v0);
  const sd1 = Math.sqrt(v1);
  return {
    mean: [k.m0, k.m1],
    sd: [sd0, sd1],
    rho: cov / (sd0 * sd1),
    factor: [k.a00, k.a01, k.a10, k.a11],
    logDet: k.logDetA,
  };
}

function logProbXPrepared(x1: number, x2: number, k: PreparedClass): number {
  const u0 = x1 - k.m0;
  const u1 = x2 - k.m1;
  const e0 = k.b00 * u0 + k.b01 * u1;
  const e1 = k.b10 * u0 + k.b11 * u1;
  return -LOG_2PI - k.logDetA - 0.5 * (e0 * e0 + e1 * e1);
}

/** log p(x | c, ν) at one point x = [x1, x2]. */
export function logProbX(x: ArrayLike<number>, c: number, cfg: Readonly<GeneratorConfig>): number {
  checkPoint('logProbX', { x });
  const k = prepareGenerator(cfg).classes[classIndex(c, 'logProbX')];
  return logProbXPrepared(x[0], x[1], k);
}

/** log p(x | c, ν) for a batch: x [n, 2] row-major, c [n] of 0/1; writes out[n] (allocated if absent). */
export function logProbXBatch<T extends Float64Array | Float32Array = Float64Array>(
  x: ArrayLike<number>,
  c: ArrayLike<number>,
  cfg: Readonly<GeneratorConfig>,
  out?: T,
): T {
  const n = classCount('logProbXBatch(x, c, cfg)', c);
  checkBatch('logProbXBatch', n, { x }, out);
  const g = prepareGenerator(cfg);
  const o = (out ?? new Float64Array(n)) as T;
  for (let i = 0; i < n; i++) {
    const k = g.classes[classIndex(c[i], 'logProbXBatch', i)];
    o[i] = logProbXPrepared(x[2 * i], x[2 * i + 1], k);
  }
  return o;
}

export interface YParams {
  mu: Vec2;
  sigma0: number;
  sigma1: number;
  rho: number;
}

/** Writes [mu0, mu1, σ0, σ1, ρ] of y | x, c to p. */
export function yParamsInto(x1: number, x2: number, sign: number, g: PreparedGenerator, p: Float64Array): void {
  let mu0 = Math.sin(1.5 * x1) + 0.3 * x2;
  let mu1 = 0.3 * x1 * x1 - 1.2 + 0.5 * Math.sin(x2);
  let s0 = softplus(0.4 * x1 + 0.1);
  let s1 = softplus(-0.2 * x1 + 0.4);
  if (g.yShift !== 0) {
    const t = sign * g.yShift * Math.tanh(x1);
    mu0 += t;
    mu1 -= t;
  }
  if (g.ySqueeze !== 0) {
    s0 *= Math.exp(sign * g.ySqueeze);
    s1 *= Math.exp(-sign * g.ySqueeze);
  }
  p[0] = mu0;
  p[1] = mu1;
  p[2] = s0;
  p[3] = s1;
  p[4] = 0.8 * Math.tanh(0.5 * (x1 + x2));
}

/** The Gaussian y | x, c at the config's ν (pre-sigmoid, undistorted). */
export function yParams(x: ArrayLike<number>, c: number, cfg: Readonly<GeneratorConfig>): YParams {
  const g = prepareGenerator(cfg);
  const p = new Float64Array(5);
  yParamsInto(x[0], x[1], g.classes[classIndex(c, 'yParams')].sign, g, p);
  return { mu: [p[0], p[1]], sigma0: p[2], sigma1: p[3], rho: p[4] };
}

/** log N(y; mu, Σ) with p = [mu0, mu1, σ0, σ1, ρ]. */
function logGauss2(y0: number, y1: number, p: Float64Array): number {
  const u0 = (y0 - p[0]) / p[2];
  const u1 = (y1 - p[1]) / p[3];
  const r = p[4];
  const q = (u0 * u0 - 2 * r * u0 * u1 + u1 * u1) / (1 - r * r);
  return -LOG_2PI - Math.log(p[2]) - Math.log(p[3]) - 0.5 * Math.log1p(-r * r) - 0.5 * q;
}

export interface YDensityOptions {
  /** y is the distorted y (reference `y_data_distorted`): add the distortion's inverse Jacobian. Default false. */
  distorted?: boolean;
  /** y is in sigmoid space (0, 1)²: add the sigmoid's inverse Jacobian. Default: cfg.sigmoid_y. */
  sigmoid?: boolean;
}

/** Scratch for the per-point evaluation (one per call, not shared between calls). */
interface YScratch {
  p: Float64Array;
  t: Float64Array;
}

function logProbYPrepared(
  y0: number,
  y1: number,
  x1: number,
  x2: number,
  sign: number,
  g: PreparedGenerator,
  sigmoid: boolean,
  distortLogDet: number | null,
  s: YScratch,
): number {
  let ladj = 0;
  if (sigmoid) {
    if (!(y0 > 0 && y0 < 1 && y1 > 0 && y1 < 1)) return -Infinity;
    ladj -= Math.log(y0) + Math.log1p(-y0) + Math.log(y1) + Math.log1p(-y1);
    y0 = logit(y0);
    y1 = logit(y1);
  }
  if (distortLogDet !== null) {
    undistortInto(y0, y1, x1, x2, sign, g, s.t, 0);
    y0 = s.t[0];
    y1 = s.t[1];
    ladj -= distortLogDet;
  }
  yParamsInto(x1, x2, sign, g, s.p);
  return logGauss2(y0, y1, s.p) + ladj;
}

/** log p(y | x, c, ν) at one point, with the Jacobians of the distortion and the sigmoid where requested. */
export function logProbY(
  y: ArrayLike<number>,
  x: ArrayLike<number>,
  c: number,
  cfg: Readonly<GeneratorConfig>,
  opts: YDensityOptions = {},
): number {
  checkPoint('logProbY', { y, x });
  const g = prepareGenerator(cfg);
  const sign = g.classes[classIndex(c, 'logProbY')].sign;
  const ld = opts.distorted ? distortionLogDet(sign, g) : null;
  const s: YScratch = { p: new Float64Array(5), t: new Float64Array(2) };
  return logProbYPrepared(y[0], y[1], x[0], x[1], sign, g, opts.sigmoid ?? g.sigmoidY, ld, s);
}

/** log p(y | x, c, ν) for a batch: y, x [n, 2] row-major, c [n] of 0/1; writes out[n] (allocated if absent). */
export function logProbYBatch<T extends Float64Array | Float32Array = Float64Array>(
  y: ArrayLike<number>,
  x: ArrayLike<number>,
  c: ArrayLike<number>,
  cfg: Readonly<GeneratorConfig>,
  opts: YDensityOptions = {},
  out?: T,
): T {
  const n = classCount('logProbYBatch(y, x, c, cfg)', c);
  checkBatch('logProbYBatch', n, { y, x }, out);
  const g = prepareGenerator(cfg);
  const sigmoid = opts.sigmoid ?? g.sigmoidY;
  const ld: [number | null, number | null] = opts.distorted
    ? [distortionLogDet(-1, g), distortionLogDet(1, g)]
    : [null, null];
  const s: YScratch = { p: new Float64Array(5), t: new Float64Array(2) };
  const o = (out ?? new Float64Array(n)) as T;
  for (let i = 0; i < n; i++) {
    const ci = classIndex(c[i], 'logProbYBatch', i);
    o[i] = logProbYPrepared(y[2 * i], y[2 * i + 1], x[2 * i], x[2 * i + 1], g.classes[ci].sign, g, sigmoid, ld[ci], s);
  }
  return o;
}

/** Writes the y | x, c parameters of a batch: mu [n, 2], sigma0/sigma1/rho [n]. */
export function yParamsBatch(
  x: ArrayLike<number>,
  c: ArrayLike<number>,
  cfg: Readonly<GeneratorConfig>,
  out?: { mu: Float64Array; sigma0: Float64Array; sigma1: Float64Array; rho: Float64Array },
) {
  const n = classCount('yParamsBatch(x, c, cfg)', c);
  checkBatch('yParamsBatch', n, { x });
  const o = out ?? {
    mu: new Float64Array(2 * n),
    sigma0: new Float64Array(n),
    sigma1: new Float64Array(n),
    rho: new Float64Array(n),
  };
  if (o.mu.length !== 2 * n || o.sigma0.length !== n || o.sigma1.length !== n || o.rho.length !== n) {
    throw new Error(`yParamsBatch: out arrays must have lengths mu ${2 * n}, sigma0/sigma1/rho ${n}`);
  }
  const g = prepareGenerator(cfg);
  const p = new Float64Array(5);
  for (let i = 0; i < n; i++) {
    yParamsInto(x[2 * i], x[2 * i + 1], g.classes[classIndex(c[i], 'yParamsBatch', i)].sign, g, p);
    o.mu[2 * i] = p[0];
    o.mu[2 * i + 1] = p[1];
    o.sigma0[i] = p[2];
    o.sigma1[i] = p[3];
    o.rho[i] = p[4];
  }
  return o;
}

/** One point's coordinates: two numbers each (a longer array would hide a batch passed by mistake). */
function checkPoint(what: string, pairs: Record<string, ArrayLike<number>>): void {
  for (const [name, a] of Object.entries(pairs)) {
    if (a?.length !== 2)
      throw new Error(`${what}: ${name} must be one point of 2 numbers, got ${a?.length ?? String(a)}`);
  }
}

/**
 * n from the classes c: an array of 0/1 per event. A config passed where c goes (the arguments shifted by
 * one) has no length, and every length check after it would compare against NaN.
 */
function classCount(what: string, c: ArrayLike<number>): number {
  const len = (c as { length?: unknown } | null)?.length;
  if (typeof len !== 'number' || typeof c === 'string') {
    throw new Error(`${what}: c must be the class per event (an array of 0/1), got ${describe(c)}`);
  }
  return len;
}

function describe(a: unknown): string {
  return a === null ? 'null' : typeof a;
}

function checkBatch(what: string, n: number, pairs: Record<string, ArrayLike<number>>, out?: ArrayLike<number>): void {
  for (const [name, a] of Object.entries(pairs)) {
    const len = (a as { length?: unknown } | null)?.length;
    if (typeof len !== 'number' || typeof a === 'string')
      throw new Error(`${what}: ${name} must be [n, 2] = ${2 * n} numbers for n = ${n} classes, got ${describe(a)}`);
    if (len !== 2 * n)
      throw new Error(`${what}: ${name} must be [n, 2] = ${2 * n} numbers for n = ${n} classes, got ${len}`);
  }
  if (out && out.length !== n) throw new Error(`${what}: out must have length n = ${n}, got ${out.length}`);
}
