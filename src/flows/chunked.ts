/**
 * Evaluate a row-wise function over many rows in chunks, so a 100k-point evaluation uses a
 * bounded piece of the step arena: each chunk runs inside `device.scoped` and copies its
 * results out before the arena is rewound.
 */
import type { Device } from '../backend/device.js';
import type { Tensor } from '../tensor/tensor.js';

export const CHUNK_ROWS = 8192;

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
