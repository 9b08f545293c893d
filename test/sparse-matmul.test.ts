/**
 * The row-sparse matmuls (assembly/sparse-rows.ts, sparse-tn.ts), reached through matmulNT /
 * matmulNN / matmulTN's `sparse` hint: on left operands with few and many zeros (the compacted loop, and the
 * kernel's own fall-back to the dense tiles), with and without block ranges, odd shapes (a
 * partial last vector, K not a multiple of 4, fewer rows than a block), it gives exactly the
 * bits of the dense wasm product, stays within the ts reference's tolerance, keeps a NaN of
 * the operand, and splits over 2 and 3 threads bit-identically. The weight gradient's (TN) on
 * batches of 1024+ rows (batch blocks, chunks of 256 rows inside a block), with its per-row
 * column ranges, likewise.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Act } from '../src/backend/kernels.js';
import { tsKernels } from '../src/backend/ts/index.js';
import { loadWasmKernels, wasmBuildInfo, type WasmKernels } from '../src/backend/wasm/index.js';
import { Memory } from '../src/tensor/memory.js';
import { Heap } from '../src/tensor/allocator.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { sameBits, tensorFactory } from './helpers/tensors.js';

const memory = new Memory();
const heap = new Heap(memory);
const builds: WasmKernels[] = [await loadWasmKernels(memory, heap, { build: 'simd' })];
if (wasmBuildInfo().relaxedSupported) builds.push(await loadWasmKernels(memory, heap, { build: 'relaxed' }));
const ALWAYS = { matmulFlops: 1, streaming: 1, mathMap: 1, spline: 1 };
const single = await loadWasmKernels(memory, heap, { threads: 1 });
const pools = [
  await loadWasmKernels(memory, heap, { threads: 2, thresholds: ALWAYS }),
  await loadWasmKernels(memory, heap, { threads: 3, thresholds: ALWAYS, pool: { callerClaims: false } }),
];
const tensor = tensorFactory(memory, heap);
const free = (...ts: (Tensor | null)[]) => ts.forEach((t) => t && heap.release(t.ptr));

/** Zero a share `1 − density` of x's entries (deterministically), as relu does. */
function sparsify(x: Tensor, density: number): Tensor {
  for (let i = 0; i < x.size; i++) if (((i * 2654435761) >>> 0) / 2 ** 32 >= density) x.data[i] = 0;
  return x;
}

/**
 * Block ranges like a sorted masked layer's: the first ⌊N/2⌋ outputs see the terms [0, ⌈K/2⌉)
 * (every third of them none), the rest [⌊K/3⌋, K) (as a dx product's x-side columns do, whose
 * ranges start past the context side). The operand is zeroed outside its ranges (their promise).
 */
function blockRanges(N: number, K: number): Tensor {
  const r = tensor([N, 2]);
  for (let n = 0; n < N; n++) {
    r.data.set(n < N >> 1 ? [0, n % 3 === 2 ? 0 : Math.ceil(K / 2)] : [Math.floor(K / 3), K], 2 * n);
  }
  return r;
}

/** Zero the entries of b (element (k, n) at k·kStride + n·nStride) outside column n's range. */
function zeroOutside(b: Tensor, r: Tensor, K: number, N: number, kStride: number, nStride: number): void {
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      if (k < r.data[2 * n] || k >= r.data[2 * n + 1]) b.data[k * kStride + n * nStride] = 0;
    }
  }
}

// (M, K, N): fewer rows than a block, a partial last vector (N % 4), K not a multiple of 4, the
// score layers' 128 → 118 and 128 → 128.
const SHAPES: [number, number, number][] = [
  [1, 32, 5],
  [5, 33, 3],
  [37, 64, 29],
  [131, 130, 118],
  [70, 128, 128],
];
// 0 and 0.3: the compacted loop; 0.9: the dense fall-back.
const DENSITIES = [0, 0.3, 0.9];

for (const k of builds) {
  test(`[${k.build}] matmulNT with the sparse hint: the dense bits, bias and act on and off`, () => {
    for (const [M, K, N] of SHAPES) {
      for (const ranged of [false, true]) {
        const rw = ranged ? blockRanges(N, K) : null;
        const w = tensor([N, K]);
        if (rw) zeroOutside(w, rw, K, N, 1, K);
        const bias = tensor([N]);
        for (const d of DENSITIES) {
          const x = sparsify(tensor([M, K]), d);
          for (const [act, b] of [
            [Act.Relu, bias],
            [Act.None, null],
            [Act.Elu, bias],
          ] as const) {
            const what = `${M}×${K}×${N} ranges ${ranged} density ${d} act ${act} bias ${b !== null}`;
            const dense = tensor([M, N]),
              sparse = tensor([M, N]),
              ref = tensor([M, N]);
            k.matmulNT(dense, x, w, b, act, rw);
            k.matmulNT(sparse, x, w, b, act, rw, true);
            sameBits(`NT ${what}`, sparse.data, dense.data);
            tsKernels.matmulNT(ref, x, w, b, act, rw);
            for (let i = 0; i < ref.size; i++) {
              assert.ok(Math.abs(sparse.data[i] - ref.data[i]) <= 1e-5 * (K + 1), `NT ${what}: element ${i} vs ts`);
            }
            free(dense, sparse, ref);
          }
          free(x);
        }
        free(rw, w, bias);
      }
    }
  });

  test(`[${k.build}] matmulNN with the sparse hint: the dense bits (dx = gz · W)`, () => {
    for (const [M, K, N] of SHAPES) {
      for (const ranged of [false, true]) {
        const rc = ranged ? blockRanges(N, K) : null;
        const b = tensor([K, N]);
        if (rc) zeroOutside(b, rc, K, N, N, 1);
        for (const d of DENSITIES) {
          const a = sparsify(tensor([M, K]), d);
          const dense = tensor([M, N]),
            sparse = tensor([M, N]),
            ref = tensor([M, N]);
          k.matmulNN(dense, a, b, false, rc);
          k.matmulNN(sparse, a, b, false, rc, true);
          sameBits(`NN ${M}×${K}×${N} ranges ${ranged} density ${d}`, sparse.data, dense.data);
          tsKernels.matmulNN(ref, a, b, false, rc);
          for (let i = 0; i < ref.size; i++) assert.ok(Math.abs(sparse.data[i] - ref.data[i]) <= 1e-5 * (K + 1));
          free(a, dense, sparse, ref);
        }
        free(rc, b);
      }
    }
  });

  test(`[${k.build}] a NaN in the sparse operand is kept, not skipped as a zero`, () => {
    const [M, K, N] = [9, 64, 10];
    const x = sparsify(tensor([M, K]), 0.2),
      w = tensor([N, K]);
    x.data[3 * K + 5] = NaN;
    const out = tensor([M, N]);
    k.matmulNT(out, x, w, null, Act.None, null, true);
    for (let j = 0; j < N; j++) assert.ok(Number.isNaN(out.data[3 * N + j]), `output (3, ${j}) is NaN`);
    assert.ok(Number.isFinite(out.data[2 * N]), 'other rows stay finite');
    free(x, w, out);
  });
}

/** Per output row m of a weight gradient [M, N]: the wanted columns, like a sorted layer's. */
function wantRanges(M: number, N: number): Tensor {
  const r = tensor([M, 2]);
  for (let m = 0; m < M; m++) r.data.set(m < M >> 1 ? [0, m % 5 === 4 ? 0 : N >> 1] : [0, N], 2 * m);
  return r;
}

// (R, M, N): two batch blocks of 512; blocks over 256 rows (two chunks of 256 and a ragged one);
// four blocks with a ragged tail; a partial last vector of columns.
const TN_SHAPES: [number, number, number][] = [
  [1024, 128, 128],
  [1700, 37, 118],
  [2051, 9, 33],
];

for (const k of builds) {
  test(`[${k.build}] matmulTN with the sparse hint: the dense bits, with and without ranges`, () => {
    for (const [R, M, N] of TN_SHAPES) {
      for (const ranged of [false, true]) {
        const rr = ranged ? wantRanges(M, N) : null;
        const x = tensor([R, N]);
        for (const d of DENSITIES) {
          const gz = sparsify(tensor([R, M]), d);
          const dense = tensor([M, N]),
            sparse = tensor([M, N]),
            ref = tensor([M, N]);
          k.matmulTN(dense, gz, x, false, rr);
          sparse.data.fill(NaN);
          k.matmulTN(sparse, gz, x, false, rr, true);
          sameBits(`TN R ${R}, ${M}×${N} ranges ${ranged} density ${d}`, sparse.data, dense.data);
          tsKernels.matmulTN(ref, gz, x, false, rr);
          for (let i = 0; i < ref.size; i++) assert.ok(Math.abs(sparse.data[i] - ref.data[i]) <= 1e-5 * (R + 1));
          free(gz, dense, sparse, ref);
        }
        free(rr, x);
      }
    }
  });
}

test('the sparse path splits over 2 and 3 threads bit-identically', () => {
  for (const [M, K, N] of [...SHAPES, [1030, 128, 118] as [number, number, number]]) {
    const rw = blockRanges(N, K);
    const w = tensor([N, K]),
      bias = tensor([N]);
    zeroOutside(w, rw, K, N, 1, K);
    const x = sparsify(tensor([M, K]), 0.3);
    const want = tensor([M, N]),
      got = tensor([M, N]);
    single.matmulNT(want, x, w, bias, Act.Relu, rw, true);
    for (const pool of pools) {
      got.data.fill(-1);
      pool.matmulNT(got, x, w, bias, Act.Relu, rw, true);
      sameBits(`NT ${M}×${K}×${N} on ${pool.threads} threads`, got.data, want.data);
      got.data.fill(-1);
      pool.matmulNN(got, x, w.reshape([K, N]), false, null, true);
      single.matmulNN(want, x, w.reshape([K, N]), false, null, true);
      sameBits(`NN ${M}×${K}×${N} on ${pool.threads} threads`, got.data, want.data);
      single.matmulNT(want, x, w, bias, Act.Relu, rw, true);
    }
    free(rw, w, bias, x, want, got);
  }
  for (const [R, M, N] of TN_SHAPES) {
    const rr = wantRanges(M, N);
    const gz = sparsify(tensor([R, M]), 0.3),
      x = tensor([R, N]);
    const want = tensor([M, N]),
      got = tensor([M, N]);
    single.matmulTN(want, gz, x, false, rr, true);
    for (const pool of pools) {
      got.data.fill(-1);
      pool.matmulTN(got, gz, x, false, rr, true);
      sameBits(`TN R ${R}, ${M}×${N} on ${pool.threads} threads`, got.data, want.data);
    }
    free(rr, gz, x, want, got);
  }
});

test.after(() => pools.forEach((p) => p.dispose()));

test.run();
