/** Elementwise maps; each backward is written in terms of the input x or the output y. */
import { Act, Binary, Broadcast, Unary } from '../backend/kernels.js';
import type { Var } from '../autodiff/tape.js';
import type { Tensor } from '../tensor/tensor.js';
import { binaryT, scaleT, unaryT } from './raw.js';

/** Shared shape of a unary op: y = f(x), dx = g ⊙ f′ where f′ comes from (x, y). */
function unaryOp(name: string, op: Unary, a: Var, deriv: (x: Tensor, y: Tensor) => Tensor): Var {
  const out = unaryT(a.device, op, a.value);
  return a.tape.record(name, out, [a], (g) => [binaryT(a.device, Binary.Mul, g, deriv(a.value, out))]);
}

/** eˣ;  d/dx = y. */
export const exp = (a: Var) => unaryOp('exp', Unary.Exp, a, (_x, y) => y);

/** ln x;  d/dx = 1/x. */
export const log = (a: Var) => unaryOp('log', Unary.Log, a, (x) => unaryT(a.device, Unary.Reciprocal, x));

/** x²;  d/dx = 2x. */
export const square = (a: Var) => unaryOp('square', Unary.Square, a, (x) => scaleT(a.device, x, 2));

/** √x;  d/dx = 1/(2y). */
export const sqrt = (a: Var) =>
  unaryOp('sqrt', Unary.Sqrt, a, (_x, y) => unaryT(a.device, Unary.Reciprocal, scaleT(a.device, y, 2)));

/** ln(1 + eˣ);  d/dx = σ(x). */
export const softplus = (a: Var) => unaryOp('softplus', Unary.Softplus, a, (x) => unaryT(a.device, Unary.Sigmoid, x));

/** σ(x);  d/dx = y(1 − y). */
export const sigmoid = (a: Var) =>
  unaryOp('sigmoid', Unary.Sigmoid, a, (_x, y) => {
    const oneMinus = unaryT(a.device, Unary.Neg, y);
    a.device.kernels.binary(Binary.Add, oneMinus, oneMinus, a.device.scalar(1), Broadcast.Scalar);
    return binaryT(a.device, Binary.Mul, y, oneMinus);
  });

/** tanh x;  d/dx = 1 − y². */
export const tanh = (a: Var) => unaryOp('tanh', Unary.Tanh, a, (_x, y) => unaryT(a.device, Unary.OneMinusSquare, y));

/** |x|;  d/dx = sign x (0 at 0). */
export const abs = (a: Var) =>
  unaryOp('abs', Unary.Abs, a, (x) => {
    const pos = unaryT(a.device, Unary.Step, x);
    const negx = unaryT(a.device, Unary.Neg, x);
    return binaryT(a.device, Binary.Sub, pos, unaryT(a.device, Unary.Step, negx));
  });

/** Activations whose derivative the kernels compute from the output (shared with `linear`). */
function activation(name: string, op: Unary, act: Act, a: Var): Var {
  const out = unaryT(a.device, op, a.value);
  return a.tape.record(name, out, [a], (g) => {
    const dx = a.device.empty(a.shape);
    a.device.kernels.actBackward(act, dx, g, out);
    return [dx];
  });
}

/** max(0, x);  d/dx = 1[y > 0]. */
export const relu = (a: Var) => activation('relu', Unary.Relu, Act.Relu, a);

/** x > 0 ? x : eˣ − 1;  d/dx = y > 0 ? 1 : y + 1. */
export const elu = (a: Var) => activation('elu', Unary.Elu, Act.Elu, a);
