/**
 * The gpu backend's kernels against the ts reference, run through gpu.js's CPU modes so that
 * the kernel code itself is exercised on every run, GPU or not:
 *  - 'cpu'    gpu.js compiles the kernels to JavaScript (float64 arithmetic);
 *  - 'webasm' gpu.js compiles them to WebAssembly (float32, typed like a GPU shader: this is
 *             the mode that catches float32 cancellation and typing slips);
 *  - 'cpu' behind the worker bridge, the path webgpu takes on a GPU host;
 *  - and, where probeGpu finds one, the real GPU mode.
 * Tolerances: src/backend/gpu/tolerances.ts (matmuls/sums/AdamW as the wasm tests; splines scaled by the
 * spline's float32 conditioning, since only wasm is bit-identical to ts by construction).
 * Also: shape errors, delegation, `--backend gpu` without a GPU fails clearly, and — where
 * gpu.js is not installed — that the backend says exactly that.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Act, Binary, Broadcast, Unary, type Kernels } from '../src/backend/kernels.js';
import { tsKernels } from '../src/backend/ts/index.js';
import {
  GPU_TOLERANCES,
  checkSplineParity,
  fillUniform,
  runParityProbe,
  worstExcess,
} from '../src/backend/gpu/parity-probe.js';
import { GpuKernels, loadGpuKernels, probeGpu, isGpuMode } from '../src/backend/gpu/index.js';
import { importGpuJs, actualMode } from '../src/backend/gpu/gpujs-module.js';
import { InThreadRunner } from '../src/backend/gpu/runner.js';
import { createDevice } from '../src/backend/index.js';
import { Memory } from '../src/tensor/memory.js';
import { Heap } from '../src/tensor/allocator.js';
import { Tensor } from '../src/tensor/tensor.js';

const memory = new Memory();
const heap = new Heap(memory);
const loaded = await importGpuJs();

let seedCounter = 1;
function tensor(shape: number[], lo = -1, hi = 1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const t = new Tensor(memory, heap.alloc(Math.max(n, 1) * 4), shape);
  fillUniform(t.data, seedCounter++ * 7919, lo, hi);
  return t;
}
const copyOf = (t: Tensor): Tensor => {
  const c = new Tensor(memory, heap.alloc(t.size * 4), t.shape);
  c.data.set(t.data);
  return c;
};
const free = (...ts: (Tensor | null)[]) => ts.forEach((t) => t && heap.release(t.ptr));

function close(what: string, got: Tensor, want: Tensor, tol: (i: number) => number): void {
  assert.is(got.size, want.size, `${what}: size`);
  const w = worstExcess(got.data, want.data, tol);
  if (w.excess > 0)
    assert.unreachable(
      `${what}: element ${w.at}: got ${got.data[w.at]}, want ${want.data[w.at]} (tolerance ${tol(w.at)})`,
    );
}

if (!loaded.ok) {
  // gpu.js is an install-time dependency; where it is missing the backend must say so.
  test('without gpu.js: loadGpuKernels and probeGpu report "gpu.js not installed"', async () => {
    assert.match(loaded.reason, /gpu\.js not installed/);
    try {
      await loadGpuKernels(memory, heap, { mode: 'cpu' });
      assert.unreachable('loadGpuKernels should reject');
    } catch (e) {
      assert.match((e as Error).message, /gpu\.js not installed/);
    }
    const p = await probeGpu();
    assert.is(p.available, false);
    assert.match(p.reason, /gpu\.js not installed/);
    await createDevice({ backend: 'gpu' }).then(
      () => assert.unreachable('--backend gpu should fail'),
      (e: Error) => assert.match(e.message, /--backend gpu.*gpu\.js not installed/),
    );
  });
} else {
  const { module: gpujs } = loaded;
  const webasm = new gpujs.GPU({ mode: 'webasm' });
  const variants: { tag: string; k: GpuKernels; full: boolean }[] = [
    { tag: 'cpu', k: await loadGpuKernels(memory, heap, { mode: 'cpu' }), full: true },
    { tag: 'webasm', k: new GpuKernels(new InThreadRunner(webasm, actualMode(gpujs, webasm)), tsKernels), full: true },
    // The bridge copies every argument through a message: a smaller sweep is enough.
    { tag: 'cpu-in-worker', k: await loadGpuKernels(memory, heap, { mode: 'cpu', worker: true }), full: false },
  ];
  // On a GPU host the real GPU mode joins the sweep (this is what bench/gpu-check.sh runs).
  const probe = await probeGpu();
  if (probe.available)
    variants.push({ tag: 'gpu', k: await loadGpuKernels(memory, heap, { require: true }), full: true });
  const ODD = [1, 3, 5, 127, 129];
  const SMALL = [1, 3, 17];

  const checkNT = (k: Kernels, M: number, K: number, N: number, act: Act, withBias: boolean) => {
    const x = tensor([M, K]),
      w = tensor([N, K]),
      bias = withBias ? tensor([N]) : null;
    const got = tensor([M, N]),
      want = tensor([M, N]);
    k.matmulNT(got, x, w, bias, act);
    tsKernels.matmulNT(want, x, w, bias, act);
    close(`NT ${M}×${K}×${N} act ${act} bias ${withBias}`, got, want, () => GPU_TOLERANCES.matmulRel * (K + 1));
    free(x, w, bias, got, want);
  };
  const checkNN = (k: Kernels, M: number, K: number, N: number, acc: boolean) => {
    const a = tensor([M, K]),
      b = tensor([K, N]),
      got = tensor([M, N]),
      want = copyOf(got);
    k.matmulNN(got, a, b, acc);
    tsKernels.matmulNN(want, a, b, acc);
    close(`NN ${M}×${K}×${N} acc ${acc}`, got, want, () => GPU_TOLERANCES.matmulRel * (K + 1));
    free(a, b, got, want);
  };
  const checkTN = (k: Kernels, R: number, M: number, N: number, acc: boolean) => {
    const a = tensor([R, M]),
      b = tensor([R, N]),
      got = tensor([M, N]),
      want = copyOf(got);
    k.matmulTN(got, a, b, acc);
    tsKernels.matmulTN(want, a, b, acc);
    close(`TN R ${R}, ${M}×${N} acc ${acc}`, got, want, () => GPU_TOLERANCES.matmulRel * (R + 1));
    free(a, b, got, want);
  };

  for (const { tag, k, full } of variants) {
    const sizes = full ? ODD : SMALL;

    test(`[${tag}] runs in the gpu.js mode it names`, () => {
      assert.is(k.name, 'gpu');
      if (tag === 'gpu') assert.ok(isGpuMode(k.mode), k.mode);
      else assert.is(k.mode, tag === 'webasm' ? 'webasm' : 'cpu');
      assert.ok(k.describe().includes(`gpu.js ${k.mode}`));
    });

    test(`[${tag}] matmulNT matches ts: odd shapes, every activation, bias on/off`, () => {
      let i = 0;
      for (const M of sizes)
        for (const K of sizes) for (const N of sizes) checkNT(k, M, K, N, (i % 4) as Act, i++ % 2 === 0);
      for (const act of [Act.None, Act.Relu, Act.Elu, Act.Tanh]) {
        checkNT(k, 6, 300, 13, act, true);
        checkNT(k, 9, 7, 11, act, false);
      }
    });

    test(`[${tag}] matmulNN matches ts, accumulate on/off`, () => {
      for (const M of sizes)
        for (const K of sizes)
          for (const N of sizes) {
            checkNN(k, M, K, N, false);
            checkNN(k, M, K, N, true);
          }
      checkNN(k, 7, 600, 9, true);
    });

    test(`[${tag}] matmulTN matches ts, accumulate on/off`, () => {
      for (const R of sizes)
        for (const M of sizes)
          for (const N of sizes) {
            checkTN(k, R, M, N, false);
            checkTN(k, R, M, N, true);
          }
      checkTN(k, 600, 9, 17, true);
    });

    test(`[${tag}] block ranges: NT / NN compute the full product, TN writes zeros outside its ranges`, () => {
      const [M, K, N] = [9, 12, 10];
      const ranges = (count: number, limit: number) => {
        const r = tensor([count, 2]);
        for (let j = 0; j < count; j++) r.data.set([j % 3, Math.max(j % 3, limit - (j % 4))], 2 * j);
        return r;
      };
      const x = tensor([M, K]),
        w = tensor([N, K]),
        rw = ranges(N, K);
      for (let n = 0; n < N; n++)
        for (let kk = 0; kk < K; kk++) {
          if (kk < rw.data[2 * n] || kk >= rw.data[2 * n + 1]) w.data[n * K + kk] = 0;
        }
      const got = tensor([M, N]),
        want = tensor([M, N]);
      k.matmulNT(got, x, w, null, Act.Relu, rw);
      tsKernels.matmulNT(want, x, w, null, Act.Relu, rw);
      close('NT ranges', got, want, () => GPU_TOLERANCES.matmulRel * (K + 1));
      const dy = tensor([M, N]),
        gx = tensor([M, K]),
        gxw = tensor([M, K]);
      const wk = tensor([N, K]); // as b [N(rows), K]: per column k, rows outside are zero
      const rc = ranges(K, N);
      for (let kk = 0; kk < K; kk++)
        for (let n = 0; n < N; n++) {
          if (n < rc.data[2 * kk] || n >= rc.data[2 * kk + 1]) wk.data[n * K + kk] = 0;
        }
      k.matmulNN(gx, dy, wk, false, rc);
      tsKernels.matmulNN(gxw, dy, wk, false, rc);
      close('NN ranges', gx, gxw, () => GPU_TOLERANCES.matmulRel * (N + 1));
      const gw = tensor([N, K]),
        gww = tensor([N, K]);
      k.matmulTN(gw, dy, x, false, rw);
      tsKernels.matmulTN(gww, dy, x, false, rw);
      close('TN ranges', gw, gww, () => GPU_TOLERANCES.matmulRel * (M + 1));
      for (let n = 0; n < N; n++)
        for (let kk = 0; kk < K; kk++) {
          if (kk < rw.data[2 * n] || kk >= rw.data[2 * n + 1]) assert.is(gw.data[n * K + kk], 0);
        }
      free(x, w, rw, got, want, dy, gx, gxw, wk, rc, gw, gww);
    });

    test(`[${tag}] sumCols (the log-det sum) matches ts`, () => {
      for (const M of sizes)
        for (const N of sizes) {
          const x = tensor([M, N]),
            got = tensor([M]),
            want = tensor([M]);
          k.sumCols(got, x);
          tsKernels.sumCols(want, x);
          close(`sumCols ${M}×${N}`, got, want, () => GPU_TOLERANCES.sumPerTerm * N);
          free(x, got, want);
        }
    });

    test(`[${tag}] adamw matches ts over several steps`, () => {
      for (const n of sizes) {
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
        const rel = (want: Tensor, abs: number) => (i: number) =>
          GPU_TOLERANCES.adamwRel * Math.abs(want.data[i]) + abs;
        close(`adamw p n ${n}`, p1, p2, rel(p2, GPU_TOLERANCES.adamwAbs));
        close(`adamw m n ${n}`, m1, m2, rel(m2, GPU_TOLERANCES.adamwAbs));
        close(`adamw v n ${n}`, v1, v2, rel(v2, GPU_TOLERANCES.adamwAbsV));
        free(p1, m1, v1, p2, m2, v2);
      }
    });

    test(`[${tag}] spline forward / inverse / backward match ts`, () => {
      const cases: [number, number, number][] = full
        ? [
            [1, 129, 2],
            [8, 1, 2],
            [8, 129, 3],
            [20, 1000, 2],
            [20, 257, 3],
          ]
        : [
            [8, 5, 2],
            [20, 64, 2],
          ];
      let seed = 100;
      for (const [bins, n, span] of cases) {
        const failures = checkSplineParity(k, memory, heap, { bins, bound: 5, slope: 1e-3 }, n, span, seed++);
        assert.equal(failures, [], failures.join('\n'));
      }
      // Tails, NaN and exact ±B go through the identity branch like ts.
      const spec = { bins: 8, bound: 5, slope: 1e-3 },
        P = 23;
      const x = tensor([6]);
      x.data.set([-5, -7, 7, 5.5, Number.NaN, 0]);
      const raw = tensor([6, P], -2, 2);
      const y1 = tensor([6]),
        l1 = tensor([6]),
        y2 = tensor([6]),
        l2 = tensor([6]);
      k.splineForward(y1, l1, x, raw, spec);
      tsKernels.splineForward(y2, l2, x, raw, spec);
      for (let i = 0; i < 5; i++) {
        assert.ok(
          Object.is(y1.data[i], y2.data[i]) || y1.data[i] === y2.data[i],
          `edge ${x.data[i]}: y ${y1.data[i]} vs ${y2.data[i]}`,
        );
        assert.is(l1.data[i], 0, `edge ${x.data[i]}: ladj`);
      }
      free(x, raw, y1, l1, y2, l2);
    });

    test(`[${tag}] delegated kernels are the fallback's`, () => {
      const x = tensor([5, 7]),
        b = tensor([7], 0.5, 2),
        o1 = tensor([5, 7]),
        o2 = tensor([5, 7]);
      k.unary(Unary.Softplus, o1, x);
      k.fallback.unary(Unary.Softplus, o2, x);
      assert.equal(Array.from(o1.data), Array.from(o2.data));
      k.binary(Binary.Div, o1, x, b, Broadcast.Row);
      tsKernels.binary(Binary.Div, o2, x, b, Broadcast.Row);
      assert.equal(Array.from(o1.data), Array.from(o2.data));
      free(x, b, o1, o2);
    });

    test(`[${tag}] the start-up parity probe passes`, () => {
      const r = runParityProbe(k, memory, heap);
      assert.ok(r.ok, r.detail);
    });
  }

  test('shape errors name the kernel and the shapes', () => {
    const k = variants[0].k;
    const x = tensor([3, 4]),
      w = tensor([5, 6]),
      out = tensor([3, 5]);
    assert.throws(() => k.matmulNT(out, x, w, null, Act.None), /gpu matmulNT.*\[3, 4\].*\[5, 6\]/);
    assert.throws(() => k.matmulNN(out, x, w, false), /gpu matmulNN.*\[3, 4\].*\[5, 6\]/);
    assert.throws(() => k.matmulTN(out, x, w, false), /gpu matmulTN.*\[3, 4\].*\[5, 6\]/);
    assert.throws(() => k.sumCols(w, x), /gpu sumCols.*\[3, 4\].*\[5, 6\]/);
    assert.throws(
      () => k.adamw(x, w, x, x, { lr: 1, beta1: 0.9, beta2: 0.9, eps: 0, weightDecay: 0, step: 1 }),
      /gpu adamw: grad \[5, 6\]/,
    );
    assert.throws(
      () => k.splineForward(x, x, x, w, { bins: 8, bound: 5, slope: 1e-3 }),
      /gpu splineForward: params has 30 elements/,
    );
    free(x, w, out);
  });

  test('probeGpu answers, and --backend gpu without a GPU fails with the reasons', async () => {
    const p = probe;
    assert.type(p.reason, 'string');
    assert.ok(p.reason.length > 0);
    if (p.available) {
      assert.ok(isGpuMode(p.mode), `available with mode ${p.mode}`);
      return;
    }
    // No usable GPU here (CI): both entry points refuse instead of running on the CPU.
    await loadGpuKernels(memory, heap, { require: true }).then(
      () => assert.unreachable('require: true should fail without a GPU'),
      (e: Error) => assert.match(e.message, /^--backend gpu: /),
    );
    await createDevice({ backend: 'gpu' }).then(
      () => assert.unreachable('--backend gpu should fail without a GPU'),
      (e: Error) => {
        assert.match(e.message, /--backend gpu/);
        // the advice reads for the CLI and for a library caller alike; the probe's reason leaves it out
        assert.match(
          e.message,
          /Use the wasm backend \(--backend wasm or auto; createDevice\(\{ backend: 'wasm' \}\)\)$/,
        );
        assert.not.match(p.reason, /Use the wasm backend/);
      },
    );
  });

  test("without require, the gpu mode falls back to gpu.js's own CPU modes", async () => {
    const k = await loadGpuKernels(memory, heap, { mode: 'gpu', fallback: tsKernels });
    assert.ok(['webasm', 'cpu', 'headlessgl', 'webgl', 'webgl2', 'webgpu'].includes(k.mode), k.mode);
    assert.ok(runParityProbe(k, memory, heap).ok);
    k.dispose();
  });

  test.after(() => {
    for (const v of variants) v.k.dispose();
  });
}

test.run();
