/**
 * The wasm kernels against the ts reference backend, on odd shapes (1, 3, 5, 127, 129: not
 * multiples of 4 nor of the 4×8 tile), for both builds (plain SIMD, and relaxed SIMD where
 * the runtime has it). Also: a call split into row/element ranges gives bit-identical results
 * (what a worker pool relies on), shape errors name the kernel and the shapes, and the
 * loader picks the relaxed build when it can.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Act, Binary, Broadcast, Unary, type Kernels } from '../src/backend/kernels.js';
import { tsKernels } from '../src/backend/ts/index.js';
import { loadWasmKernels, wasmBuildInfo, WasmKernels, type KernelExports } from '../src/backend/wasm/index.js';
import { Memory } from '../src/tensor/memory.js';
import { Heap } from '../src/tensor/allocator.js';
import { Tensor } from '../src/tensor/tensor.js';
import { fillUniform } from '../src/backend/gpu/parity-probe.js';

const memory = new Memory();
const heap = new Heap(memory);
const info = wasmBuildInfo();
const builds: WasmKernels[] = [await loadWasmKernels(memory, heap, { build: 'simd' })];
if (info.relaxedSupported) builds.push(await loadWasmKernels(memory, heap, { build: 'relaxed' }));

const ODD = [1, 3, 5, 127, 129];

/** Deterministic data in [lo, hi) (xorshift32). */
function fill(t: Tensor, seed: number, lo = -1, hi = 1): Tensor {
  fillUniform(t.data, seed, lo, hi);
  return t;
}

let seedCounter = 1;
function tensor(shape: number[], lo = -1, hi = 1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return fill(new Tensor(memory, heap.alloc(n * 4), shape), seedCounter++ * 7919, lo, hi);
}

function copyOf(t: Tensor): Tensor {
  const c = new Tensor(memory, heap.alloc(t.size * 4), t.shape);
  c.data.set(t.data);
  return c;
}

function free(...ts: Tensor[]): void {
  for (const t of ts) heap.release(t.ptr);
}

/** |got − want| ≤ rel·scale + abs per element, with `scale` per element or one number. */
function close(
  what: string,
  got: Float32Array,
  want: Float32Array,
  rel: number,
  abs: number,
  scale?: Float32Array | number,
): void {
  assert.is(got.length, want.length, `${what}: length`);
  for (let i = 0; i < got.length; i++) {
    const s = scale === undefined ? Math.abs(want[i]) : typeof scale === 'number' ? scale : scale[i];
    const tol = rel * s + abs;
    if (!(Math.abs(got[i] - want[i]) <= tol) && !(Number.isNaN(got[i]) && Number.isNaN(want[i]))) {
      assert.unreachable(`${what}: element ${i}: got ${got[i]}, want ${want[i]} (tolerance ${tol})`);
    }
  }
}

function same(what: string, got: Float32Array, want: Float32Array): void {
  close(what, got, want, 0, 0);
}

const actName = ['none', 'relu', 'elu', 'tanh'];

function checkNT(k: Kernels, M: number, K: number, N: number, act: Act, withBias: boolean): void {
  const x = tensor([M, K]),
    w = tensor([N, K]);
  const bias = withBias ? tensor([N]) : null;
  const got = tensor([M, N]),
    want = tensor([M, N]);
  k.matmulNT(got, x, w, bias, act);
  tsKernels.matmulNT(want, x, w, bias, act);
  // Inputs lie in [−1, 1): the sum's magnitude is at most K (+1 for the bias).
  close(`${k.name} NT ${M}×${K}×${N} act ${actName[act]} bias ${withBias}`, got.data, want.data, 1e-5, 0, K + 1);
  free(x, w, got, want, ...(bias ? [bias] : []));
}

function checkNN(k: Kernels, M: number, K: number, N: number, accumulate: boolean): void {
  const a = tensor([M, K]),
    b = tensor([K, N]);
  const got = tensor([M, N]),
    want = copyOf(got);
  k.matmulNN(got, a, b, accumulate);
  tsKernels.matmulNN(want, a, b, accumulate);
  close(`${k.name} NN ${M}×${K}×${N} acc ${accumulate}`, got.data, want.data, 1e-5, 0, K + 1);
  free(a, b, got, want);
}

function checkTN(k: Kernels, R: number, M: number, N: number, accumulate: boolean): void {
  const a = tensor([R, M]),
    b = tensor([R, N]);
  const got = tensor([M, N]),
    want = copyOf(got);
  k.matmulTN(got, a, b, accumulate);
  tsKernels.matmulTN(want, a, b, accumulate);
  close(`${k.name} TN R ${R}, ${M}×${N} acc ${accumulate}`, got.data, want.data, 1e-5, 0, R + 1);
  free(a, b, got, want);
}

for (const k of builds) {
  const tag = `[${k.build}]`;

  test(`${tag} matmulNT matches ts on odd shapes, every act, bias on/off`, () => {
    let i = 0;
    for (const M of ODD)
      for (const K of ODD)
        for (const N of ODD) {
          checkNT(k, M, K, N, (i % 4) as Act, i % 2 === 0);
          i++;
        }
    for (const act of [Act.None, Act.Relu, Act.Elu, Act.Tanh]) {
      for (const withBias of [false, true]) {
        checkNT(k, 129, 127, 129, act, withBias);
        checkNT(k, 6, 300, 13, act, withBias); // K beyond one 256-step chunk
      }
    }
  });

  test(`${tag} matmulNN matches ts on odd shapes, accumulate on/off`, () => {
    for (const M of ODD)
      for (const K of ODD)
        for (const N of ODD) {
          checkNN(k, M, K, N, false);
          checkNN(k, M, K, N, true);
        }
    checkNN(k, 7, 600, 9, true); // under 16 rows: b read in place
    checkNN(k, 37, 600, 19, true); // b packed, in three 256-step chunks
  });

  test(`${tag} matmulTN matches ts on odd shapes, accumulate on/off`, () => {
    for (const R of ODD)
      for (const M of ODD)
        for (const N of ODD) {
          checkTN(k, R, M, N, false);
          checkTN(k, R, M, N, true);
        }
    checkTN(k, 600, 9, 17, false);
    checkTN(k, 600, 9, 17, true);
    checkTN(k, 600, 37, 19, true); // 16+ output rows: b packed per 256-row chunk
    // 1024+ rows: summed in 2 and 4 batch blocks.
    checkTN(k, 1031, 9, 17, false);
    checkTN(k, 2050, 5, 13, true);
  });

  test(`${tag} matmuls split into row ranges are bit-identical to one call`, () => {
    const e = k.exports;
    const M = 131,
      K = 300,
      N = 21;
    const x = tensor([M, K]),
      w = tensor([N, K]),
      bias = tensor([N]),
      dy = tensor([M, N]);
    const whole = tensor([M, N]),
      parts = tensor([M, N]);
    const s = heap.alloc(e.matmul_scratch_bytes(N, Math.max(K, M)));
    const splits = [
      [0, M],
      [0, 1, M],
      [0, 3, 64, 65, M],
      [0, 5, 6, 7, 130, M],
    ];
    const run = (f: (r0: number, r1: number, out: Tensor) => void) => {
      f(0, M, whole);
      for (const cut of splits) {
        parts.data.fill(7);
        for (let i = 0; i + 1 < cut.length; i++) f(cut[i], cut[i + 1], parts);
        same(`${k.build} split ${cut.join(',')}`, parts.data, whole.data);
      }
    };
    run((r0, r1, out) => e.matmul_nt(out.ptr, x.ptr, w.ptr, bias.ptr, M, K, N, Act.Tanh, r0, r1, s, 0));
    const xk = tensor([K, N]);
    run((r0, r1, out) => e.matmul_nn(out.ptr, x.ptr, xk.ptr, M, K, N, 0, r0, r1, s, 0));
    // TN: out[M', N] with M' = K columns of x; rows of out are columns of a.
    const tw = tensor([K, N]),
      tp = tensor([K, N]);
    e.matmul_tn(tw.ptr, x.ptr, dy.ptr, K, M, N, 0, 0, K, s, 0);
    for (const cut of [
      [0, 1, K],
      [0, 4, 9, 200, K],
    ]) {
      for (let i = 0; i + 1 < cut.length; i++) e.matmul_tn(tp.ptr, x.ptr, dy.ptr, K, M, N, 0, cut[i], cut[i + 1], s, 0);
      same(`${k.build} TN split ${cut.join(',')}`, tp.data, tw.data);
    }
    heap.release(s);
    free(x, w, bias, dy, whole, parts, xk, tw, tp);
  });

  test(`${tag} unary matches ts for every op`, () => {
    // Domains: log / sqrt need x > 0, reciprocal x ≠ 0; wide ranges reach the branches.
    const domain: Record<number, [number, number]> = {
      [Unary.Log]: [1e-3, 50],
      [Unary.Sqrt]: [0, 50],
      [Unary.Reciprocal]: [0.01, 10],
      [Unary.Exp]: [-20, 20],
      [Unary.Softplus]: [-30, 30],
      [Unary.Sigmoid]: [-30, 30],
      [Unary.Tanh]: [-5, 5],
      [Unary.Elu]: [-5, 5],
    };
    const exact = new Set([Unary.Neg, Unary.Square, Unary.Sqrt, Unary.Relu, Unary.Step, Unary.Abs, Unary.Reciprocal]);
    for (let op = Unary.Neg; op <= Unary.Reciprocal; op++) {
      for (const n of ODD) {
        const [lo, hi] = domain[op] ?? [-3, 3];
        const x = tensor([n], lo, hi),
          got = tensor([n]),
          want = tensor([n]);
        k.unary(op, got, x);
        tsKernels.unary(op, want, x);
        if (exact.has(op)) same(`${k.build} unary ${op} n ${n}`, got.data, want.data);
        // Float32 library maps are within an ulp or two of the float64 reference.
        else close(`${k.build} unary ${op} n ${n}`, got.data, want.data, 3e-7, 1e-30);
        // In place (out = x) gives the same.
        k.unary(op, x, x);
        same(`${k.build} unary ${op} in place`, x.data, got.data);
        free(x, got, want);
      }
    }
  });

  test(`${tag} binary matches ts exactly for every op and broadcast mode`, () => {
    for (let op = Binary.Add; op <= Binary.Div; op++) {
      for (let mode = Broadcast.Same; mode <= Broadcast.Scalar; mode++) {
        for (const M of ODD)
          for (const N of [1, 2, 3, 4, 5, 129]) {
            const bShape =
              mode === Broadcast.Same ? [M, N] : mode === Broadcast.Row ? [N] : mode === Broadcast.Col ? [M] : [1];
            const a = tensor([M, N]);
            const b = tensor(bShape, 0.5, 2); // away from 0 for division
            const got = tensor([M, N]),
              want = tensor([M, N]);
            k.binary(op, got, a, b, mode);
            tsKernels.binary(op, want, a, b, mode);
            same(`${k.build} binary op ${op} mode ${mode} ${M}×${N}`, got.data, want.data);
            // Element ranges that cut rows in the middle give the same result.
            got.data.fill(0);
            for (const [e0, e1] of [
              [0, 2],
              [2, M * N - 1],
              [M * N - 1, M * N],
            ]) {
              if (e1 > e0) k.exports.binary(op, mode, got.ptr, a.ptr, b.ptr, M, N, e0, e1);
            }
            if (M * N >= 2) same(`${k.build} binary op ${op} mode ${mode} split`, got.data, want.data);
            free(a, b, got, want);
          }
      }
    }
  });

  test(`${tag} fill writes the value to every element and nothing beside (zero over NaN too)`, () => {
    for (const n of [...ODD, 4099]) {
      for (const value of [0, -2.5, 1e-39]) {
        const guard = tensor([n + 32]); // the tensor sits inside this one, with 16 floats either side
        const inner = new Tensor(guard.memory, guard.ptr + 64, [n]);
        inner.data.fill(NaN);
        const before = guard.toArray();
        k.fill(inner, value);
        const want = Float32Array.from(before);
        want.fill(Math.fround(value), 16, 16 + n);
        same(`${k.build} fill ${value} n ${n}`, guard.data, want);
        free(guard);
      }
    }
  });

  test(`${tag} actBackward matches ts for every activation`, () => {
    for (const act of [Act.None, Act.Relu, Act.Elu, Act.Tanh]) {
      for (const n of ODD) {
        // y as the activation produces it (elu > −1, tanh in (−1, 1)).
        const v = tensor([n], -3, 3),
          y = tensor([n]),
          dy = tensor([n]);
        const got = tensor([n]),
          want = tensor([n]);
        const yd = y.data,
          vd = v.data;
        for (let i = 0; i < n; i++) {
          const s = vd[i];
          yd[i] =
            act === Act.Relu
              ? Math.max(s, 0)
              : act === Act.Elu
                ? s > 0
                  ? s
                  : Math.expm1(s)
                : act === Act.Tanh
                  ? Math.tanh(s)
                  : s;
        }
        k.actBackward(act, got, dy, y);
        tsKernels.actBackward(act, want, dy, y);
        close(`${k.build} actBackward ${actName[act]} n ${n}`, got.data, want.data, 3e-7, 1e-30);
        free(v, y, dy, got, want);
      }
    }
  });

  test(`${tag} sumRows / sumCols / sumAll match ts`, () => {
    // 1031 and 4099 rows: sumRows in batch blocks (2 and 4).
    for (const M of [...ODD, 1031, 4099])
      for (const N of ODD) {
        const x = tensor([M, N]);
        const r1 = tensor([N]),
          r2 = tensor([N]),
          c1 = tensor([M]),
          c2 = tensor([M]);
        const s1 = tensor([1]),
          s2 = tensor([1]);
        k.sumRows(r1, x);
        tsKernels.sumRows(r2, x);
        k.sumCols(c1, x);
        tsKernels.sumCols(c2, x);
        k.sumAll(s1, x);
        tsKernels.sumAll(s2, x);
        // Both sum in float64; only the order differs, far below one float32 rounding.
        close(`${k.build} sumRows ${M}×${N}`, r1.data, r2.data, 0, 1e-6 * M);
        close(`${k.build} sumCols ${M}×${N}`, c1.data, c2.data, 0, 1e-6 * N);
        close(`${k.build} sumAll ${M}×${N}`, s1.data, s2.data, 0, 1e-6 * M * N);
        free(x, r1, r2, c1, c2, s1, s2);
      }
  });

  test(`${tag} adamw matches ts over several steps`, () => {
    for (const n of [1, 3, 5, 127, 129]) {
      const p1 = tensor([n]),
        m1 = tensor([n], 0, 0),
        v1 = tensor([n], 0, 0);
      const p2 = copyOf(p1),
        m2 = copyOf(m1),
        v2 = copyOf(v1);
      for (let step = 1; step <= 6; step++) {
        const g = tensor([n], -2, 2);
        const h = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, step };
        k.adamw(p1, g, m1, v1, h);
        tsKernels.adamw(p2, g, m2, v2, h);
        free(g);
      }
      close(`${k.build} adamw p n ${n}`, p1.data, p2.data, 1e-6, 1e-7);
      close(`${k.build} adamw m n ${n}`, m1.data, m2.data, 1e-6, 1e-7);
      close(`${k.build} adamw v n ${n}`, v1.data, v2.data, 1e-6, 1e-9);
      free(p1, m1, v1, p2, m2, v2);
    }
  });
}

test('shape errors name the kernel and the shapes', () => {
  const k = builds[0];
  const x = tensor([3, 4]),
    w = tensor([5, 6]),
    out = tensor([3, 5]);
  assert.throws(() => k.matmulNT(out, x, w, null, Act.None), /matmulNT.*\[3, 4\].*\[5, 6\]/);
  assert.throws(() => k.matmulNN(out, x, w, false), /matmulNN.*\[3, 4\].*\[5, 6\]/);
  assert.throws(() => k.matmulTN(out, x, w, false), /matmulTN.*\[3, 4\].*\[5, 6\]/);
  assert.throws(() => k.binary(Binary.Add, out, out, x, Broadcast.Row), /binary.*\[3, 5\].*\[3, 4\].*row/);
  assert.throws(() => k.sumRows(x, out), /sumRows.*\[3, 5\]/);
  // The spline's saved masses: 2K per element.
  const spec = { bins: 4, bound: 5, slope: 1e-3 };
  const sx = tensor([3]),
    sp = tensor([3, 11]),
    sy = tensor([3]),
    sl = tensor([3]),
    bad = tensor([3, 7]);
  assert.throws(
    () => k.splineForward(sy, sl, sx, sp, spec, bad),
    /splineForward: saved \[3, 7\] must hold 2·4 masses for each of the 3 elements/,
  );
  free(x, w, out, sx, sp, sy, sl, bad);
});

test('a build without spline kernels says so', () => {
  const k = builds[0];
  const bare = { ...k.exports } as KernelExports;
  delete bare.spline_forward;
  delete bare.spline_inverse;
  delete bare.spline_backward;
  const noSpline = new WasmKernels(memory, heap, bare, k.build, k.module);
  const x = tensor([4]),
    y = tensor([4]),
    l = tensor([4]),
    p = tensor([4, 23]);
  assert.throws(
    () => noSpline.splineForward(y, l, x, p, { bins: 8, bound: 5, slope: 1e-3 }),
    /spline kernels missing from the wasm build/,
  );
  noSpline.dispose();
  free(x, y, l, p);
});

test('the loader prefers the relaxed build where the runtime supports it', () => {
  assert.is(info.chosen, info.relaxedSupported ? 'relaxed' : 'simd');
  // Node 20 has relaxed SIMD behind a flag the loader switches on.
  if (process.versions.node.startsWith('20.')) assert.ok(info.relaxedSupported);
  assert.ok(info.path.endsWith(`kernels-${info.chosen}.wasm`));
});

test.run();
