/**
 * add, sub, mul, div, neg — with the second operand broadcast over the batch axis
 * (equal shapes, a row [N], a column [M,1] or a scalar). Each backward sits under its forward.
 */
import { Binary, Broadcast, Unary } from '../backend/kernels.js';
import type { Var } from '../autodiff/tape.js';
import { binaryT, reduceTo, requireBroadcast, unaryT } from './raw.js';

type Operand = Var | number;

const lift = (ref: Var, v: Operand): Var => (typeof v === 'number' ? ref.tape.constant(ref.device.scalar(v)) : v);

/** The larger operand goes first (kernels broadcast only the second). */
function order(op: string, a: Var, b: Var): { big: Var; small: Var; mode: Broadcast; swapped: boolean } {
  if (a.value.size >= b.value.size)
    return { big: a, small: b, mode: requireBroadcast(op, a.shape, b.shape), swapped: false };
  return { big: b, small: a, mode: requireBroadcast(op, b.shape, a.shape), swapped: true };
}

export function add(a: Operand, b: Operand): Var {
  const A = typeof a === 'number' ? lift(b as Var, a) : a;
  const B = lift(A, b);
  const { big, small, mode, swapped } = order('add', A, B);
  const out = binaryT(big.device, Binary.Add, big.value, small.value, mode);
  // d(a+b) = g for the full operand, g summed over the broadcast axes for the other.
  return big.tape.record('add', out, swapped ? [small, big] : [big, small], (g, needs) => {
    const gBig = g;
    const gSmall = needs[swapped ? 0 : 1] ? reduceTo(big.device, g, small.shape, mode) : null;
    return swapped ? [gSmall, gBig] : [gBig, gSmall];
  });
}

export function neg(a: Var): Var {
  const out = unaryT(a.device, Unary.Neg, a.value);
  return a.tape.record('neg', out, [a], (g) => [unaryT(a.device, Unary.Neg, g)]);
}

export function sub(a: Operand, b: Operand): Var {
  const A = typeof a === 'number' ? lift(b as Var, a) : a;
  const B = lift(A, b);
  if (A.value.size < B.value.size) return add(neg(B), A);
  const mode = requireBroadcast('sub', A.shape, B.shape);
  const dev = A.device;
  const out = binaryT(dev, Binary.Sub, A.value, B.value, mode);
  return A.tape.record('sub', out, [A, B], (g, needs) => [
    g,
    needs[1] ? reduceTo(dev, unaryT(dev, Unary.Neg, g), B.shape, mode) : null,
  ]);
}

export function mul(a: Operand, b: Operand): Var {
  const A = typeof a === 'number' ? lift(b as Var, a) : a;
  const B = lift(A, b);
  const { big, small, mode, swapped } = order('mul', A, B);
  const dev = big.device;
  const out = binaryT(dev, Binary.Mul, big.value, small.value, mode);
  // d(a·b)/da = b, d(a·b)/db = a (summed over the broadcast axes for the smaller one).
  return big.tape.record('mul', out, swapped ? [small, big] : [big, small], (g, needs) => {
    const gBig = needs[swapped ? 1 : 0] ? binaryT(dev, Binary.Mul, g, small.value, mode) : null;
    const gSmall = needs[swapped ? 0 : 1]
      ? reduceTo(dev, binaryT(dev, Binary.Mul, g, big.value), small.shape, mode)
      : null;
    return swapped ? [gSmall, gBig] : [gBig, gSmall];
  });
}

export function div(a: Operand, b: Operand): Var {
  const A = typeof a === 'number' ? lift(b as Var, a) : a;
  const B = lift(A, b);
  if (A.value.size < B.value.size) return mul(reciprocal(B), A);
  const mode = requireBroadcast('div', A.shape, B.shape);
  const dev = A.device;
  const out = binaryT(dev, Binary.Div, A.value, B.value, mode);
  // d(a/b)/da = 1/b;  d(a/b)/db = −a/b² = −out/b.
  return A.tape.record('div', out, [A, B], (g, needs) => {
    const ga = needs[0] ? binaryT(dev, Binary.Div, g, B.value, mode) : null;
    let gb = null;
    if (needs[1]) {
      const t = binaryT(dev, Binary.Mul, g, out);
      const u = binaryT(dev, Binary.Div, t, B.value, mode);
      gb = reduceTo(dev, unaryT(dev, Unary.Neg, u), B.shape, mode);
    }
    return [ga, gb];
  });
}

/** 1/x;  d/dx = −1/x² = −y². */
export function reciprocal(a: Var): Var {
  const dev = a.device;
  const out = unaryT(dev, Unary.Reciprocal, a.value);
  return a.tape.record('reciprocal', out, [a], (g) => {
    const y2 = unaryT(dev, Unary.Square, out);
    return [unaryT(dev, Unary.Neg, binaryT(dev, Binary.Mul, g, y2))];
  });
}
