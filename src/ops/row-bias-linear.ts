/**
 * A linear layer with a bias per row:
 *   y = act(x · Wᵀ + T),  T [B,N] (row b's own bias).
 * The x-side hidden units of a frozen masked network over one fixed sample, whose context part
 * of the pre-activation was computed once per row of the sample (ContextSideCache,
 * ../nn/context-side.ts). The same sums as spreadLinear's general path (x · Wᵀ first, then the
 * bias added, then the activation), so the same bits as forwardShared.
 * Backward: gz = g ⊙ act′;  dx = gz · W,  dW = gzᵀ · x,  dT = gz.
 */
import { Act, Binary, Broadcast, Unary } from '../backend/kernels.js';
import type { Var } from '../autodiff/tape.js';
import { shapeStr, type Tensor } from '../tensor/tensor.js';
import { preActivationGrad } from './linear.js';

/** The elementwise map of an activation (the same maps, and bits, as the matmul store step). */
function actMap(act: Act): Unary {
  switch (act) {
    case Act.Relu:
      return Unary.Relu;
    case Act.Elu:
      return Unary.Elu;
    case Act.Tanh:
      return Unary.Tanh;
    default:
      throw new Error(`rowBiasLinear: unknown activation code ${act}`);
  }
}

/**
 * `ranges` (optional, matmulNT's): per row of W, where its non-zero columns lie; the forward's
 * product skips the rest (the same sums: the skipped terms are exact zeros).
 */
export function rowBiasLinear(x: Var, W: Var, T: Var, act: Act = Act.None, ranges: Tensor | null = null): Var {
  const [B, K] = [x.value.rows, x.value.cols];
  const N = W.value.rows;
  if (W.value.cols !== K || T.value.rows !== B || T.value.cols !== N) {
    throw new Error(
      `rowBiasLinear: x ${shapeStr(x.shape)}, W ${shapeStr(W.shape)}, T ${shapeStr(T.shape)} ` +
        '(expected x [B,K], W [N,K], T [B,N])',
    );
  }
  const dev = x.device;
  const out = dev.empty([B, N]);
  dev.kernels.matmulNT(out, x.value, W.value, null, Act.None, ranges);
  dev.kernels.binary(Binary.Add, out, out, T.value, Broadcast.Same);
  if (act !== Act.None) dev.kernels.unary(actMap(act), out, out);
  return x.tape.record('rowBiasLinear', out, [x, W, T], (g, needs) => {
    const gz = preActivationGrad(dev, act, g, out);
    let gx = null,
      gW = null;
    if (needs[0]) {
      gx = dev.empty([B, K]);
      dev.kernels.matmulNN(gx, gz, W.value, false);
    }
    if (needs[1]) {
      gW = dev.empty([N, K]);
      dev.kernels.matmulTN(gW, gz, x.value, false);
    }
    return [gx, gW, needs[2] ? gz : null];
  });
}
