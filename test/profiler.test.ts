/** The profiler behind `npm run bench -- --profile`: what it counts, and that it changes no result. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Tape } from '../src/autodiff/tape.js';
import { Profiler } from '../src/backend/profiler.js';
import { createDevice } from '../src/backend/index.js';
import type { Device } from '../src/backend/device.js';
import * as op from '../src/ops/index.js';
import { randomValues, tsDevice } from './helpers/devices.js';
import { loadWasmKernels } from '../src/backend/wasm/index.js';
import { instantiateKernels, loadKernelModule } from '../src/backend/wasm/loader.js';
import { KernelPoolCore } from '../src/backend/wasm/pool/pool-core.js';
import { CONTROL_BYTES, K } from '../src/backend/wasm/pool/protocol.js';
import { Memory } from '../src/tensor/memory.js';
import { Heap } from '../src/tensor/allocator.js';
import { Tensor } from '../src/tensor/tensor.js';

/** y = Σ tanh(x·Wᵀ) ⊙ x·Wᵀ on a tape, with its gradient with respect to x. */
function step(dev: Device, x: Float32Array, w: Float32Array): { y: number; dx: Float32Array } {
  const tape = new Tape(dev);
  const xv = tape.leaf(dev.tensor(x, [64, 16]));
  const h = op.matmul(xv, tape.constant(dev.tensor(w, [16, 8])));
  const y = op.sum(op.mul(op.tanh(h), h));
  tape.backward(y);
  const out = { y: y.value.data[0], dx: Float32Array.from(xv.grad!.data) };
  dev.arena.reset();
  return out;
}

test('a profiled view counts every kernel call and op, forward and backward, and changes no bit', () => {
  const dev = tsDevice();
  const x = randomValues(64 * 16, 1),
    w = randomValues(8 * 16, 2);
  const plain = step(dev, x, w);
  const p = new Profiler(dev);
  p.reset();
  const seen = step(p.device, x, w);
  const r = p.report();
  assert.is(seen.y, plain.y);
  assert.equal(seen.dx, plain.dx);
  // forward: matmul, tanh, mul, sum; backward: the same four ops.
  assert.equal(Object.keys(r.forward).sort(), ['matmul', 'mul', 'sum', 'tanh']);
  assert.equal(Object.keys(r.backward).sort(), ['matmul', 'mul', 'sum', 'tanh']);
  for (const s of [...Object.values(r.forward), ...Object.values(r.backward)]) assert.is(s.calls, 1);
  assert.ok(r.kernels.matmulNN.calls >= 1, 'the forward product ran as matmulNN');
  assert.ok(r.kernels.matmulNT.calls >= 1, 'the input gradient ran as matmulNT');
  assert.ok(r.kernelMs > 0 && r.kernelMs <= r.wallMs);
  assert.ok(r.outsideKernels >= 0 && r.outsideKernels < 1);
  assert.equal(r.threads, [], 'no pool on the ts backend');
});

test('reset forgets what came before', () => {
  const dev = tsDevice();
  const p = new Profiler(dev);
  step(p.device, randomValues(64 * 16, 3), randomValues(8 * 16, 4));
  p.reset();
  const r = p.report();
  assert.equal(r.kernels, {});
  assert.equal(r.forward, {});
});

test('wasm with a worker: per-thread busy time of the split calls, and the rest run whole', async () => {
  const dev = await createDevice({ backend: 'wasm', threads: 2 });
  try {
    const x = randomValues(1024 * 128, 5),
      w = randomValues(128 * 128, 6);
    const big = (d: Device) => {
      const tape = new Tape(d, { grad: false });
      const y = op.matmul(tape.constant(d.tensor(x, [1024, 128])), tape.constant(d.tensor(w, [128, 128])));
      const out = Float32Array.from(y.value.data);
      d.arena.reset();
      return out;
    };
    const plain = big(dev);
    for (let i = 0; i < 3; i++) big(dev); // first calls grow the packing scratch
    const p = new Profiler(dev);
    p.reset();
    const seen = big(p.device);
    const r = p.report();
    assert.equal(seen, plain);
    assert.is(r.threads.length, 2);
    assert.ok(r.splitMs > 0, 'a 1024×128×128 product is split over the pool');
    assert.ok(r.threads[0].busyMs > 0 || r.threads[1].busyMs > 0, 'some thread ran the chunks');
    // A chunk runs inside the call that the caller times, on whichever thread.
    for (const t of r.threads) assert.ok(t.busyMs <= r.splitMs * 1.1 + 1, `thread ${t.thread}: ${t.busyMs} ms`);
    // Profiling is off again: the counters stay where they were.
    const after = (dev.kernels as unknown as { pool: { threadTimes(): { busyMs: number[] } } }).pool.threadTimes();
    big(dev);
    const later = (dev.kernels as unknown as { pool: { threadTimes(): { busyMs: number[] } } }).pool.threadTimes();
    assert.equal(later.busyMs, after.busyMs);
  } finally {
    (dev.kernels as { dispose?: () => void }).dispose?.();
  }
});

/** A pool whose one worker never starts: whatever it is given, the caller runs alone. */
class AbsentWorkerPool extends KernelPoolCore {
  constructor() {
    super(1, new SharedArrayBuffer(CONTROL_BYTES), { workers: 1 });
  }
  terminateWorker(): Promise<number> {
    return Promise.resolve(0);
  }
}

test('the pool counts split calls the caller had to run alone', async () => {
  const memory = new Memory();
  const heap = new Heap(memory);
  const { module } = await loadKernelModule();
  const exports = instantiateKernels(module, memory.wasm) as unknown as Record<string, unknown>;
  const n = 4096;
  const ptr = heap.alloc(n * 4);
  const pool = new AbsentWorkerPool();
  pool.setProfiling(true);
  // fill(out, value, e0, e1) over [0, n) in two chunks, then in one.
  pool.run('fill', K.Fill, [ptr, 3, 0, n], [0, n / 2, n], null, exports);
  pool.run('fill', K.Fill, [ptr, 5, 0, n], [0, n / 2, n], null, exports);
  pool.run('fill', K.Fill, [ptr, 7, 0, n], [0, n], null, exports);
  const t = pool.threadTimes();
  assert.is(t.calls, 3);
  assert.is(t.aloneCalls, 2, 'both two-chunk calls ran wholly on the caller; a one-chunk call is not counted');
  assert.ok(t.aloneMs > 0 && t.aloneMs <= t.callMs, `${t.aloneMs} ms of ${t.callMs}`);
  assert.is(t.wakeups, 0);
  assert.equal(pool.chunksRun(), [5, 0]);
  assert.ok(new Float32Array(memory.wasm.buffer, ptr, n).every((v) => v === 7));
  pool.setProfiling(false);
});

test('a worker asleep between calls is counted each time a call wakes it; the caller ran nothing alone', async () => {
  const memory = new Memory();
  const heap = new Heap(memory);
  // The worker sleeps 1 µs after each job; the caller claims nothing, so the worker runs every chunk.
  const kernels = await loadWasmKernels(memory, heap, {
    threads: 2,
    thresholds: { matmulFlops: 1, streaming: 1, mathMap: 1, spline: 1 },
    pool: { callerClaims: false, spinMicros: 1 },
  });
  try {
    const pool = (kernels as unknown as { pool: KernelPoolCore }).pool;
    const t = new Tensor(memory, heap.alloc(4096 * 4), [4096]);
    const pause = () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    pause();
    pool.setProfiling(true);
    for (let i = 0; i < 3; i++) {
      kernels.fill(t, i);
      pause(); // long enough for the worker to go back to sleep
    }
    const r = pool.threadTimes();
    assert.is(r.calls, 3);
    assert.is(r.aloneCalls, 0);
    assert.is(r.aloneMs, 0);
    assert.is(r.wakeups, 3, `woken ${r.wakeups} times`);
    pool.setProfiling(false);
  } finally {
    kernels.dispose();
  }
});

test.run();
