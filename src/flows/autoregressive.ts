/**
 * Zuko's MaskedAutoregressiveTransform with a rational-quadratic spline per feature.
 *
 * Forward (data → latent): one hyper-network pass on [x, c] gives every feature's spline
 * parameters; y = spline(x), ladj = Σ features ln|dy/dx|. Inverse: F fixed-point sweeps from
 * x = 0 (after sweep n the first n features in the order are exact), as Zuko does.
 */
import type { Device } from '../backend/device.js';
import type { SplineSpec } from '../backend/kernels.js';
import type { Tape, Var } from '../autodiff/tape.js';
import type { Tensor } from '../tensor/tensor.js';
import { spline, splineInverse, sumCols } from '../ops/index.js';
import type { MaskedMLP } from '../nn/masked-mlp.js';

export class AutoregressiveSplineTransform {
  constructor(
    readonly order: readonly number[],
    readonly hyper: MaskedMLP,
    readonly spline: SplineSpec,
  ) {}

  get features(): number {
    return this.order.length;
  }

  private params(tape: Tape, x: Var, context: Var | null): Var {
    return this.hyper.forward(tape, x, context);
  }

  /** y [B,F] and ladj [B]. */
  forward(tape: Tape, x: Var, context: Var | null): { y: Var; ladj: Var } {
    const raw = this.params(tape, x, context);
    const s = spline(x, raw, this.spline);
    return { y: s.y, ladj: sumCols(s.ladj) };
  }

  /** x [B,F] and ladj [B] = ln|det ∂x/∂y|, on a no-grad tape. */
  inverse(tape: Tape, y: Tensor, context: Tensor | null): { x: Tensor; ladj: Tensor } {
    const dev: Device = tape.device;
    let x = dev.zeros(y.shape);
    let ladj: Tensor | null = null;
    const ctx = context ? tape.constant(context) : null;
    for (let pass = 0; pass < this.features; pass++) {
      const raw = this.params(tape, tape.constant(x), ctx);
      const r = splineInverse(dev, y, raw.value, this.spline);
      x = r.x;
      ladj = r.ladj;
    }
    const rowLadj = dev.empty([y.rows]);
    dev.kernels.sumCols(rowLadj, ladj!);
    return { x, ladj: rowLadj };
  }
}
