/**
 * Split thresholds for this host, measured at start-up (issue 19: "calibrate them at start-up,
 * briefly, cached per host"). The built-in thresholds (split.ts) were tuned on one host, an AMD
 * Zen 4 VM, inside training steps; where a hand-over between cores costs more or less against
 * the work it hands over, the break-even moves and so should the thresholds.
 *
 * What is measured, per kind of kernel (a matmul, a streaming add, a scalar map, a spline): one
 * call of a fixed size near the thresholds, run on the calling thread alone (time t₁) and cut
 * over all T threads (time t_T), interleaved, the fastest of many rounds each (a shared machine
 * only ever adds time). From them: b = t₁ / work, the time per unit of work, and h = t_T − t₁/T,
 * what the split costs beyond a perfect share (hand-over, the slower thread, cache lines that
 * cross cores). A split into T chunks pays from h / ((T − 1)·b) units of work per chunk: the
 * isolated break-even. In a training step splitting pays earlier than that (the next kernel
 * finds its rows on the core that wrote them), which is why the built-in thresholds sit below
 * the isolated break-evens; that in-step factor is assumed to carry over to other hosts, so the
 * host's thresholds are the built-in ones scaled by (break-even here) / (break-even on the
 * reference host), moved in whole powers of two and only once the ratio reaches 2 (or ½): noise
 * of a few tens of percent leaves them where they are. The move is clamped to 8× either way.
 *
 * Two passes are measured; the result counts as calibrated only when they agree within
 * AGREEMENT on every kind (else the machine was too busy to tell: the caller keeps the built-in
 * values for this run and stores nothing), and the shift comes from their geometric mean.
 * Thresholds change how calls are cut, never a result's bits (wasm-kernels.ts). No Node
 * imports: the file cache is ./calibration-cache.ts.
 */
import { Act, Binary, Broadcast, Unary } from '../../kernels.js';
import { Tensor } from '../../../tensor/tensor.js';
import { Rng } from '../../../random/rng.js';
import type { WasmKernels } from '../wasm-kernels.js';
import { DEFAULT_THRESHOLDS, THRESHOLD_KINDS, type SplitThresholds } from './split.js';

export type ThresholdKind = (typeof THRESHOLD_KINDS)[number];

/**
 * Isolated break-evens per chunk on the reference host, where the built-in thresholds were
 * tuned (AMD EPYC Zen 4 VM, 2 vCPUs, relaxed build, Node 20), in each kind's units: matmul
 * flops, elements. Medians of 18 passes of this file's procedure on 2026-12-01 23:54–00:00 UTC
 * (ranges 0.51–0.96 MFLOP, 21–34 k, 7.2–13.6 k, 0.94–1.6 k elements); the VM was busy then (load
 * average 12–13), and the fastest-of-many timing is meant to see through that.
 */
export const REFERENCE_BREAK_EVEN: Readonly<Record<ThresholdKind, number>> = {
  matmulFlops: 640_000,
  streaming: 24_000,
  mathMap: 8_400,
  spline: 1_100,
};

/** Most the two passes' break-evens of a kind may differ (as a ratio) for the result to be kept. */
export const AGREEMENT = 1.5;

/** Most a threshold moves from its built-in value, as a power of two. */
export const MAX_SHIFT = 3;

export interface CalibrationPass {
  /** Isolated break-even per chunk, by kind, in the kind's units of work. */
  breakEven: Record<ThresholdKind, number>;
}

export interface Calibration {
  /** The thresholds to use: calibrated when `agreed`, else the built-in ones. */
  thresholds: SplitThresholds;
  /** Whether the two passes agreed (within AGREEMENT): only then is the result worth keeping. */
  agreed: boolean;
  passes: CalibrationPass[];
  /** Per kind, the geometric mean of the passes' break-evens. */
  breakEven: Record<ThresholdKind, number>;
  /** Per kind, the power of two the built-in threshold moves by. */
  shift: Record<ThresholdKind, number>;
  /** Wall time of the calibration, ms. */
  ms: number;
}

/** One kernel call of a kind at the size it is timed at, and its work in the kind's units. */
interface Probe {
  kind: ThresholdKind;
  work: number;
  call: () => void;
}

/** The power of two a measured / reference ratio moves a threshold by: 0 inside (½, 2). */
export function shiftFor(ratio: number): number {
  if (!(ratio > 0) || !Number.isFinite(ratio)) return 0;
  const e = Math.log2(ratio);
  const whole = Math.sign(e) * Math.floor(Math.abs(e) + 1e-9);
  return Math.max(-MAX_SHIFT, Math.min(MAX_SHIFT, whole));
}

/** The built-in thresholds moved by `shift` powers of two per kind. */
export function shifted(shift: Readonly<Record<ThresholdKind, number>>): SplitThresholds {
  const out = { ...DEFAULT_THRESHOLDS };
  for (const kind of THRESHOLD_KINDS) out[kind] = DEFAULT_THRESHOLDS[kind] * 2 ** shift[kind];
  return out;
}

const NEVER: SplitThresholds = { matmulFlops: Infinity, streaming: Infinity, mathMap: Infinity, spline: Infinity };
const ALWAYS: SplitThresholds = { matmulFlops: 1, streaming: 1, mathMap: 1, spline: 1 };

/** Calls timed together (one timer read per batch), rounds per kind and pass, and a pass's time cap per kind. */
const CALLS_PER_TIMING = 4;
const MIN_ROUNDS = 8;
const MAX_ROUNDS = 80;
const KIND_BUDGET_MS = 15;

/**
 * Measure this host's break-evens on `k` (a pool of 2+ threads) and derive its thresholds.
 * Leaves `k`'s thresholds as they were; the caller decides what to use (the result's
 * `thresholds`). Allocates its tensors on `k`'s heap and gives them back.
 */
export function calibrateThresholds(k: WasmKernels): Calibration {
  const T = k.threads;
  if (T < 2) throw new Error('calibrateThresholds: needs a kernel pool (2 or more threads)');
  const t0 = performance.now();
  const before = k.thresholds;
  const tensors: Tensor[] = [];
  const tensor = (shape: number[], seed: number, lo = -1, hi = 1): Tensor => {
    const n = shape.reduce((a, b) => a * b, 1);
    const t = new Tensor(k.memory, k.heap.alloc(4 * n), shape);
    const d = t.data;
    const rng = Rng.fromSeed(seed);
    for (let i = 0; i < n; i++) d[i] = lo + rng.uniform() * (hi - lo);
    tensors.push(t);
    return t;
  };
  try {
    const probes = makeProbes(k, tensor);
    const passes: CalibrationPass[] = [];
    for (let pass = 0; pass < 2; pass++) {
      const breakEven = {} as Record<ThresholdKind, number>;
      for (const p of probes) {
        const { one, split } = timeProbe(k, p);
        const b = one / p.work;
        const h = Math.max(0, split - one / T);
        // No measurable cost (a timer too coarse to tell): the reference value, no move.
        breakEven[p.kind] = b > 0 && h > 0 ? h / ((T - 1) * b) : REFERENCE_BREAK_EVEN[p.kind];
      }
      passes.push({ breakEven });
    }
    const breakEven = {} as Record<ThresholdKind, number>;
    const shift = {} as Record<ThresholdKind, number>;
    let agreed = true;
    for (const kind of THRESHOLD_KINDS) {
      const [a, b] = [passes[0].breakEven[kind], passes[1].breakEven[kind]];
      if (Math.max(a, b) > AGREEMENT * Math.min(a, b)) agreed = false;
      breakEven[kind] = Math.sqrt(a * b);
      shift[kind] = shiftFor(breakEven[kind] / REFERENCE_BREAK_EVEN[kind]);
    }
    return {
      thresholds: agreed ? shifted(shift) : { ...DEFAULT_THRESHOLDS },
      agreed,
      passes,
      breakEven,
      shift,
      ms: performance.now() - t0,
    };
  } finally {
    k.setThresholds(before);
    for (const t of tensors) k.heap.release(t.ptr);
  }
}

/** The four timed calls: sizes a few times the built-in thresholds, shapes like a training step's. */
function makeProbes(
  k: WasmKernels,
  tensor: (shape: number[], seed: number, lo?: number, hi?: number) => Tensor,
): Probe[] {
  const M = 128,
    K = 64,
    N = 64;
  const x = tensor([M, K], 1),
    w = tensor([N, K], 2),
    y = tensor([M, N], 3);
  const n = 1 << 15;
  const a = tensor([n], 4),
    b = tensor([n], 5),
    o = tensor([n], 6);
  const m = 1 << 14;
  const u = tensor([m], 7),
    v = tensor([m], 8);
  const bins = 20,
    ns = 1 << 11;
  const spec = { bins, bound: 5, slope: 1e-3 };
  const sx = tensor([ns], 9, -5, 5),
    sp = tensor([ns, 3 * bins - 1], 10),
    sy = tensor([ns], 11),
    sl = tensor([ns], 12);
  return [
    { kind: 'matmulFlops', work: 2 * M * K * N, call: () => k.matmulNT(y, x, w, null, Act.None) },
    { kind: 'streaming', work: n, call: () => k.binary(Binary.Add, o, a, b, Broadcast.Same) },
    { kind: 'mathMap', work: m, call: () => k.unary(Unary.Exp, v, u) },
    { kind: 'spline', work: ns, call: () => k.splineForward(sy, sl, sx, sp, spec) },
  ];
}

/** Fastest per-call time (ms) of a probe on the calling thread alone and split over every thread. */
function timeProbe(k: WasmKernels, p: Probe): { one: number; split: number } {
  const timeOnce = (t: SplitThresholds): number => {
    k.setThresholds(t);
    const t0 = performance.now();
    for (let i = 0; i < CALLS_PER_TIMING; i++) p.call();
    return (performance.now() - t0) / CALLS_PER_TIMING;
  };
  // Warm: compiled code, caches, and a spinning worker (a sleeping one takes tens of µs to wake).
  for (let i = 0; i < 3; i++) {
    timeOnce(NEVER);
    timeOnce(ALWAYS);
  }
  let one = Infinity,
    split = Infinity;
  const start = performance.now();
  for (let r = 0; r < MAX_ROUNDS; r++) {
    if (r >= MIN_ROUNDS && performance.now() - start > KIND_BUDGET_MS) break;
    // Alternate which goes first: neither always finds the other's lines in its cache.
    if (r % 2) {
      one = Math.min(one, timeOnce(NEVER));
      split = Math.min(split, timeOnce(ALWAYS));
    } else {
      split = Math.min(split, timeOnce(ALWAYS));
      one = Math.min(one, timeOnce(NEVER));
    }
  }
  return { one, split };
}
