/**
 * AdamW over a ParamSet's flat buffer: one kernel call updates every parameter (PyTorch
 * semantics: decoupled decay, bias correction; see the ts reference kernel). The moments live
 * in persistent tensors beside the parameters, so a checkpoint of the optimizer is two copies.
 * Frozen parameter sets never get an optimizer, so they are neither updated nor decayed.
 */
import type { ParamSet } from '../autodiff/param.js';
import type { Tensor } from '../tensor/tensor.js';

export interface AdamWOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

export class AdamW {
  readonly m: Tensor;
  readonly v: Tensor;
  /** optimizer steps taken so far (PyTorch's `step` state). */
  steps = 0;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;

  constructor(
    readonly params: ParamSet,
    opts: AdamWOptions = {},
  ) {
    if (params.params.some((p) => p.frozen)) throw new Error('AdamW: the parameter set contains frozen parameters');
    this.m = params.device.persistent(params.values.shape);
    this.v = params.device.persistent(params.values.shape);
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0.01;
  }

  step(lr: number): void {
    this.steps++;
    this.params.device.kernels.adamw(this.params.values, this.params.grads, this.m, this.v, {
      lr,
      beta1: this.beta1,
      beta2: this.beta2,
      eps: this.eps,
      weightDecay: this.weightDecay,
      step: this.steps,
    });
  }

  free(): void {
    this.params.device.free(this.m);
    this.params.device.free(this.v);
  }
}
