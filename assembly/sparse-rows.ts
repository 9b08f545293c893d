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
// zeros once trained (the shipped score model's second and third layers), and so is the gradient
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

import { fma } from './fastmath';
import { actVec } from './activation';
import { matmul_nn, matmul_nt, matmul_scratch_bytes } from './matmul';

/** Rows compacted at once: their lists stay in L1 while each piece of B runs over all of them. */
const BLOCK_ROWS: i32 = 32;
/** Bytes per k of a packed piece: the widest piece, 7 vectors. */
const PIECE_BYTES: i32 = 112;
/** Above this share of non-zeros in the first block (in 1/256), the call runs dense. */
const DENSE_ABOVE: i32 = 128;

/** Finish one vector of outputs at o: + bias (a padded copy), act, store. */
// @ts-ignore: decorator
@inline function finish(o: usize, c: v128, bias: usize, act: i32): void {
  c = f32x4.add(c, v128.load(bias));
  v128.store(o, act ? actVec(c, act) : c);
}

// One output row's piece of w vectors from terms [t0, t1) of its compacted list: p is the
// piece's packed B, o the output, bias the padded bias at the piece's first column.
function row7(o: usize, p: usize, offs: usize, vals: usize, t0: i32, t1: i32, bias: usize, act: i32): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  let c4 = f32x4.splat(0), c5 = f32x4.splat(0), c6 = f32x4.splat(0);
  for (let t = t0; t < t1; t++) {
    const x = v128.load32_splat(vals + <usize>(t << 2));
    const s = p + <usize>load<i32>(offs + <usize>(t << 2));
    c0 = fma(x, v128.load(s), c0);
    c1 = fma(x, v128.load(s, 16), c1);
    c2 = fma(x, v128.load(s, 32), c2);
    c3 = fma(x, v128.load(s, 48), c3);
    c4 = fma(x, v128.load(s, 64), c4);
    c5 = fma(x, v128.load(s, 80), c5);
    c6 = fma(x, v128.load(s, 96), c6);
  }
  finish(o, c0, bias, act);
  finish(o + 16, c1, bias + 16, act);
  finish(o + 32, c2, bias + 32, act);
  finish(o + 48, c3, bias + 48, act);
  finish(o + 64, c4, bias + 64, act);
  finish(o + 80, c5, bias + 80, act);
  finish(o + 96, c6, bias + 96, act);
}

function row6(o: usize, p: usize, offs: usize, vals: usize, t0: i32, t1: i32, bias: usize, act: i32): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  let c4 = f32x4.splat(0), c5 = f32x4.splat(0);
  for (let t = t0; t < t1; t++) {
    const x = v128.load32_splat(vals + <usize>(t << 2));
    const s = p + <usize>load<i32>(offs + <usize>(t << 2));
    c0 = fma(x, v128.load(s), c0);
    c1 = fma(x, v128.load(s, 16), c1);
    c2 = fma(x, v128.load(s, 32), c2);
    c3 = fma(x, v128.load(s, 48), c3);
    c4 = fma(x, v128.load(s, 64), c4);
    c5 = fma(x, v128.load(s, 80), c5);
  }
  finish(o, c0, bias, act);
  finish(o + 16, c1, bias + 16, act);
  finish(o + 32, c2, bias + 32, act);
  finish(o + 48, c3, bias + 48, act);
  finish(o + 64, c4, bias + 64, act);
  finish(o + 80, c5, bias + 80, act);
}

function row5(o: usize, p: usize, offs: usize, vals: usize, t0: i32, t1: i32, bias: usize, act: i32): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  let c4 = f32x4.splat(0);
  for (let t = t0; t < t1; t++) {
    const x = v128.load32_splat(vals + <usize>(t << 2));
    const s = p + <usize>load<i32>(offs + <usize>(t << 2));
    c0 = fma(x, v128.load(s), c0);
    c1 = fma(x, v128.load(s, 16), c1);
    c2 = fma(x, v128.load(s, 32), c2);
    c3 = fma(x, v128.load(s, 48), c3);
    c4 = fma(x, v128.load(s, 64), c4);
  }
  finish(o, c0, bias, act);
  finish(o + 16, c1, bias + 16, act);
  finish(o + 32, c2, bias + 32, act);
  finish(o + 48, c3, bias + 48, act);
  finish(o + 64, c4, bias + 64, act);
}

function row4(o: usize, p: usize, offs: usize, vals: usize, t0: i32, t1: i32, bias: usize, act: i32): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  for (let t = t0; t < t1; t++) {
    const x = v128.load32_splat(vals + <usize>(t << 2));
    const s = p + <usize>load<i32>(offs + <usize>(t << 2));
    c0 = fma(x, v128.load(s), c0);
    c1 = fma(x, v128.load(s, 16), c1);
    c2 = fma(x, v128.load(s, 32), c2);
    c3 = fma(x, v128.load(s, 48), c3);
  }
  finish(o, c0, bias, act);
  finish(o + 16, c1, bias + 16, act);
  finish(o + 32, c2, bias + 32, act);
  finish(o + 48, c3, bias + 48, act);
}

function row3(o: usize, p: usize, offs: usize, vals: usize, t0: i32, t1: i32, bias: usize, act: i32): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0);
  for (let t = t0; t < t1; t++) {
    const x = v128.load32_splat(vals + <usize>(t << 2));
    const s = p + <usize>load<i32>(offs + <usize>(t << 2));
    c0 = fma(x, v128.load(s), c0);
    c1 = fma(x, v128.load(s, 16), c1);
    c2 = fma(x, v128.load(s, 32), c2);
  }
  finish(o, c0, bias, act);
  finish(o + 16, c1, bias + 16, act);
  finish(o + 32, c2, bias + 32, act);
}

function row2(o: usize, p: usize, offs: usize, vals: usize, t0: i32, t1: i32, bias: usize, act: i32): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0);
  for (let t = t0; t < t1; t++) {
    const x = v128.load32_splat(vals + <usize>(t << 2));
    const s = p + <usize>load<i32>(offs + <usize>(t << 2));
    c0 = fma(x, v128.load(s), c0);
    c1 = fma(x, v128.load(s, 16), c1);
  }
  finish(o, c0, bias, act);
  finish(o + 16, c1, bias + 16, act);
}

function row1(o: usize, p: usize, offs: usize, vals: usize, t0: i32, t1: i32, bias: usize, act: i32): void {
  let c0 = f32x4.splat(0);
  for (let t = t0; t < t1; t++) {
    const x = v128.load32_splat(vals + <usize>(t << 2));
    const s = p + <usize>load<i32>(offs + <usize>(t << 2));
    c0 = fma(x, v128.load(s), c0);
  }
  finish(o, c0, bias, act);
}

/** The k range of output columns [j, j + 4) ∩ [0, N): the union of their ranges (all of K without). */
function vecRange(ranges: usize, j: i32, N: i32, K: i32): i32 {
  if (!ranges) return K << 16;
  let lo = 0x7fffffff, hi = 0;
  const j1 = j + 4 < N ? j + 4 : N;
  for (let c = j; c < j1; c++) {
    const l = <i32>load<f32>(ranges + <usize>(c << 3));
    const h = <i32>load<f32>(ranges + <usize>(c << 3), 4);
    if (h > l) {
      if (l < lo) lo = l;
      if (h > hi) hi = h;
    }
  }
  return lo >= hi ? 0 : lo | (hi << 16);
}

/**
 * The call's plan: the ⌈N/4⌉ column vectors (the last maybe partial) cut into pieces of one k
 * range and at most 7 vectors, each as four i32 (first column, vectors, lo, hi). Returns the count.
 */
function plan(dst: usize, ranges: usize, N: i32, K: i32): i32 {
  const nVec = (N + 3) >> 2;
  let count = 0;
  let v = 0;
  while (v < nVec) {
    const range = vecRange(ranges, v << 2, N, K);
    let e = v + 1;
    while (e < nVec && vecRange(ranges, e << 2, N, K) == range) e++;
    while (v < e) {
      const left = e - v;
      // An 8–10 run in two near-halves rather than 7 and a sliver.
      const w = left <= 7 ? left : left <= 10 ? left >> 1 : 7;
      const at = dst + <usize>(count << 4);
      store<i32>(at, v << 2);
      store<i32>(at, w, 4);
      store<i32>(at, range & 0xffff, 8);
      store<i32>(at, range >>> 16, 12);
      count++;
      v += w;
    }
  }
  return count;
}

/**
 * Copy each piece's columns of B into `packed` as [piece][k][PIECE_BYTES], columns past N as 0.
 * transB: B's column j is row j of b[N,K]; else b[K,N] row-major.
 */
function packPieces(packed: usize, b: usize, transB: bool, K: i32, N: i32, pieces: usize, count: i32): void {
  for (let q = 0; q < count; q++) {
    const j0 = load<i32>(pieces + <usize>(q << 4));
    const cols = load<i32>(pieces + <usize>(q << 4), 4) << 2;
    const dst = packed + <usize>(q) * <usize>(K * PIECE_BYTES);
    if (!transB && j0 + cols <= N) {
      let d = dst;
      let s = b + <usize>(j0 << 2);
      for (let k = 0; k < K; k++) {
        for (let c = 0; c < cols; c += 4) v128.store(d + <usize>(c << 2), v128.load(s + <usize>(c << 2)));
        d += PIECE_BYTES;
        s += <usize>(N << 2);
      }
      continue;
    }
    if (transB && j0 + cols <= N && (K & 3) == 0) {
      // b[N,K]: 4 columns of B are 4 rows of b; transpose 4×4 blocks with shuffles.
      const rowB = <usize>(K << 2);
      for (let c = 0; c < cols; c += 4) {
        const s0 = b + <usize>(j0 + c) * rowB, s1 = s0 + rowB, s2 = s1 + rowB, s3 = s2 + rowB;
        let d = dst + <usize>(c << 2);
        for (let k = 0; k < K; k += 4) {
          const at = <usize>(k << 2);
          const x0 = v128.load(s0 + at), x1 = v128.load(s1 + at);
          const x2 = v128.load(s2 + at), x3 = v128.load(s3 + at);
          const t0 = v128.shuffle<f32>(x0, x1, 0, 4, 1, 5);
          const t1 = v128.shuffle<f32>(x2, x3, 0, 4, 1, 5);
          const t2 = v128.shuffle<f32>(x0, x1, 2, 6, 3, 7);
          const t3 = v128.shuffle<f32>(x2, x3, 2, 6, 3, 7);
          v128.store(d, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
          v128.store(d + <usize>(PIECE_BYTES), v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
          v128.store(d + <usize>(PIECE_BYTES * 2), v128.shuffle<f32>(t2, t3, 0, 1, 4, 5));
          v128.store(d + <usize>(PIECE_BYTES * 3), v128.shuffle<f32>(t2, t3, 2, 3, 6, 7));
          d += <usize>(PIECE_BYTES * 4);
        }
      }
      continue;
    }
    for (let c = 0; c < cols; c++) {
      const j = j0 + c;
      let d = dst + <usize>(c << 2);
      for (let k = 0; k < K; k++) {
        const at = b + <usize>(transB ? j * K + k : k * N + j) * 4;
        store<f32>(d, j >= N ? 0 : load<f32>(at));
        d += PIECE_BYTES;
      }
    }
  }
}

/**
 * The swizzles that pack the lanes of a 4-lane mask m to the front, in order: entry m at
 * table + 16·m (bytes of unset lanes: 0x80, which swizzles to 0).
 */
function compressTable(table: usize): void {
  for (let m = 0; m < 16; m++) {
    let n = 0;
    for (let lane = 0; lane < 4; lane++) {
      if (m & (1 << lane)) {
        for (let byte = 0; byte < 4; byte++) store<u8>(table + <usize>(m * 16 + n * 4 + byte), lane * 4 + byte);
        n++;
      }
    }
    for (let i = n * 4; i < 16; i++) store<u8>(table + <usize>(m * 16 + i), 0x80);
  }
}

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
  const count = plan(pieces, ranges, N, K);
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
        switch (w) {
          case 7: row7(o, p, offs, vals, t0, t1, bj, act); break;
          case 6: row6(o, p, offs, vals, t0, t1, bj, act); break;
          case 5: row5(o, p, offs, vals, t0, t1, bj, act); break;
          case 4: row4(o, p, offs, vals, t0, t1, bj, act); break;
          case 3: row3(o, p, offs, vals, t0, t1, bj, act); break;
          case 2: row2(o, p, offs, vals, t0, t1, bj, act); break;
          default: row1(o, p, offs, vals, t0, t1, bj, act);
        }
        if (cut) memory.copy(dst, tail, <usize>((N - j) << 2));
      }
    }
  }
}
