/**
 * A linear layer whose bias differs by row but takes few distinct values:
 *   y = act(x · Wᵀ + S · T),  S [B,U] a constant one-hot (row b picks row u of T [U,N]).
 * The hidden units of a masked network that see the inputs, where the context part of their
 * pre-activation is computed once per distinct context (../nn/masked-mlp.ts).
 * Backward: gz = g ⊙ act′;  dx = gz · W,  dW = gzᵀ · x,  dT = Sᵀ · gz (the sum over the rows
 * that share a context).
 */
import { Act } from '../backend/kernels.js';
import type { Var } from '../autodiff/tape.js';
import { shapeStr, type Tensor } from '../tensor/tensor.js';
import { activationMap, preActivationGrad, productGrads } from './linear.js';

/**
 * `ranges` (optional, matmulNT's): per row of W, where its non-zero columns lie; the forward's
 * product skips the rest (the same sums: the skipped terms are exact zeros). `sparseInput`: x is
 * a relu layer's output, as blockLinear's (the forward skips its zeros, and with a relu here the
 * backward products skip relu′'s; the same sums).
 */
export function spreadLinear(
  x: Var,
  W: Var,
  spread: Tensor,
  T: Var,
  act: Act = Act.None,
  ranges: Tensor | null = null,
  sparseInput = false,
): Var {
  const [B, K] = [x.value.rows, x.value.cols];
  const N = W.value.rows;
  const U = T.value.rows;
  if (W.value.cols !== K || T.value.cols !== N || spread.rows !== B || spread.cols !== U) {
    throw new Error(
      `spreadLinear: x ${shapeStr(x.shape)}, W ${shapeStr(W.shape)}` +
        `, S ${shapeStr(spread.shape)}, T ${shapeStr(T.shape)} ` +
        '(expected x [B,K], W [N,K], S [B,U], T [U,N])',
    );
  }
  const dev = x.device;
  const out = dev.empty([B, N]);
  if (U === 1) {
    // One distinct row (a batch of one class): T is a plain bias, added with the activation in
    // the matmul's finishing pass. The same bits: S·T adds 1·T exactly, and that pass's
    // activation is the unary map's.
    dev.kernels.matmulNT(out, x.value, W.value, T.value.reshape([N]), act, ranges, sparseInput);
  } else {
    dev.kernels.matmulNT(out, x.value, W.value, null, Act.None, ranges, sparseInput);
    dev.kernels.matmulNN(out, spread, T.value, true);
    if (act !== Act.None) dev.kernels.unary(activationMap(act, 'spreadLinear'), out, out);
  }
  return x.tape.record('spreadLinear', out, [x, W, T], (g, needs) => {
    const gz = preActivationGrad(dev, act, g, out);
    const [gx, gW] = productGrads(dev, gz, x.value, W.value, needs[0], needs[1], act === Act.Relu); // gz · W, gzᵀ · x
    let gT = null;
    if (needs[2]) {
      gT = dev.empty([U, N]);
      dev.kernels.matmulTN(gT, spread, gz, false);
    }
    return [gx, gW, gT];
  });
}
