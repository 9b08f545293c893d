/**
 * Drawing from the toy generator (the reference's `generate_batch`), into caller-owned arrays.
 *
 * Per event i, in this order (so a seed fixes the batch on every machine):
 *   1. class: one fair coin `rng.bit()` (1 = B) unless the caller fixes the classes (no draw then);
 *   2. x = m_c + A_c ε with one Box–Muller pair ε (prepared.ts: rotation, squeeze, shift), stored
 *      as float32;
 *   3. y_raw = mu + L η with one Box–Muller pair η, L the Cholesky factor of Σ(x, c), evaluated at
 *      the *stored* float32 x, so the exact density at the returned (x, y) is the one sampled;
 *   4. optionally y_dist = D(y_raw; x, c) (distortion.ts); both y's pass through the sigmoid when
 *      cfg.sigmoid_y; stored as float32.
 * Arithmetic is float64 until the final store.
 */
import type { GeneratorConfig } from './config.js';
import { distortInto, distortionLogDet, sigmoid } from './distortion.js';
import { classIndex, prepareGenerator, type PreparedGenerator } from './prepared.js';
import { checkRng, type Rng } from '../random/rng.js';
import { yParamsInto } from './truth.js';

export interface ToyBatch {
  /** Class per event: 0 = A, 1 = B. */
  c: Uint8Array | Int32Array;
  /** One-hot class [n, 2]: A = [1, 0], B = [0, 1]. */
  cOneHot: Float32Array;
  /** Kinematics [n, 2]. */
  x: Float32Array;
  /** Score [n, 2]: pre-sigmoid, or in (0, 1) when cfg.sigmoid_y. */
  y: Float32Array;
  /** The distorted score [n, 2] (only when `distorted` was asked for). */
  yDistorted?: Float32Array;
}

export interface GenerateOptions {
  /** Fix the classes: one class for all events, or one per event (0/1). Default: a fair coin per event. */
  c?: number | ArrayLike<number>;
  /** Also produce `yDistorted` (the reference's "data" score). Default false. */
  distorted?: boolean;
  /**
   * Preallocated outputs (exact lengths: c n, cOneHot/x/y/yDistorted 2n), e.g. views into tensor
   * memory; missing ones are allocated. Training passes these every step.
   */
  out?: Partial<ToyBatch>;
}

function outArray<T extends Float32Array | Uint8Array | Int32Array>(
  given: T | undefined,
  len: number,
  name: string,
  make: (n: number) => T,
): T {
  if (given === undefined) return make(len);
  if (given.length !== len) throw new Error(`generateBatch: out.${name} must have length ${len}, got ${given.length}`);
  return given;
}

/**
 * The most events one draw holds: 10⁸ take 2.5 GB in memory as drawn (c 1 byte, one-hot c, x
 * and y 8 bytes each per event) and as much again to write them out; beyond it typed arrays run
 * out before a clear message could be given, so more is refused up front.
 */
export const MAX_EVENTS = 100_000_000;
/** Why MAX_EVENTS, for messages that refuse more. */
export const EVENTS_MEMORY =
  'events are held in memory all at once, 25 bytes each (2.5 GB for 1e8), twice that to write them';

/** Draw n events (c, x, y[, yDistorted]) from the generator `cfg`. */
export function generateBatch(
  rng: Rng,
  n: number,
  cfg: Readonly<GeneratorConfig>,
  opts: GenerateOptions = {},
): ToyBatch {
  checkRng('generateBatch(rng, n, cfg)', rng);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`generateBatch: n must be a non-negative integer, got ${n}`);
  if (n > MAX_EVENTS)
    throw new Error(`generateBatch: n = ${n} is more than the ${MAX_EVENTS} one draw holds (${EVENTS_MEMORY})`);
  const g = prepareGenerator(cfg);
  const fixed = opts.c;
  if (typeof fixed === 'number') classIndex(fixed, 'generateBatch: opts.c');
  else if (fixed !== undefined && fixed.length !== n) {
    throw new Error(`generateBatch: opts.c must be one class or n = ${n} classes, got ${fixed.length}`);
  }
  const o = opts.out ?? {};
  const c = outArray(o.c, n, 'c', (m) => new Uint8Array(m));
  const cOneHot = outArray(o.cOneHot, 2 * n, 'cOneHot', (m) => new Float32Array(m));
  const x = outArray(o.x, 2 * n, 'x', (m) => new Float32Array(m));
  const y = outArray(o.y, 2 * n, 'y', (m) => new Float32Array(m));
  const yDistorted = opts.distorted
    ? outArray(o.yDistorted, 2 * n, 'yDistorted', (m) => new Float32Array(m))
    : undefined;
  if (opts.distorted) {
    distortionLogDet(-1, g);
    distortionLogDet(1, g);
  }

  const eps = new Float64Array(2);
  const p = new Float64Array(5);
  const d = new Float64Array(2);
  for (let i = 0; i < n; i++) {
    const ci =
      fixed === undefined
        ? rng.bit()
        : typeof fixed === 'number'
          ? fixed
          : classIndex(fixed[i], 'generateBatch: opts.c', i);
    const k = g.classes[ci];
    c[i] = ci;
    cOneHot[2 * i] = 1 - ci;
    cOneHot[2 * i + 1] = ci;

    rng.normalPair(eps, 0);
    const x1 = Math.fround(k.m0 + k.a00 * eps[0] + k.a01 * eps[1]);
    const x2 = Math.fround(k.m1 + k.a10 * eps[0] + k.a11 * eps[1]);
    x[2 * i] = x1;
    x[2 * i + 1] = x2;

    drawYRaw(rng, x1, x2, k.sign, g, p, eps);
    const y0 = eps[0];
    const y1 = eps[1];
    writeY(y, i, y0, y1, g.sigmoidY);
    if (yDistorted) {
      distortInto(y0, y1, x1, x2, k.sign, g, d, 0);
      writeY(yDistorted, i, d[0], d[1], g.sigmoidY);
    }
  }
  const batch: ToyBatch = { c, cOneHot, x, y };
  if (yDistorted) batch.yDistorted = yDistorted;
  return batch;
}

/** y_raw ~ N(mu(x, c), Σ(x, c)) into e[0], e[1] (one Box–Muller pair; p is scratch). */
function drawYRaw(
  rng: Rng,
  x1: number,
  x2: number,
  sign: number,
  g: PreparedGenerator,
  p: Float64Array,
  e: Float64Array,
): void {
  yParamsInto(x1, x2, sign, g, p);
  rng.normalPair(e, 0);
  const r = p[4];
  const y0 = p[0] + p[2] * e[0];
  const y1 = p[1] + p[3] * (r * e[0] + Math.sqrt(1 - r * r) * e[1]);
  e[0] = y0;
  e[1] = y1;
}

function writeY(out: Float32Array | Float64Array, i: number, y0: number, y1: number, sig: boolean): void {
  out[2 * i] = sig ? sigmoid(y0) : y0;
  out[2 * i + 1] = sig ? sigmoid(y1) : y1;
}

export interface SampleYOptions<T extends Float32Array | Float64Array> {
  /** Number of draws; default x.length / 2. With x of length 2 the same x is used for all n draws. */
  n?: number;
  /** Output [n, 2] (allocated as Float32Array if absent). */
  out?: T;
  /** Return D(y) instead of y. Default false. */
  distorted?: boolean;
  /** Return sigmoid(y). Default cfg.sigmoid_y. */
  sigmoid?: boolean;
}

/**
 * Exact draws of y | x, c, ν (the config's ν): x is one point [x1, x2] (broadcast to n draws) or
 * [n, 2]; c one class or n classes. One Box–Muller pair per draw.
 */
export function sampleY<T extends Float32Array | Float64Array = Float32Array>(
  rng: Rng,
  x: ArrayLike<number>,
  c: number | ArrayLike<number>,
  cfg: Readonly<GeneratorConfig>,
  opts: SampleYOptions<T> = {},
): T {
  const n = opts.n ?? x.length / 2;
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`sampleY: n must be a non-negative integer, got ${n}`);
  const xStride = x.length === 2 ? 0 : 2;
  if (xStride === 2 && x.length !== 2 * n)
    throw new Error(`sampleY: x must be one point (2 numbers) or [n, 2] = ${2 * n} numbers, got ${x.length}`);
  if (typeof c !== 'number' && c.length !== n)
    throw new Error(`sampleY: c must be one class or n = ${n} classes, got ${c.length}`);
  const out = (opts.out ?? new Float32Array(2 * n)) as T;
  if (out.length !== 2 * n) throw new Error(`sampleY: out must have length 2n = ${2 * n}, got ${out.length}`);
  const g = prepareGenerator(cfg);
  const sig = opts.sigmoid ?? g.sigmoidY;
  if (opts.distorted) {
    distortionLogDet(-1, g);
    distortionLogDet(1, g);
  }
  const p = new Float64Array(5);
  const e = new Float64Array(2);
  for (let i = 0; i < n; i++) {
    const ci = typeof c === 'number' ? classIndex(c, 'sampleY') : classIndex(c[i], 'sampleY', i);
    const sign = g.classes[ci].sign;
    const x1 = x[xStride * i];
    const x2 = x[xStride * i + 1];
    drawYRaw(rng, x1, x2, sign, g, p, e);
    if (opts.distorted) distortInto(e[0], e[1], x1, x2, sign, g, e, 0);
    writeY(out, i, e[0], e[1], sig);
  }
  return out;
}
