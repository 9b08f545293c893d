/**
 * Blocks of a weight matrix, taken in one gather: block i is out_i[a, b] = W[rows_i[a], cols_i[b]] · mask,
 * and the gradient goes back the same way, zero outside every block:
 *   gW[r, c] = (r, c) in block i ? g_i[a, b] · mask : 0.
 * The blocks lie side by side in one buffer (each at a 16-float boundary, the alignment the
 * kernels expect), so both directions are a single `gather` call. Index tensors come from
 * ../nn/context-blocks.ts.
 */
import type { Var } from '../autodiff/tape.js';
import { Tensor, shapeStr, sizeOf, type Shape } from '../tensor/tensor.js';

export interface BlockSet {
  /** [total]: state index of each entry of the buffer (padding: 0, with mask 0). */
  readonly source: Tensor;
  /** [total]: the mask at each entry (0 in padding). */
  readonly mask: Tensor;
  /** shape of W: for each entry its position in the buffer (0 outside every block). */
  readonly target: Tensor;
  /** shape of W: 1 inside a block where the mask is 1, else 0. */
  readonly targetMask: Tensor;
  /** Where each block starts in the buffer (floats) and its shape. */
  readonly blocks: readonly { offset: number; shape: Shape }[];
}

export function weightBlocks(W: Var, set: BlockSet): Var[] {
  if (set.target.size !== W.value.size) {
    throw new Error(
      `weightBlocks: blocks of a ${set.target.size}-entry weight cannot be taken from W ${shapeStr(W.shape)}`,
    );
  }
  const dev = W.device;
  const buf = dev.empty([set.source.size]);
  dev.kernels.gather(buf, W.value, set.source, set.mask);
  const outs = set.blocks.map((b) => new Tensor(buf.memory, buf.ptr + 4 * b.offset, b.shape));
  return W.tape.recordMulti('weightBlocks', outs, [W], (gs) => {
    // Back into one buffer laid out as the forward one (padding and unused blocks zero). Each
    // span is written once: zeroing the whole buffer first was a serial pass the copies repeat.
    const cat = dev.empty([set.source.size]);
    const data = cat.data;
    let end = 0;
    set.blocks.forEach((b, i) => {
      const g = gs[i];
      const size = sizeOf(b.shape);
      data.fill(0, end, b.offset);
      if (g) data.set(g.data.subarray(0, size), b.offset);
      else data.fill(0, b.offset, b.offset + size);
      end = Math.max(end, b.offset + size);
    });
    data.fill(0, end);
    const gW = dev.empty(W.shape);
    dev.kernels.gather(gW, cat, set.target, set.targetMask);
    return [gW];
  });
}
