/**
 * A float32 tensor: a shape and a byte offset into the shared kernel memory.
 *
 * Shapes are row-major; the engine works on 1-D `[n]` and 2-D `[rows, cols]` tensors (a batch of
 * rows is the only batching the flows need). `data` is a fresh view on each access, so it
 * stays valid across memory growth; do not hold it across allocations.
 */
import type { Memory } from './memory.js';

export type Shape = readonly number[];

export const sizeOf = (shape: Shape): number => shape.reduce((a, b) => a * b, 1);

export const shapeStr = (shape: Shape): string => `[${shape.join(', ')}]`;

export class Tensor {
  readonly size: number;

  constructor(
    readonly memory: Memory,
    /** Byte offset into the memory; always 64-byte aligned. */
    readonly ptr: number,
    readonly shape: Shape,
  ) {
    this.size = sizeOf(shape);
  }

  /** A Float32Array view on the tensor's elements (re-derive after any allocation). */
  get data(): Float32Array {
    const f = this.memory.f32();
    const start = this.ptr >>> 2;
    return f.subarray(start, start + this.size);
  }

  get rows(): number {
    return this.shape.length === 2 ? this.shape[0] : 1;
  }

  get cols(): number {
    return this.shape.length === 0 ? 1 : this.shape[this.shape.length - 1];
  }

  /** Same bytes, another shape of the same size. */
  reshape(shape: Shape): Tensor {
    if (sizeOf(shape) !== this.size) {
      throw new Error(`reshape: cannot view ${shapeStr(this.shape)} as ${shapeStr(shape)}`);
    }
    return new Tensor(this.memory, this.ptr, shape);
  }

  /** Copy out to an ordinary array that outlives the arena. */
  toArray(): Float32Array {
    return Float32Array.from(this.data);
  }

  /** Row-major nested JS arrays (tests and printing). */
  toNested(): number[][] {
    const d = this.data;
    const out: number[][] = [];
    for (let r = 0; r < this.rows; r++) out.push(Array.from(d.subarray(r * this.cols, (r + 1) * this.cols)));
    return out;
  }
}
