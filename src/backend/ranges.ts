/**
 * Block ranges: the optional last argument of the three matmul kernels, describing where a
 * block-structured (masked, group-sorted) weight can be non-zero, so kernels skip the rest.
 *
 * A ranges tensor holds one [lo, hi) pair per entry, as f32 (exact for the sizes used here), shape
 * [count, 2]. What an entry is depends on the layout (see `Kernels`):
 *   matmulNT: per row n of w, w[n, k] = 0 outside lo ≤ k < hi (the sum skips those k);
 *   matmulNN: per column n of b, b[k, n] = 0 outside lo ≤ k < hi (the sum skips those k) — or
 *             the range is empty and the caller does not read out[:, n] (a frozen layer's input
 *             gradient for units no wanted gradient passes through, ../nn/masked-mlp.ts);
 *   matmulTN: per output row m, only out[m, lo..hi) is wanted; the rest is written 0 (and
 *             ranges do not combine with accumulate: what to keep outside would be ambiguous).
 * For NT and NN the caller promises the zeros: the product is then the full product, so a
 * backend may ignore the ranges there (an unread NN column then holds the full sum instead of
 * a partial one or 0; only its content is unspecified). For TN every backend must write the zeros.
 */
import { shapeStr, type Tensor } from '../tensor/tensor.js';

/** Throws unless `ranges` has `count` pairs with 0 ≤ lo ≤ hi ≤ limit (integers). */
export function checkRanges(kernel: string, ranges: Tensor, count: number, limit: number, what: string): void {
  if (ranges.size !== 2 * count) {
    throw new Error(`${kernel}: ranges ${shapeStr(ranges.shape)} must hold ${count} [lo, hi) pairs, one per ${what}`);
  }
  const r = ranges.data;
  for (let j = 0; j < count; j++) {
    const lo = r[2 * j],
      hi = r[2 * j + 1];
    if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo >= 0 && lo <= hi && hi <= limit)) {
      throw new Error(`${kernel}: range ${j} is [${lo}, ${hi}), expected integers 0 ≤ lo ≤ hi ≤ ${limit}`);
    }
  }
}

/** matmulTN takes ranges only when writing, not accumulating. */
export function checkTnRanges(kernel: string, ranges: Tensor, accumulate: boolean, rows: number, cols: number): void {
  if (accumulate)
    throw new Error(
      `${kernel}: ranges cannot be combined with accumulate (the entries outside them would be ambiguous)`,
    );
  checkRanges(kernel, ranges, rows, cols, 'output row');
}

/** matmulTN's contract on a backend that computed every entry: zero what the ranges leave out. */
export function zeroOutsideRowRanges(out: Tensor, ranges: Tensor): void {
  const [M, N] = [out.rows, out.cols];
  const o = out.data,
    r = ranges.data;
  for (let m = 0; m < M; m++) {
    const lo = r[2 * m],
      hi = r[2 * m + 1];
    for (let n = 0; n < N; n++) if (n < lo || n >= hi) o[m * N + n] = 0;
  }
}
