/**
 * Tensor-level helpers for backward rules: allocate an output in the step arena and run one
 * kernel. Backward rules are not themselves differentiated, so they work on Tensors, not Vars.
 */
import { Binary, Broadcast, Unary } from '../backend/kernels.js';
import type { Device } from '../backend/device.js';
import { shapeStr, type Shape, type Tensor } from '../tensor/tensor.js';

export function unaryT(dev: Device, op: Unary, x: Tensor): Tensor {
  const out = dev.empty(x.shape);
  dev.kernels.unary(op, out, x);
  return out;
}

export function binaryT(dev: Device, op: Binary, a: Tensor, b: Tensor, mode = Broadcast.Same): Tensor {
  const out = dev.empty(a.shape);
  dev.kernels.binary(op, out, a, b, mode);
  return out;
}

/** How `b` spans the 2-D `a` (a 1-D tensor counts as one row), or null if it does not. */
export function broadcastMode(a: Shape, b: Shape): Broadcast | null {
  const rows = (s: Shape) => (s.length === 2 ? s[0] : 1);
  const cols = (s: Shape) => (s.length === 0 ? 1 : s[s.length - 1]);
  const bSize = b.reduce((x, y) => x * y, 1);
  if (rows(a) === rows(b) && cols(a) === cols(b)) return Broadcast.Same;
  if (bSize === 1) return Broadcast.Scalar;
  if (rows(b) === 1 && cols(b) === cols(a)) return Broadcast.Row;
  if (cols(b) === 1 && rows(b) === rows(a)) return Broadcast.Col;
  return null;
}

export function requireBroadcast(op: string, a: Shape, b: Shape): Broadcast {
  const mode = broadcastMode(a, b);
  if (mode === null) {
    throw new Error(
      `${op}: shapes ${shapeStr(a)} and ${shapeStr(b)} do not broadcast ` +
        '(expected equal shapes, a row [N], a column [M,1] or a scalar)',
    );
  }
  return mode;
}

/** Sum a full-shape gradient back down to the shape of a broadcast operand. */
export function reduceTo(dev: Device, g: Tensor, target: Shape, mode: Broadcast): Tensor {
  switch (mode) {
    case Broadcast.Same:
      return g;
    case Broadcast.Row: {
      const out = dev.empty(target);
      dev.kernels.sumRows(out, g);
      return out;
    }
    case Broadcast.Col: {
      const out = dev.empty(target);
      dev.kernels.sumCols(out, g);
      return out;
    }
    case Broadcast.Scalar: {
      const out = dev.empty(target);
      dev.kernels.sumAll(out, g);
      return out;
    }
  }
}

/** Repeat a row / column / scalar up to `shape` (the backward of a reduction). */
export function expandTo(dev: Device, g: Tensor, shape: Shape, mode: Broadcast): Tensor {
  const zeros = dev.zeros(shape);
  dev.kernels.binary(Binary.Add, zeros, zeros, g, mode);
  return zeros;
}

export function scaleT(dev: Device, x: Tensor, s: number): Tensor {
  return binaryT(dev, Binary.Mul, x, dev.scalar(s), Broadcast.Scalar);
}
