/**
 * Block layout of masked layers (src/nn/block-layout.ts) and what it rests on:
 * - the matmul kernels' block ranges: wasm (both builds, 1 and 2 threads) against the ts
 *   reference on odd shapes; NT and NN with ranges give the bits of the full product when the
 *   operand is zero outside them; TN writes zeros outside (keeps them when accumulating);
 *   bad ranges are errors naming the kernel;
 * - the gather kernel, wasm (1 and 2 threads) against ts, and its index errors;
 * - blockLinear: finite-difference gradients (every activation, the sparse hint's paths, with
 *   spreadLinear's and rowBiasLinear's), and the same function and gradients as
 *   linear(x, W, b, { mask }) on Zuko's masks for NSF and residual hyper-networks; with the
 *   sparse hint over relu layers, the bits of the dense path;
 * - the layout of a 2-feature NSF hyper-network skips a quarter of its hidden/output weights.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Act, type Kernels } from '../src/backend/kernels.js';
import { tsKernels } from '../src/backend/ts/index.js';
import { loadWasmKernels, wasmBuildInfo, type WasmKernels } from '../src/backend/wasm/index.js';
import { Device } from '../src/backend/device.js';
import { Memory } from '../src/tensor/memory.js';
import { Heap } from '../src/tensor/allocator.js';
import { Tensor } from '../src/tensor/tensor.js';
import { Tape } from '../src/autodiff/tape.js';
import { gradcheck } from '../src/autodiff/gradcheck.js';
import * as op from '../src/ops/index.js';
import { autoregressiveAdjacency, maskedMlpMasks, strictlyLowerAdjacency } from '../src/nn/masks.js';
import { blockLayouts, skippedShare } from '../src/nn/block-layout.js';
import { randomValues } from './helpers/devices.js';
import { sameBits, tensorFactory } from './helpers/tensors.js';
import { cutByWeight, cutRange } from '../src/backend/wasm/pool/split.js';

const memory = new Memory();
const heap = new Heap(memory);
const ALWAYS = { matmulFlops: 1, streaming: 1, mathMap: 1, spline: 1 };
const wasm: WasmKernels[] = [await loadWasmKernels(memory, heap, { build: 'simd', threads: 1 })];
if (wasmBuildInfo().relaxedSupported) wasm.push(await loadWasmKernels(memory, heap, { build: 'relaxed', threads: 1 }));
wasm.push(await loadWasmKernels(memory, heap, { build: 'simd', threads: 2, thresholds: ALWAYS }));
const label = (k: WasmKernels) => `wasm ${k.build} ${k.threads}T`;

const tensor = tensorFactory(memory, heap);
const copyOf = (t: Tensor) => {
  const c = new Tensor(memory, heap.alloc(t.size * 4), t.shape);
  c.data.set(t.data);
  return c;
};

function close(what: string, got: Float32Array, want: Float32Array, tol: number): void {
  for (let i = 0; i < got.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= tol))
      assert.unreachable(`${what}: element ${i}: got ${got[i]}, want ${want[i]}`);
  }
}

/** Random [lo, hi) pairs within [0, limit), some empty, some full; deterministic. */
function randomRanges(count: number, limit: number, s: number): Tensor {
  const u = randomValues(2 * count, s, 0, 1);
  const r = tensor([count, 2]);
  for (let j = 0; j < count; j++) {
    let lo = Math.floor(u[2 * j] * (limit + 1)),
      hi = Math.floor(u[2 * j + 1] * (limit + 1));
    if (lo > hi) [lo, hi] = [hi, lo];
    if (j % 5 === 0) [lo, hi] = [0, limit];
    if (j % 7 === 3) hi = lo;
    r.data[2 * j] = lo;
    r.data[2 * j + 1] = hi;
  }
  return r;
}

const SHAPES: [number, number, number][] = [
  [1, 3, 5],
  [5, 7, 3],
  [13, 9, 17],
  [37, 130, 67],
  [8, 300, 16],
];

test('matmulNT with ranges: ts skips the promised zeros; wasm gives the bits of the full product', () => {
  for (const [M, K, N] of SHAPES) {
    const x = tensor([M, K]),
      w = tensor([N, K]),
      bias = tensor([N]);
    const ranges = randomRanges(N, K, M + K + N);
    for (let n = 0; n < N; n++)
      for (let k = 0; k < K; k++) {
        if (k < ranges.data[2 * n] || k >= ranges.data[2 * n + 1]) w.data[n * K + k] = 0;
      }
    const want = tensor([M, N]);
    tsKernels.matmulNT(want, x, w, bias, Act.Elu, ranges);
    const wantFull = tensor([M, N]);
    tsKernels.matmulNT(wantFull, x, w, bias, Act.Elu);
    close(`ts NT ${M}×${K}×${N}`, want.data, wantFull.data, 1e-6);
    for (const k of wasm) {
      const full = tensor([M, N]),
        got = tensor([M, N]);
      k.matmulNT(full, x, w, bias, Act.Elu);
      k.matmulNT(got, x, w, bias, Act.Elu, ranges);
      sameBits(`${label(k)} NT ${M}×${K}×${N}`, got.data, full.data);
      close(`${label(k)} NT vs ts ${M}×${K}×${N}`, got.data, want.data, 1e-5 * (K + 1));
    }
  }
});

test('matmulNN with ranges: per column of b, the rows outside are skipped; same bits as the full product', () => {
  for (const [M, K, N] of SHAPES) {
    for (const acc of [false, true]) {
      const a = tensor([M, K]),
        b = tensor([K, N]);
      const ranges = randomRanges(N, K, 3 * M + K);
      for (let n = 0; n < N; n++)
        for (let k = 0; k < K; k++) {
          if (k < ranges.data[2 * n] || k >= ranges.data[2 * n + 1]) b.data[k * N + n] = 0;
        }
      const start = tensor([M, N]);
      const want = copyOf(start);
      tsKernels.matmulNN(want, a, b, acc, ranges);
      for (const k of wasm) {
        const full = copyOf(start),
          got = copyOf(start);
        k.matmulNN(full, a, b, acc);
        k.matmulNN(got, a, b, acc, ranges);
        sameBits(`${label(k)} NN ${M}×${K}×${N} acc ${acc}`, got.data, full.data);
        close(`${label(k)} NN vs ts`, got.data, want.data, 1e-5 * (K + 2));
      }
    }
  }
});

test('matmulTN with ranges: only the wanted columns are computed, the rest written 0; not with accumulate', () => {
  const acc = false;
  for (const [R, M, N] of SHAPES) {
    {
      const a = tensor([R, M]),
        b = tensor([R, N]);
      const ranges = randomRanges(M, N, R + 2 * N);
      const start = tensor([M, N]);
      const want = copyOf(start);
      tsKernels.matmulTN(want, a, b, acc, ranges);
      const full = copyOf(start);
      tsKernels.matmulTN(full, a, b, acc);
      for (let m = 0; m < M; m++)
        for (let n = 0; n < N; n++) {
          const inside = n >= ranges.data[2 * m] && n < ranges.data[2 * m + 1];
          const e = m * N + n;
          assert.is(want.data[e], inside ? full.data[e] : 0, `ts TN entry (${m}, ${n})`);
        }
      for (const k of wasm) {
        const got = copyOf(start);
        k.matmulTN(got, a, b, acc, ranges);
        close(`${label(k)} TN ${R}, ${M}×${N}`, got.data, want.data, 1e-5 * (R + 2));
        for (let m = 0; m < M; m++)
          for (let n = 0; n < N; n++) {
            if (n >= ranges.data[2 * m] && n < ranges.data[2 * m + 1]) continue;
            assert.is(got.data[m * N + n], 0, `${label(k)} TN outside entry (${m}, ${n})`);
          }
      }
    }
  }
});

test('with ranges, 2 threads give the bits of 1 thread (TN cut by work, not by rows)', () => {
  const one = wasm[0],
    two = wasm[wasm.length - 1];
  for (const [M, K, N] of [
    [64, 128, 128],
    [37, 130, 67],
  ] as [number, number, number][]) {
    const x = tensor([M, K]),
      w = tensor([N, K]),
      dy = tensor([M, N]);
    const rw = randomRanges(N, K, 5 + M),
      rc = randomRanges(K, N, 6 + M);
    const pairs: [string, (k: WasmKernels, o: Tensor) => void, number[]][] = [
      ['NT', (k, o) => k.matmulNT(o, x, w, null, Act.Relu, rw), [M, N]],
      ['NN', (k, o) => k.matmulNN(o, dy, w, false, rc), [M, K]],
      ['TN', (k, o) => k.matmulTN(o, dy, x, false, rw), [N, K]],
    ];
    for (const [name, call, shape] of pairs) {
      const a = tensor(shape),
        b = tensor(shape);
      call(one, a);
      call(two, b);
      sameBits(`${name} ${M}×${K}×${N}, 1 vs 2 threads`, b.data, a.data);
    }
  }
});

test('cutByWeight: equal shares of work on grain multiples; equal weights cut like cutRange', () => {
  assert.equal(cutByWeight(16, 2, 4, [1, 1, 1, 1]), cutRange(16, 2, 4));
  // a quarter of the work in the first half of the rows: the cut moves right
  assert.equal(cutByWeight(32, 2, 4, [1, 1, 1, 1, 3, 3, 3, 3]), [0, 20, 32]);
  assert.equal(cutByWeight(10, 3, 4, [0, 0, 0]), cutRange(10, 3, 4));
});

test('bad ranges are errors naming the kernel and what was expected', () => {
  const x = tensor([4, 6]),
    w = tensor([3, 6]),
    out = tensor([4, 3]);
  for (const k of [tsKernels as Kernels, wasm[0]]) {
    assert.throws(
      () => k.matmulTN(tensor([6, 3]), x, out, true, tensor([6, 2])),
      /matmulTN: ranges cannot be combined with accumulate/,
    );
    assert.throws(
      () => k.matmulNT(out, x, w, null, Act.None, tensor([2, 2])),
      /matmulNT: ranges \[2, 2\] must hold 3 \[lo, hi\) pairs/,
    );
    const r = tensor([3, 2]);
    r.data.set([0, 6, 2, 7, 0, 0]);
    assert.throws(
      () => k.matmulNT(out, x, w, null, Act.None, r),
      /matmulNT: range 1 is \[2, 7\), expected integers 0 ≤ lo ≤ hi ≤ 6/,
    );
  }
});

test('gather: wasm (1 and 2 threads) equals ts; an index outside src is an error naming it, from a worker too', () => {
  const n = 37;
  const src = tensor([n]),
    scale = tensor([n]),
    index = tensor([n]);
  const perm = Array.from({ length: n }, (_, i) => (i * 11) % n);
  index.data.set(perm);
  const want = tensor([n]);
  tsKernels.gather(want, src, index, scale);
  for (let e = 0; e < n; e++) assert.is(want.data[e], Math.fround(src.data[perm[e]] * scale.data[e]));
  for (const k of wasm) {
    const got = tensor([n]);
    k.gather(got, src, index, scale);
    sameBits(`${label(k)} gather`, got.data, want.data);
  }
  index.data[5] = n;
  for (const k of [tsKernels as Kernels, wasm[0]]) {
    assert.throws(
      () => k.gather(tensor([n]), src, index, scale),
      /gather: index\[5\] = 37 is not an element of src \[37\]/,
    );
  }
  index.data[5] = 2.5;
  assert.throws(() => wasm[0].gather(tensor([n]), src, index, scale), /index\[5\] = 2.5 is not an element of src/);
  index.data[5] = 5;
  index.data[30] = -1;
  assert.throws(
    () => wasm[wasm.length - 1].gather(tensor([n]), src, index, scale),
    /gather: index out of range at element 30/,
  );
  assert.throws(() => tsKernels.gather(tensor([n]), src, tensor([n - 1]), scale), /must have one size/);
});

test('gatherRows: wasm (1 and 2 threads) equals ts; a row outside src is an error naming it, from a worker too', () => {
  // 300 rows of 70 floats (big enough to split on two threads), runs of equal rows and single ones.
  const [M, N, R] = [41, 70, 300];
  const src = tensor([M, N]),
    rows = tensor([R]);
  const pick = Array.from({ length: R }, (_, r) => (r < 150 ? Math.floor(r / 16) : (r * 13) % M));
  rows.data.set(pick);
  const want = tensor([R, N]);
  tsKernels.gatherRows(want, src, rows);
  for (let r = 0; r < R; r++) {
    assert.equal(
      Array.from(want.data.subarray(r * N, (r + 1) * N)),
      Array.from(src.data.subarray(pick[r] * N, (pick[r] + 1) * N)),
    );
  }
  for (const k of wasm) {
    const got = tensor([R, N]);
    k.gatherRows(got, src, rows);
    sameBits(`${label(k)} gatherRows`, got.data, want.data);
  }
  rows.data[7] = M;
  for (const k of [tsKernels as Kernels, wasm[0]]) {
    assert.throws(
      () => k.gatherRows(tensor([R, N]), src, rows),
      /gatherRows: rows\[7\] = 41 is not a row of src \[41, 70\]/,
    );
  }
  rows.data[7] = 0;
  rows.data[250] = 1.5;
  assert.throws(
    () => wasm[wasm.length - 1].gatherRows(tensor([R, N]), src, rows),
    /gather_rows: row index out of range at element 250/,
  );
  assert.throws(() => tsKernels.gatherRows(tensor([R, N + 1]), src, rows), /must be \[R,N\], \[M,N\] and \[R\]/);
});

// Masks of the networks we ship: NSF hyper-nets (2 features, ascending and reversed order, with
// context) and a residual net; plus 3 features to check the general case.
const MASKS = [
  { name: 'NSF 2 features, order [0,1], ctx 2', A: autoregressiveAdjacency([0, 1], 5, 2), hidden: [16, 16, 16] },
  { name: 'NSF 2 features, order [1,0], ctx 4', A: autoregressiveAdjacency([1, 0], 5, 4), hidden: [16, 16] },
  { name: 'NSF 3 features, order [2,0,1], ctx 1', A: autoregressiveAdjacency([2, 0, 1], 3, 1), hidden: [12, 12] },
  { name: 'residual, 2 features, ctx 4', A: strictlyLowerAdjacency(2, 2, 4), hidden: [16, 16] },
];

for (const backend of ['ts', 'wasm'] as const) {
  test(`${backend}: blockLinear is linear(x, W, b, { mask }) on sorted hidden units (outputs, gradients)`, async () => {
    const dev = backend === 'ts' ? new Device(memory, tsKernels, heap) : new Device(memory, wasm[0], heap);
    for (const { name, A, hidden } of MASKS) {
      const masks = maskedMlpMasks(A, hidden);
      const layouts = blockLayouts(dev, masks);
      const B = 9;
      const Ws = masks.map((m, l) =>
        dev.tensor(randomValues(m.length * m[0].length, 100 + l, -0.5, 0.5), [m.length, m[0].length]),
      );
      const bs = masks.map((m, l) => dev.tensor(randomValues(m.length, 200 + l, -0.5, 0.5), [m.length]));
      const maskTs = masks.map((m) =>
        dev.tensor(
          m.flat().map((v) => (v ? 1 : 0)),
          [m.length, m[0].length],
        ),
      );
      const x = dev.tensor(randomValues(B * A[0].length, 7), [B, A[0].length]);
      const run = (block: boolean) => {
        const tape = new Tape(dev);
        const xv = tape.leaf(x);
        let h = xv;
        const Wv = Ws.map((W) => tape.leaf(W)),
          bv = bs.map((b) => tape.leaf(b));
        masks.forEach((_, l) => {
          const act = l === masks.length - 1 ? Act.None : Act.Elu;
          h = block
            ? op.blockLinear(h, Wv[l], bv[l], layouts[l], act)
            : op.linear(h, Wv[l], bv[l], { mask: maskTs[l], activation: act });
        });
        const out = h.value.toArray();
        tape.backward(op.sum(op.square(h)));
        return { out, dx: xv.grad!.toArray(), grads: [...Wv, ...bv].map((v) => v.grad!.toArray()) };
      };
      const plain = run(false),
        block = run(true);
      close(`${name}: outputs`, block.out, plain.out, 1e-5);
      close(`${name}: input gradient`, block.dx, plain.dx, 1e-5);
      assert.ok(
        block.dx.some((v) => v !== 0),
        `${name}: the input gradient is not all zero`,
      );
      block.grads.forEach((g, i) => close(`${name}: gradient ${i}`, g, plain.grads[i], 1e-5));
      // masked weights get exactly zero gradient
      masks.forEach((m, l) =>
        m.flat().forEach((v, e) => !v && assert.is(block.grads[l][e], 0, `${name}: masked grad ${l}/${e}`)),
      );
    }
  });

  test(`${backend}: gradcheck blockLinear (x, W, b) on a sorted NSF layer, every activation`, () => {
    const dev = backend === 'ts' ? new Device(memory, tsKernels, heap) : new Device(memory, wasm[0], heap);
    const masks = maskedMlpMasks(autoregressiveAdjacency([1, 0], 3, 2), [8, 8]);
    const layouts = blockLayouts(dev, masks);
    for (const l of [0, 1, 2]) {
      for (const act of [Act.None, Act.Relu, Act.Elu, Act.Tanh]) {
        const [N, K] = [masks[l].length, masks[l][0].length];
        // With relu, inputs whose pre-activations all lie 0.05 or more from the kink at 0 (the
        // others put one within 0.005 or 0.0003 of it, where a difference step crosses it).
        const s = act === Act.Relu ? 50 : 0;
        const r = gradcheck(dev, (_, [x, W, b]) => op.blockLinear(x, W, b, layouts[l], act), [
          dev.tensor(randomValues(5 * K, s + 1 + l), [5, K]),
          dev.tensor(randomValues(N * K, s + 2 + l), [N, K]),
          dev.tensor(randomValues(N, s + 3 + l), [N]),
        ]);
        assert.ok(r.ok, `layer ${l}, act ${act}: worst ${r.worst.toFixed(3)} at ${r.where}`);
      }
    }
  });

  test(`${backend}: gradcheck the sparse hint's paths (blockLinear's transposed dW, spread, row bias)`, () => {
    // x as a relu layer's output (a third of it exact zeros). blockLinear without its own relu
    // computes dW transposed and gathers it back through targetT: a path of its own, not a hint.
    const dev = backend === 'ts' ? new Device(memory, tsKernels, heap) : new Device(memory, wasm[0], heap);
    const masks = maskedMlpMasks(autoregressiveAdjacency([1, 0], 3, 2), [8, 8]);
    const layouts = blockLayouts(dev, masks);
    const reluOut = (n: number, seed: number) => randomValues(n, seed, -0.5, 1.5).map((v) => Math.max(v, 0));
    for (const l of [1, 2]) {
      const [N, K] = [masks[l].length, masks[l][0].length];
      for (const act of [Act.None, Act.Relu, Act.Tanh]) {
        const r = gradcheck(dev, (_, [x, W, b]) => op.blockLinear(x, W, b, layouts[l], act, null, true), [
          dev.tensor(reluOut(5 * K, 4 + l), [5, K]),
          dev.tensor(randomValues(N * K, 5 + l), [N, K]),
          dev.tensor(randomValues(N, 6 + l), [N]),
        ]);
        assert.ok(r.ok, `blockLinear layer ${l}, act ${act}: worst ${r.worst.toFixed(3)} at ${r.where}`);
      }
    }
    const [B, K, N, U] = [6, 5, 4, 2];
    const spread = dev.tensor(
      Array.from({ length: B * U }, (_, e) => (Math.floor(e / U) % U === e % U ? 1 : 0)),
      [B, U],
    );
    for (const act of [Act.None, Act.Relu, Act.Elu]) {
      const inputs = (rows: number) => [
        dev.tensor(reluOut(B * K, 31), [B, K]),
        dev.tensor(randomValues(N * K, 32), [N, K]),
        dev.tensor(randomValues(rows * N, 33), [rows, N]),
      ];
      const rs = gradcheck(dev, (_, [x, W, T]) => op.spreadLinear(x, W, spread, T, act, null, true), inputs(U));
      assert.ok(rs.ok, `spreadLinear, act ${act}: ${rs.where}`);
      const rb = gradcheck(dev, (_, [x, W, T]) => op.rowBiasLinear(x, W, T, act, null, true), inputs(B));
      assert.ok(rb.ok, `rowBiasLinear, act ${act}: ${rb.where}`);
    }
  });
}

test('blockLinear over relu zeros (the sparse hint): the bits of the dense path, outputs and every gradient', () => {
  // The score base's hyper-network (2 features, context 4, 59 spline parameters each, 128 × 3
  // relu), a batch of 1030 rows (batch blocks for the weight gradients): with the hint the wasm
  // kernels skip zeros of x and of relu′·g, and dW of the output layer is computed transposed.
  const masks = maskedMlpMasks(autoregressiveAdjacency([1, 0], 59, 4), [128, 128, 128]);
  const B = 1030;
  for (const k of wasm) {
    const dev = new Device(memory, k, heap);
    const layouts = blockLayouts(dev, masks);
    const Ws = masks.map((m, l) =>
      dev.tensor(randomValues(m.length * m[0].length, 300 + l, -0.3, 0.3), [m.length, m[0].length]),
    );
    const bs = masks.map((m, l) => dev.tensor(randomValues(m.length, 400 + l, -0.4, 0.2), [m.length]));
    const x = dev.tensor(randomValues(B * masks[0][0].length, 9), [B, masks[0][0].length]);
    const run = (hint: boolean) => {
      const tape = new Tape(dev);
      const xv = tape.leaf(x);
      const Wv = Ws.map((W) => tape.leaf(W)),
        bv = bs.map((b) => tape.leaf(b));
      let h = xv;
      masks.forEach((_, l) => {
        const act = l === masks.length - 1 ? Act.None : Act.Relu;
        h = op.blockLinear(h, Wv[l], bv[l], layouts[l], act, null, hint && l > 0);
      });
      const out = h.value.toArray();
      tape.backward(op.sum(op.square(h)));
      return [out, xv.grad!.toArray(), ...[...Wv, ...bv].map((v) => v.grad!.toArray())];
    };
    const dense = run(false),
      sparse = run(true);
    dense.forEach((want, i) => sameBits(`${label(k)}: output/gradient ${i}`, sparse[i], want));
  }
});

test('spreadLinear and rowBiasLinear over relu zeros (the sparse hint): the bits of the dense path', () => {
  // A masked network's x side: 1030 rows of a 64-wide relu layer's output; two contexts
  // (spreadLinear) or a bias per row (rowBiasLinear).
  const [B, K, N, U] = [1030, 64, 64, 2];
  for (const k of wasm) {
    const dev = new Device(memory, k, heap);
    const xv = randomValues(B * K, 21, -1, 1).map((v) => Math.max(v - 0.4, 0));
    const x = dev.tensor(xv, [B, K]);
    const W = dev.tensor(randomValues(N * K, 22, -0.3, 0.3), [N, K]);
    const T = dev.tensor(randomValues(U * N, 23, -0.3, 0.2), [U, N]);
    const rowT = dev.tensor(randomValues(B * N, 24, -0.3, 0.2), [B, N]);
    const spread = dev.tensor(
      Array.from({ length: B * U }, (_, e) => (Math.floor(e / U) % U === e % U ? 1 : 0)),
      [B, U],
    );
    const run = (hint: boolean, rowBias: boolean) => {
      const tape = new Tape(dev);
      const [xs, Ws, Ts] = [x, W, rowBias ? rowT : T].map((t) => tape.leaf(t));
      const h = rowBias
        ? op.rowBiasLinear(xs, Ws, Ts, Act.Relu, null, hint)
        : op.spreadLinear(xs, Ws, spread, Ts, Act.Relu, null, hint);
      const out = h.value.toArray();
      tape.backward(op.sum(op.square(h)));
      return [out, ...[xs, Ws, Ts].map((v) => v.grad!.toArray())];
    };
    for (const rowBias of [false, true]) {
      const dense = run(false, rowBias),
        sparse = run(true, rowBias);
      const what = rowBias ? 'rowBiasLinear' : 'spreadLinear';
      dense.forEach((want, i) => sameBits(`${label(k)}: ${what} output/gradient ${i}`, sparse[i], want));
    }
  }
});

test('a 2-feature NSF hyper-network (128 wide) has every mask block-triangular once sorted: a quarter skipped', () => {
  const dev = new Device(memory, tsKernels, heap);
  for (const order of [
    [0, 1],
    [1, 0],
  ]) {
    const masks = maskedMlpMasks(autoregressiveAdjacency(order, 59, 2), [128, 128, 128]);
    const layouts = blockLayouts(dev, masks);
    // hidden→hidden and hidden→output: exactly 25% of the weights lie outside the ranges
    for (const l of [1, 2, 3]) assert.is(skippedShare([layouts[l]]), 0.25, `order ${order}, layer ${l}`);
    // and the ranges cover every non-zero of the sorted mask
    for (const lay of layouts) {
      const [N, K] = lay.source.shape;
      for (let i = 0; i < N; i++)
        for (let j = 0; j < K; j++) {
          if (lay.mask.data[i * K + j] === 0) continue;
          assert.ok(j >= lay.rowRanges.data[2 * i] && j < lay.rowRanges.data[2 * i + 1]);
          assert.ok(i >= lay.colRanges.data[2 * j] && i < lay.colRanges.data[2 * j + 1]);
        }
    }
  }
});

test.run();
