/**
 * The worker-thread pool: every kernel split over 2–4 threads gives exactly the bits of the
 * single-thread call, on shapes that do not divide evenly (thresholds lowered so even tiny calls
 * split, plus the real thresholds on big calls); a small MLP training step gives identical
 * parameters on 1 and 2 threads; a process with a pool exits by itself; a failing or vanished
 * worker becomes an Error naming the kernel.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Act, Binary, Broadcast, Unary, type SplineSpec } from '../src/backend/kernels.js';
import { loadWasmKernels, oversubscription, resolveThreads, type WasmKernels } from '../src/backend/wasm/index.js';
import { instantiateKernels, loadKernelModule } from '../src/backend/wasm/loader.js';
import { K, KERNELS } from '../src/backend/wasm/pool/protocol.js';
import { createDevice } from '../src/backend/index.js';
import { Memory } from '../src/tensor/memory.js';
import { Heap } from '../src/tensor/allocator.js';
import { Tensor } from '../src/tensor/tensor.js';
import { Tape } from '../src/autodiff/tape.js';
import { ParamSet } from '../src/autodiff/param.js';
import { linear, sum, square } from '../src/ops/index.js';
import type { Device } from '../src/backend/device.js';
import { randomValues } from './helpers/devices.js';
import { sameBits, tensorFactory } from './helpers/tensors.js';

const memory = new Memory();
const heap = new Heap(memory);
/** Split everything that has two grains of range: exercises the cuts, not the thresholds. */
const ALWAYS = { matmulFlops: 1, streaming: 1, mathMap: 1, spline: 1 };
const single = await loadWasmKernels(memory, heap, { threads: 1 });
/** Pools whose calling thread claims no chunks: every chunk provably runs on a worker. */
const workersOnly: WasmKernels[] = [];
for (const threads of [2, 3, 4]) {
  workersOnly.push(await loadWasmKernels(memory, heap, { threads, thresholds: ALWAYS, pool: { callerClaims: false } }));
}
/** The usual mix: the calling thread and a worker claim chunks as they come. */
const mixed = await loadWasmKernels(memory, heap, { threads: 2, thresholds: ALWAYS });
const real = await loadWasmKernels(memory, heap, { threads: 2 });
const threaded = [...workersOnly, mixed, real];
const tag = (k: WasmKernels) =>
  `${k.threads} threads${workersOnly.includes(k) ? ' (workers only)' : k === real ? ' (real thresholds)' : ''}`;

const tensor = tensorFactory(memory, heap);
const free = (...ts: (Tensor | null)[]) => ts.forEach((t) => t && heap.release(t.ptr));

/**
 * Run `fn` with the single-thread kernels and with each threaded set, each on fresh copies of
 * `outs` (so accumulating kernels start from the same values), and compare every output.
 */
function agree(what: string, outs: Tensor[], fn: (k: WasmKernels, outs: Tensor[]) => void): void {
  const start = outs.map((t) => t.toArray());
  fn(single, outs);
  const want = outs.map((t) => t.toArray());
  for (const k of threaded) {
    outs.forEach((t, i) => t.data.set(start[i]));
    fn(k, outs);
    outs.forEach((t, i) => sameBits(`${what}, ${tag(k)}, output ${i}`, t.data, want[i]));
  }
}

// (M, K, N): single rows, tails of the 4-row tile and 8-column panel, K beyond one 256 chunk, and
// one big enough that the real thresholds split it; 1537 rows: a weight gradient (TN) in two
// batch blocks (768 and 769 rows).
const MATMUL_SHAPES: [number, number, number][] = [
  [1, 3, 5],
  [5, 7, 3],
  [13, 9, 17],
  [131, 300, 21],
  [259, 130, 67],
  [1537, 12, 19],
];

test('matmulNT splits bit-identically: every activation, bias on and off', () => {
  for (const [M, K, N] of MATMUL_SHAPES) {
    for (const act of [Act.None, Act.Relu, Act.Elu, Act.Tanh]) {
      for (const withBias of [false, true]) {
        const x = tensor([M, K]),
          w = tensor([N, K]),
          bias = withBias ? tensor([N]) : null,
          out = tensor([M, N]);
        agree(`NT ${M}×${K}×${N} act ${act} bias ${withBias}`, [out], (k, [o]) => k.matmulNT(o, x, w, bias, act));
        free(x, w, bias, out);
      }
    }
  }
});

test('matmulNN and matmulTN split bit-identically, accumulate on and off', () => {
  for (const [M, K, N] of MATMUL_SHAPES) {
    for (const acc of [false, true]) {
      const a = tensor([M, K]),
        b = tensor([K, N]),
        out = tensor([M, N]);
      agree(`NN ${M}×${K}×${N} acc ${acc}`, [out], (k, [o]) => k.matmulNN(o, a, b, acc));
      // TN: a [R, M'], b [R, N] → out [M', N]; R = M rows of the batch.
      const ta = tensor([M, K]),
        tb = tensor([M, N]),
        tout = tensor([K, N]);
      agree(`TN R ${M}, ${K}×${N} acc ${acc}`, [tout], (k, [o]) => k.matmulTN(o, ta, tb, acc));
      free(a, b, out, ta, tb, tout);
    }
  }
});

test('unary splits bit-identically for every op', () => {
  const domain: Record<number, [number, number]> = {
    [Unary.Log]: [1e-3, 50],
    [Unary.Sqrt]: [0, 50],
    [Unary.Reciprocal]: [0.01, 10],
    [Unary.Exp]: [-20, 20],
  };
  for (let op = Unary.Neg; op <= Unary.Reciprocal; op++) {
    for (const n of [1, 17, 1001, 70_003]) {
      const [lo, hi] = domain[op] ?? [-6, 6];
      const x = tensor([n], lo, hi),
        out = tensor([n]);
      agree(`unary ${op} n ${n}`, [out], (k, [o]) => k.unary(op, o, x));
      free(x, out);
    }
  }
});

test('fill splits bit-identically', () => {
  for (const n of [1, 17, 1001, 70_003]) {
    const out = tensor([n]);
    for (const value of [0, 3.25]) agree(`fill ${value} n ${n}`, [out], (k, [o]) => k.fill(o, value));
    free(out);
  }
});

test('binary splits bit-identically for every op and broadcast mode', () => {
  for (let op = Binary.Add; op <= Binary.Div; op++) {
    for (let mode = Broadcast.Same; mode <= Broadcast.Scalar; mode++) {
      for (const [M, N] of [
        [1, 1],
        [3, 5],
        [37, 129],
        [517, 259],
        [1023, 2],
        [517, 4],
        [2049, 1],
      ]) {
        const bShape =
          mode === Broadcast.Same ? [M, N] : mode === Broadcast.Row ? [N] : mode === Broadcast.Col ? [M] : [1];
        const a = tensor([M, N]),
          b = tensor(bShape, 0.5, 2),
          out = tensor([M, N]);
        agree(`binary ${op} mode ${mode} ${M}×${N}`, [out], (k, [o]) => k.binary(op, o, a, b, mode));
        free(a, b, out);
      }
    }
  }
});

test('actBackward splits bit-identically for every activation', () => {
  for (const act of [Act.None, Act.Relu, Act.Elu, Act.Tanh]) {
    for (const n of [1, 19, 1001, 70_003]) {
      const y = tensor([n], act === Act.Relu ? -1 : -0.99, 0.99),
        dy = tensor([n]),
        dx = tensor([n]);
      agree(`actBackward ${act} n ${n}`, [dx], (k, [o]) => k.actBackward(act, o, dy, y));
      free(y, dy, dx);
    }
  }
});

test('sumRows / sumCols / sumAll split bit-identically (sumAll over many blocks too)', () => {
  for (const [M, N] of [
    [1, 1],
    [3, 5],
    [1, 9],
    [37, 129],
    [129, 37],
    [517, 259],
    [3, 100_003],
    [1031, 13],
    [4099, 6],
  ]) {
    const x = tensor([M, N]),
      r = tensor([N]),
      c = tensor([M]),
      s = tensor([1]);
    agree(`sums ${M}×${N}`, [r, c, s], (k, [r1, c1, s1]) => {
      k.sumRows(r1, x);
      k.sumCols(c1, x);
      k.sumAll(s1, x);
    });
    free(x, r, c, s);
  }
});

test('sumAll is the float64 sum rounded once (one block) and close to it over many blocks', () => {
  for (const n of [5, 4096, 300_009]) {
    const x = tensor([n]),
      s = tensor([1]);
    let exact = 0;
    for (const v of x.data) exact += v;
    for (const k of [single, ...threaded]) {
      k.sumAll(s, x);
      if (n <= 4096) assert.is(s.data[0], Math.fround(exact), `${tag(k)} n ${n}`);
      else
        assert.ok(
          Math.abs(s.data[0] - exact) <= 1e-6 * Math.abs(exact) + 1e-3,
          `${tag(k)} n ${n}: ${s.data[0]} vs ${exact}`,
        );
    }
    free(x, s);
  }
});

test('adamw splits bit-identically over several steps', () => {
  for (const n of [1, 33, 70_003]) {
    const p = tensor([n]),
      m = tensor([n], 0, 0),
      v = tensor([n], 0, 0);
    const grads = [1, 2, 3].map(() => tensor([n], -2, 2));
    agree(`adamw n ${n}`, [p, m, v], (k, [pp, mm, vv]) => {
      grads.forEach((g, i) =>
        k.adamw(pp, g, mm, vv, { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, step: i + 1 }),
      );
    });
    free(p, m, v, ...grads);
  }
});

test('spline forward / inverse / backward split bit-identically', () => {
  const spec: SplineSpec = { bins: 8, bound: 5, slope: 1e-3 };
  const P = 3 * spec.bins - 1;
  for (const n of [1, 17, 999, 5003]) {
    // x beyond ±bound too: the identity tails.
    const x = tensor([n], -6, 6),
      params = tensor([n, P], -2, 2),
      gy = tensor([n]),
      gl = tensor([n]);
    const y = tensor([n]),
      ladj = tensor([n]),
      xi = tensor([n]),
      li = tensor([n]),
      dx = tensor([n]),
      dp = tensor([n, P]);
    agree(`spline forward n ${n}`, [y, ladj], (k, [a, b]) => k.splineForward(a, b, x, params, spec));
    agree(`spline inverse n ${n}`, [xi, li], (k, [a, b]) => k.splineInverse(a, b, y, params, spec));
    agree(`spline backward n ${n}`, [dx, dp], (k, [a, b]) => k.splineBackward(a, b, gy, gl, x, params, spec));
    // The forward saving its masses, and the backward reading them back.
    const saved = tensor([n, 2 * spec.bins]),
      dxS = tensor([n]),
      dpS = tensor([n, P]);
    agree(`spline forward saving masses n ${n}`, [y, ladj, saved], (k, [a, b, c]) =>
      k.splineForward(a, b, x, params, spec, c),
    );
    agree(`spline backward from saved masses n ${n}`, [dxS, dpS], (k, [a, b]) =>
      k.splineBackward(a, b, gy, gl, x, params, spec, saved),
    );
    sameBits(`spline backward n ${n}: saved masses vs recomputed, dx`, dxS.data, dx.data);
    sameBits(`spline backward n ${n}: saved masses vs recomputed, dparams`, dpS.data, dp.data);
    free(x, params, gy, gl, y, ladj, xi, li, dx, dp, saved, dxS, dpS);
  }
});

test('block-range matmuls (NT, NN, TN cut by work) and gather split bit-identically', () => {
  for (const [M, K, N] of MATMUL_SHAPES) {
    // Prefix ranges like a sorted masked layer's, some rows empty; W zero outside them.
    const rw = tensor([N, 2]),
      rc = tensor([K, 2]);
    for (let n = 0; n < N; n++) rw.data.set([0, n % 3 === 2 ? 0 : Math.max(1, Math.round((K * (n + 1)) / N))], 2 * n);
    for (let k = 0; k < K; k++) rc.data.set([Math.floor((N * k) / (2 * K)), N], 2 * k);
    const x = tensor([M, K]),
      w = tensor([N, K]),
      wk = tensor([N, K]),
      dy = tensor([M, N]);
    for (let n = 0; n < N; n++)
      for (let k = 0; k < K; k++) {
        if (k >= rw.data[2 * n + 1]) w.data[n * K + k] = 0;
        if (n < rc.data[2 * k]) wk.data[n * K + k] = 0;
      }
    const o1 = tensor([M, N]),
      o2 = tensor([M, K]),
      o3 = tensor([N, K]);
    agree(`NT ranges ${M}×${K}×${N}`, [o1], (k, [o]) => k.matmulNT(o, x, w, null, Act.Elu, rw));
    agree(`NN ranges ${M}×${K}×${N}`, [o2], (k, [o]) => k.matmulNN(o, dy, wk, false, rc));
    agree(`TN ranges ${M}×${K}×${N}`, [o3], (k, [o]) => k.matmulTN(o, dy, x, false, rw));
    free(rw, rc, x, w, wk, dy, o1, o2, o3);
  }
  for (const n of [1, 17, 5003]) {
    const src = tensor([n]),
      scale = tensor([n]),
      index = tensor([n]),
      out = tensor([n]);
    index.data.set(Array.from({ length: n }, (_, e) => (e * 7919) % n));
    agree(`gather n ${n}`, [out], (k, [o]) => k.gather(o, src, index, scale));
    free(src, scale, index, out);
  }
});

/** Two linear layers, loss Σ(h²), three AdamW steps; returns the parameters. */
function trainMlp(dev: Device): Float32Array {
  const [B, I, H, O] = [1024, 6, 128, 67];
  const ps = new ParamSet(dev, [
    { name: 'w1', shape: [H, I] },
    { name: 'b1', shape: [H] },
    { name: 'w2', shape: [O, H] },
    { name: 'b2', shape: [O] },
  ]);
  ps.values.data.set(randomValues(ps.values.size, 11, -0.3, 0.3));
  const m = dev.persistent([ps.values.size]),
    v = dev.persistent([ps.values.size]);
  const x = randomValues(B * I, 12);
  for (let step = 1; step <= 3; step++) {
    ps.zeroGrad();
    const tape = new Tape(dev);
    const [w1, b1, w2, b2] = ['w1', 'b1', 'w2', 'b2'].map((n) => tape.param(ps.get(n)));
    const h = linear(tape.constant(dev.tensor(x, [B, I])), w1, b1, { activation: Act.Tanh });
    const loss = sum(square(linear(h, w2, b2, { activation: Act.Elu })));
    tape.backward(loss);
    dev.kernels.adamw(ps.values, ps.grads, m, v, {
      lr: 1e-2,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      weightDecay: 0.01,
      step,
    });
    dev.arena.reset();
  }
  return ps.values.toArray();
}

test('the workers ran the chunks in the tests above', () => {
  for (const k of workersOnly) {
    const ran = k.pool!.chunksRun();
    assert.is(ran[0], 0, `${tag(k)}: the calling thread ran chunks`);
    assert.ok(ran.slice(1).reduce((a, b) => a + b) > 100, `${tag(k)}: chunks per thread ${ran.join(', ')}`);
  }
});

test('an MLP training step gives identical parameters on 1 and 2 threads', async () => {
  const one = await createDevice({ backend: 'wasm', threads: 1 });
  const two = await createDevice({ backend: 'wasm', threads: 2 });
  assert.is((two.kernels as WasmKernels).threads, 2);
  const a = trainMlp(one),
    b = trainMlp(two);
  sameBits('MLP parameters after 3 steps', b, a);
  // The step moved them (the test would pass vacuously on a no-op).
  assert.ok(a.some((v, i) => v !== randomValues(a.length, 11, -0.3, 0.3)[i]));
  (one.kernels as WasmKernels).dispose();
  (two.kernels as WasmKernels).dispose();
});

test('threads: option, then FNF_THREADS, then the core count (at most 8); bad values are errors', () => {
  assert.is(resolveThreads(3, '5'), 3);
  assert.is(resolveThreads(undefined, '5'), 5);
  const d = resolveThreads(undefined, undefined);
  assert.ok(d >= 1 && d <= 8);
  assert.throws(() => resolveThreads(undefined, 'two'), /FNF_THREADS.*'two'/);
  assert.throws(() => resolveThreads(0), /--threads.*'0'/);
});

test('more kernel threads than CPUs is worth a warning, as many or fewer is not', () => {
  assert.is(oversubscription(2, 2), null);
  assert.is(oversubscription(1, 4), null);
  assert.match(oversubscription(4, 2) ?? '', /^4 kernel threads on 2 CPUs: .*slower than --threads 2$/);
  assert.match(oversubscription(2, 1) ?? '', /^2 kernel threads on 1 CPU: /);
});

/** A child Node process, with `flags`, that opens a 2-thread pool (FNF_THREADS) and runs one split call. */
function poolChild(flags: string[], fromFile: boolean): ReturnType<typeof spawnSync> {
  const device = pathToFileURL(fileURLToPath(new URL('../src/backend/index.js', import.meta.url))).href;
  const script = `
    import { createDevice } from ${JSON.stringify(device)};
    const dev = await createDevice({ backend: 'wasm' });
    const x = dev.tensor(new Float32Array(512 * 128).fill(1), [512, 128]);
    const w = dev.tensor(new Float32Array(64 * 128).fill(0.5), [64, 128]);
    const y = dev.empty([512, 64]);
    dev.kernels.matmulNT(y, x, w, null, 0);
    process.stdout.write(['threads', dev.kernels.threads, 'y', y.data[0], y.data[512 * 64 - 1]].join(' '));`;
  let entry = ['--input-type=module', '-e', script];
  if (fromFile) {
    const file = join(mkdtempSync(join(tmpdir(), 'fnf-pool-')), 'child.mjs');
    writeFileSync(file, script);
    entry = [file];
  }
  // The timeout only catches a hang; a clean run takes well under a second.
  return spawnSync(process.execPath, [...flags, ...entry], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, FNF_THREADS: '2' },
  });
}

test('a process with a 2-thread pool (from FNF_THREADS) exits by itself after a kernel call', () => {
  const r = poolChild([], false);
  assert.is(r.signal, null, `child hung and was killed; stderr: ${r.stderr}`);
  assert.is(r.status, 0, `child failed: ${r.stderr}`);
  assert.is(String(r.stdout).trim(), 'threads 2 y 64 64');
});

test('Node options a worker cannot take (V8 heap size, --expose-gc, --title) do not stop the pool', () => {
  // Given to a Worker explicitly they throw ERR_WORKER_INVALID_EXEC_ARGV; a script file, or
  // an inline one (whose -e and --input-type the workers must not get).
  for (const fromFile of [true, false]) {
    const r = poolChild(['--max-old-space-size=512', '--expose-gc', '--title=fnf-test'], fromFile);
    assert.is(r.status, 0, `${fromFile ? 'file' : '-e'}: child failed: ${r.stderr}`);
    assert.is(String(r.stdout).trim(), 'threads 2 y 64 64');
  }
});

test('a trap in a worker becomes an Error naming the kernel, and the pool keeps working', () => {
  const k = mixed; // 2 threads: chunk 0 is rows [0, 32), chunk 1 rows [32, 64)
  const M = 64,
    K = 16,
    N = 8;
  // x's second half lies past the end of memory: only chunk 1 reads out of bounds.
  const w = tensor([N, K]),
    out = tensor([M, N]);
  const x = new Tensor(memory, memory.byteLength - (M / 2) * K * 4, [M, K]);
  assert.throws(() => k.matmulNT(out, x, w, null, Act.None), /matmulNT.*chunk 1 of 2.*out of bounds/);
  // On a worker for certain: the message says which one.
  assert.throws(
    () => workersOnly[0].matmulNT(out, x, w, null, Act.None),
    /matmulNT.*chunk 1 of 2, in worker thread 0.*out of bounds/,
  );
  // The trap was caught (in whichever thread ran chunk 1): the next call runs normally.
  const xs = tensor([M, K]),
    want = tensor([M, N]);
  single.matmulNT(want, xs, w, null, Act.None);
  k.matmulNT(out, xs, w, null, Act.None);
  sameBits('after a trap', out.data, want.data);
  free(w, out, xs, want);
});

test('a worker that has gone makes the next call an Error, not a hang', async () => {
  const k = await loadWasmKernels(memory, heap, { threads: 2, thresholds: ALWAYS });
  await k.pool!.terminateWorker(0);
  const a = tensor([64]),
    out = tensor([64]);
  assert.throws(() => k.unary(Unary.Neg, out, a), /unary.*pool is unusable.*worker thread 0/);
  k.dispose();
  free(a, out);
});

test("pool kernel table: K is each entry's index, every entry an export with its argument count", async () => {
  const { module } = await loadKernelModule();
  const exports = instantiateKernels(module, new Memory().wasm);
  assert.is(Object.keys(K).length, KERNELS.length);
  KERNELS.forEach((k, i) => {
    assert.is(K[k.id], i, k.id);
    const fn = (exports as unknown as Record<string, unknown>)[k.name];
    assert.type(fn, 'function', k.name);
    assert.is((fn as (...a: number[]) => unknown).length, k.nargs, `${k.name} takes ${k.nargs} arguments`);
    assert.ok(k.range + 1 < k.nargs && k.scratch < k.nargs, `${k.name}: range and scratch slots inside the arguments`);
  });
});

test.run();
