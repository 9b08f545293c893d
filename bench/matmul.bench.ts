/**
 * Matmul and linear-layer benchmarks.
 *
 * matmul.fwd / .dx / .dw: the three products of a linear layer with weight W [N,K] over a
 * batch of M rows: x·Wᵀ (NT), dY·W (NN), dYᵀ·x (TN), each 2·M·K·N flops, in GFLOP/s, for every
 * wasm build, the ts reference and a plain-loop JS baseline. Shapes are those of the flow's
 * hyper-network layers (M = 1024 events). linear.fwd_bwd: one fused linear forward (bias +
 * relu) and its backward (actBackward, dx, dW, db) in ms.
 *
 * Every wasm build is also timed on 2 threads (a worker pool, "threads": 2; each call split as
 * the default thresholds decide).
 *
 * matmul.fwd_block / .dx_block / .dw_block: the same products for a 128 × 128 hidden layer of
 * a 2-feature MADE in block layout (src/nn/block-layout.ts: a quarter of W is a zero block the
 * kernels skip), in dense-equivalent GFLOP/s (2·M·K·N over the time), so they compare with the
 * dense figures directly: the speed a masked hidden layer of the flows actually runs at.
 *
 * matmul.fma_probe and matmul.{fwd,dx,dw}.probe_share (relaxed build, 1 thread, 1024 × 128 × 128):
 * the rate of a loop of independent multiply-adds (fma-probe.ts), and each product's GFLOP/s as a
 * share of it, from pairs timed back to back (the median over the pairs). The nominal peak share
 * (run.ts) falls when the host takes the core's vector pipes from us; this one does not.
 */
import { Act } from '../src/backend/kernels.js';
import { loadWasmKernels } from '../src/backend/wasm/index.js';
import type { WasmBuild } from '../src/backend/wasm/loader.js';
import { Device } from '../src/backend/device.js';
import { autoregressiveAdjacency, maskedMlpMasks } from '../src/nn/masks.js';
import { blockLayouts } from '../src/nn/block-layout.js';
import { benchTensor, register, type BenchContext, type BenchResult } from './registry.js';
import { fmaProbe } from './fma-probe.js';

/** (M, K, N): batch, inputs, outputs. */
const SHAPES: [number, number, number][] = [
  [1024, 6, 128],
  [1024, 128, 128],
  [1024, 128, 118],
  [1024, 128, 236],
];

const tensor = benchTensor;

/** The baseline a JS programmer would write first: float32 arrays, loops in cache order. */
const jsLoop = {
  nt(o: Float32Array, x: Float32Array, w: Float32Array, M: number, K: number, N: number): void {
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += x[i * K + k] * w[j * K + k];
        o[i * N + j] = s;
      }
    }
  },
  nn(o: Float32Array, a: Float32Array, b: Float32Array, M: number, K: number, N: number): void {
    o.fill(0);
    for (let i = 0; i < M; i++) {
      for (let k = 0; k < K; k++) {
        const av = a[i * K + k];
        for (let j = 0; j < N; j++) o[i * N + j] += av * b[k * N + j];
      }
    }
  },
  tn(o: Float32Array, a: Float32Array, b: Float32Array, R: number, M: number, N: number): void {
    o.fill(0);
    for (let r = 0; r < R; r++) {
      for (let i = 0; i < M; i++) {
        const av = a[r * M + i];
        for (let j = 0; j < N; j++) o[i * N + j] += av * b[r * N + j];
      }
    }
  },
};

/** A wasm build (default: the one picked here) with a pool: the calling thread and `threads − 1` workers. */
async function threadedBackend(ctx: BenchContext, threads: number, build: WasmBuild = ctx.wasmBuild) {
  const kernels = await loadWasmKernels(ctx.memory, ctx.heap, { build, threads });
  return { backend: 'wasm', build, threads, kernels };
}

/** Pairs timed per product; each pair is one ~1 ms probe and ~2 ms of the product. */
const PAIRS = 41;

/**
 * The FMA probe's rate (median of all its runs) and each product's share of it: per pair, the
 * product's GFLOP/s over the probe's just before it; the median of those ratios.
 */
function probeShares(shape: [number, number, number], products: Record<string, () => void>): BenchResult[] {
  const flop = 2 * shape[0] * shape[1] * shape[2];
  const probe = fmaProbe();
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];
  const rates: number[] = [];
  const out: BenchResult[] = [];
  for (const [name, fn] of Object.entries(products)) {
    for (let i = 0; i < 20; i++) fn();
    const t0 = performance.now();
    fn();
    const batch = Math.max(1, Math.round(2 / Math.max(performance.now() - t0, 1e-3)));
    const shares: number[] = [];
    for (let p = 0; p < PAIRS; p++) {
      const rate = probe();
      const t = performance.now();
      for (let i = 0; i < batch; i++) fn();
      const gflops = (batch * flop) / ((performance.now() - t) * 1e6);
      rates.push(rate);
      shares.push(gflops / rate);
    }
    const value = +(100 * median(shares)).toFixed(1);
    out.push({
      name: `matmul.${name}.probe_share`,
      shape,
      backend: 'wasm',
      build: 'relaxed',
      threads: 1,
      value,
      unit: "% of the FMA probe's rate",
    });
  }
  out.push({
    name: 'matmul.fma_probe',
    shape: [],
    backend: 'probe',
    threads: 1,
    value: +median(rates).toFixed(2),
    unit: 'GFLOP/s',
  });
  return out;
}

register({
  name: 'matmul',
  async run(ctx) {
    const results: BenchResult[] = [];
    const wasmBuilds = ctx.backends.filter((b) => b.build).map((b) => b.build!);
    const pools = await Promise.all(wasmBuilds.map((build) => threadedBackend(ctx, 2, build)));
    for (const [M, K, N] of SHAPES) {
      const x = tensor(ctx, [M, K], 1),
        w = tensor(ctx, [N, K], 2),
        dy = tensor(ctx, [M, N], 3);
      const y = tensor(ctx, [M, N], 4),
        dx = tensor(ctx, [M, K], 5),
        dw = tensor(ctx, [N, K], 6);
      const gflops = (ms: number) => (2 * M * K * N) / ms / 1e6;
      const add = (name: string, backend: string, ms: number, build?: BenchResult['build'], threads = 1) =>
        results.push({
          name,
          shape: [M, K, N],
          backend,
          ...(build ? { build } : {}),
          threads,
          value: +gflops(ms).toFixed(2),
          unit: 'GFLOP/s',
        });
      // The block layout of a 2-feature NSF hidden layer (128 × 128 only).
      const layout =
        K === 128 && N === 128
          ? blockLayouts(
              new Device(ctx.memory, ctx.backends[0].kernels, ctx.heap),
              maskedMlpMasks(autoregressiveAdjacency([0, 1], 59, 2), [128, 128]),
            )[1]
          : null;
      for (const b of [...ctx.backends.map((b) => ({ ...b, threads: 1 })), ...pools]) {
        const k = b.kernels;
        add(
          'matmul.fwd',
          b.backend,
          ctx.time(() => k.matmulNT(y, x, w, null, Act.None)),
          b.build,
          b.threads,
        );
        add(
          'matmul.dx',
          b.backend,
          ctx.time(() => k.matmulNN(dx, dy, w, false)),
          b.build,
          b.threads,
        );
        add(
          'matmul.dw',
          b.backend,
          ctx.time(() => k.matmulTN(dw, dy, x, false)),
          b.build,
          b.threads,
        );
        if (layout && b.build) {
          add(
            'matmul.fwd_block',
            b.backend,
            ctx.time(() => k.matmulNT(y, x, w, null, Act.None, layout.rowRanges)),
            b.build,
            b.threads,
          );
          add(
            'matmul.dx_block',
            b.backend,
            ctx.time(() => k.matmulNN(dx, dy, w, false, layout.colRanges)),
            b.build,
            b.threads,
          );
          add(
            'matmul.dw_block',
            b.backend,
            ctx.time(() => k.matmulTN(dw, dy, x, false, layout.rowRanges)),
            b.build,
            b.threads,
          );
        }
      }
      add(
        'matmul.fwd',
        'js-loop',
        ctx.time(() => jsLoop.nt(y.data, x.data, w.data, M, K, N)),
      );
      add(
        'matmul.dx',
        'js-loop',
        ctx.time(() => jsLoop.nn(dx.data, dy.data, w.data, M, N, K)),
      );
      add(
        'matmul.dw',
        'js-loop',
        ctx.time(() => jsLoop.tn(dw.data, dy.data, x.data, M, N, K)),
      );
      const relaxed = ctx.backends.find((b) => b.build === 'relaxed');
      if (K === 128 && N === 128 && relaxed) {
        const k = relaxed.kernels;
        results.push(
          ...probeShares([M, K, N], {
            fwd: () => k.matmulNT(y, x, w, null, Act.None),
            dx: () => k.matmulNN(dx, dy, w, false),
            dw: () => k.matmulTN(dw, dy, x, false),
          }),
        );
      }
      for (const t of [x, w, dy, y, dx, dw]) ctx.heap.release(t.ptr);
    }
    for (const p of pools) p.kernels.dispose();
    return results;
  },
});

register({
  name: 'linear',
  async run(ctx) {
    const pooled = await threadedBackend(ctx, 2);
    const [M, K, N] = [1024, 128, 128];
    const x = tensor(ctx, [M, K], 1),
      w = tensor(ctx, [N, K], 2),
      bias = tensor(ctx, [N], 3);
    const g = tensor(ctx, [M, N], 4),
      y = tensor(ctx, [M, N], 5),
      dz = tensor(ctx, [M, N], 6);
    const dx = tensor(ctx, [M, K], 7),
      dw = tensor(ctx, [N, K], 8),
      db = tensor(ctx, [N], 9);
    const results: BenchResult[] = [];
    for (const b of [...ctx.backends.map((b) => ({ ...b, threads: 1 })), pooled]) {
      const k = b.kernels;
      const ms = ctx.time(() => {
        k.matmulNT(y, x, w, bias, Act.Relu);
        k.actBackward(Act.Relu, dz, g, y);
        k.matmulNN(dx, dz, w, false);
        k.matmulTN(dw, dz, x, false);
        k.sumRows(db, dz);
      });
      results.push({
        name: 'linear.fwd_bwd',
        shape: [M, K, N],
        backend: b.backend,
        ...(b.build ? { build: b.build } : {}),
        threads: b.threads,
        value: +ms.toFixed(4),
        unit: 'ms',
      });
    }
    pooled.kernels.dispose();
    for (const t of [x, w, bias, g, y, dz, dx, dw, db]) ctx.heap.release(t.ptr);
    return results;
  },
});
