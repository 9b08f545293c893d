// Block ranges (src/nn/block-layout.ts): one f32 pair [lo, hi) per entry, the span where a
// sorted masked weight can be non-zero. Read by the dense tiles (matmul.ts) and the sparse
// products (sparse-core.ts). Internal: not re-exported by index.ts.

/** Union [lo, hi) of the f32 range pairs of entries [j0, j1), as lo | hi << 16 (sizes < 65536). */
export function unionRange(ranges: usize, j0: i32, j1: i32): i32 {
  let lo = 0x7fffffff, hi = 0;
  for (let j = j0; j < j1; j++) {
    const l = <i32>load<f32>(ranges + <usize>(j << 3));
    const h = <i32>load<f32>(ranges + <usize>(j << 3), 4);
    if (h > l) {
      if (l < lo) lo = l;
      if (h > hi) hi = h;
    }
  }
  return lo >= hi ? 0 : lo | (hi << 16);
}
