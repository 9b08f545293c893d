/**
 * Zuko's masked-MLP construction: from an adjacency A (which inputs each output may see) to one
 * boolean mask per linear layer, so that output r depends only on the inputs A[r] allows.
 *
 * This is not MADE's degree assignment: hidden units are assigned to *groups of distinct
 * adjacency rows*, cycling through the reachable groups in lexicographic row order (spec §2.4).
 * Following that order exactly is what makes freshly built masks bit-identical to the masks in
 * Zuko checkpoints.
 */

export type BoolMatrix = boolean[][];

const rowKey = (row: boolean[]) => row.map((b) => (b ? '1' : '0')).join('');

/** Lexicographic order, column 0 most significant, false < true. */
function compareRows(a: boolean[], b: boolean[]): number {
  for (let j = 0; j < a.length; j++) if (a[j] !== b[j]) return a[j] ? 1 : -1;
  return 0;
}

/**
 * Masks for layers Lin_0 … Lin_L of a network with input width A[0].length, hidden widths
 * `hidden`, output width A.length. Each mask is (out × in), row-major booleans.
 */
export function maskedMlpMasks(A: BoolMatrix, hidden: readonly number[]): BoolMatrix[] {
  // 1. distinct rows, sorted, and the group of every original row
  const unique: boolean[][] = [];
  const seen = new Map<string, boolean[]>();
  for (const row of A) {
    if (seen.has(rowKey(row))) continue;
    seen.set(rowKey(row), row);
    unique.push(row);
  }
  unique.sort(compareRows);
  const groupOf = new Map(unique.map((row, g) => [rowKey(row), g]));
  const inv = A.map((row) => groupOf.get(rowKey(row))!);
  const R = unique.length;

  // 2. precedence: P[g][h] = inputs(U_h) ⊆ inputs(U_g)
  const P: BoolMatrix = unique.map((ug) => unique.map((uh) => uh.every((v, j) => !v || ug[j])));

  const masks: BoolMatrix[] = [];
  let base: BoolMatrix = unique; // rows = groups, columns = units of the previous layer
  for (let l = 0; l < hidden.length; l++) {
    if (base.every((row) => row.every((v) => !v)))
      throw new Error('masked MLP: null Jacobian (no output sees any input)');
    const reachable = base.map((row, g) => (row.some((v) => v) ? g : -1)).filter((g) => g >= 0);
    const idx = Array.from({ length: hidden[l] }, (_, h) => reachable[h % reachable.length]);
    masks.push(idx.map((g) => base[g].slice()));
    base = P.map((row) => idx.map((g) => row[g]));
  }
  if (base.every((row) => row.every((v) => !v)))
    throw new Error('masked MLP: null Jacobian (no output sees any input)');
  masks.push(inv.map((g) => base[g].slice()));
  void R;
  return masks;
}

/**
 * The NSF adjacency for one autoregressive transform (spec §2.3): output block of feature i
 * (P rows) sees feature j < F iff order[i] > order[j], and every context column.
 */
export function autoregressiveAdjacency(order: readonly number[], perFeature: number, context: number): BoolMatrix {
  const F = order.length;
  const A: BoolMatrix = [];
  for (let i = 0; i < F; i++) {
    const row = [...order.map((oj) => order[i] > oj), ...Array<boolean>(context).fill(true)];
    for (let p = 0; p < perFeature; p++) A.push(row.slice());
  }
  return A;
}

/**
 * The residual layer's adjacency (spec §5.1): output block of layer-local feature i sees
 * features j < i and every context column — in natural order, not from an order vector.
 */
export function strictlyLowerAdjacency(features: number, perFeature: number, context: number): BoolMatrix {
  return autoregressiveAdjacency(
    Array.from({ length: features }, (_, i) => i),
    perFeature,
    context,
  );
}

/**
 * Which inputs any output of a masked network can depend on: input j counts when some path of
 * mask entries leads from it to an output. The others reach no output whatever their values
 * (with the masks' zeros, for finite values), so rows that agree on the counted inputs give the
 * same outputs (./distinct-rows.ts).
 */
export function inputsReachingOutputs(masks: readonly BoolMatrix[]): boolean[] {
  let live: boolean[] = Array<boolean>(masks[masks.length - 1].length).fill(true);
  for (let l = masks.length - 1; l >= 0; l--) {
    const m = masks[l];
    live = m[0].map((_, j) => m.some((row, i) => live[i] && row[j]));
  }
  return live;
}
