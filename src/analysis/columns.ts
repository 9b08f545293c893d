/**
 * Columns of row-major event arrays, per class, and their moments: what the validation and the
 * dataset figures summarise. Float64 accumulation; population moments (÷ n). And the way back:
 * two columns of a file interleaved into [n, 2] rows.
 */

/** Arrays joined end to end into one of the given type (events of several files); one array is returned as is. */
export function concatArrays<T extends Float32Array | Float64Array>(arrays: readonly T[], make: (n: number) => T): T {
  if (arrays.length === 1) return arrays[0];
  const out = make(arrays.reduce((a, b) => a + b.length, 0));
  let o = 0;
  for (const a of arrays) {
    out.set(a, o);
    o += a.length;
  }
  return out;
}

/** Σw, Σw² and the count of negative weights of `w` (of its entries `indices` when given). */
export function weightSums(
  w: ArrayLike<number>,
  indices?: ArrayLike<number>,
): { count: number; sum: number; sum2: number; negative: number } {
  const count = indices ? indices.length : w.length;
  let sum = 0;
  let sum2 = 0;
  let negative = 0;
  for (let k = 0; k < count; k++) {
    const v = w[indices ? indices[k] : k];
    sum += v;
    sum2 += v * v;
    if (v < 0) negative++;
  }
  return { count, sum, sum2, negative };
}

/** Two columns interleaved into a row-major [n, 2] array. */
export function interleavePairs(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(2 * a.length);
  for (let i = 0; i < a.length; i++) {
    out[2 * i] = a[i];
    out[2 * i + 1] = b[i];
  }
  return out;
}

/**
 * Column d of the rows of a [n, w] array whose class is c (c undefined: all rows) and, when
 * `keep` is given, whose index it keeps.
 */
export function column(
  v: ArrayLike<number>,
  w: number,
  d: number,
  classes?: ArrayLike<number>,
  c?: number,
  keep?: (i: number) => boolean,
): Float64Array {
  const n = v.length / w;
  const take = (i: number) => (c === undefined || classes![i] === c) && (!keep || keep(i));
  let k = 0;
  for (let i = 0; i < n; i++) if (take(i)) k++;
  const out = new Float64Array(k);
  k = 0;
  for (let i = 0; i < n; i++) if (take(i)) out[k++] = v[i * w + d];
  return out;
}

/** Population mean and standard deviation (÷ n) of v[i] over the indices where `keep(i)`. */
export function meanStd(
  v: ArrayLike<number>,
  keep: (i: number) => boolean = () => true,
  stride = 1,
  offset = 0,
): { mean: number; std: number; n: number } {
  let n = 0;
  let s = 0;
  const count = Math.floor((v.length - offset + stride - 1) / stride);
  for (let i = 0; i < count; i++) {
    if (!keep(i)) continue;
    s += v[i * stride + offset];
    n++;
  }
  const mean = n > 0 ? s / n : NaN;
  let q = 0;
  for (let i = 0; i < count; i++) {
    if (!keep(i)) continue;
    const d = v[i * stride + offset] - mean;
    q += d * d;
  }
  return { mean, std: n > 0 ? Math.sqrt(q / n) : NaN, n };
}
