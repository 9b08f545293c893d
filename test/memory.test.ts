/** The shared memory: growth never leaves a stale view; the arena rewinds; the heap reuses and merges. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Memory } from '../src/tensor/memory.js';
import { Arena, Heap } from '../src/tensor/allocator.js';
import { Tensor } from '../src/tensor/tensor.js';

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

test.run();
