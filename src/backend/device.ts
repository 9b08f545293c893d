/**
 * A Device = one shared memory + its allocators + the kernel table of one backend.
 *
 * Nothing here is global: a program creates a device and passes it (or tensors that carry it)
 * around. Tests create a ts and a wasm device side by side.
 */
import { Memory } from '../tensor/memory.js';
import { Arena, Heap } from '../tensor/allocator.js';
import { Tensor, sizeOf, type Shape } from '../tensor/tensor.js';
import type { Kernels } from './kernels.js';

export type BackendName = 'ts' | 'wasm' | 'gpu';

/** From this many elements `zeros` fills by kernel: below, the call costs more than the loop. */
const ZEROS_BY_KERNEL = 1024;

/**
 * Told about every op a tape sees (the profiler's hook; null on every device but a profiled one).
 * `opRecorded` comes as an op finishes its forward pass, `opBackward` after its backward rule ran.
 */
export interface OpObserver {
  opRecorded(op: string): void;
  opBackward(op: string, ms: number): void;
}

/**
 * What hands out persistent tensors: a device (the caller frees them), or a model's `ParamSet`
 * (they are freed with the parameters). Layout builders take either, so a model's auxiliary
 * tensors can be owned by its parameters while tests and benches build them on a bare device.
 */
export interface PersistentAllocator {
  persistent(shape: Shape, values?: ArrayLike<number>): Tensor;
}

export class Device implements PersistentAllocator {
  readonly heap: Heap;
  readonly arena: Arena;

  constructor(
    readonly memory: Memory,
    readonly kernels: Kernels,
    heap?: Heap,
    arena?: Arena,
    readonly observer: OpObserver | null = null,
  ) {
    this.heap = heap ?? new Heap(memory);
    this.arena = arena ?? new Arena(this.heap);
  }

  /**
   * The same memory, heap and arena seen through other kernels and an op observer: a profiled
   * view of this device (tensors and models made on either work on both).
   */
  instrumented(kernels: Kernels, observer: OpObserver | null): Device {
    return new Device(this.memory, kernels, this.heap, this.arena, observer);
  }

  get backend(): string {
    return this.kernels.name;
  }

  /** Uninitialised step-scoped tensor (valid until `arena.reset()`). */
  empty(shape: Shape): Tensor {
    return new Tensor(this.memory, this.arena.alloc(sizeOf(shape) * 4), shape);
  }

  zeros(shape: Shape): Tensor {
    const t = this.empty(shape);
    // Large ones by kernel (a JavaScript fill of the shared memory is an element loop).
    if (t.size >= ZEROS_BY_KERNEL) this.kernels.fill(t, 0);
    else t.data.fill(0);
    return t;
  }

  /** Step-scoped tensor holding a copy of `values`. */
  tensor(values: ArrayLike<number>, shape: Shape = [values.length]): Tensor {
    if (values.length !== sizeOf(shape)) {
      throw new Error(`tensor: ${values.length} values do not fill shape [${shape.join(', ')}]`);
    }
    const t = this.empty(shape);
    t.data.set(values);
    return t;
  }

  scalar(v: number): Tensor {
    return this.tensor([v], [1]);
  }

  /** Persistent tensor (parameters, optimizer state); lives until `free`. */
  persistent(shape: Shape, values?: ArrayLike<number>): Tensor {
    const t = new Tensor(this.memory, this.heap.alloc(sizeOf(shape) * 4), shape);
    if (values) t.data.set(values);
    else t.data.fill(0);
    return t;
  }

  free(t: Tensor): void {
    this.heap.release(t.ptr);
  }

  /**
   * Run `fn` and rewind the arena afterwards, keeping only what `fn` copied out. For long
   * evaluations (100k points in chunks) so temporaries do not pile up.
   */
  scoped<T>(fn: () => T): T {
    const m = this.arena.mark();
    try {
      return fn();
    } finally {
      this.arena.rewind(m);
    }
  }
}
