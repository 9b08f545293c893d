/**
 * A trainable (or frozen) parameter: persistent value and gradient tensors.
 *
 * A model's parameters are views into ONE flat block (see `ParamSet`), so the optimizer updates
 * all of them with a single kernel call and a checkpoint is one contiguous copy.
 */
import type { Device, PersistentAllocator } from '../backend/device.js';
import { Tensor, sizeOf, type Shape } from '../tensor/tensor.js';

export class Param {
  frozen = false;
  constructor(
    readonly name: string,
    readonly value: Tensor,
    readonly grad: Tensor,
  ) {}
  get shape(): Shape {
    return this.value.shape;
  }
}

export interface ParamSpec {
  name: string;
  shape: Shape;
}

/** Parameters laid out back to back in one persistent block (and their gradients in another). */
export class ParamSet implements PersistentAllocator {
  readonly params: Param[] = [];
  readonly values: Tensor;
  readonly grads: Tensor;
  private byName = new Map<string, Param>();
  private freed = false;
  /** The model's other persistent tensors (see `persistent`), given back by `free`. */
  private readonly owned: Tensor[] = [];

  constructor(
    readonly device: Device,
    specs: ParamSpec[],
  ) {
    // Each parameter starts on a 16-float (64-byte) boundary so SIMD kernels see aligned rows.
    const offsets: number[] = [];
    let total = 0;
    for (const s of specs) {
      offsets.push(total);
      total += Math.ceil(sizeOf(s.shape) / 16) * 16;
    }
    this.values = device.persistent([Math.max(total, 1)]);
    this.grads = device.persistent([Math.max(total, 1)]);
    specs.forEach((s, i) => {
      if (this.byName.has(s.name)) throw new Error(`ParamSet: duplicate parameter name '${s.name}'`);
      const v = new Tensor(device.memory, this.values.ptr + offsets[i] * 4, s.shape);
      const g = new Tensor(device.memory, this.grads.ptr + offsets[i] * 4, s.shape);
      const p = new Param(s.name, v, g);
      this.params.push(p);
      this.byName.set(s.name, p);
    });
  }

  get(name: string): Param {
    const p = this.byName.get(name);
    if (!p) throw new Error(`no parameter named '${name}'`);
    return p;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  zeroGrad(): void {
    // A kernel: a fill through a JavaScript view of the shared memory is an element loop, and it
    // ran on the calling thread alone every step.
    this.device.kernels.fill(this.grads, 0);
  }

  /** Mark every parameter frozen (no gradient, no optimizer update). */
  freeze(): void {
    for (const p of this.params) p.frozen = true;
  }

  get trainable(): boolean {
    return this.params.some((p) => !p.frozen);
  }

  /** Number of scalar parameters (padding excluded). */
  get count(): number {
    return this.params.reduce((a, p) => a + p.value.size, 0);
  }

  /**
   * A persistent tensor of the model these parameters belong to that is not a parameter (masks,
   * block layouts, the base distribution's loc and scale, ν's centre and scale), freed by `free`
   * with them. `params.free()` is how a model is released, so everything the model keeps on the
   * heap must be owned here, including what it builds lazily while evaluating; after `free` that
   * is an error rather than a block nobody would ever give back.
   */
  persistent(shape: Shape, values?: ArrayLike<number>): Tensor {
    this.assertLive('ParamSet.persistent');
    const t = this.device.persistent(shape, values);
    this.owned.push(t);
    return t;
  }

  /**
   * Give the memory back: the parameters, their gradients and every tensor from `persistent`. The
   * tensors then point at memory that later allocations reuse, so every model entry point checks
   * `assertLive` first: a freed model is an error, not silent garbage.
   */
  free(): void {
    if (this.freed) throw new Error('ParamSet.free: these parameters were freed already');
    this.freed = true;
    this.device.free(this.values);
    this.device.free(this.grads);
    for (const t of this.owned) this.device.free(t);
    this.owned.length = 0;
  }

  get isFreed(): boolean {
    return this.freed;
  }

  assertLive(where: string): void {
    if (this.freed) throw new Error(`${where}: the model's parameters were freed (params.free()); load it again`);
  }
}
