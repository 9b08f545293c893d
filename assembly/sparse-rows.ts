// Row-sparse product: the matmul for a left operand with many exact zeros (a relu layer's
// output, or a gradient masked by relu′).
//
//   matmul_sparse_rows(out, a, b, transB, bias, M, K, N, act, r0, r1, scratch, ranges)
//       out[M,N] = act(a[M,K] · B + bias[N]), B = b[N,K]ᵀ when transB (matmul_nt's w) else
//       b[K,N] (matmul_nn's b); bias == 0 means none, act as matmul_nt (not with !transB: the
//       dense fallback, matmul_nn, has neither). `ranges` (0: none): per output column j an f32
//       pair [lo, hi), the terms k outside it being zero — what matmul_nt and matmul_nn read.
//   sparse_rows_scratch_bytes(K, N) -> i32   (per thread, 64-byte aligned pointer)
//
// Why: a relu network's hidden activations are about half zeros at initialisation and 70–85 %
// zeros in the shipped score model's second and third layers, and so is the gradient
// that flows back through relu′. The dense tiles (matmul.ts) multiply by every zero. Here each
// row of a is compacted to its non-zero terms (value, and byte offset of B's row), four lanes at a
// time with a swizzle table; then each output row is accumulated from its terms alone, one piece
// of up to 7 vectors of columns at a time held in registers: per term one broadcast, and a load
// and a multiply-add per vector. 7 because V8 loads all of a term's vectors before its
// multiply-adds: 7 loads + 7 sums + the broadcast fill the 15 xmm registers it allocates; 8 spill.
// B is packed per call as [piece][k][7 vectors] (a piece's rows a row stride apart fall into few
// of L1's sets, as matmul.ts's packNN explains), and rows are compacted BLOCK_ROWS at a time so
// their lists stay in L1 while one piece of B runs over all of them.
//
// One multiply-add per term carries a latency chain per sum, so this loop reaches ~70 % of the
// 128-bit peak where the dense 4×8 tile reaches ~87 %, and compaction costs ~0.1 ms per 1024 ×
// 128: the sparse loop wins below about half non-zeros. The kernel measures its first block of
// rows and hands the call to the dense kernel above DENSE_ABOVE.
//
// Same bits as the dense kernels: every output is summed from 0 in increasing k, one multiply-add
// per term, then + bias, then act, the order of matmul.ts's tiles, and a skipped term is an exact
// zero (0·b adds nothing to a sum; NaN ≠ 0, so a NaN in a is kept). Only an infinite B entry
// opposite a zero of a differs (the dense product gives NaN there). Rows are independent, so a
// pool may split a call over rows [r0, r1) with identical results.

import { matmul_nn, matmul_nt, matmul_scratch_bytes } from './matmul';
import { PIECE_BYTES, compressTable, packPieces, plan, rowPiece } from './sparse-core';

/** Rows compacted at once: their lists stay in L1 while each piece of B runs over all of them. */
const BLOCK_ROWS: i32 = 32;
/** Above this share of non-zeros in the first block (in 1/256), the call runs dense. */
const DENSE_ABOVE: i32 = 128;

/**
 * Compact one row of a (K values at ar) into offs (k·PIECE_BYTES) and vals, four lanes at a
 * time; starts[g] = the count of non-zeros before k = 4g, starts[last] the total, returned too.
 * The vector stores may write 3 entries past the count: offs and vals hold K + 4.
 */
function compact(ar: usize, K: i32, offs: usize, vals: usize, starts: usize, total: usize, table: usize): i32 {
  let n = 0;
  let off = i32x4(0, PIECE_BYTES, PIECE_BYTES * 2, PIECE_BYTES * 3);
  const step = i32x4.splat(PIECE_BYTES * 4);
  const zero = f32x4.splat(0);
  const groups = K >> 2;
  for (let g = 0; g < groups; g++) {
    store<i32>(starts + <usize>(g << 2), n);
    const v = v128.load(ar + <usize>(g << 4));
    const m = i32x4.bitmask(f32x4.ne(v, zero));
    const sh = v128.load(table + <usize>(m << 4));
    v128.store(vals + <usize>(n << 2), i8x16.swizzle(v, sh));
    v128.store(offs + <usize>(n << 2), i8x16.swizzle(off, sh));
    n += <i32>popcnt(m);
    off = i32x4.add(off, step);
  }
  store<i32>(starts + <usize>(groups << 2), n);
  for (let k = groups << 2; k < K; k++) {
    const v = load<f32>(ar + <usize>(k << 2));
    store<i32>(offs + <usize>(n << 2), k * PIECE_BYTES);
    store<f32>(vals + <usize>(n << 2), v);
    n += i32(v != 0);
  }
  store<i32>(total, n);
  return n;
}

/** Position in a compacted row of its first term with index ≥ k (starts as compact wrote them). */
// @ts-ignore: decorator
@inline function bound(ar: usize, starts: usize, k: i32): i32 {
  const g = k >> 2;
  let t = load<i32>(starts + <usize>(g << 2));
  for (let kk = g << 2; kk < k; kk++) t += i32(load<f32>(ar + <usize>(kk << 2)) != 0);
  return t;
}

/** Scratch layout, in bytes from the (64-byte aligned) scratch pointer. */
// @ts-ignore: decorator
@inline function listBytes(K: i32): i32 { return (K + 4) * 4; }
// @ts-ignore: decorator
@inline function startBytes(K: i32): i32 { return ((K >> 2) + 2) * 4; }
// @ts-ignore: decorator
@inline function slotBytes(K: i32): i32 { return 2 * listBytes(K) + startBytes(K); }
// @ts-ignore: decorator
@inline function maxPieces(N: i32): i32 { return (N + 3) >> 2; }
// table 256 | bias ⌈N/4⌉·16 + 112 | out tail 112 | pieces | row lists | packed B | dense scratch
// @ts-ignore: decorator
@inline function denseAt(K: i32, N: i32): i32 {
  const head = 256 + maxPieces(N) * 16 + PIECE_BYTES + PIECE_BYTES + maxPieces(N) * 16 + BLOCK_ROWS * slotBytes(K);
  return (head + maxPieces(N) * K * PIECE_BYTES + 63) & ~63;
}

export function sparse_rows_scratch_bytes(K: i32, N: i32): i32 {
  return denseAt(K, N) + matmul_scratch_bytes(N, K);
}

export function matmul_sparse_rows(
  out: usize, a: usize, b: usize, transB: i32, bias: usize, M: i32, K: i32, N: i32, act: i32,
  r0: i32, r1: i32, scratch: usize, ranges: usize,
): void {
  if (r1 <= r0 || N <= 0) return;
  const table = scratch;
  const biasP = table + 256;
  const tail = biasP + <usize>(maxPieces(N) * 16 + PIECE_BYTES);
  const pieces = tail + <usize>(PIECE_BYTES);
  const lists = pieces + <usize>(maxPieces(N) * 16);
  const packed = lists + <usize>(BLOCK_ROWS * slotBytes(K));
  const lb = <usize>(listBytes(K)), sb = <usize>(startBytes(K)), slot = <usize>(slotBytes(K));
  const ldo = <usize>(N << 2);
  const rowA = <usize>(K << 2);
  compressTable(table);

  // The first block decides: dense above DENSE_ABOVE non-zeros (the same bits either way).
  const first = r1 - r0 < BLOCK_ROWS ? r1 - r0 : BLOCK_ROWS;
  let nz = 0;
  for (let i = 0; i < first; i++) {
    const s = lists + <usize>(i) * slot;
    nz += compact(a + <usize>(r0 + i) * rowA, K, s, s + lb, s + lb * 2, s + lb * 2 + sb - 4, table);
  }
  if (<i64>nz * 256 > <i64>DENSE_ABOVE * <i64>first * <i64>K) {
    const dense = scratch + <usize>(denseAt(K, N));
    if (transB) matmul_nt(out, a, b, bias, M, K, N, act, r0, r1, dense, ranges);
    else matmul_nn(out, a, b, M, K, N, 0, r0, r1, dense, ranges);
    return;
  }

  const nPad = maxPieces(N) << 2;
  for (let j = 0; j < nPad + 28; j++) {
    store<f32>(biasP + <usize>(j << 2), bias && j < N ? load<f32>(bias + <usize>(j << 2)) : 0);
  }
  const count = plan(pieces, ranges, N, K, 0, 0);
  packPieces(packed, b, transB != 0, K, N, pieces, count);
  for (let rb = r0; rb < r1; rb += BLOCK_ROWS) {
    const rows = r1 - rb < BLOCK_ROWS ? r1 - rb : BLOCK_ROWS;
    if (rb > r0) {
      for (let i = 0; i < rows; i++) {
        const s = lists + <usize>(i) * slot;
        compact(a + <usize>(rb + i) * rowA, K, s, s + lb, s + lb * 2, s + lb * 2 + sb - 4, table);
      }
    }
    for (let q = 0; q < count; q++) {
      const at = pieces + <usize>(q << 4);
      const j = load<i32>(at);
      const w = load<i32>(at, 4);
      const lo = load<i32>(at, 8);
      const hi = load<i32>(at, 12);
      const p = packed + <usize>(q) * <usize>(K * PIECE_BYTES);
      const bj = biasP + <usize>(j << 2);
      // The piece holding the last, partial vector goes through `tail` so nothing past N is written.
      const cut = j + (w << 2) > N;
      for (let i = 0; i < rows; i++) {
        const s = lists + <usize>(i) * slot;
        const ar = a + <usize>(rb + i) * rowA;
        const starts = s + lb * 2;
        const t0 = lo == 0 ? 0 : bound(ar, starts, lo);
        const t1 = hi >= K ? load<i32>(starts + sb - 4) : bound(ar, starts, hi);
        const dst = out + <usize>(rb + i) * ldo + <usize>(j << 2);
        const o = cut ? tail : dst;
        const offs = s, vals = s + lb;
        rowPiece(w, o, p, offs, vals, t0, t1, bj, act);
        if (cut) memory.copy(dst, tail, <usize>((N - j) << 2));
      }
    }
  }
}
