/**
 * Reference gathers (assembly/gather.ts): out[e] = src[index[e]] · scale[e], and whole rows,
 * out[r, :] = src[rows[r], :].
 */
import type { Tensor } from '../../tensor/tensor.js';
import { badIndex, badRow, checkGather, checkGatherRows } from '../gather-checks.js';

export function gather(out: Tensor, src: Tensor, index: Tensor, scale: Tensor): void {
  checkGather('ts gather', out, index, scale);
  const o = out.data,
    s = src.data,
    ix = index.data,
    sc = scale.data;
  for (let e = 0; e < ix.length; e++) {
    const j = ix[e];
    if (!(Number.isInteger(j) && j >= 0 && j < s.length)) badIndex('ts gather', e, index, src);
    o[e] = s[j] * sc[e];
  }
}

export function gatherRows(out: Tensor, src: Tensor, rows: Tensor): void {
  checkGatherRows('ts gatherRows', out, src, rows);
  const N = out.cols;
  const o = out.data,
    s = src.data,
    ix = rows.data;
  for (let r = 0; r < ix.length; r++) {
    const j = ix[r];
    if (!(Number.isInteger(j) && j >= 0 && j < src.rows)) badRow('ts gatherRows', r, rows, src);
    for (let c = 0; c < N; c++) o[r * N + c] = s[j * N + c];
  }
}
