// Matmul kernels: the three layouts of a linear layer, f32x4 SIMD with a 4×8 register tile.
//
// ABI (all pointers are byte offsets into the imported shared memory; sizes are i32):
//
//   matmul_nt(out, x, w, bias, M, K, N, act, r0, r1, scratch, ranges)
//       out[M,N] = act(x[M,K] · w[N,K]ᵀ + bias[N]); bias == 0 means no bias;
//       act: 0 none, 1 relu, 2 elu (α = 1), 3 tanh (activation.ts: relu and elu on f32x4, tanh
//       per lane); bias and activation in a pass over each finished block of 4 rows while it
//       is in L1 (rowFinish): the tiles only store sums.
//   matmul_nn(out, a, b, M, K, N, accumulate, r0, r1, scratch, ranges)
//       out[M,N] (+)= a[M,K] · b[K,N]           (dx = dY·W)
//   matmul_tn(out, a, b, M, R, N, accumulate, r0, r1, scratch, ranges)
//       out[M,N] (+)= a[R,M]ᵀ · b[R,N]          (dW = dYᵀ·X)
//   matmul_tn_blocks(out, partials, a, b, M, R, N, accumulate, blocks, c0, c1, scratch, ranges)
//       tn split over the batch: R rows cut into `blocks` near-equal blocks (on multiples of 4
//       rows); for blocks c in [c0, c1), block 0's product into out (with accumulate), block
//       c ≥ 1's into partials + (c − 1)·M·N. The caller then adds the partials onto out in block
//       order, so the sum's grouping depends on R and `blocks` alone.
//   matmul_scratch_bytes(N, K) -> i32
//       bytes of `scratch` one call with these N, K needs (64-byte aligned pointer).
//
// `ranges` (0: none) describes a block-structured weight, as a masked layer with its hidden
// units sorted by group has (src/nn/block-layout.ts): one [lo, hi) pair per entry, as f32.
//   nt: per row n of w, the columns k outside [lo, hi) are zero — the sum skips them;
//   nn: per column n of b, the rows k outside [lo, hi) are zero — the sum skips them;
//   tn: per output row m, only the columns in [lo, hi) are wanted — the rest are written 0
//       (whole panels outside are skipped; the rest of a partly covered panel is zeroed after);
//       not with accumulate (the caller checks).
// Skipping terms that are exact zeros leaves every sum unchanged, so nt and nn give the bits
// of the full product (for finite operands). A panel of 8 columns uses the union of its ranges.
//
// Each call computes output rows [r0, r1) only. Every output element is summed in the same
// k order whatever the row range, so a worker pool can split a call across threads with
// bit-identical results — each thread needs its own scratch (it packs the operand itself).
//
// Why this shape: the product is computed in 4×8 output tiles held in eight f32x4
// accumulators. V8 (Node 20, x64) loads a k step's two B vectors and four broadcast A values
// ahead of its eight multiply-adds (node --print-wasm-code): 14 xmm registers in the loop, of
// the 16 with one kept as V8's scratch; bigger tiles spill. The inner loop reads B as 8
// contiguous columns per k, packed in `scratch` as [panel][k][8]: NT's weight transposed, NN's
// and TN's row-major B copied panel by panel (packNN says why; small calls read it in place).
// The 4 rows of A a tile needs are packed as [k][4] (a 4×4 shuffle transpose
// for NT/NN, a plain copy for TN) once and reused across all panels. K is cut into chunks of
// KC so a packed B panel chunk (KC·32 bytes) and the packed A block (KC·16) stay in L1; chunks
// after the first add onto the stored partial sums.
//
// Scratch layout: [packed A block: KC × 4][bias padded to Np][panel ranges: Np / 8 × 2 i32]
// [packed B: Np × min(K, KC)], Np = N rounded up to a multiple of 8, f32 unless said: in bytes
// 16·KC + 4·Np + (Np rounded up to 16) + 4·Np·min(K, KC) (KC = 256), 64-byte aligned.

import { actScalar, actVec, reluVec } from './activation';
import { fma } from './fastmath';
import { batchBlockStart } from './batch-blocks';
import { KC } from './k-chunk';
import { unionRange } from './block-ranges';
import { storeTransposed4 } from './transpose';
/** Below this many output rows, or with K ≤ PACK_K, NN and TN read b's full panels in place (packNN). */
const PACK_ROWS: i32 = 16;
const PACK_K: i32 = 32;

export function matmul_scratch_bytes(N: i32, K: i32): i32 {
  const np = (N + 7) & ~7;
  const kc = K < KC ? K : KC;
  return KC * 16 + np * 4 + ((np + 15) & ~15) + np * kc * 4;
}

/** Pack w[N,K] rows (k0..k0+kc) as [panel][k][8] (the transpose of an NT weight). */
function packNT(dst: usize, w: usize, N: i32, K: i32, k0: i32, kc: i32): void {
  const np = (N + 7) >> 3;
  for (let p = 0; p < np; p++) {
    const panel = dst + <usize>(p * kc * 32);
    for (let jj = 0; jj < 8; jj++) {
      const j = p * 8 + jj;
      let d = panel + <usize>(jj * 4);
      if (j < N) {
        let s = w + <usize>((j * K + k0) * 4);
        for (let k = 0; k < kc; k++) {
          store<f32>(d, load<f32>(s));
          s += 4;
          d += 32;
        }
      } else {
        for (let k = 0; k < kc; k++) {
          store<f32>(d, 0);
          d += 32;
        }
      }
    }
  }
}

/**
 * Pack panels [first, ⌈N/8⌉) of b[K,N] rows (k0..k0+kc) into the [panel][k][8] layout, the
 * last panel's missing columns as zeros. Panels before `first` are read in place (panelB).
 *
 * Why pack a row-major b at all, when its 8 columns are already contiguous: read in place, one
 * panel's kc rows lie a row stride apart (512 bytes for N = 128), so they fall into 1/8 of the
 * L1's sets and evict each other before the next row block reads them again; packed, they are
 * contiguous. In an interleaved A/B on the training step's masked 128-wide products (Zen 4)
 * dx = gz·W ran 3–11 % and dW = gzᵀ·x 0–11 % faster, the same bits. A copy pays only when the
 * panel is reused: gemm reads b in place for fewer than PACK_ROWS output rows (a weight gradient
 * of a 2-column input) or for K ≤ PACK_K rows of b (they fit the sets anyway).
 */
function packNN(dst: usize, b: usize, N: i32, k0: i32, kc: i32, first: i32): void {
  const rowBytes = <usize>(N * 4);
  const full = N >> 3;
  for (let p = first; p < full; p++) {
    let d = dst + <usize>(p * kc * 32);
    let s = b + <usize>(k0) * rowBytes + <usize>(p * 32);
    for (let k = 0; k < kc; k++) {
      v128.store(d, v128.load(s));
      v128.store(d, v128.load(s, 16), 16);
      s += rowBytes;
      d += 32;
    }
  }
  const rem = N - full * 8;
  if (rem == 0) return;
  let d = dst + <usize>(full * kc * 32);
  let s = b + <usize>(k0) * rowBytes + <usize>(full * 32);
  for (let k = 0; k < kc; k++) {
    for (let jj = 0; jj < 8; jj++) {
      store<f32>(d + <usize>(jj * 4), jj < rem ? load<f32>(s + <usize>(jj * 4)) : 0);
    }
    s += rowBytes;
    d += 32;
  }
}

/** One finished vector of 4 output columns at o, plus its old value when accumulating. */
// @ts-ignore: decorator
@inline function finishVec(o: usize, c: v128, addOld: bool): v128 {
  return addOld ? f32x4.add(c, v128.load(o)) : c;
}

/**
 * Store two accumulator vectors (8 columns, nv valid) of one output row, adding the old value
 * when `addOld` (bias and activation come after, in rowFinish). In a tail panel the first
 * vector is still stored whole when nv ≥ 4; the rest goes lane by lane so no byte past column
 * N is touched (lanes are extracted directly: a round trip through memory would stall
 * store-to-load forwarding).
 */
// @ts-ignore: decorator
@inline function storeRow(o: usize, c0: v128, c1: v128, nv: i32, addOld: bool): void {
  if (nv == 8) {
    v128.store(o, finishVec(o, c0, addOld));
    v128.store(o, finishVec(o + 16, c1, addOld), 16);
  } else if (nv >= 4) {
    v128.store(o, finishVec(o, c0, addOld));
    if (nv > 4) storeLane(o, 4, f32x4.extract_lane(c1, 0), addOld);
    if (nv > 5) storeLane(o, 5, f32x4.extract_lane(c1, 1), addOld);
    if (nv > 6) storeLane(o, 6, f32x4.extract_lane(c1, 2), addOld);
  } else {
    storeLane(o, 0, f32x4.extract_lane(c0, 0), addOld);
    if (nv > 1) storeLane(o, 1, f32x4.extract_lane(c0, 1), addOld);
    if (nv > 2) storeLane(o, 2, f32x4.extract_lane(c0, 2), addOld);
  }
}

/** One output element of a tail panel, as storeRow. */
function storeLane(o: usize, j: i32, v: f32, addOld: bool): void {
  const at = o + <usize>(j << 2);
  store<f32>(at, addOld ? v + load<f32>(at) : v);
}

/**
 * Bias and activation in place over `rows` finished output rows of N columns (still in L1),
 * after the tiles stored their sums plainly. In the tiles' store step, next to eight live
 * accumulators, they ran slower than this separate loop: elu −6 % on a 128-wide layer and −11 to
 * −23 % at K = 6 (interleaved A/B), and even bias and relu cost a 1024 × 128 product 55 µs at K = 6
 * (123 against 65 µs plain) and ~14 % at K = 128, the tile's code then being slower as a whole.
 * The same float operations in the same order as the store step had (sum, + bias, act; actScalar
 * is lane 0 of actVec): the same bits.
 */
function rowFinish(o: usize, rows: i32, N: i32, bias: usize, act: i32): void {
  // The common cases (a hidden layer's bias and relu, an output layer's bias) get loops of their
  // own: a switch on act and a test of bias per vector cost as much as the pass's arithmetic.
  if (bias && act <= 1) {
    rowBias(o, rows, N, bias, act == 1);
    return;
  }
  const ldo = <usize>(N * 4);
  for (let r = 0; r < rows; r++) {
    const row = o + <usize>(r) * ldo;
    let j = 0;
    for (; j + 4 <= N; j += 4) {
      const at = row + <usize>(j << 2);
      let v = v128.load(at);
      if (bias) v = f32x4.add(v, v128.load(bias + <usize>(j << 2)));
      v128.store(at, actVec(v, act));
    }
    for (; j < N; j++) {
      const at = row + <usize>(j << 2);
      let v = load<f32>(at);
      if (bias) v += load<f32>(bias + <usize>(j << 2));
      store<f32>(at, actScalar(act, v));
    }
  }
}

/** rowFinish's + bias, then relu or nothing. */
function rowBias(o: usize, rows: i32, N: i32, bias: usize, relu: bool): void {
  const ldo = <usize>(N * 4);
  const n4 = N & ~3;
  for (let r = 0; r < rows; r++) {
    const row = o + <usize>(r) * ldo;
    if (relu) {
      for (let j = 0; j < n4; j += 4) {
        const at = row + <usize>(j << 2);
        v128.store(at, reluVec(f32x4.add(v128.load(at), v128.load(bias + <usize>(j << 2)))));
      }
    } else {
      for (let j = 0; j < n4; j += 4) {
        const at = row + <usize>(j << 2);
        v128.store(at, f32x4.add(v128.load(at), v128.load(bias + <usize>(j << 2))));
      }
    }
    for (let j = n4; j < N; j++) {
      const at = row + <usize>(j << 2);
      const v = load<f32>(at) + load<f32>(bias + <usize>(j << 2));
      store<f32>(at, relu ? (v > 0 ? v : 0) : v);
    }
  }
}

/** Pack 4 rows of A (element (i, k) at a + i·aRow + k·aK) for kc steps as [k][4]. */
function packA4(dst: usize, a: usize, aRow: usize, aK: usize, kc: i32): void {
  let k = 0;
  if (aK == 4) {
    // Row-major A: transpose 4×4 blocks with shuffles.
    const r1 = a + aRow, r2 = r1 + aRow, r3 = r2 + aRow;
    for (; k + 4 <= kc; k += 4) {
      const at = <usize>(k << 2);
      storeTransposed4(
        dst + <usize>(k << 4), 16,
        v128.load(a + at), v128.load(r1 + at), v128.load(r2 + at), v128.load(r3 + at),
      );
    }
  } else if (aRow == 4) {
    // TN: the 4 rows of the tile are 4 neighbouring floats of one row of a.
    for (; k < kc; k++) v128.store(dst + <usize>(k << 4), v128.load(a + <usize>(k) * aK));
  }
  for (; k < kc; k++) {
    const s = a + <usize>(k) * aK;
    const d = dst + <usize>(k << 4);
    store<f32>(d, load<f32>(s));
    store<f32>(d, load<f32>(s + aRow), 4);
    store<f32>(d, load<f32>(s + aRow * 2), 8);
    store<f32>(d, load<f32>(s + aRow * 3), 12);
  }
}

/**
 * One 4×8 output tile over kc steps: pa is a packed A block [k][4], pb the 8 columns of B at
 * its first k, the next k `sb` bytes on (32 in a packed panel, the row stride when read in
 * place). One k step is 2 vector loads, 4 broadcast loads and 8 multiply-adds.
 */
// Inlined into the driver: as a call (11 arguments, 8 live accumulators) it cost 14–16 % of a
// 1024 × 128 × 128 product on V8, and a small one's (K = 64) even more.
// @ts-ignore: decorator
@inline function tile4x8(
  o: usize, ldo: usize, pa: usize, pb: usize, sb: usize, kc: i32,
  nv: i32, load: bool,
): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  const end = pa + <usize>(kc << 4);
  while (pa < end) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    const x0 = v128.load32_splat(pa);
    c00 = fma(x0, b0, c00);
    c01 = fma(x0, b1, c01);
    const x1 = v128.load32_splat(pa, 4);
    c10 = fma(x1, b0, c10);
    c11 = fma(x1, b1, c11);
    const x2 = v128.load32_splat(pa, 8);
    c20 = fma(x2, b0, c20);
    c21 = fma(x2, b1, c21);
    const x3 = v128.load32_splat(pa, 12);
    c30 = fma(x3, b0, c30);
    c31 = fma(x3, b1, c31);
    pa += 16;
    pb += sb;
  }
  storeRow(o, c00, c01, nv, load);
  storeRow(o + ldo, c10, c11, nv, load);
  storeRow(o + ldo * 2, c20, c21, nv, load);
  storeRow(o + ldo * 3, c30, c31, nv, load);
}

/** The row tail: one row × 8 columns, same summation order as tile4x8. */
function tile1x8(
  o: usize, a: usize, aK: usize, b: usize, sb: usize, kc: i32,
  nv: i32, load: bool,
): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0);
  let pa = a;
  let pb = b;
  for (let k = 0; k < kc; k++) {
    const x = v128.load32_splat(pa);
    c0 = fma(x, v128.load(pb), c0);
    c1 = fma(x, v128.load(pb, 16), c1);
    pa += aK;
    pb += sb;
  }
  storeRow(o, c0, c1, nv, load);
}

/** Where panel p's B starts at step lo of the chunk from k0: in b itself (p < direct), else packed. */
// @ts-ignore: decorator
@inline function panelB(b: usize, packed: usize, p: i32, lo: i32, k0: i32, kc: i32, ldb: usize, direct: i32): usize {
  return p < direct ? b + <usize>(k0 + lo) * ldb + <usize>(p * 32) : packed + <usize>(p * kc * 32 + (lo << 5));
}

/** Bytes from one k of panel p's B to the next: the row stride in place, 32 when packed. */
// @ts-ignore: decorator
@inline function panelStride(p: i32, direct: i32, ldb: usize): usize {
  return p < direct ? ldb : 32;
}

/**
 * The shared driver. `transB` selects how B is packed (NT: w[N,K]; else b[K,N]);
 * A(i, k) is at a + i·aRow + k·aK.
 */
function gemm(
  out: usize, a: usize, aRow: usize, aK: usize, b: usize, transB: bool,
  K: i32, N: i32, r0: i32, r1: i32, accumulate: bool, bias: usize, act: i32, scratch: usize,
  sumRanges: usize, rowRanges: usize,
): void {
  if (r1 <= r0 || N <= 0) return;
  const np = (N + 7) >> 3;
  const packedA = scratch;
  const biasP: usize = bias ? packedA + <usize>(KC * 16) : 0;
  const panelK = packedA + <usize>(KC * 16) + <usize>(np * 32);
  const packed = panelK + <usize>((np * 8 + 15) & ~15); // keeps the packed panels 16-byte aligned
  if (bias) {
    for (let j = 0; j < np * 8; j++) {
      store<f32>(biasP + <usize>(j * 4), j < N ? load<f32>(bias + <usize>(j * 4)) : 0);
    }
  }
  // Per panel of 8 output columns, the k range that can hold non-zero terms (all of K without ranges).
  for (let p = 0; p < np; p++) {
    const j1 = p * 8 + 8 < N ? p * 8 + 8 : N;
    store<i32>(panelK + <usize>(p << 3), sumRanges ? unionRange(sumRanges, p * 8, j1) : K << 16);
  }
  const ldo = <usize>(N * 4);
  // Panels p < direct are read in place (b row-major, a call too small for a copy to pay: all
  // but a ragged tail panel); the rest are packed.
  const direct = transB || (r1 - r0 >= PACK_ROWS && K > PACK_K) ? 0 : N >> 3;
  let k0 = 0;
  do {
    const kc = K - k0 < KC ? K - k0 : KC;
    if (transB) packNT(packed, b, N, K, k0, kc);
    else packNN(packed, b, N, k0, kc, direct);
    const addOld = accumulate || k0 > 0;
    const last = k0 + kc >= K;
    const aChunk = a + <usize>(k0) * aK;
    // Bias and activation run as a pass over each finished block of rows (rowFinish); the tiles
    // only store their sums (plus the old values when accumulating).
    const finish = last && (biasP != 0 || act != 0);
    // This chunk's part of each panel's k range, relative to k0, as lo | hi << 16.
    for (let p = 0; p < np; p++) {
      const r = load<i32>(panelK + <usize>(p << 3));
      let lo = (r & 0xffff) - k0, hi = (r >>> 16) - k0;
      if (lo < 0) lo = 0;
      if (hi > kc) hi = kc;
      store<i32>(panelK + <usize>(p << 3), hi > lo ? lo | (hi << 16) : 0, 4);
    }
    let i = r0;
    for (; i + 4 <= r1; i += 4) {
      packA4(packedA, aChunk + <usize>(i) * aRow, aRow, aK, kc);
      const oi = out + <usize>(i) * ldo;
      // tn: the columns the 4 rows want; a panel outside them gets kc = 0 (zeros, or kept).
      const want = rowRanges ? unionRange(rowRanges, i, i + 4) : N << 16;
      for (let p = 0; p < np; p++) {
        const nv = N - p * 8 < 8 ? N - p * 8 : 8;
        const r = load<i32>(panelK + <usize>(p << 3), 4);
        let lo = r & 0xffff, n = (r >>> 16) - lo;
        if (p * 8 >= (want >>> 16) || p * 8 + 8 <= (want & 0xffff)) n = 0;
        const pb = panelB(b, packed, p, lo, k0, kc, ldo, direct);
        const pa = packedA + <usize>(lo << 4);
        // Two inlined copies, so the packed one steps B by a constant: with one copy stepping by
        // `p < direct ? ldo : 32`, V8 re-evaluated that select (a cmov and a stack load) inside its
        // unrolled k loop, which cost the tile 4–5 % of its speed on the Intel Xeon host
        // (interleaved A/B, 2026-12-02; on Zen the integer work runs beside the FMA pipes).
        if (p < direct) tile4x8(oi + <usize>(p * 32), ldo, pa, pb, ldo, n, nv, addOld);
        else tile4x8(oi + <usize>(p * 32), ldo, pa, pb, 32, n, nv, addOld);
      }
      if (finish) rowFinish(oi, 4, N, biasP, act);
    }
    for (; i < r1; i++) {
      const ai = aChunk + <usize>(i) * aRow;
      const oi = out + <usize>(i) * ldo;
      const want = rowRanges ? unionRange(rowRanges, i, i + 1) : N << 16;
      for (let p = 0; p < np; p++) {
        const nv = N - p * 8 < 8 ? N - p * 8 : 8;
        const r = load<i32>(panelK + <usize>(p << 3), 4);
        let lo = r & 0xffff, n = (r >>> 16) - lo;
        if (p * 8 >= (want >>> 16) || p * 8 + 8 <= (want & 0xffff)) n = 0;
        tile1x8(
          oi + <usize>(p * 32), ai + <usize>(lo) * aK, aK,
          panelB(b, packed, p, lo, k0, kc, ldo, direct), panelStride(p, direct, ldo), n,
          nv, addOld,
        );
      }
      if (finish) rowFinish(oi, 1, N, biasP, act);
    }
    k0 += kc;
  } while (k0 < K);
  // tn: the panels above ran whole; zero the columns of each row outside its range.
  if (rowRanges) {
    for (let i = r0; i < r1; i++) {
      const lo = <i32>load<f32>(rowRanges + <usize>(i << 3));
      const hi = <i32>load<f32>(rowRanges + <usize>(i << 3), 4);
      const o = out + <usize>(i) * ldo;
      for (let j = 0; j < N; j++) if (j < lo || j >= hi) store<f32>(o + <usize>(j << 2), 0);
    }
  }
}

export function matmul_nt(
  out: usize, x: usize, w: usize, bias: usize, M: i32, K: i32, N: i32, act: i32,
  r0: i32, r1: i32, scratch: usize, ranges: usize,
): void {
  gemm(out, x, <usize>(K * 4), 4, w, true, K, N, r0, r1, false, bias, act, scratch, ranges, 0);
}

export function matmul_nn(
  out: usize, a: usize, b: usize, M: i32, K: i32, N: i32, accumulate: i32,
  r0: i32, r1: i32, scratch: usize, ranges: usize,
): void {
  gemm(out, a, <usize>(K * 4), 4, b, false, K, N, r0, r1, accumulate != 0, 0, 0, scratch, ranges, 0);
}

export function matmul_tn(
  out: usize, a: usize, b: usize, M: i32, R: i32, N: i32, accumulate: i32,
  r0: i32, r1: i32, scratch: usize, ranges: usize,
): void {
  gemm(out, a, 4, <usize>(M * 4), b, false, R, N, r0, r1, accumulate != 0, 0, 0, scratch, 0, ranges);
}

export function matmul_tn_blocks(
  out: usize, partials: usize, a: usize, b: usize, M: i32, R: i32, N: i32, accumulate: i32,
  blocks: i32, c0: i32, c1: i32, scratch: usize, ranges: usize,
): void {
  for (let c = c0; c < c1; c++) {
    const r0 = batchBlockStart(c, R, blocks);
    const rows = batchBlockStart(c + 1, R, blocks) - r0;
    const dst = c == 0 ? out : partials + <usize>(c - 1) * <usize>(M * N * 4);
    gemm(
      dst, a + <usize>(r0) * <usize>(M * 4), 4, <usize>(M * 4), b + <usize>(r0) * <usize>(N * 4), false,
      rows, N, 0, M, c == 0 && accumulate != 0, 0, 0, scratch, 0, ranges,
    );
  }
}
