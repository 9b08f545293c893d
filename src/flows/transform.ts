/**
 * The one protocol every transform follows (Zuko's `Transform`): the autoregressive spline
 * transform, the polynomial residual layer, the reversal, and any composition of them.
 *
 * Evaluation levels are named the same way everywhere in fnflow:
 *   - `…Var`    on a tape, with `Var`s: differentiable (training, gradients w.r.t. inputs);
 *   - `…Tensor` on device tensors, no gradient (inverses, inside a `device.scoped` block);
 *   - bare name on plain `Float32Array`s, row-major, chunked (models' evaluation methods).
 *
 * What conditions a transform travels in one `Condition` object at every level: the context c
 * and, for residual layers, the nuisances ν. A transform reads what applies to it and ignores
 * the rest, so a composition passes the same object to each part.
 */
import type { Device } from '../backend/device.js';
import type { Tape, Var } from '../autodiff/tape.js';
import type { Tensor } from '../tensor/tensor.js';

/** The context c ([B, C]) and the nuisances ν ([B, N]); absent or null where a model has none. */
export interface Condition<T> {
  readonly context?: T | null;
  readonly nu?: T | null;
}

/** On a tape: y = f(x) and ln|det ∂y/∂x| per row ([B]); ladj null where it is 0 (a permutation). */
export interface ForwardVar {
  y: Var;
  ladj: Var | null;
}

/** On device tensors: x = f⁻¹(y) and ln|det ∂x/∂y| per row; ladj null where it is 0. */
export interface InverseTensor {
  x: Tensor;
  /** A fresh tensor the caller owns (a composition adds into it in place). */
  ladj: Tensor | null;
}

export interface Transform {
  readonly features: number;
  forwardVar(tape: Tape, x: Var, cond: Condition<Var>): ForwardVar;
  /** No gradient; the device's step arena holds the results. */
  inverseTensor(dev: Device, y: Tensor, cond: Condition<Tensor>): InverseTensor;
}
