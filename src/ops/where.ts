/** where(mask, a, b) = mask ? a : b elementwise, for a constant 0/1 mask of a's shape. */
import { Binary, Broadcast, Unary } from '../backend/kernels.js';
import type { Var } from '../autodiff/tape.js';
import type { Tensor } from '../tensor/tensor.js';
import { binaryT, requireBroadcast, unaryT } from './raw.js';

export function where(mask: Tensor, a: Var, b: Var): Var {
  requireBroadcast('where', a.shape, mask.shape);
  requireBroadcast('where', a.shape, b.shape);
  if (a.value.size !== b.value.size || a.value.size !== mask.size) {
    throw new Error('where: mask, a and b must have the same shape');
  }
  const dev = a.device;
  // out = b + mask·(a − b): one formula, no branches in the kernels.
  const diff = binaryT(dev, Binary.Sub, a.value, b.value);
  const out = binaryT(dev, Binary.Add, b.value, binaryT(dev, Binary.Mul, mask, diff));
  return a.tape.record('where', out, [a, b], (g, needs) => {
    const ga = needs[0] ? binaryT(dev, Binary.Mul, g, mask) : null;
    let gb = null;
    if (needs[1]) {
      const inv = unaryT(dev, Unary.Neg, mask);
      dev.kernels.binary(Binary.Add, inv, inv, dev.scalar(1), Broadcast.Scalar);
      gb = binaryT(dev, Binary.Mul, g, inv);
    }
    return [ga, gb];
  });
}
