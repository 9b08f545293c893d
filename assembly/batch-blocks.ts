// Batch blocks: how the kernels that reduce over the batch rows (a weight gradient, a bias
// gradient) cut it, so that each thread sums the rows it wrote and the partial sums are added in
// block order. Internal: not re-exported by index.ts.

/** First row of block c of `blocks` near-equal blocks of R rows, on multiples of 4 (block `blocks` starts at R). */
export function batchBlockStart(c: i32, R: i32, blocks: i32): i32 {
  return c >= blocks ? R : <i32>((<i64>c * <i64>(R >> 2)) / <i64>blocks) << 2;
}
