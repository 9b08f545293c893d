/**
 * The masked linear layer in block layout (../nn/block-layout.ts):
 *   y = act(x · W_sorted ᵀ + b_sorted),  W_sorted[i, j] = (W ⊙ mask)[source(i, j)].
 *
 * Same function as `linear(x, W, b, { mask })` with the layer's hidden units reordered; the
 * kernels get the layout's ranges and skip the zero blocks. Gradients go back to W and b in
 * their state-dict layout: dW[j] = mask[j] · (gzᵀ·x)[target(j)], db[i] = Σ_rows gz[:, order⁻¹(i)].
 * The gathers (the `gather` kernel) move one weight matrix per step, 16k floats for 128 × 128:
 * a few µs next to the 1024-row matmuls.
 *
 * `sparseInput`: x is a relu layer's output (about half zeros at initialisation, 70–85 % in the
 * shipped score model's deeper layers): the forward product may skip its zeros, and likewise the
 * dx and dW products skip the zeros relu′ puts in the gradient when this layer's own activation
 * is relu; without one (an output layer) dW is computed transposed, skipping x's zeros (Kernels'
 * `sparse` hint; the same result).
 *
 * `dxRanges` (optional) replaces the layout's column ranges for dx: a frozen network whose
 * caller wants only some input gradients gives the unwanted columns an empty range
 * (MaskedMLP.liveRanges); those columns of dx are then left unspecified.
 */
import { Act } from '../backend/kernels.js';
import type { Var } from '../autodiff/tape.js';
import { shapeStr, type Tensor } from '../tensor/tensor.js';
import { preActivationGrad } from './linear.js';

/**
 * What the op needs to know of a layer's block layout (built by ../nn/block-layout.ts; the type
 * lives here, with its one consumer, so that ops/ does not import nn/).
 */
export interface LayerBlockLayout {
  /** [N,K]: for entry e of the sorted weight, its index in the state-dict weight (integers as f32). */
  readonly source: Tensor;
  /** [N,K]: the mask at each sorted entry, 0 or 1 (the gather multiplies by it). */
  readonly mask: Tensor;
  /** [N,K]: for entry j of the state-dict weight, its index in the sorted weight (source⁻¹). */
  readonly target: Tensor;
  /** [N,K]: for entry j of the state-dict weight, its index in the sorted weight's transpose [K,N]. */
  readonly targetT: Tensor;
  /** [N,K]: the mask in state-dict order (scales the gradient's way back). */
  readonly stateMask: Tensor;
  /** [N]: for sorted output unit i, its state-dict index (null: outputs keep their order). */
  readonly outputOrder: Tensor | null;
  /** [N]: for state-dict output unit i, its sorted index (outputOrder⁻¹; null with it). */
  readonly outputTarget: Tensor | null;
  /** [N]: all ones, the scale of the bias gather. */
  readonly ones: Tensor;
  /** [N,2]: per sorted row, the columns [lo, hi) that can be non-zero (matmulNT, matmulTN). */
  readonly rowRanges: Tensor;
  /** [K,2]: per column, the sorted rows [lo, hi) that can be non-zero (matmulNN). */
  readonly colRanges: Tensor;
}

export function blockLinear(
  x: Var,
  W: Var,
  b: Var,
  layout: LayerBlockLayout,
  act: Act = Act.None,
  dxRanges: Tensor | null = null,
  sparseInput = false,
): Var {
  const [M, K] = [x.value.rows, x.value.cols];
  const N = W.value.rows;
  if (x.shape.length !== 2 || W.value.cols !== K || b.value.size !== N || layout.source.size !== N * K) {
    throw new Error(
      `blockLinear: x ${shapeStr(x.shape)}, W ${shapeStr(W.shape)}, b ${shapeStr(b.shape)} ` +
        `do not fit a layout of ${layout.source.size} weights (expected x [M,K], W [N,K], b [N])`,
    );
  }
  const dev = x.device;
  const { source, mask, target, stateMask, outputOrder: order, outputTarget, ones } = layout;

  const Ws = dev.empty([N, K]);
  dev.kernels.gather(Ws, W.value, source, mask);
  let bs = b.value;
  if (order) {
    bs = dev.empty([N]);
    dev.kernels.gather(bs, b.value, order, ones);
  }
  const out = dev.empty([M, N]);
  dev.kernels.matmulNT(out, x.value, Ws, bs, act, layout.rowRanges, sparseInput);

  return x.tape.record('blockLinear', out, [x, W, b], (g, needs) => {
    const gz = preActivationGrad(dev, act, g, out);
    let gx = null,
      gW = null,
      gb = null;
    if (needs[0]) {
      gx = dev.empty([M, K]);
      dev.kernels.matmulNN(gx, gz, Ws, false, dxRanges ?? layout.colRanges, act === Act.Relu); // dx = gz · W_sorted
    }
    if (needs[1]) {
      gW = dev.empty([N, K]);
      if (sparseInput && act !== Act.Relu) {
        // gz is dense (no relu′ after an output layer) but x is not: the transposed product
        // xᵀ·gz skips x's zeros. The same products summed over the same batch rows in the same
        // order (the bits depend on the row count alone), so the same dW.
        const gsT = dev.empty([K, N]);
        dev.kernels.matmulTN(gsT, x.value, gz, false, layout.colRanges, true); // sorted dWᵀ = xᵀ · gz
        dev.kernels.gather(gW, gsT, layout.targetT, stateMask);
      } else {
        const gs = dev.empty([N, K]);
        dev.kernels.matmulTN(gs, gz, x.value, false, layout.rowRanges, act === Act.Relu); // sorted dW = gzᵀ · x
        dev.kernels.gather(gW, gs, target, stateMask);
      }
    }
    if (needs[2]) {
      const gbs = dev.empty([N]);
      dev.kernels.sumRows(gbs, gz);
      if (outputTarget) {
        gb = dev.empty([N]);
        dev.kernels.gather(gb, gbs, outputTarget, ones);
      } else gb = gbs;
    }
    return [gx, gW, gb];
  });
}
