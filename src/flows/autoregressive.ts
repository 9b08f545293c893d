/**
 * Zuko's MaskedAutoregressiveTransform with a rational-quadratic spline per feature.
 *
 * Forward (data → latent): one hyper-network pass on [x, c] gives every feature's spline
 * parameters; y = spline(x), ladj = Σ features ln|dy/dx|. Inverse: F fixed-point sweeps from
 * x = 0 (after sweep n the first n features in the order are exact), as Zuko does. The
 * hyper-network runs once per distinct row of its inputs when they repeat (a grid, the first
 * sweeps from x = 0): the same numbers (MaskedMLP.forwardDistinct).
 * Reads the condition's context; ν does not apply.
 */
import type { Device } from '../backend/device.js';
import type { SplineSpec } from '../backend/kernels.js';
import { Tape, type Var } from '../autodiff/tape.js';
import type { Tensor } from '../tensor/tensor.js';
import { spline, splineInverse, sumCols } from '../ops/index.js';
import type { MaskedMLP } from '../nn/masked-mlp.js';
import type { ParamSet } from '../autodiff/param.js';
import { checkInputs } from './checks.js';
import type { Condition, Transform } from './transform.js';

export class AutoregressiveSplineTransform implements Transform {
  constructor(
    readonly order: readonly number[],
    readonly hyper: MaskedMLP,
    readonly spline: SplineSpec,
    /**
     * The set the hyper-network's weights live in (the NSF's): a transform taken from a model
     * whose parameters were freed refuses to run, as the model does, instead of reading memory
     * that another model may hold by now. Absent: not checked.
     */
    private readonly params?: ParamSet,
  ) {}

  /** Context columns the hyper-network reads (its input is [x, context]). */
  private get contextWidth(): number {
    return this.hyper.layers[0]!.weight.shape[1]! - this.features;
  }

  get features(): number {
    return this.order.length;
  }

  /** y [B,F] and ladj [B]. */
  forwardVar(tape: Tape, x: Var, cond: Condition<Var>): { y: Var; ladj: Var } {
    this.params?.assertLive('AutoregressiveSplineTransform.forwardVar');
    checkInputs('AutoregressiveSplineTransform.forwardVar', 'Var', x, cond, this.features, this.contextWidth);
    // The conditioner on the distinct rows of what it sees (all of x but the last feature in the
    // order, and the context) when few are distinct, as on a grid; the spline runs on every row.
    const raw = this.hyper.forwardDistinct(tape, x, cond.context ?? null);
    const s = spline(x, raw, this.spline);
    return { y: s.y, ladj: sumCols(s.ladj) };
  }

  /**
   * forwardVar with the conditioner's context side given per row (MaskedMLP.contextSide over
   * this batch's context): only its x side runs. The same function, to rounding.
   */
  forwardVarWithContextSide(tape: Tape, x: Var, side: readonly Var[]): { y: Var; ladj: Var } {
    this.params?.assertLive('AutoregressiveSplineTransform.forwardVarWithContextSide');
    const raw = this.hyper.forwardWithContextSide(tape, x, side);
    const s = spline(x, raw, this.spline);
    return { y: s.y, ladj: sumCols(s.ladj) };
  }

  /** x [B,F] and ladj [B] = ln|det ∂x/∂y|. */
  inverseTensor(dev: Device, y: Tensor, cond: Condition<Tensor>): { x: Tensor; ladj: Tensor } {
    this.params?.assertLive('AutoregressiveSplineTransform.inverseTensor');
    checkInputs(
      'AutoregressiveSplineTransform.inverseTensor',
      'tensor',
      y,
      cond,
      this.features,
      this.contextWidth,
      undefined,
      'y',
    );
    const tape = new Tape(dev, { grad: false });
    let x = dev.zeros(y.shape);
    let ladj: Tensor | null = null;
    const ctx = cond.context ? tape.constant(cond.context) : null;
    for (let pass = 0; pass < this.features; pass++) {
      const raw = this.hyper.forwardDistinct(tape, tape.constant(x), ctx);
      const r = splineInverse(dev, y, raw.value, this.spline);
      x = r.x;
      ladj = r.ladj;
    }
    const rowLadj = dev.empty([y.rows]);
    dev.kernels.sumCols(rowLadj, ladj!);
    return { x, ladj: rowLadj };
  }
}
