/** Reference index moves (assembly/permute.ts): gather out[e] = src[index[e]]·scale[e], or scatter out[index[e]] = src[e]·scale[e]. */
import type { Tensor } from '../../tensor/tensor.js';
import { badIndex, checkPermute } from '../permute-checks.js';

export function permute(out: Tensor, src: Tensor, index: Tensor, scale: Tensor, scatter: boolean): void {
  checkPermute('ts permute', out, src, index, scale, scatter);
  const o = out.data, s = src.data, ix = index.data, sc = scale.data;
  const limit = scatter ? out.size : src.size;
  for (let e = 0; e < ix.length; e++) {
    const j = ix[e];
    if (!(Number.isInteger(j) && j >= 0 && j < limit)) badIndex('ts permute', e, index, scatter ? out : src, scatter);
    if (scatter) o[j] = s[e] * sc[e];
    else o[e] = s[j] * sc[e];
  }
}
