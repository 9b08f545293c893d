// Internals of the row-sparse products (sparse-rows.ts, sparse-tn.ts): the packed layout of B,
// the plan that cuts the output columns into pieces, and the per-piece accumulation loops. Not
// re-exported by index.ts. See sparse-rows.ts for why the loops have this shape.

import { fma } from './fastmath';
import { actVec } from './activation';
import { unionRange } from './block-ranges';
import { storeTransposed4 } from './transpose';

/** Bytes per k of a packed piece: the widest piece, 7 vectors. */
export const PIECE_BYTES: i32 = 112;

/** Finish one vector of outputs at o: + bias (a padded copy), act, store. */
// @ts-ignore: decorator
@inline function finish(o: usize, c: v128, bias: usize, act: i32): void {
  c = f32x4.add(c, v128.load(bias));
  v128.store(o, act ? actVec(c, act) : c);
}

// One output row's piece of w vectors from terms [t0, t1) of its compacted list: p is the
// piece's packed B, o the output, bias the padded bias at the piece's first column. Written out
// once per width: V8 keeps named locals in registers, where a loop over a runtime width would
// keep the sums in memory.
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
  return ranges ? unionRange(ranges, j, j + 4 < N ? j + 4 : N) : K << 16;
}

/** Whether column 4v is the lo or hi of one of the `rows` f32 range pairs at cuts. */
function cutAt(cuts: usize, rows: i32, v: i32): bool {
  const c = <f32>(v << 2);
  for (let i = 0; i < rows; i++) {
    if (load<f32>(cuts + <usize>(i << 3)) == c || load<f32>(cuts + <usize>(i << 3), 4) == c) return true;
  }
  return false;
}

/**
 * The call's plan: the ⌈N/4⌉ column vectors (the last maybe partial) cut into pieces of one k
 * range and at most 7 vectors, each as four i32 (first column, vectors, lo, hi). `cuts` (0: none):
 * `cutRows` f32 pairs [lo, hi) of output columns, at whose bounds a piece also ends (a weight
 * gradient's wanted columns per row: a piece then lies wholly inside or outside a row's range
 * wherever a bound falls on a vector). Returns the count; dst = 0 only counts.
 */
export function plan(dst: usize, ranges: usize, N: i32, K: i32, cuts: usize, cutRows: i32): i32 {
  const nVec = (N + 3) >> 2;
  let count = 0;
  let v = 0;
  while (v < nVec) {
    const range = vecRange(ranges, v << 2, N, K);
    let e = v + 1;
    while (e < nVec && vecRange(ranges, e << 2, N, K) == range && !(cuts && cutAt(cuts, cutRows, e))) e++;
    while (v < e) {
      const left = e - v;
      // An 8–10 run in two near-halves rather than 7 and a sliver.
      const w = left <= 7 ? left : left <= 10 ? left >> 1 : 7;
      if (dst) {
        const at = dst + <usize>(count << 4);
        store<i32>(at, v << 2);
        store<i32>(at, w, 4);
        store<i32>(at, range & 0xffff, 8);
        store<i32>(at, range >>> 16, 12);
      }
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
export function packPieces(packed: usize, b: usize, transB: bool, K: i32, N: i32, pieces: usize, count: i32): void {
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
          storeTransposed4(
            d, PIECE_BYTES, v128.load(s0 + at), v128.load(s1 + at), v128.load(s2 + at), v128.load(s3 + at),
          );
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

/** One output row's piece of w vectors (1–7) from terms [t0, t1): the row loop for w. */
// @ts-ignore: decorator
@inline export function rowPiece(
  w: i32, o: usize, p: usize, offs: usize, vals: usize, t0: i32, t1: i32, bias: usize, act: i32,
): void {
  switch (w) {
    case 7: row7(o, p, offs, vals, t0, t1, bias, act); break;
    case 6: row6(o, p, offs, vals, t0, t1, bias, act); break;
    case 5: row5(o, p, offs, vals, t0, t1, bias, act); break;
    case 4: row4(o, p, offs, vals, t0, t1, bias, act); break;
    case 3: row3(o, p, offs, vals, t0, t1, bias, act); break;
    case 2: row2(o, p, offs, vals, t0, t1, bias, act); break;
    default: row1(o, p, offs, vals, t0, t1, bias, act);
  }
}

/**
 * The swizzles that pack the lanes of a 4-lane mask m to the front, in order: entry m at
 * table + 16·m (bytes of unset lanes: 0x80, which swizzles to 0).
 */
export function compressTable(table: usize): void {
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
