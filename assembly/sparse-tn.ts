// Row-sparse weight gradient: matmul_tn_blocks (matmul.ts) for a left operand with many exact
// zeros (dY of a relu layer: the gradient through relu′).
//
//   matmul_tn_sparse(out, partials, a, b, M, R, N, blocks, c0, c1, scratch, ranges)
//       matmul_tn_blocks without accumulate: out[M,N] = a[R,M]ᵀ · b[R,N], R rows cut into
//       `blocks` batch blocks, block 0's sum into out and block c ≥ 1's into partials +
//       (c − 1)·M·N (the caller adds them in block order); `ranges` as matmul_tn's: per output
//       row [lo, hi) of wanted columns, the rest written 0.
//   sparse_tn_scratch_bytes(R, N, blocks, M, ranges) -> i32   (per thread, 64-byte aligned)
//
// Output row m (a unit) is Σ_r a[r, m] · b[r, :]: the row-sparse form (sparse-rows.ts) with a's
// column m as the compacted operand — four columns at a time, from 4×4 blocks of a transposed
// with shuffles — and the block's rows of b as B, packed into pieces. The pieces also end at the
// ranges' bounds, so a piece outside a row's range is skipped. An output layer's weight gradient
// (dY dense, x a relu output) runs through here transposed, xᵀ·dY (ops/block-linear.ts).
//
// Same bits as matmul_tn_blocks: its tiles sum a block's rows in chunks of KC (k-chunk.ts), each
// chunk from 0 and then added to the stored sum of the chunks before; here each chunk's terms
// go into fresh sums as well and `finish` adds the stored row (the row is its own "bias"). A
// chunk without terms adds 0, so it is skipped; a skipped term is an exact zero. As in the rows
// kernel, the first group of units decides: above half non-zeros the block runs dense.

import { matmul_scratch_bytes, matmul_tn_blocks } from './matmul';
import { batchBlockStart } from './batch-blocks';
import { KC } from './k-chunk';
import { PIECE_BYTES, compressTable, packPieces, plan, rowPiece } from './sparse-core';

/** Units (output rows) compacted at once. */
const GROUP: i32 = 32;
/** Above this share of non-zeros in the first group's columns (in 1/256), the block runs dense. */
const DENSE_ABOVE: i32 = 128;

/** Most rows one batch block can have (blocks start on multiples of 4). */
// @ts-ignore: decorator
@inline function maxBlockRows(R: i32, blocks: i32): i32 {
  return ((R + blocks - 1) / blocks + 7) & ~3;
}

// Scratch layout (bytes): swizzle table | zeros | out tail | pieces | GROUP lists | packed b | dense scratch.
// @ts-ignore: decorator
@inline function zeroBytes(N: i32): i32 { return (((N + 3) >> 2) << 4) + PIECE_BYTES; }
// @ts-ignore: decorator
@inline function chunkSlots(rows: i32): i32 { return (rows + KC - 1) / KC + 2; }
// @ts-ignore: decorator
@inline function listBytes(rows: i32): i32 { return (rows + 4) * 4; }
// @ts-ignore: decorator
@inline function slotBytes(rows: i32): i32 { return 2 * listBytes(rows) + chunkSlots(rows) * 4; }

function denseAt(R: i32, N: i32, blocks: i32, M: i32, count: i32): i32 {
  const rows = maxBlockRows(R, blocks);
  const head = 256 + zeroBytes(N) + PIECE_BYTES + (((N + 3) >> 2) << 4) + GROUP * slotBytes(rows);
  return (head + count * rows * PIECE_BYTES + 63) & ~63;
}

export function sparse_tn_scratch_bytes(R: i32, N: i32, blocks: i32, M: i32, ranges: usize): i32 {
  const count = plan(0, 0, N, 0, ranges, M);
  return denseAt(R, N, blocks, M, count) + matmul_scratch_bytes(N, maxBlockRows(R, blocks));
}

/**
 * Compact column m of a's block rows (a + rb0·M at `col`) into offs (row · PIECE_BYTES) and
 * vals; chunks[h] = the count before row h·KC, the last slot the total. Returns the total.
 */
function compactColumn(col: usize, M: i32, rows: i32, offs: usize, vals: usize, chunks: usize): i32 {
  let n = 0;
  const stride = <usize>(M << 2);
  let at = col;
  let h = 0;
  for (let r0 = 0; r0 < rows; r0 += KC) {
    store<i32>(chunks + <usize>(h << 2), n);
    h++;
    const r1 = r0 + KC < rows ? r0 + KC : rows;
    for (let r = r0; r < r1; r++) {
      const v = load<f32>(at);
      store<i32>(offs + <usize>(n << 2), r * PIECE_BYTES);
      store<f32>(vals + <usize>(n << 2), v);
      n += i32(v != 0);
      at += stride;
    }
  }
  store<i32>(chunks + <usize>(h << 2), n);
  return n;
}

/** Append the non-zero lanes of v (rows r..r+3 of one column) to the list at s; returns the new count. */
// @ts-ignore: decorator
@inline function appendVec(s: usize, lb: usize, n: i32, v: v128, off: v128, table: usize): i32 {
  const m = i32x4.bitmask(f32x4.ne(v, f32x4.splat(0)));
  const sh = v128.load(table + <usize>(m << 4));
  v128.store(s + <usize>(n << 2), i8x16.swizzle(off, sh));
  v128.store(s + lb + <usize>(n << 2), i8x16.swizzle(v, sh));
  return n + <i32>popcnt(m);
}

/**
 * compactColumn for four neighbouring columns at once, into the lists at s (slot bytes apart):
 * four rows of the four columns are one 4×4 block of a, transposed with shuffles into one vector
 * per column, whose non-zero lanes a swizzle packs to the front of its list (the rows kernel's
 * compaction). Column by column, every load would be a new cache line a row stride away. The
 * lists take vector stores: they hold rows + 4 entries. Returns the four totals' sum.
 */
function compactColumns4(col: usize, M: i32, rows: i32, s: usize, lb: usize, slot: usize, table: usize): i32 {
  let n0 = 0, n1 = 0, n2 = 0, n3 = 0;
  const s1 = s + slot, s2 = s1 + slot, s3 = s2 + slot;
  const chunks = lb * 2;
  const stride = <usize>(M << 2);
  const step = i32x4.splat(PIECE_BYTES * 4);
  let at = col;
  let h = 0;
  for (let r0 = 0; r0 < rows; r0 += KC) {
    const c = chunks + <usize>(h << 2);
    store<i32>(s + c, n0);
    store<i32>(s1 + c, n1);
    store<i32>(s2 + c, n2);
    store<i32>(s3 + c, n3);
    h++;
    const r1 = r0 + KC < rows ? r0 + KC : rows;
    let r = r0;
    let off = i32x4(r * PIECE_BYTES, (r + 1) * PIECE_BYTES, (r + 2) * PIECE_BYTES, (r + 3) * PIECE_BYTES);
    for (; r + 4 <= r1; r += 4) {
      const x0 = v128.load(at), x1 = v128.load(at + stride);
      const x2 = v128.load(at + stride * 2), x3 = v128.load(at + stride * 3);
      const t0 = v128.shuffle<f32>(x0, x1, 0, 4, 1, 5);
      const t1 = v128.shuffle<f32>(x2, x3, 0, 4, 1, 5);
      const t2 = v128.shuffle<f32>(x0, x1, 2, 6, 3, 7);
      const t3 = v128.shuffle<f32>(x2, x3, 2, 6, 3, 7);
      n0 = appendVec(s, lb, n0, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5), off, table);
      n1 = appendVec(s1, lb, n1, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7), off, table);
      n2 = appendVec(s2, lb, n2, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5), off, table);
      n3 = appendVec(s3, lb, n3, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7), off, table);
      off = i32x4.add(off, step);
      at += stride * 4;
    }
    for (; r < r1; r++) {
      const v = v128.load(at);
      const o = r * PIECE_BYTES;
      n0 = append(s, lb, n0, o, f32x4.extract_lane(v, 0));
      n1 = append(s1, lb, n1, o, f32x4.extract_lane(v, 1));
      n2 = append(s2, lb, n2, o, f32x4.extract_lane(v, 2));
      n3 = append(s3, lb, n3, o, f32x4.extract_lane(v, 3));
      at += stride;
    }
  }
  const c = chunks + <usize>(h << 2);
  store<i32>(s + c, n0);
  store<i32>(s1 + c, n1);
  store<i32>(s2 + c, n2);
  store<i32>(s3 + c, n3);
  return n0 + n1 + n2 + n3;
}

/** Append (offset, value) to the list at s when v ≠ 0 (written either way); returns the new count. */
// @ts-ignore: decorator
@inline function append(s: usize, lb: usize, n: i32, off: i32, v: f32): i32 {
  store<i32>(s + <usize>(n << 2), off);
  store<f32>(s + lb + <usize>(n << 2), v);
  return n + i32(v != 0);
}

export function matmul_tn_sparse(
  out: usize, partials: usize, a: usize, b: usize, M: i32, R: i32, N: i32,
  blocks: i32, c0: i32, c1: i32, scratch: usize, ranges: usize,
): void {
  if (N <= 0 || M <= 0) return;
  const maxRows = maxBlockRows(R, blocks);
  const table = scratch;
  const zeros = table + 256;
  const tail = zeros + <usize>(zeroBytes(N));
  const pieces = tail + <usize>(PIECE_BYTES);
  const lists = pieces + <usize>(((N + 3) >> 2) << 4);
  const lb = <usize>(listBytes(maxRows)), slot = <usize>(slotBytes(maxRows));
  const count = plan(pieces, 0, N, 0, ranges, M);
  const packed = lists + <usize>(GROUP) * slot;
  const dense = scratch + <usize>(denseAt(R, N, blocks, M, count));
  const ldo = <usize>(N << 2);
  memory.fill(zeros, 0, <usize>(zeroBytes(N)));
  compressTable(table);

  for (let c = c0; c < c1; c++) {
    const rb0 = batchBlockStart(c, R, blocks);
    const rows = batchBlockStart(c + 1, R, blocks) - rb0;
    const dst = c == 0 ? out : partials + <usize>(c - 1) * <usize>(M * N * 4);
    const aBlock = a + <usize>(rb0) * <usize>(M << 2);
    const nChunks = (rows + KC - 1) / KC;

    for (let g0 = 0; g0 < M; g0 += GROUP) {
      const units = M - g0 < GROUP ? M - g0 : GROUP;
      let nz = 0;
      let i = 0;
      for (; i + 4 <= units; i += 4) {
        nz += compactColumns4(aBlock + <usize>((g0 + i) << 2), M, rows, lists + <usize>(i) * slot, lb, slot, table);
      }
      for (; i < units; i++) {
        const s = lists + <usize>(i) * slot;
        nz += compactColumn(aBlock + <usize>((g0 + i) << 2), M, rows, s, s + lb, s + lb * 2);
      }
      if (g0 == 0) {
        // The first group decides for the block: dense above DENSE_ABOVE (the same bits either way).
        if (<i64>nz * 256 > <i64>DENSE_ABOVE * <i64>units * <i64>rows) {
          matmul_tn_blocks(out, partials, a, b, M, R, N, 0, blocks, c, c + 1, dense, ranges);
          break;
        }
        packPieces(packed, b + <usize>(rb0) * ldo, false, rows, N, pieces, count);
      }
      for (let q = 0; q < count; q++) {
        const at = pieces + <usize>(q << 4);
        const j = load<i32>(at);
        const w = load<i32>(at, 4);
        const p = packed + <usize>(q) * <usize>(rows * PIECE_BYTES);
        const cut = j + (w << 2) > N;
        for (let i = 0; i < units; i++) {
          const m = g0 + i;
          if (ranges) {
            const lo = <i32>load<f32>(ranges + <usize>(m << 3));
            const hi = <i32>load<f32>(ranges + <usize>(m << 3), 4);
            if (j >= hi || j + (w << 2) <= lo) continue; // zeroed below
          }
          const s = lists + <usize>(i) * slot;
          const chunks = s + lb * 2;
          const row = dst + <usize>(m) * ldo + <usize>(j << 2);
          const o = cut ? tail : row;
          for (let h = 0; h < nChunks; h++) {
            const t0 = load<i32>(chunks + <usize>(h << 2));
            const t1 = load<i32>(chunks + <usize>((h + 1) << 2));
            if (h > 0 && t1 == t0) continue;
            rowPiece(w, o, p, s, s + lb, t0, t1, h == 0 ? zeros : o, 0);
          }
          if (cut) memory.copy(row, tail, <usize>((N - j) << 2));
        }
      }
      if (ranges) {
        for (let i = 0; i < units; i++) {
          const m = g0 + i;
          const lo = <i32>load<f32>(ranges + <usize>(m << 3));
          const hi = <i32>load<f32>(ranges + <usize>(m << 3), 4);
          const row = dst + <usize>(m) * ldo;
          for (let j = 0; j < N; j++) if (j < lo || j >= hi) store<f32>(row + <usize>(j << 2), 0);
        }
      }
    }
  }
}
