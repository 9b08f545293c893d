/**
 * Where splitting a call over threads starts to pay: each kernel at growing sizes on one
 * thread and split over 2 threads regardless of size (thresholds at 1), in µs per call. The
 * default thresholds in src/backend/wasm/pool/split.ts sit below where the two lines cross (in a
 * training step splitting pays earlier). Then this host's calibration: the isolated break-even
 * per chunk of each kind, the reference host's, and the thresholds derived from them.
 * (The GFLOP/s of the layer shapes on 2 threads are in the matmul and linear families.)
 */
import { Act, Binary, Broadcast, Unary } from '../src/backend/kernels.js';
import { DEFAULT_THRESHOLDS, loadWasmKernels, type WasmKernels } from '../src/backend/wasm/index.js';
import { REFERENCE_BREAK_EVEN, calibrateThresholds } from '../src/backend/wasm/pool/calibrate.js';
import { THRESHOLD_KINDS } from '../src/backend/wasm/pool/split.js';
import { Tensor } from '../src/tensor/tensor.js';
import { benchTensor, register, type BenchContext, type BenchResult } from './registry.js';

const tensor = benchTensor;

interface Case {
  name: string;
  shape: number[];
  /** Allocates its tensors and returns the call (and what to free). */
  make(ctx: BenchContext): { call: (k: WasmKernels) => void; tensors: Tensor[] };
}

const cases: Case[] = [];
for (const [M, K, N] of [
  [64, 128, 128],
  [128, 128, 128],
  [256, 128, 128],
  [256, 6, 128],
  [1024, 6, 128],
]) {
  cases.push({
    name: 'split.matmul_nt',
    shape: [M, K, N],
    make(ctx) {
      const x = tensor(ctx, [M, K], 1),
        w = tensor(ctx, [N, K], 2),
        y = tensor(ctx, [M, N], 3);
      return { call: (k) => k.matmulNT(y, x, w, null, Act.Relu), tensors: [x, w, y] };
    },
  });
}
for (const n of [4096, 16384, 65536, 262144]) {
  cases.push({
    name: 'split.binary_add',
    shape: [n],
    make(ctx) {
      const a = tensor(ctx, [n], 1),
        b = tensor(ctx, [n], 2),
        o = tensor(ctx, [n], 3);
      return { call: (k) => k.binary(Binary.Add, o, a, b, Broadcast.Same), tensors: [a, b, o] };
    },
  });
  cases.push({
    name: 'split.adamw',
    shape: [n],
    make(ctx) {
      const p = tensor(ctx, [n], 1),
        g = tensor(ctx, [n], 2),
        m = tensor(ctx, [n], 3),
        v = tensor(ctx, [n], 4, 0, 1);
      const h = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, step: 1 };
      return { call: (k) => k.adamw(p, g, m, v, h), tensors: [p, g, m, v] };
    },
  });
}
for (const n of [1024, 4096, 16384]) {
  cases.push({
    name: 'split.unary_exp',
    shape: [n],
    make(ctx) {
      const x = tensor(ctx, [n], 1),
        o = tensor(ctx, [n], 2);
      return { call: (k) => k.unary(Unary.Exp, o, x), tensors: [x, o] };
    },
  });
}
for (const n of [256, 1024, 4096]) {
  cases.push({
    name: 'split.spline_forward',
    shape: [n],
    make(ctx) {
      const spec = { bins: 8, bound: 5, slope: 1e-3 };
      const x = tensor(ctx, [n], 1, -5, 5),
        p = tensor(ctx, [n, 23], 2),
        y = tensor(ctx, [n], 3),
        l = tensor(ctx, [n], 4);
      return { call: (k) => k.splineForward(y, l, x, p, spec), tensors: [x, p, y, l] };
    },
  });
}

register({
  name: 'split',
  async run(ctx) {
    const one = await loadWasmKernels(ctx.memory, ctx.heap, { build: ctx.wasmBuild, threads: 1 });
    const always = { matmulFlops: 1, streaming: 1, mathMap: 1, spline: 1 };
    const two = await loadWasmKernels(ctx.memory, ctx.heap, { build: ctx.wasmBuild, threads: 2, thresholds: always });
    const results: BenchResult[] = [];
    for (const c of cases) {
      const { call, tensors } = c.make(ctx);
      for (const k of [one, two]) {
        const ms = ctx.time(() => call(k));
        results.push({
          name: c.name,
          shape: c.shape,
          backend: 'wasm',
          build: ctx.wasmBuild,
          threads: k.threads,
          value: +(ms * 1000).toFixed(2),
          unit: 'µs',
        });
      }
      for (const t of tensors) ctx.heap.release(t.ptr);
    }
    // This host's calibration (src/backend/wasm/pool/calibrate.ts): the isolated break-evens it
    // measures and the thresholds it derives, next to the built-in ones.
    const cal = calibrateThresholds(two);
    for (const kind of THRESHOLD_KINDS) {
      const unit = kind === 'matmulFlops' ? 'flops per chunk' : 'elements per chunk';
      const row = (name: string, value: number): BenchResult => ({
        name: `split.${name}.${kind}`,
        shape: [],
        backend: 'wasm',
        build: ctx.wasmBuild,
        threads: two.threads,
        value: Math.round(value),
        unit,
      });
      results.push(row('break_even', cal.breakEven[kind]), row('break_even_reference', REFERENCE_BREAK_EVEN[kind]));
      results.push(
        row('threshold_calibrated', cal.thresholds[kind]),
        row('threshold_builtin', DEFAULT_THRESHOLDS[kind]),
      );
    }
    results.push({
      name: 'split.calibration',
      shape: [],
      backend: 'wasm',
      build: ctx.wasmBuild,
      threads: two.threads,
      value: +cal.ms.toFixed(1),
      unit: cal.agreed ? 'ms (passes agreed)' : 'ms (passes disagreed: built-in kept)',
    });
    one.dispose();
    two.dispose();
    return results;
  },
});
