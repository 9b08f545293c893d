/**
 * Column plumbing for [M,N] tensors: concat, slice, gather, and reshape.
 * These are memory copies, not arithmetic, so they run the same typed-array loop on every
 * backend (all backends share one memory); each backward is the matching scatter.
 */
import type { Var } from '../autodiff/tape.js';
import { shapeStr, type Shape, type Tensor } from '../tensor/tensor.js';

/** Copy columns [c0, c0+w) of `src` into columns [d0, d0+w) of `dst` (both with M rows). */
function copyCols(dst: Tensor, d0: number, src: Tensor, c0: number, w: number, accumulate = false): void {
  const D = dst.data,
    S = src.data,
    M = src.rows,
    dn = dst.cols,
    sn = src.cols;
  // Plain index loops: the widths here are a few columns, where a subarray per row costs more
  // than the copy itself.
  for (let i = 0; i < M; i++) {
    const di = i * dn + d0,
      si = i * sn + c0;
    if (accumulate) for (let j = 0; j < w; j++) D[di + j] += S[si + j];
    else for (let j = 0; j < w; j++) D[di + j] = S[si + j];
  }
}

const as2d = (v: Var): [number, number] => [v.value.rows, v.value.cols];

/** [x₀ | x₁ | …] along columns; every input must have the same number of rows. */
export function concatCols(parts: Var[]): Var {
  if (parts.length === 0) throw new Error('concatCols: nothing to concatenate');
  const M = parts[0].value.rows;
  for (const p of parts) {
    if (p.value.rows !== M || p.shape.length !== 2) {
      throw new Error(`concatCols: shapes ${parts.map((q) => shapeStr(q.shape)).join(', ')} do not share a row count`);
    }
  }
  const N = parts.reduce((s, p) => s + p.value.cols, 0);
  const dev = parts[0].device;
  const out = dev.empty([M, N]);
  const offsets: number[] = [];
  let c = 0;
  for (const p of parts) {
    offsets.push(c);
    copyCols(out, c, p.value, 0, p.value.cols);
    c += p.value.cols;
  }
  return parts[0].tape.record('concatCols', out, parts, (g, needs) =>
    parts.map((p, k) => {
      if (!needs[k]) return null;
      const gk = dev.empty(p.shape);
      copyCols(gk, 0, g, offsets[k], p.value.cols);
      return gk;
    }),
  );
}

/** Columns [start, end) of an [M,N] tensor. */
export function sliceCols(a: Var, start: number, end: number): Var {
  const [M, N] = as2d(a);
  if (!(0 <= start && start < end && end <= N)) {
    throw new Error(`sliceCols: columns [${start}, ${end}) out of range for ${shapeStr(a.shape)}`);
  }
  const dev = a.device;
  const out = dev.empty([M, end - start]);
  copyCols(out, 0, a.value, start, end - start);
  return a.tape.record('sliceCols', out, [a], (g) => {
    const ga = dev.zeros(a.shape);
    copyCols(ga, start, g, 0, end - start);
    return [ga];
  });
}

/** out[:, j] = a[:, idx[j]];  the backward scatter-adds (an index may repeat). */
export function gatherCols(a: Var, idx: readonly number[]): Var {
  const [M, N] = as2d(a);
  for (const i of idx) {
    if (!Number.isInteger(i) || i < 0 || i >= N)
      throw new Error(`gatherCols: index ${i} out of range for ${shapeStr(a.shape)}`);
  }
  const dev = a.device;
  const W = idx.length;
  const out = dev.empty([M, W]);
  // One pass over the rows (not one per column): the residual layers gather coefficient slots
  // of every row at each evaluation.
  const from = Int32Array.from(idx);
  const S = a.value.data,
    D = out.data;
  for (let i = 0; i < M; i++) for (let j = 0; j < W; j++) D[i * W + j] = S[i * N + from[j]];
  return a.tape.record('gatherCols', out, [a], (g) => {
    const ga = dev.zeros(a.shape);
    const G = g.data,
      A = ga.data;
    for (let i = 0; i < M; i++) for (let j = 0; j < W; j++) A[i * N + from[j]] += G[i * W + j];
    return [ga];
  });
}

/** The same values seen with another shape (no copy). */
export function reshape(a: Var, shape: Shape): Var {
  const out = a.value.reshape(shape);
  return a.tape.record('reshape', out, [a], (g) => [g.reshape(a.shape)]);
}
