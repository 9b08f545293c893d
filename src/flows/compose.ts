/**
 * compose(f_0, …, f_{K−1}): x ↦ f_{K−1}(… f_0(x)), itself a Transform (Zuko's
 * ComposedTransform). Builds the NSF's chain of spline transforms and the residual stack.
 *
 * ladj sums run in a fixed order, ((ladj_0 + ladj_1) + …) forward and
 * ((ladj_{K−1} + ladj_{K−2}) + …) inverse, and a permutation's null ladj adds nothing, so a
 * composition gives bit for bit what the hand-written loops it replaced gave.
 */
import { Binary, Broadcast } from '../backend/kernels.js';
import type { Device } from '../backend/device.js';
import type { Tape, Var } from '../autodiff/tape.js';
import type { Tensor } from '../tensor/tensor.js';
import { add } from '../ops/index.js';
import type { Condition, ForwardVar, InverseTensor, Transform } from './transform.js';

export class ComposedTransform implements Transform {
  readonly features: number;

  /** `features` is needed only for an empty composition (the identity: a model with no residual layer). */
  constructor(
    readonly transforms: readonly Transform[],
    features?: number,
  ) {
    const f = features ?? transforms[0]?.features;
    if (f === undefined) throw new Error('compose: an empty composition needs its number of features');
    this.features = f;
    transforms.forEach((t, k) => {
      if (t.features !== this.features) {
        throw new Error(`compose: transform ${k} has ${t.features} features, transform 0 has ${this.features}`);
      }
    });
  }

  forwardVar(tape: Tape, x: Var, cond: Condition<Var>): ForwardVar {
    let y = x;
    let ladj: Var | null = null;
    for (const t of this.transforms) {
      const r = t.forwardVar(tape, y, cond);
      y = r.y;
      if (r.ladj) ladj = ladj ? add(ladj, r.ladj) : r.ladj;
    }
    return { y, ladj };
  }

  inverseTensor(dev: Device, y: Tensor, cond: Condition<Tensor>): InverseTensor {
    let x = y;
    let ladj: Tensor | null = null;
    for (let k = this.transforms.length - 1; k >= 0; k--) {
      const r = this.transforms[k].inverseTensor(dev, x, cond);
      x = r.x;
      if (!r.ladj) continue;
      if (ladj) dev.kernels.binary(Binary.Add, ladj, ladj, r.ladj, Broadcast.Same);
      else ladj = r.ladj;
    }
    return { x, ladj };
  }
}

/** The transforms applied in order, as one transform. */
export function compose(...transforms: Transform[]): ComposedTransform {
  return new ComposedTransform(transforms);
}
