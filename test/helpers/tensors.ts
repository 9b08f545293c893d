/** Heap tensors with deterministic data, and a bit-exact comparison, for the kernel tests. */
import * as assert from 'uvu/assert';
import type { Heap } from '../../src/tensor/allocator.js';
import type { Memory } from '../../src/tensor/memory.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { randomValues } from './devices.js';

/** A factory of heap tensors filled with fresh pseudo-random values in [lo, hi) on every call. */
export function tensorFactory(memory: Memory, heap: Heap): (shape: number[], lo?: number, hi?: number) => Tensor {
  let seed = 1;
  return (shape, lo = -1, hi = 1) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const t = new Tensor(memory, heap.alloc(n * 4), shape);
    t.data.set(randomValues(n, seed++ * 7919, lo, hi));
    return t;
  };
}

/** Bit-exact: compares the raw words, so −0 ≠ 0 and NaN payloads count. */
export function sameBits(what: string, got: Float32Array, want: Float32Array): void {
  assert.is(got.length, want.length, `${what}: length`);
  const g = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const w = new Uint32Array(want.buffer, want.byteOffset, want.length);
  for (let i = 0; i < g.length; i++) {
    if (g[i] !== w[i]) assert.unreachable(`${what}: element ${i}: got ${got[i]}, want ${want[i]}`);
  }
}
