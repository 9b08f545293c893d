/**
 * Integer columns of any stored width become int32 when every value fits (class labels, counts),
 * else float64 (exact up to 2^53): one representation downstream instead of eight.
 */
import type { StoredColumn } from './table.js';

type IntArray = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array;

/** Any integers: typed arrays, or plain arrays of numbers or bigints (e.g. unsigned 64-bit values ≥ 2^63). */
export function fromIntegers(
  values: IntArray | BigInt64Array | BigUint64Array | readonly (number | bigint)[],
): StoredColumn {
  if (values instanceof Int32Array) return { type: 'int32', values };
  const n = values.length;
  let fits = true;
  for (let i = 0; i < n && fits; i++) {
    const v = values[i];
    fits = v >= -2147483648 && v <= 2147483647;
  }
  if (fits) {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = Number(values[i]);
    return { type: 'int32', values: out };
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Number(values[i]);
  return { type: 'float64', values: out };
}
