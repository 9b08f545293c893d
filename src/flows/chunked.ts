/**
 * Evaluate a row-wise function over many rows in chunks, so a 100k-point evaluation uses a
 * bounded piece of the step arena: each chunk runs inside `device.scoped` and copies its
 * results out before the arena is rewound.
 */
import type { Device } from '../backend/device.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkRng } from '../random/rng.js';
import { MAX_EVENTS } from '../toy/sample.js';

export const CHUNK_ROWS = 8192;

/**
 * A caller's row-major values for input `name`, as the Float32Array the kernels read. TypeScript
 * callers pass one already; plain arrays and other typed arrays (from JavaScript) are copied to
 * float32; anything else is an error naming the input and where it was given.
 */
export function rowValues(where: string, name: string, v: unknown): Float32Array {
  if (v instanceof Float32Array) return v;
  if (Array.isArray(v)) {
    // Float32Array.from turns a string into NaN and a nested row into NaN (so the row count is off
    // and the context is blamed): refuse anything but numbers, naming the first bad element.
    for (let i = 0; i < v.length; i++) {
      const e: unknown = v[i];
      if (typeof e === 'number') continue;
      const what = Array.isArray(e)
        ? 'an array (nested rows)'
        : e === null || e === undefined
          ? String(e)
          : typeof e === 'object'
            ? 'an object'
            : `a ${typeof e}`;
      throw new Error(
        `${where}: ${name}[${i}] is ${what}; ${name} must be flat row-major numbers` +
          (Array.isArray(e) ? ' (flatten the rows: [a0, a1, b0, b1, …])' : ''),
      );
    }
    return Float32Array.from(v as number[]);
  }
  // BigInt arrays cannot be converted to float32 (a TypeError deep inside): refused with the rest
  if (
    ArrayBuffer.isView(v) &&
    !(v instanceof DataView) &&
    !(v instanceof BigInt64Array) &&
    !(v instanceof BigUint64Array)
  ) {
    return Float32Array.from(v as unknown as ArrayLike<number>);
  }
  const got = v === null ? 'null' : typeof v === 'object' ? (v.constructor?.name ?? 'an object') : typeof v;
  throw new Error(`${where}: ${name} must be a Float32Array of row-major values, got ${got}`);
}

/**
 * An error unless every value of `data` (rows of `width`) is finite, naming the first bad one by
 * row and column. For the condition (context, ν) and weights: a NaN there does not stay in its own
 * row as a NaN x does — a context NaN gave a plausible finite log p, a ν NaN NaN draws and
 * gradients — so it is refused rather than silently used.
 */
export function requireFinite(where: string, name: string, data: Float32Array, width: number): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v - v === 0) continue; // false for NaN and ±∞ only; the common case costs one compare
    const at = width === 1 ? `row ${i}` : `row ${Math.floor(i / width)}, column ${i % width}`;
    throw new Error(`${where}: ${name} is ${v} at ${at} (index ${i}); ${name} must be finite`);
  }
}

/**
 * A density vanishes at infinity: rows of x (F values each) with an infinite value and no NaN get
 * log p = −∞ in `logProb`, whatever the networks made of the infinity (their sums can give
 * ∞ − ∞ = NaN, and did at ν ≠ 0 while ν = 0 gave −∞). Returns those rows, for callers that also
 * fix their gradients. NaN rows are left as computed (NaN).
 */
export function infiniteRowsVanish(x: Float32Array, F: number, logProb: Float32Array): number[] {
  const rows: number[] = [];
  for (let r = 0; r < logProb.length; r++) {
    let inf = false,
      nan = false;
    for (let j = r * F; j < r * F + F; j++) {
      const v = x[j];
      if (v !== v) nan = true;
      else if (v === Infinity || v === -Infinity) inf = true;
    }
    if (inf && !nan) {
      logProb[r] = -Infinity;
      rows.push(r);
    }
  }
  return rows;
}

/**
 * The rows of x (F values each) and their context (C per row; C = 0: none) given to `where`,
 * checked and as Float32Arrays: what every array-level entry point of a flow or model starts from.
 */
export function rowsWithContext(
  where: string,
  x: unknown,
  context: unknown,
  F: number,
  C: number,
  xName = 'x',
): { x: Float32Array; context: Float32Array | null; n: number } {
  const xs = rowValues(where, xName, x);
  if (xs.length % F !== 0)
    throw new Error(`${where}: ${xs.length} values is not a whole number of rows of ${F} features`);
  const n = xs.length / F;
  return { x: xs, context: contextRows(where, context, n, C), n };
}

/** The context (C columns; C = 0: none) as n rows, checked (finite too): per row, or one row for all. */
export function contextRows(where: string, context: unknown, n: number, C: number): Float32Array | null {
  if (C === 0) return null;
  if (!context) throw new Error(`${where}: needs a context of ${C} columns per row`);
  const values = rowValues(where, 'context', context);
  const rows = perRow(where, 'context', values, n, C);
  requireFinite(where, 'context', values, C);
  return rows;
}

/**
 * `data` as n rows of `width` values: given per row, or as one row that every row shares (like ν:
 * one class's context for a whole sample), which is then repeated. Anything else is an error.
 */
export function perRow(where: string, name: string, data: Float32Array, n: number, width: number): Float32Array {
  if (data.length === width && n !== 1) {
    const rows = new Float32Array(n * width);
    for (let r = 0; r < n; r++) rows.set(data, r * width);
    return rows;
  }
  if (data.length !== n * width) {
    throw new Error(
      `${where}: ${name} has ${data.length} values, expected ${width} (one row for all) or ${n} rows × ${width}`,
    );
  }
  return data;
}

/**
 * The most draws one `sample` call makes: the toy generator's cap (MAX_EVENTS). The draws, their
 * latents and the context and ν repeated to n rows are all held in memory at once; beyond it a
 * call ran out of memory (2³¹) or failed with a bare RangeError (1e10) instead of saying so.
 */
export const MAX_DRAWS = MAX_EVENTS;
/** Why MAX_DRAWS, for the message that refuses more. */
const DRAWS_MEMORY = 'the draws, their latents and the context and ν rows are held in memory at once; draw in batches';

/**
 * An error unless n is a whole number of draws, at most MAX_DRAWS, and rng an Rng (JavaScript
 * callers may pass anything).
 */
export function checkSampleArgs(where: string, n: number, rng: unknown): void {
  if (!Number.isInteger(n) || n < 0) {
    throw new Error(
      `${where}: n must be a whole number of draws, got ${typeof n === 'string' ? `the string '${n}'` : n}`,
    );
  }
  if (n > MAX_DRAWS)
    throw new Error(`${where}: n = ${n} is more than the ${MAX_DRAWS} draws one call makes (${DRAWS_MEMORY})`);
  checkRng(where, rng);
}

/**
 * `inputs` are row-major arrays with `widths[k]` columns each (width 0 = absent, passed as
 * null); `fn` returns tensors with `outWidths[j]` columns per row.
 */
export function chunked(
  dev: Device,
  n: number,
  inputs: { data: Float32Array | null; width: number }[],
  outWidths: number[],
  fn: (chunk: (Tensor | null)[], rows: number) => Tensor[],
  chunkRows = CHUNK_ROWS,
): Float32Array[] {
  inputs.forEach((inp, k) => {
    if (inp.data && inp.data.length !== n * inp.width) {
      throw new Error(`input ${k}: ${inp.data.length} values, expected ${n} rows × ${inp.width}`);
    }
  });
  const outs = outWidths.map((w) => new Float32Array(n * w));
  for (let r0 = 0; r0 < n; r0 += chunkRows) {
    const rows = Math.min(chunkRows, n - r0);
    dev.scoped(() => {
      const ts = inputs.map((inp) =>
        inp.data ? dev.tensor(inp.data.subarray(r0 * inp.width, (r0 + rows) * inp.width), [rows, inp.width]) : null,
      );
      const res = fn(ts, rows);
      res.forEach((t, j) => outs[j].set(t.data.subarray(0, rows * outWidths[j]), r0 * outWidths[j]));
    });
  }
  return outs;
}
