/**
 * The shared memory: growth never leaves a stale view; the arena rewinds; the heap reuses and
 * merges; a freed model gives every byte back.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { Memory } from '../src/tensor/memory.js';
import { Arena, Heap } from '../src/tensor/allocator.js';
import { Tensor } from '../src/tensor/tensor.js';
import { createDevice } from '../src/backend/index.js';
import type { Device } from '../src/backend/device.js';
import { checkpointOf, loadBaseFlow, loadResidualModel } from '../src/models/load.js';
import type { Checkpoint } from '../src/io/checkpoint-codec.js';
import { ParamSet } from '../src/autodiff/param.js';
import { Rng } from '../src/random/rng.js';
import { REPO } from './helpers/shared.js';

test('a tensor made before the memory grows still reads and writes the same bytes after', () => {
  const mem = new Memory(2 << 20);
  const heap = new Heap(mem);
  const t = new Tensor(mem, heap.alloc(16), [4]);
  t.data.set([1, 2, 3, 4]);
  const before = mem.byteLength;
  heap.alloc(64 << 20); // forces growth
  assert.ok(mem.byteLength > before, 'memory grew');
  assert.equal(Array.from(t.data), [1, 2, 3, 4]);
  t.data[2] = 9;
  assert.is(mem.f32()[(t.ptr >>> 2) + 2], 9);
});

test('the arena hands out 64-byte aligned, non-overlapping blocks and rewinds', () => {
  const mem = new Memory();
  const arena = new Arena(new Heap(mem), 1 << 16);
  const a = arena.alloc(100),
    b = arena.alloc(5000),
    c = arena.alloc(1 << 17);
  for (const p of [a, b, c]) assert.is(p % 64, 0);
  assert.ok(b >= a + 100 && (c >= b + 5000 || c + (1 << 17) <= a));
  const m = arena.mark();
  const d = arena.alloc(64);
  arena.rewind(m);
  assert.is(arena.alloc(64), d);
  arena.reset();
  assert.is(arena.alloc(100), a);
});

test('the heap reuses released blocks and tracks live bytes', () => {
  const heap = new Heap(new Memory());
  const a = heap.alloc(1000);
  const b = heap.alloc(1000);
  heap.release(a);
  assert.is(heap.alloc(500), a);
  assert.throws(() => heap.release(12345), /unknown block/);
  heap.release(b);
  assert.ok(heap.liveBytes > 0);
});

test('released neighbours merge: freeing everything gives the heap back from its start', () => {
  const heap = new Heap(new Memory());
  const sizes = [100, 5000, 64, 1 << 16, 640];
  const ptrs = sizes.map((n) => heap.alloc(n));
  const first = ptrs[0];
  const live = heap.liveBytes;
  // Out of order, so blocks are merged with the one below, the one above, and both.
  for (const i of [1, 3, 0, 4, 2]) heap.release(ptrs[i]);
  assert.is(heap.liveBytes, 0);
  // One block the size of all of them fits where the first was: nothing is left in pieces.
  const all = heap.alloc(live);
  assert.is(all, first);
  heap.release(all);
  // A block freed below a live one is reused by first fit, and merged when its neighbour goes too.
  const a = heap.alloc(1000),
    b = heap.alloc(1000),
    c = heap.alloc(1000);
  heap.release(a);
  heap.release(b);
  assert.is(heap.alloc(2000), a, 'a and b merged');
  heap.release(a);
  heap.release(c);
  assert.is(heap.alloc(3000), first);
});

// ---- models: params.free() releases everything a model holds on the heap ----

const FLOW = join(REPO, 'models', 'kin_density.safetensors');
const RESIDUAL = join(REPO, 'models', 'kin_density_residuals.safetensors');
const mdev = await createDevice({ backend: 'wasm', threads: 1 });

/** Where the heap's next block would go: the same only if freed memory was merged back. */
function nextBlock(d: Device): number {
  const p = d.heap.alloc(64);
  d.heap.release(p);
  return p;
}

const xs = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i) * 1.5);
const ctx = Float32Array.of(1, 0); // one context row for all: the shared-context split
const nu = Float32Array.of(0.3, -0.2);

test('loading and freeing a base flow or a residual model again and again leaves no byte behind', () => {
  const live = mdev.heap.liveBytes;
  const next = nextBlock(mdev);
  for (let i = 0; i < 5; i++) {
    const flow = loadBaseFlow(mdev, FLOW);
    assert.ok(mdev.heap.liveBytes > live);
    flow.params.free();
    assert.is(mdev.heap.liveBytes, live, `flow cycle ${i}`);
  }
  for (let i = 0; i < 5; i++) {
    const m = loadResidualModel(mdev, RESIDUAL);
    m.params.free();
    m.base.params.free();
    assert.is(mdev.heap.liveBytes, live, `residual cycle ${i}`);
  }
  // And the freed blocks were merged: the heap did not grow past them.
  assert.is(nextBlock(mdev), next);
});

test('what a model builds on first use (context splits, frozen-pass ranges) is freed with it', () => {
  const cycle = () => {
    const m = loadResidualModel(mdev, RESIDUAL);
    m.logProb(xs, { context: ctx, nu });
    m.logProbGrad(xs, { context: ctx, nu }); // frozen base, x wants a gradient: the live ranges
    m.sample(16, { context: ctx, nu }, Rng.fromSeed(1));
    m.params.free();
    m.base.params.free();
  };
  // The first evaluation takes the device's arena and kernel scratch from the heap (the
  // device's, not the model's): the count starts after it.
  cycle();
  mdev.arena.reset();
  const live = mdev.heap.liveBytes;
  for (let i = 0; i < 3; i++) {
    cycle();
    mdev.arena.reset();
    assert.is(mdev.heap.liveBytes, live, `cycle ${i}`);
  }
});

test('freeing a residual model releases its own memory; its base is a model of its own', () => {
  const live = mdev.heap.liveBytes;
  const m = loadResidualModel(mdev, RESIDUAL);
  const before = m.base.logProb(xs, { context: ctx });
  const withBase = mdev.heap.liveBytes; // after the base's first evaluation built its splits
  m.params.free();
  const baseOnly = mdev.heap.liveBytes;
  assert.ok(baseOnly < withBase && baseOnly > live);
  // Overwrite what the freed residual held, so a use of it would read garbage, not its numbers.
  const other = loadResidualModel(mdev, RESIDUAL);
  other.params.free();
  other.base.params.free();
  assert.throws(() => m.logProb(xs, { context: ctx, nu }), /logProb: the model's parameters were freed/);
  assert.throws(() => m.params.free(), /freed already/);
  // The base still works, with its own memory intact.
  assert.equal(m.base.logProb(xs, { context: ctx }), before);
  m.base.params.free();
  assert.is(mdev.heap.liveBytes, live);
  assert.throws(() => m.base.logProb(xs, { context: ctx }), /NSF\.logProb: the model's parameters were freed/);
});

test('a freed model builds nothing new on the heap: that is the freed-parameters error', () => {
  const ps = new ParamSet(mdev, [{ name: 'w', shape: [4] }]);
  ps.persistent([8], new Float32Array(8).fill(1));
  ps.free();
  assert.throws(() => ps.persistent([8]), /ParamSet\.persistent: the model's parameters were freed/);
});

test('a checkpoint refused after its model was built gives the memory back', () => {
  const without = (path: string, key: string): Checkpoint => {
    const ck = checkpointOf(path);
    const dict = new Map(ck.dict);
    assert.ok(dict.delete(key), key);
    return { ...ck, dict };
  };
  const live = mdev.heap.liveBytes;
  // the flow's base buffers are read last; the residual's masks after its parameters
  assert.throws(() => loadBaseFlow(mdev, without(FLOW, 'base.loc')), /base\.loc/);
  assert.is(mdev.heap.liveBytes, live);
  assert.throws(() => loadResidualModel(mdev, without(RESIDUAL, 'base_model.base.scale')), /base\.scale/);
  assert.is(mdev.heap.liveBytes, live);
  const mask = 'transforms.0.nuisance_nets.1.4.mask';
  assert.throws(() => loadResidualModel(mdev, without(RESIDUAL, mask)), /nuisance_nets\.1\.4\.mask/);
  assert.is(mdev.heap.liveBytes, live);
});

test.run();
