/**
 * The relu-zero products (assembly/sparse-rows.ts, sparse-tn.ts) against the dense ones, on a
 * 2-feature MADE's 128 × 128 hidden layer in block layout over a batch of 1024, one thread, the
 * default wasm build: where skipping zeros starts to pay, and what it saves on a trained network.
 *
 * matmul_sparse.{fwd,dx,dw}.d<pct>: the product with the `sparse` hint over a left operand whose
 * share <pct> of entries is non-zero (the rest exact zeros, as relu leaves them), as a multiple of
 * the dense product's time on the same operands (`× dense time`; the kernels give the same bits);
 * fwd x·Wᵀ with bias and relu, dx dY·W, dw dYᵀ·x (two batch blocks). Above half non-zeros the
 * kernels hand the call to the dense tiles themselves: those ratios are ~1 by construction.
 */
import { Act } from '../src/backend/kernels.js';
import { Device } from '../src/backend/device.js';
import { autoregressiveAdjacency, maskedMlpMasks } from '../src/nn/masks.js';
import { blockLayouts } from '../src/nn/block-layout.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { benchTensor, register, type BenchResult } from './registry.js';

const DENSITIES = [0, 0.25, 0.4, 0.5, 0.75];

/** Zero all but a share `density` of t's entries (deterministic). */
function keep(t: Tensor, density: number): void {
  for (let i = 0; i < t.size; i++) if (((i * 2654435761) >>> 0) / 2 ** 32 >= density) t.data[i] = 0;
}

register({
  name: 'matmul_sparse',
  run(ctx) {
    const wasm = ctx.backends[0];
    const k = wasm.kernels;
    const [M, K, N] = [1024, 128, 128];
    const layout = blockLayouts(
      new Device(ctx.memory, k, ctx.heap),
      maskedMlpMasks(autoregressiveAdjacency([0, 1], 59, 2), [128, 128]),
    )[1];
    // W zero outside its block ranges, as a sorted masked weight is.
    const w = benchTensor(ctx, [N, K], 2, -0.3, 0.3);
    for (let n = 0; n < N; n++) {
      for (let c = 0; c < K; c++) {
        if (c < layout.rowRanges.data[2 * n] || c >= layout.rowRanges.data[2 * n + 1]) w.data[n * K + c] = 0;
      }
    }
    const bias = benchTensor(ctx, [N], 3);
    const x0 = benchTensor(ctx, [M, K], 11),
      dy0 = benchTensor(ctx, [M, N], 12);
    const x = benchTensor(ctx, [M, K], 1),
      dy = benchTensor(ctx, [M, N], 4),
      y = benchTensor(ctx, [M, N], 5),
      dx = benchTensor(ctx, [M, K], 6),
      dw = benchTensor(ctx, [N, K], 7);
    const results: BenchResult[] = [];
    const products: [string, (sparse: boolean) => void][] = [
      ['fwd', (s) => k.matmulNT(y, x, w, bias, Act.Relu, layout.rowRanges, s)],
      ['dx', (s) => k.matmulNN(dx, dy, w, false, layout.colRanges, s)],
      ['dw', (s) => k.matmulTN(dw, dy, x, false, layout.rowRanges, s)],
    ];
    for (const d of DENSITIES) {
      // fwd's sparse operand is x, dx's and dw's dy.
      x.data.set(x0.data);
      dy.data.set(dy0.data);
      keep(x, d);
      keep(dy, d);
      for (const [name, run] of products) {
        const dense = ctx.time(() => run(false));
        const sparse = ctx.time(() => run(true));
        results.push({
          name: `matmul_sparse.${name}.d${Math.round(d * 100)}`,
          shape: [M, K, N],
          backend: wasm.backend,
          build: wasm.build,
          threads: 1,
          value: +(sparse / dense).toFixed(3),
          unit: '× dense time',
        });
      }
    }
    for (const t of [w, bias, x0, dy0, x, dy, y, dx, dw]) ctx.heap.release(t.ptr);
    return results;
  },
});
