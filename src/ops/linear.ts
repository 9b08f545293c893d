/**
 * matmul and the fused linear layer y = act(x·(W⊙mask)ᵀ + b).
 *
 * The fused op is the hot path of every network here: one matmul kernel with bias and
 * activation in its finishing pass forward; backward = act′ from the output, then the two
 * transposed matmuls and a row sum. The mask is a constant (Zuko's MaskedLinear): masked
 * weights get gradient 0 but still exist, as in PyTorch.
 */
import { Act, Binary, Broadcast, Unary } from '../backend/kernels.js';
import type { Var } from '../autodiff/tape.js';
import type { Device } from '../backend/device.js';
import { shapeStr, type Tensor } from '../tensor/tensor.js';
import { binaryT } from './raw.js';

/** a[M,K] · b[K,N]. */
export function matmul(a: Var, b: Var): Var {
  const [M, K] = [a.value.rows, a.value.cols];
  if (a.shape.length !== 2 || b.shape.length !== 2 || b.value.rows !== K) {
    throw new Error(`matmul: cannot multiply ${shapeStr(a.shape)} by ${shapeStr(b.shape)}`);
  }
  const dev = a.device;
  const out = dev.empty([M, b.value.cols]);
  dev.kernels.matmulNN(out, a.value, b.value, false);
  // da = g·bᵀ (the NT layout with b as the "weight"), db = aᵀ·g.
  return a.tape.record('matmul', out, [a, b], (g, needs) => {
    let ga = null,
      gb = null;
    if (needs[0]) {
      ga = dev.empty(a.shape);
      dev.kernels.matmulNT(ga, g, b.value, null, Act.None);
    }
    if (needs[1]) {
      gb = dev.empty(b.shape);
      dev.kernels.matmulTN(gb, a.value, g, false);
    }
    return [ga, gb];
  });
}

export interface LinearOptions {
  /** 0/1 constant of W's shape. */
  mask?: Tensor | null;
  activation?: Act;
}

/** gz = ∂L/∂(pre-activation) of a layer with fused activation, from g = ∂L/∂out and the stored output. */
export function preActivationGrad(dev: Device, act: Act, g: Tensor, out: Tensor): Tensor {
  if (act === Act.None) return g;
  const gz = dev.empty(out.shape);
  dev.kernels.actBackward(act, gz, g, out);
  return gz;
}

/** The elementwise map of a fused activation (the same maps, and bits, as the matmul's finishing pass). */
export function activationMap(act: Act, op: string): Unary {
  switch (act) {
    case Act.Relu:
      return Unary.Relu;
    case Act.Elu:
      return Unary.Elu;
    case Act.Tanh:
      return Unary.Tanh;
    default:
      throw new Error(`${op}: unknown activation code ${act}`);
  }
}

/**
 * The input and weight gradients of y = x·Wᵀ (+ …): dx = gz·W, dW = gzᵀ·x, each only if wanted.
 * `sparseGz`: gz went through relu′ (Kernels' `sparse` hint: its zeros may be skipped).
 */
export function productGrads(
  dev: Device,
  gz: Tensor,
  x: Tensor,
  W: Tensor,
  wantX: boolean,
  wantW: boolean,
  sparseGz = false,
): [Tensor | null, Tensor | null] {
  let gx: Tensor | null = null;
  let gW: Tensor | null = null;
  if (wantX) {
    gx = dev.empty([x.rows, x.cols]);
    dev.kernels.matmulNN(gx, gz, W, false, null, sparseGz);
  }
  if (wantW) {
    gW = dev.empty([W.rows, W.cols]);
    dev.kernels.matmulTN(gW, gz, x, false, null, sparseGz);
  }
  return [gx, gW];
}

/** act(x[M,K] · (W[N,K] ⊙ mask)ᵀ + b[N]). */
export function linear(x: Var, W: Var, b: Var | null, opts: LinearOptions = {}): Var {
  const act = opts.activation ?? Act.None;
  const mask = opts.mask ?? null;
  const [M, K] = [x.value.rows, x.value.cols];
  const N = W.value.rows;
  if (x.shape.length !== 2 || W.shape.length !== 2 || W.value.cols !== K || (b && b.value.size !== N)) {
    throw new Error(
      `linear: x ${shapeStr(x.shape)}, W ${shapeStr(W.shape)}, b ${b ? shapeStr(b.shape) : 'none'} ` +
        '(expected x [M,K], W [N,K], b [N])',
    );
  }
  if (mask && mask.size !== W.value.size) {
    throw new Error(`linear: mask ${shapeStr(mask.shape)} does not match W ${shapeStr(W.shape)}`);
  }
  const dev = x.device;
  const Weff = mask ? binaryT(dev, Binary.Mul, W.value, mask) : W.value;
  const out = dev.empty([M, N]);
  dev.kernels.matmulNT(out, x.value, Weff, b ? b.value : null, act);
  const inputs = b ? [x, W, b] : [x, W];
  return x.tape.record('linear', out, inputs, (g, needs) => {
    const gz = preActivationGrad(dev, act, g, out);
    let gx = null,
      gW = null,
      gb = null;
    if (needs[0]) {
      gx = dev.empty([M, K]);
      dev.kernels.matmulNN(gx, gz, Weff, false); // dx = gz · W_eff
    }
    if (needs[1]) {
      gW = dev.empty([N, K]);
      dev.kernels.matmulTN(gW, gz, x.value, false); // dW = gzᵀ · x, then masked
      if (mask) dev.kernels.binary(Binary.Mul, gW, gW, mask, Broadcast.Same);
    }
    if (b && needs[2]) {
      gb = dev.empty([N]);
      dev.kernels.sumRows(gb, gz); // db = Σ_rows gz
    }
    return b ? [gx, gW, gb] : [gx, gW];
  });
}
