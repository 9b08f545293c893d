/**
 * A linear layer with a bias per row:
 *   y = act(x · Wᵀ + T),  T [B,N] (row b's own bias).
 * The x-side hidden units of a frozen masked network over one fixed sample, whose context part
 * of the pre-activation was computed once per row of the sample (MaskedMLP.contextSide, kept by
 * ../systematics/on-sample.ts). The same sums as spreadLinear's general path (x · Wᵀ first, then
 * the bias added, then the activation), so the same bits as forwardShared.
 * Backward: gz = g ⊙ act′;  dx = gz · W,  dW = gzᵀ · x,  dT = gz.
 */
import { Act, Binary, Broadcast } from '../backend/kernels.js';
import type { Var } from '../autodiff/tape.js';
import { shapeStr, type Tensor } from '../tensor/tensor.js';
import { activationMap, preActivationGrad, productGrads } from './linear.js';

/**
 * `ranges` (optional, matmulNT's): per row of W, where its non-zero columns lie; the forward's
 * product skips the rest (the same sums: the skipped terms are exact zeros). `sparseInput`: x is
 * a relu layer's output, as spreadLinear's.
 */
export function rowBiasLinear(
  x: Var,
  W: Var,
  T: Var,
  act: Act = Act.None,
  ranges: Tensor | null = null,
  sparseInput = false,
): Var {
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
  dev.kernels.matmulNT(out, x.value, W.value, null, Act.None, ranges, sparseInput);
  dev.kernels.binary(Binary.Add, out, out, T.value, Broadcast.Same);
  if (act !== Act.None) dev.kernels.unary(activationMap(act, 'rowBiasLinear'), out, out);
  return x.tape.record('rowBiasLinear', out, [x, W, T], (g, needs) => {
    const gz = preActivationGrad(dev, act, g, out);
    const [gx, gW] = productGrads(dev, gz, x.value, W.value, needs[0], needs[1], act === Act.Relu); // gz · W, gzᵀ · x
    return [gx, gW, needs[2] ? gz : null]; // dT = gz
  });
}
