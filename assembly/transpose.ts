// The 4×4 transpose of four f32x4 rows with shuffles, shared by the packing routines (matmul.ts's
// packA4, sparse-core.ts's packPieces). Internal: not re-exported by index.ts.

/** Store the columns of the 4×4 block whose rows are x0..x3 at d, d + step, d + 2·step, d + 3·step. */
// @ts-ignore: decorator
@inline export function storeTransposed4(d: usize, step: usize, x0: v128, x1: v128, x2: v128, x3: v128): void {
  const t0 = v128.shuffle<f32>(x0, x1, 0, 4, 1, 5);
  const t1 = v128.shuffle<f32>(x2, x3, 0, 4, 1, 5);
  const t2 = v128.shuffle<f32>(x0, x1, 2, 6, 3, 7);
  const t3 = v128.shuffle<f32>(x2, x3, 2, 6, 3, 7);
  v128.store(d, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
  v128.store(d + step, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
  v128.store(d + step * 2, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5));
  v128.store(d + step * 3, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7));
}
