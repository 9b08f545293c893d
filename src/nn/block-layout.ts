/**
 * Block layout of a masked MLP: the same network with its hidden units reordered so that every
 * weight mask becomes block-triangular, and the matmuls can skip the zero blocks.
 *
 * Zuko assigns hidden units to adjacency groups in turn (unit h → group h mod G), so in the
 * state-dict order the zeros of a mask are scattered. For an autoregressive adjacency the
 * groups form a chain (each sees a superset of the one before), so sorting the units of each
 * hidden layer by how many inputs they see puts group 0 first, then group 1, …: a unit of
 * group g then sees a prefix of the previous layer (groups 0..g). With two features and a
 * 128-unit layer a quarter of every hidden and output weight is a zero block.
 *
 * Nothing outside the layer sees the order: inputs and outputs keep their positions, only the
 * hidden activations between two layers are permuted. Parameters stay in Zuko's layout; each
 * step gathers the masked weight into the sorted order and its gradient back into Zuko's order
 * (../ops/block-linear.ts, with the `gather` kernel: the way back is a gather through the
 * inverse permutation, so both directions split over threads safely). The ranges are computed
 * from the sorted masks themselves (first to last non-zero), so they are right for any mask;
 * they are only tight for chain-shaped adjacencies.
 */
import type { PersistentAllocator } from '../backend/device.js';
import type { LayerBlockLayout } from '../ops/block-linear.js';
import type { BoolMatrix } from './masks.js';

/** Stable order of the rows of `m` by their number of true entries. */
function orderByReach(m: BoolMatrix): Int32Array {
  const count = m.map((row) => row.reduce((s, v) => s + (v ? 1 : 0), 0));
  const idx = Array.from(m, (_, i) => i).sort((a, b) => count[a] - count[b] || a - b);
  return Int32Array.from(idx);
}

/**
 * Per-layer layouts for masks[ℓ] of shape (out × in), as maskedMlpMasks builds them. Their tensors
 * come from `device`: a model passes its ParamSet, so they are freed with its parameters.
 */
export function blockLayouts(device: PersistentAllocator, masks: BoolMatrix[]): LayerBlockLayout[] {
  const L = masks.length;
  // Order of each hidden layer's units: sorted by reach through the *sorted* previous layer.
  // (Reach is a count, so the previous layer's order does not change it.)
  const orders: (Int32Array | null)[] = masks.map((m, l) => (l < L - 1 ? orderByReach(m) : null));
  return masks.map((m, l) => {
    const N = m.length,
      K = m[0].length;
    const rowsOrder = orders[l];
    const colsOrder = l > 0 ? orders[l - 1] : null;
    const source = new Float32Array(N * K);
    const target = new Float32Array(N * K);
    const targetT = new Float32Array(N * K);
    const mask = new Float32Array(N * K);
    const rowRanges = new Float32Array(2 * N);
    const colLo = new Int32Array(K).fill(N),
      colHi = new Int32Array(K);
    for (let i = 0; i < N; i++) {
      const r = rowsOrder ? rowsOrder[i] : i;
      let lo = K,
        hi = 0;
      for (let j = 0; j < K; j++) {
        const c = colsOrder ? colsOrder[j] : j;
        source[i * K + j] = r * K + c;
        target[r * K + c] = i * K + j;
        targetT[r * K + c] = j * N + i;
        if (m[r][c]) {
          mask[i * K + j] = 1;
          if (j < lo) lo = j;
          hi = j + 1;
          if (i < colLo[j]) colLo[j] = i;
          colHi[j] = i + 1;
        }
      }
      rowRanges[2 * i] = lo < hi ? lo : 0;
      rowRanges[2 * i + 1] = lo < hi ? hi : 0;
    }
    const colRanges = new Float32Array(2 * K);
    for (let j = 0; j < K; j++) {
      colRanges[2 * j] = colLo[j] < colHi[j] ? colLo[j] : 0;
      colRanges[2 * j + 1] = colLo[j] < colHi[j] ? colHi[j] : 0;
    }
    const outputTarget = rowsOrder ? new Float32Array(N) : null;
    if (rowsOrder && outputTarget) rowsOrder.forEach((r, i) => (outputTarget[r] = i));
    return {
      source: device.persistent([N, K], source),
      mask: device.persistent([N, K], mask),
      target: device.persistent([N, K], target),
      targetT: device.persistent([N, K], targetT),
      stateMask: device.persistent(
        [N, K],
        m.flat().map((v) => (v ? 1 : 0)),
      ),
      outputOrder: rowsOrder ? device.persistent([N], rowsOrder) : null,
      outputTarget: outputTarget ? device.persistent([N], outputTarget) : null,
      ones: device.persistent([N], new Float32Array(N).fill(1)),
      rowRanges: device.persistent([N, 2], rowRanges),
      colRanges: device.persistent([K, 2], colRanges),
    };
  });
}

/** Share of the weights that fall outside the ranges (the matmul work the layout skips). */
export function skippedShare(layouts: readonly LayerBlockLayout[]): number {
  let all = 0,
    kept = 0;
  for (const l of layouts) {
    const r = l.rowRanges.data;
    for (let i = 0; i < r.length; i += 2) kept += r[i + 1] - r[i];
    all += l.source.size;
  }
  return all ? 1 - kept / all : 0;
}
