/** Reference indexed gather (assembly/gather.ts): out[e] = src[index[e]] · scale[e]. */
import type { Tensor } from '../../tensor/tensor.js';
import { badIndex, checkGather } from '../gather-checks.js';

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
