/** Reference elementwise kernels: unary maps, broadcasting binary ops, activation backward. */
import { Act, Binary, Broadcast, Unary } from '../kernels.js';
import type { Tensor } from '../../tensor/tensor.js';
import { actGradFromOutput } from './activations.js';

/** log(1 + eᵛ) without overflow for large v and without losing precision for very negative v. */
export const softplus = (v: number): number => (v > 0 ? v + Math.log1p(Math.exp(-v)) : Math.log1p(Math.exp(v)));
export const sigmoid = (v: number): number => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)));

export function unaryScalar(op: Unary, v: number): number {
  switch (op) {
    case Unary.Neg:
      return -v;
    case Unary.Exp:
      return Math.exp(v);
    case Unary.Log:
      return Math.log(v);
    case Unary.Square:
      return v * v;
    case Unary.Sqrt:
      return Math.sqrt(v);
    case Unary.Softplus:
      return softplus(v);
    case Unary.Sigmoid:
      return sigmoid(v);
    case Unary.Tanh:
      return Math.tanh(v);
    case Unary.Relu:
      return v > 0 ? v : 0;
    case Unary.Elu:
      return v > 0 ? v : Math.expm1(v);
    case Unary.OneMinusSquare:
      return 1 - v * v;
    case Unary.Step:
      return v > 0 ? 1 : 0;
    case Unary.Abs:
      return Math.abs(v);
    case Unary.Reciprocal:
      return 1 / v;
  }
}

export function unary(op: Unary, out: Tensor, x: Tensor): void {
  const X = x.data,
    O = out.data;
  for (let i = 0; i < X.length; i++) O[i] = unaryScalar(op, X[i]);
}

function binaryScalar(op: Binary, a: number, b: number): number {
  switch (op) {
    case Binary.Add:
      return a + b;
    case Binary.Sub:
      return a - b;
    case Binary.Mul:
      return a * b;
    case Binary.Div:
      return a / b;
  }
}

/** Index of b's element paired with a's element (r, c) for each broadcast mode. */
function bIndex(mode: Broadcast, r: number, c: number, cols: number): number {
  switch (mode) {
    case Broadcast.Same:
      return r * cols + c;
    case Broadcast.Row:
      return c;
    case Broadcast.Col:
      return r;
    case Broadcast.Scalar:
      return 0;
  }
}

export function binary(op: Binary, out: Tensor, a: Tensor, b: Tensor, mode: Broadcast): void {
  const A = a.data,
    B = b.data,
    O = out.data;
  const rows = a.rows,
    cols = a.cols;
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) O[r * cols + c] = binaryScalar(op, A[r * cols + c], B[bIndex(mode, r, c, cols)]);
}

export function actBackward(act: Act, dx: Tensor, dy: Tensor, y: Tensor): void {
  const G = dy.data,
    Y = y.data,
    D = dx.data;
  for (let i = 0; i < D.length; i++) D[i] = G[i] * actGradFromOutput(act, Y[i]);
}

/** out[e] = value (float32). */
export function fill(out: Tensor, value: number): void {
  out.data.fill(value);
}
