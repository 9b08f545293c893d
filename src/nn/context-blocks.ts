/**
 * A masked network split into the part that sees only the context and the part that sees the
 * features x, for evaluation with a shared context (./shared-context.ts, MaskedMLP.forwardShared).
 *
 * A hidden unit is "x-side" when its mask reaches an x input or an x-side unit of the layer
 * before; the others see only the context, and only context-side units (masks are
 * autoregressive: a unit sees units that see no more than it does). Per hidden layer three
 * blocks of the weight are non-zero:
 *   ctx → ctx  (computed once per distinct context),
 *   ctx → x    (its product is the per-context bias of the x-side units),
 *   x   → x    (the only per-row product: a quarter of the layer with two features).
 * The last layer has two blocks, from the context-side and from the x-side units, over all outputs.
 */
import type { PersistentAllocator } from '../backend/device.js';
import type { BlockSet } from '../ops/weight-block.js';
import type { LayerBlockLayout } from '../ops/block-linear.js';
import type { BoolMatrix } from './masks.js';
import type { Tensor } from '../tensor/tensor.js';

/** Per hidden layer: weight blocks [ctx → ctx, ctx → x, x → x], bias blocks [ctx, x]. */
export interface HiddenBlocks {
  readonly weight: BlockSet;
  readonly bias: BlockSet;
  /** matmulNT ranges of the x → x block (per row, its non-zero columns); null: all dense. */
  readonly xRanges: Tensor | null;
}

export interface ContextBlocks {
  readonly hidden: HiddenBlocks[];
  /** The last layer's weight blocks [from ctx, from x], every output row. */
  readonly output: BlockSet;
  /**
   * matmulNT ranges of the from-x block: the outputs of a feature that sees only the context
   * (the first in the order) get an empty range, so the per-row product skips them.
   */
  readonly outputXRanges: Tensor | null;
}

/**
 * Per row of the block rows × cols of mask m, the [lo, hi) of its non-zero columns ([0, 0) for a
 * row of zeros), as matmulNT ranges; null when every row is dense (nothing to skip).
 */
function blockRanges(
  device: PersistentAllocator,
  m: BoolMatrix,
  rows: readonly number[],
  cols: readonly number[],
): Tensor | null {
  const pairs: number[] = [];
  let dense = true;
  for (const r of rows) {
    const live = cols.flatMap((c, j) => (m[r][c] ? [j] : []));
    const [lo, hi] = live.length ? [live[0], live[live.length - 1] + 1] : [0, 0];
    if (lo !== 0 || hi !== cols.length) dense = false;
    pairs.push(lo, hi);
  }
  return dense || rows.length === 0 ? null : device.persistent([rows.length, 2], pairs);
}

/** Blocks rows_i × cols_i of a state-order (N × K) weight with mask m, as one gather. */
export function blockSet(
  device: PersistentAllocator,
  m: BoolMatrix,
  parts: readonly (readonly [readonly number[], readonly number[]])[],
): BlockSet {
  const N = m.length,
    K = m[0].length;
  const blocks: { offset: number; shape: number[] }[] = [];
  let total = 0;
  for (const [rows, cols] of parts) {
    blocks.push({ offset: total, shape: [rows.length, cols.length] });
    total += (rows.length * cols.length + 15) & ~15;
  }
  const source = new Float32Array(total);
  const mask = new Float32Array(total);
  const target = new Float32Array(N * K);
  const targetMask = new Float32Array(N * K);
  // The way back keeps one buffer position per weight entry (target), so an entry in two blocks
  // would get the gradient of one of them only: refused, not silently halved.
  const owner = new Int32Array(N * K).fill(-1);
  parts.forEach(([rows, cols], p) => {
    rows.forEach((r, i) => {
      cols.forEach((c, j) => {
        if (!(r >= 0 && r < N && c >= 0 && c < K)) {
          throw new Error(`blockSet: block ${p} names W[${r}, ${c}], outside the ${N} × ${K} weight`);
        }
        if (owner[r * K + c] >= 0) {
          throw new Error(
            `blockSet: W[${r}, ${c}] lies in blocks ${owner[r * K + c]} and ${p}; blocks must not overlap`,
          );
        }
        owner[r * K + c] = p;
        const e = blocks[p].offset + i * cols.length + j;
        source[e] = r * K + c;
        target[r * K + c] = e;
        if (m[r][c]) mask[e] = targetMask[r * K + c] = 1;
      });
    });
  });
  return {
    source: device.persistent([total], source),
    mask: device.persistent([total], mask),
    target: device.persistent([N, K], target),
    targetMask: device.persistent([N, K], targetMask),
    blocks,
  };
}

/**
 * The blocks for inputs [x (features columns), context], or null when some hidden layer has no
 * context-side unit (nothing to share) or the context is empty. Tensors from `device`: a model
 * passes its ParamSet, so they are freed with its parameters.
 */
export function contextBlocks(
  device: PersistentAllocator,
  masks: BoolMatrix[],
  layouts: readonly LayerBlockLayout[],
  features: number,
): ContextBlocks | null {
  const L = masks.length;
  const inputs = masks[0][0].length;
  if (features <= 0 || features >= inputs || L < 2) return null;
  // Columns of the previous layer, split: context side and x side (state indices).
  let ctxCols = Array.from({ length: inputs - features }, (_, j) => features + j);
  let xCols = Array.from({ length: features }, (_, j) => j);
  const hidden: HiddenBlocks[] = [];
  for (let l = 0; l < L - 1; l++) {
    const m = masks[l];
    const order = Array.from(layouts[l].outputOrder!.data); // sorted position → state row
    const xSide = (r: number) => xCols.some((c) => m[r][c]);
    const xRows = order.filter(xSide);
    const ctxRows = order.filter((r) => !xSide(r));
    if (ctxRows.length === 0) return null;
    const bias = m.map(() => [true]);
    hidden.push({
      weight: blockSet(device, m, [
        [ctxRows, ctxCols],
        [xRows, ctxCols],
        [xRows, xCols],
      ]),
      bias: blockSet(device, bias, [
        [ctxRows, [0]],
        [xRows, [0]],
      ]),
      xRanges: blockRanges(device, m, xRows, xCols),
    });
    ctxCols = ctxRows;
    xCols = xRows;
  }
  const m = masks[L - 1];
  const all = Array.from(m, (_, r) => r);
  return {
    hidden,
    output: blockSet(device, m, [
      [all, ctxCols],
      [all, xCols],
    ]),
    outputXRanges: blockRanges(device, m, all, xCols),
  };
}
