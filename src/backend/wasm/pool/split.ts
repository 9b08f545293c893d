/**
 * How a kernel call is cut into chunks: how many threads it is worth, and where the cuts go.
 *
 * Cuts fall on fixed multiples of a grain (4 matmul rows: whole register tiles; 16 elements:
 * whole f32x4 groups and 64-byte lines) so every element takes the same code path, and thus
 * the same bits, whatever the thread count. A call runs on one thread when it is too small
 * for the hand-over to pay: each chunk must hold at least the kind's threshold of work.
 */

/** Least work per chunk, by kind of kernel; a call with less for two chunks runs on one thread. */
export interface SplitThresholds {
  /** matmul: flops (2·M·K·N). */
  matmulFlops: number;
  /** streaming elementwise (add, mul, relu, act′, adamw, sums): elements. */
  streaming: number;
  /** scalar float maps (exp, log, tanh, softplus, sigmoid, elu): elements. */
  mathMap: number;
  /** spline forward / inverse: elements (backward counts 3 per element). */
  spline: number;
}

/**
 * A hand-over to a spinning worker costs ~1 µs (split.binary_add at 4096 elements: 2.1 µs on
 * 2 threads vs 1.0 on one, bench/threads.bench.ts), waking a sleeping one tens of µs; during a
 * training step the workers spin. Timed in isolation a kernel gains from ~20 µs per chunk, but
 * in a step splitting earlier pays more: a kernel left on one thread reads and writes the rows
 * the previous (split) kernels left in the other core's cache. Measured on the four training
 * steps (2 threads, interleaved A/B on one pool): matmuls from 128 kFLOP per chunk (so the
 * K = 2 products and one-hot spreads of the shared-context path, ../../../nn/masked-mlp.ts,
 * 262 kFLOP each, split too: kin steps 5–13 % faster than at 256 kFLOP) and streaming kernels
 * from 8k elements beat the isolated crossovers (1 MFLOP, 32k) by 3–8 % per step. The spline
 * splits at ≥ 1k elements, the scalar maps at ≥ 8k. On a loaded machine fewer splits would be
 * better: use --threads 1 there.
 */
export const DEFAULT_THRESHOLDS: Readonly<SplitThresholds> = {
  matmulFlops: 1 << 17,
  streaming: 1 << 13,
  mathMap: 1 << 12,
  spline: 1 << 9,
};

/** The kinds, in a fixed order (calibration, its cache file, error messages). */
export const THRESHOLD_KINDS = [
  'matmulFlops',
  'streaming',
  'mathMap',
  'spline',
] as const satisfies readonly (keyof SplitThresholds)[];

/** `t` when every kind holds a number ≥ 1 (Infinity: never split), else an error naming the kind. */
export function checkThresholds(t: Readonly<SplitThresholds>): Readonly<SplitThresholds> {
  for (const kind of THRESHOLD_KINDS) {
    const v = t[kind];
    if (typeof v !== 'number' || !(v >= 1)) {
      throw new Error(`split thresholds: ${kind} must be a number ≥ 1 (work per chunk), got ${String(v)}`);
    }
  }
  return t;
}

/** How many chunks (at most one per thread) a call of `work` units over a range of `n` (cut on `grain`) gets. */
export function partCount(threads: number, minWork: number, work: number, n: number, grain: number): number {
  if (threads <= 1) return 1;
  const byWork = Math.floor(work / minWork);
  const byRange = Math.ceil(n / grain);
  return Math.max(1, Math.min(threads, byWork, byRange));
}

/** bounds[0..parts]: [0, n) cut into `parts` near-equal pieces on multiples of `grain`. */
export function cutRange(n: number, parts: number, grain: number): number[] {
  const units = Math.ceil(n / grain);
  const bounds = new Array<number>(parts + 1);
  for (let p = 0; p < parts; p++) bounds[p] = Math.min(n, Math.floor((p * units) / parts) * grain);
  bounds[parts] = n;
  return bounds;
}

/**
 * bounds[0..parts]: [0, n) cut on multiples of `grain` so that each piece holds about the same
 * total weight, weights[u] being the work of grain unit u (rows [u·grain, (u+1)·grain)). For
 * calls whose rows cost unequal work (a block-structured weight gradient: rows of the first
 * group have half the columns of the last); the cut still depends on the call alone.
 */
export function cutByWeight(n: number, parts: number, grain: number, weights: ArrayLike<number>): number[] {
  const units = Math.ceil(n / grain);
  let total = 0;
  for (let u = 0; u < units; u++) total += weights[u];
  if (!(total > 0)) return cutRange(n, parts, grain);
  const bounds = [0];
  let acc = 0;
  let u = 0;
  for (let p = 1; p < parts; p++) {
    const target = (total * p) / parts;
    while (u < units && acc + weights[u] / 2 < target) acc += weights[u++];
    bounds.push(Math.min(n, u * grain));
  }
  bounds.push(n);
  return bounds;
}
