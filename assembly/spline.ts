// Spline kernels: Zuko's monotonic rational-quadratic spline, forward / inverse / backward.
//
// ABI (pointers are byte offsets into the shared memory; [e0, e1) is a range of elements, so a
// worker pool can split one call; every element is computed independently):
//
//   spline_forward(y, ladj, x, params, e0, e1, K, bound, logSlope, scratch, saved)
//       y[e], ladj[e] = ln|dy/dx| of x[e] with raw parameters params[e·P .. e·P + P), P = 3K − 1,
//       laid out [K widths, K heights, K − 1 interior derivatives]. saved (0: none): for each
//       element inside [−B, B·1.001], its softmax masses [K widths, K heights] at saved[e·2K ..],
//       which spline_backward then reads instead of computing them again.
//   spline_inverse(x, ladj, y, params, e0, e1, K, bound, logSlope, scratch)
//       x[e] = spline⁻¹(y[e]), ladj[e] = ln|dx/dy|.
//   spline_scratch_bytes(K) -> i32: bytes of `scratch` forward and inverse need (16-aligned;
//       one area per thread: a pool gives each thread its own). It also holds the masses of the
//       last two distinct parameter rows, reused when an element's raw widths and heights repeat
//       them bit for bit (see cachedMasses).
//   spline_backward(dx, dparams, gy, gl, x, params, e0, e1, K, bound, logSlope, saved)
//       dx[e] = ∂L/∂x[e], dparams[e·P ..] = ∂L/∂params (overwritten) from gy = ∂L/∂y and
//       gl = ∂L/∂ladj. dparams must not overlap params. saved: 0, or what spline_forward stored
//       for the same x and params (the masses are then copied, not recomputed: the same bits).
//   bound = B (f32), logSlope = λ = ln σ (f32). Any K ≥ 1 works.
//
// This is the fast twin of the readable reference src/backend/ts/spline.ts (the formulas, the
// derivation of the backward and the rounding choices are documented there). It performs the
// same float32 operations in the same order, so both agree to the last bit except for rare
// 1-ulp log differences (log runs in f64, rounded; exp is the float32 polynomial expF32 of the
// ts reference, here also in a 4-lane form).
//
// Why it is shaped like this: the cost is the exps (2K for the two softmax sums), so the soft
// clamps, max and exps run on f32x4 over four consecutive parameters of one element (IEEE per
// lane, so bit-identical to the scalar reference); sums and prefix sums stay sequential in f64
// like the reference. Each raw value is clamped once and each exp taken once: forward and
// inverse keep the clamped values, then the unnormalised masses, of both blocks in the caller's
// scratch (recomputing them while scanning cost 5K clamps and 3.5K exps per element instead of
// 2K and 2K); the backward keeps them in its own dparams row. Both blocks' softmax sums run in
// one loop (blockMassesPair) so their chains of dependent f64 adds overlap. Elements outside
// [−B, B] (and NaN) skip all of it.

// exp is expf / expVec of fastmath.ts: the same float32 operations as expF32 of the ts reference.
import { expf, expVec } from './fastmath';

// @ts-ignore: decorator
@inline function softClamp(v: f32, f: f32, lambda: f32): f32 {
  return v / (<f32>1 + Mathf.abs((f * v) / lambda));
}

// @ts-ignore: decorator
@inline function softClampDerivative(v: f32, f: f32, lambda: f32): f32 {
  const q: f32 = <f32>1 + Mathf.abs((f * v) / lambda);
  return <f32>1 / (q * q);
}

/** softClampDerivative on four lanes (IEEE per lane: bit-identical to the scalar form). */
// @ts-ignore: decorator
@inline function softClampDerivativeVec(v: v128, f: f32, lambda: f32): v128 {
  const t = f32x4.div(f32x4.mul(f32x4.splat(f), v), f32x4.splat(lambda));
  const q = f32x4.add(f32x4.splat(1), f32x4.abs(t));
  return f32x4.div(f32x4.splat(1), f32x4.mul(q, q));
}

/** softClamp on four lanes (IEEE per lane: bit-identical to the scalar form). */
// @ts-ignore: decorator
@inline function softClampVec(v: v128, f: f32, lambda: f32): v128 {
  const t = f32x4.div(f32x4.mul(f32x4.splat(f), v), f32x4.splat(lambda));
  return f32x4.div(v, f32x4.add(f32x4.splat(1), f32x4.abs(t)));
}

// @ts-ignore: decorator
@inline function logf(v: f32): f32 {
  return <f32>Math.log(<f64>v);
}

/** Max of the clamped raw values p[0..K) (a 2-wide clamp factor: widths and heights), each stored to dst. */
// @ts-ignore: decorator
@inline function clampedMax(p: usize, K: i32, lambda: f32, dst: usize): f32 {
  let m: f32 = -Infinity;
  let j = 0;
  if (K >= 4) {
    let mv = softClampVec(v128.load(p), 2, lambda);
    v128.store(dst, mv);
    for (j = 4; j + 4 <= K; j += 4) {
      const c = softClampVec(v128.load(p + (<usize>j << 2)), 2, lambda);
      v128.store(dst + (<usize>j << 2), c);
      mv = f32x4.max(mv, c);
    }
    m = Mathf.max(
      Mathf.max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)),
      Mathf.max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)),
    );
  }
  for (; j < K; j++) {
    const c = softClamp(load<f32>(p + (<usize>j << 2)), 2, lambda);
    store<f32>(dst + (<usize>j << 2), c);
    if (c > m) m = c;
  }
  return m;
}

/** The second scale of blockMassesPair (a module global is per instance, so per thread). */
let pairScaleB: f32 = 0;

/**
 * blockMasses of the widths and the heights block at once: the two f64 sums are independent
 * chains of dependent adds, and in one loop the CPU overlaps them. Each sum keeps its index
 * order, so the bits are those of two blockMasses calls. Returns A's scale; B's in pairScaleB.
 */
// @ts-ignore: decorator
@inline function blockMassesPair(rawA: usize, rawB: usize, K: i32, lambda: f32, rowA: usize, rowB: usize): f32 {
  const mA = f32x4.splat(clampedMax(rawA, K, lambda, rowA));
  const mB = f32x4.splat(clampedMax(rawB, K, lambda, rowB));
  let sumA: f64 = 0;
  let sumB: f64 = 0;
  let j = 0;
  for (; j + 4 <= K; j += 4) {
    const at = <usize>j << 2;
    const eA = expVec(f32x4.sub(v128.load(rowA + at), mA));
    const eB = expVec(f32x4.sub(v128.load(rowB + at), mB));
    v128.store(rowA + at, eA);
    v128.store(rowB + at, eB);
    sumA += <f64>f32x4.extract_lane(eA, 0);
    sumB += <f64>f32x4.extract_lane(eB, 0);
    sumA += <f64>f32x4.extract_lane(eA, 1);
    sumB += <f64>f32x4.extract_lane(eB, 1);
    sumA += <f64>f32x4.extract_lane(eA, 2);
    sumB += <f64>f32x4.extract_lane(eB, 2);
    sumA += <f64>f32x4.extract_lane(eA, 3);
    sumB += <f64>f32x4.extract_lane(eB, 3);
  }
  for (; j < K; j++) {
    const at = <usize>j << 2;
    const eA = expf(load<f32>(rowA + at) - f32x4.extract_lane(mA, 0));
    const eB = expf(load<f32>(rowB + at) - f32x4.extract_lane(mB, 0));
    store<f32>(rowA + at, eA);
    store<f32>(rowB + at, eB);
    sumA += <f64>eA;
    sumB += <f64>eB;
  }
  pairScaleB = <f32>1 / <f32>sumB;
  return <f32>1 / <f32>sumA;
}


/** Σ_{j<count} W_j in index order (f64 accumulator), W_j = e_j·inv from the masses in row. */
// @ts-ignore: decorator
@inline function prefixMass(row: usize, count: i32, inv: f32): f64 {
  let acc: f64 = 0;
  let j = 0;
  const invV = f32x4.splat(inv);
  for (; j + 4 <= count; j += 4) {
    const w = f32x4.mul(v128.load(row + (<usize>j << 2)), invV);
    acc += <f64>f32x4.extract_lane(w, 0);
    acc += <f64>f32x4.extract_lane(w, 1);
    acc += <f64>f32x4.extract_lane(w, 2);
    acc += <f64>f32x4.extract_lane(w, 3);
  }
  for (; j < count; j++) acc += <f64>(load<f32>(row + (<usize>j << 2)) * inv);
  return acc;
}

// @ts-ignore: decorator
@inline function knot(acc: f64, bound: f32): f32 {
  return bound * (<f32>2 * <f32>acc - <f32>1);
}

/** knotsAround's second result (a module global is per instance, so per thread). */
let upperKnot: f32 = 0;

/**
 * Knots k and k + 1 of a block whose masses are row[j]·inv: returns knot k (−B for k = 0), and
 * leaves knot k + 1 in upperKnot. The prefix sum runs in index order, as the searched block's.
 */
// @ts-ignore: decorator
@inline function knotsAround(row: usize, k: i32, inv: f32, bound: f32): f32 {
  const accLo = prefixMass(row, k, inv);
  upperKnot = knot(accLo + <f64>(load<f32>(row + (<usize>k << 2)) * inv), bound);
  return k > 0 ? knot(accLo, bound) : -bound;
}

/** Interior knot derivative δ_i = exp(c(d_{i−1})) for 1 ≤ i ≤ K − 1; δ_0 = δ_K = 1. */
// @ts-ignore: decorator
@inline function knotDerivative(pd: usize, i: i32, K: i32, lambda: f32): f32 {
  if (i <= 0 || i >= K) return 1;
  return expf(softClamp(load<f32>(pd + (<usize>(i - 1) << 2)), 1, lambda));
}

/** ln J at ζ (Zuko's order; see logJacobian in the ts reference). */
// @ts-ignore: decorator
@inline function logJacobian(z: f32, s: f32, dlo: f32, dhi: f32): f32 {
  const omz: f32 = <f32>1 - z;
  const den: f32 = s + ((dlo + dhi) - <f32>2 * s) * z * omz;
  const q: f32 = <f32>2 * s * z * omz + dlo * (omz * omz) + dhi * (z * z);
  return logf((s * s * q) / (den * den));
}

// ---- masses and knots of recent parameter rows ----
//
// The masses, knots and knot derivatives of an element depend on its raw parameter row only.
// Where rows repeat — a feature whose parameters see only the class, or a grid laid out so that a
// coordinate the conditioner sees changes slowly — the element before's work is reused: MASS_SLOTS
// recent rows (one per feature of a 2-feature flow, whose elements alternate) are kept in the
// scratch, each with the address of the raw row it came from. A row matches when its 3K − 1 raw
// values have the same bits. The first use of a slot computes the masses (the clamps and 2K exps)
// and searches as a fresh element does; its first reuse also fills every knot of both blocks and
// every δ (fillKnots), after which a repeated element costs a scan of K floats and the bin's
// formula instead of two f64 prefix sums and two exps: on the page's grid 3 of 4 elements are such
// repeats. Every reused value is the one the computation would give, bit for bit. Slots live for
// one call (the caller may rewrite params between calls).

const MASS_SLOTS: i32 = 2;
/** Per slot: the raw row (widths then heights, 2K values) its masses came from; 0 = empty. */
let slotRaw0: usize = 0;
let slotRaw1: usize = 0;
let slotSearchScale0: f32 = 0;
let slotSearchScale1: f32 = 0;
let slotOtherScale0: f32 = 0;
let slotOtherScale1: f32 = 0;
/** Whether the slot's knots and knot derivatives have been filled (on its first reuse). */
let slotKnots0: bool = false;
let slotKnots1: bool = false;
/** The slot to fill next (the one not used last). */
let slotNext: i32 = 0;
/** Whether the last cachedMasses call reused a slot, and which. */
let slotHit: bool = false;
let slotUsed: i32 = 0;
/** The scales of the masses cachedMasses returned (a module global is per instance, so per thread). */
let slotScaleSearch: f32 = 0;
let slotScaleOther: f32 = 0;

// @ts-ignore: decorator
@inline function clearMassSlots(): void {
  slotRaw0 = 0;
  slotRaw1 = 0;
  slotKnots0 = false;
  slotKnots1 = false;
  slotNext = 0;
}

/** Floats of one block's masses in a slot (K rounded up to whole vectors). */
// @ts-ignore: decorator
@inline function massPad(K: i32): i32 {
  return (K + 3) & ~3;
}

/** Floats of one knot array in a slot (K + 1 values, rounded up to whole vectors). */
// @ts-ignore: decorator
@inline function knotPad(K: i32): i32 {
  return (K + 4) & ~3;
}

/** Bytes of one slot: both blocks' masses, then both blocks' knots and the knot derivatives. */
// @ts-ignore: decorator
@inline function slotBytesOf(K: i32): usize {
  return <usize>((2 * massPad(K) + 3 * knotPad(K)) << 2);
}

/**
 * A reused slot's knots: searched block at kn[0..K], other block K+1 values after, derivatives δ_0..δ_K
 * after those. Each knot is what the per-element scan computes (the same f32 products and f64 sums in
 * index order, knot(acc) after each), each δ what knotDerivative gives, so an element read from them
 * gets the bits it would compute; filled once per slot, on its first reuse, so rows that never repeat
 * pay nothing for it.
 */
// @ts-ignore: decorator
@inline function fillKnots(slot: usize, K: i32, is: f32, io: f32, bound: f32, pd: usize, lambda: f32): void {
  const rs = slot;
  const ro = rs + (<usize>massPad(K) << 2);
  const ks = rs + (<usize>(2 * massPad(K)) << 2);
  const ko = ks + (<usize>knotPad(K) << 2);
  const kd = ko + (<usize>knotPad(K) << 2);
  store<f32>(ks, -bound);
  store<f32>(ko, -bound);
  let a: f64 = 0;
  let b: f64 = 0;
  for (let j = 0; j < K; j++) {
    const at = <usize>j << 2;
    a += <f64>(load<f32>(rs + at) * is);
    b += <f64>(load<f32>(ro + at) * io);
    store<f32>(ks + at + 4, knot(a, bound));
    store<f32>(ko + at + 4, knot(b, bound));
  }
  for (let i = 0; i <= K; i++) store<f32>(kd + (<usize>i << 2), knotDerivative(pd, i, K, lambda));
}

/** Whether n f32 values at a and b have the same bits. */
// @ts-ignore: decorator
@inline function sameBits(a: usize, b: usize, n: i32): bool {
  if (a == b) return true;
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const at = <usize>j << 2;
    if (!i32x4.all_true(i32x4.eq(v128.load(a + at), v128.load(b + at)))) return false;
  }
  for (; j < n; j++) if (load<u32>(a + (<usize>j << 2)) != load<u32>(b + (<usize>j << 2))) return false;
  return true;
}

/**
 * The masses of the searched and the other block in a scratch slot (searched at the returned
 * address, the other one Kpad values after), their scales in slotScaleSearch / slotScaleOther.
 */
// @ts-ignore: decorator
@inline function cachedMasses(pSearch: usize, pOther: usize, K: i32, lambda: f32, scratch: usize): usize {
  const raw = pSearch < pOther ? pSearch : pOther; // the whole row: widths, heights, derivatives
  const P = 3 * K - 1;
  const slotBytes = slotBytesOf(K);
  if (slotRaw0 && sameBits(slotRaw0, raw, P)) {
    slotNext = 1;
    slotScaleSearch = slotSearchScale0;
    slotScaleOther = slotOtherScale0;
    slotHit = true;
    slotUsed = 0;
    return scratch;
  }
  if (slotRaw1 && sameBits(slotRaw1, raw, P)) {
    slotNext = 0;
    slotScaleSearch = slotSearchScale1;
    slotScaleOther = slotOtherScale1;
    slotHit = true;
    slotUsed = 1;
    return scratch + slotBytes;
  }
  const slot = slotNext;
  const rs = scratch + (slot ? slotBytes : 0);
  const ro = rs + (<usize>massPad(K) << 2);
  const is = blockMassesPair(pSearch, pOther, K, lambda, rs, ro);
  const io = pairScaleB;
  if (slot) {
    slotRaw1 = raw;
    slotSearchScale1 = is;
    slotOtherScale1 = io;
    slotKnots1 = false;
  } else {
    slotRaw0 = raw;
    slotSearchScale0 = is;
    slotOtherScale0 = io;
    slotKnots0 = false;
  }
  slotNext = 1 - slot;
  slotScaleSearch = is;
  slotScaleOther = io;
  slotHit = false;
  slotUsed = slot;
  return rs;
}

/** Largest input that can still be inside: x_K = B(2·S_K − 1) with S_K = 1 ± a few ulps. */
// @ts-ignore: decorator
@inline function mayBeInside(v: f32, bound: f32): bool {
  return v > -bound && v <= bound * <f32>1.001; // false for NaN too
}

/**
 * One element, forward (`inverse` false: search the x-knots of the widths block, evaluate y)
 * or inverse (search the y-knots of the heights block, solve for x). Stores value and ladj.
 * `inverse` is a constant at both call sites, so each kernel compiles to its own branch-free
 * copy.
 */
// @ts-ignore: decorator
@inline function splineElement(
  v: f32, pSearch: usize, pOther: usize, pd: usize, K: i32, bound: f32, lambda: f32,
  inverse: bool, outV: usize, outL: usize, scratch: usize, saved: usize,
): void {
  if (!mayBeInside(v, bound)) {
    store<f32>(outV, v);
    store<f32>(outL, 0);
    return;
  }
  // Masses of both blocks (the other one is needed unless v lies beyond the last knot, rare),
  // from the cache when this element's raw widths and heights equal a recent element's.
  const rs = cachedMasses(pSearch, pOther, K, lambda, scratch);
  const ro = rs + (<usize>massPad(K) << 2);
  const is = slotScaleSearch;
  const io = slotScaleOther;
  // The forward searches the widths: rs holds them, ro the heights (the inverse never saves).
  if (saved) {
    scaleRow(saved, rs, K, is);
    scaleRow(saved + (<usize>K << 2), ro, K, io);
  }
  let lo: f32 = -bound;
  let hi: f32 = 0;
  let k = K;
  let oLo: f32 = 0;
  let oHi: f32 = 0;
  let dlo: f32 = 1;
  let dhi: f32 = 1;
  if (slotHit) {
    // A repeated row: its knots and derivatives, filled on the slot's first reuse.
    if (slotUsed ? !slotKnots1 : !slotKnots0) {
      fillKnots(rs, K, is, io, bound, pd, lambda);
      if (slotUsed) slotKnots1 = true;
      else slotKnots0 = true;
    }
    const ks = rs + (<usize>(2 * massPad(K)) << 2);
    for (let j = 0; j < K; j++) {
      if (!(load<f32>(ks + (<usize>(j + 1) << 2)) < v)) { k = j; break; }
    }
    if (k == K) { // beyond the last knot
      store<f32>(outV, v);
      store<f32>(outL, 0);
      return;
    }
    const ko = ks + (<usize>knotPad(K) << 2);
    const kd = ko + (<usize>knotPad(K) << 2);
    const at = <usize>k << 2;
    lo = load<f32>(ks + at);
    hi = load<f32>(ks + at, 4);
    oLo = load<f32>(ko + at);
    oHi = load<f32>(ko + at, 4);
    dlo = load<f32>(kd + at);
    dhi = load<f32>(kd + at, 4);
  } else {
    // Search: prefix scan of the searched block, four masses per step, up to the first knot ≥ v.
    const isV = f32x4.splat(is);
    let acc: f64 = 0;
    let j = 0;
    for (; j + 4 <= K; j += 4) {
      const w = f32x4.mul(v128.load(rs + (<usize>j << 2)), isV);
      acc += <f64>f32x4.extract_lane(w, 0);
      hi = knot(acc, bound);
      if (!(hi < v)) { k = j; break; }
      lo = hi;
      acc += <f64>f32x4.extract_lane(w, 1);
      hi = knot(acc, bound);
      if (!(hi < v)) { k = j + 1; break; }
      lo = hi;
      acc += <f64>f32x4.extract_lane(w, 2);
      hi = knot(acc, bound);
      if (!(hi < v)) { k = j + 2; break; }
      lo = hi;
      acc += <f64>f32x4.extract_lane(w, 3);
      hi = knot(acc, bound);
      if (!(hi < v)) { k = j + 3; break; }
      lo = hi;
    }
    if (k == K) {
      for (; j < K; j++) {
        acc += <f64>(load<f32>(rs + (<usize>j << 2)) * is);
        hi = knot(acc, bound);
        if (!(hi < v)) { k = j; break; }
        lo = hi;
      }
    }
    if (k == K) { // beyond the last knot
      store<f32>(outV, v);
      store<f32>(outL, 0);
      return;
    }
    // The other block: its knots k and k + 1.
    oLo = knotsAround(ro, k, io, bound);
    oHi = upperKnot;
    dlo = knotDerivative(pd, k, K, lambda);
    dhi = knotDerivative(pd, k + 1, K, lambda);
  }
  const xlo = inverse ? oLo : lo;
  const xhi = inverse ? oHi : hi;
  const ylo = inverse ? lo : oLo;
  const yhi = inverse ? hi : oHi;
  const dxw = xhi - xlo;
  const dyh = yhi - ylo;
  const s = dyh / dxw;
  if (!inverse) {
    const z = (v - xlo) / dxw;
    const omz: f32 = <f32>1 - z;
    const den: f32 = s + ((dlo + dhi) - <f32>2 * s) * z * omz;
    const num: f32 = s * (z * z) + dlo * z * omz;
    store<f32>(outV, ylo + (dyh * num) / den);
    store<f32>(outL, logJacobian(z, s, dlo, dhi));
  } else {
    // Coefficients and root in the cancellation-free forms of the ts reference (inverseInBin).
    const below = v - ylo;
    const above = yhi - v;
    const a: f32 = s * (above - below) - dlo * above + dhi * below;
    const b: f32 = dlo * above - dhi * below + <f32>2 * s * below;
    const c: f32 = -s * below;
    const sq = Mathf.sqrt(Mathf.max(b * b - <f32>4 * a * c, 0));
    const root: f32 = b >= 0 ? (<f32>2 * c) / (-b - sq) : (sq - b) / (<f32>2 * a);
    const z = Mathf.min(Mathf.max(root, 0), 1);
    const xv = xlo + z * dxw;
    store<f32>(outV, xv);
    store<f32>(outL, -logJacobian((xv - xlo) / dxw, s, dlo, dhi));
  }
}

/** dst[0..K) = row[0..K) · inv: unnormalised masses become the softmax masses (dst may be row). */
// @ts-ignore: decorator
@inline function scaleRow(dst: usize, row: usize, K: i32, inv: f32): void {
  const invV = f32x4.splat(inv);
  let j = 0;
  for (; j + 4 <= K; j += 4) {
    const pj = <usize>j << 2;
    v128.store(dst + pj, f32x4.mul(v128.load(row + pj), invV));
  }
  for (; j < K; j++) {
    const pj = <usize>j << 2;
    store<f32>(dst + pj, load<f32>(row + pj) * inv);
  }
}

export function spline_scratch_bytes(K: i32): i32 {
  return MASS_SLOTS * <i32>slotBytesOf(K);
}

/** The element loop of forward (`inverse` false) and inverse: inlined, so each export gets its own copy. */
// @ts-ignore: decorator
@inline function splineLoop(
  outV: usize, outL: usize, input: usize, params: usize,
  e0: i32, e1: i32, K: i32, bound: f32, logSlope: f32, scratch: usize, saved: usize, inverse: bool,
): void {
  const P = 3 * K - 1;
  clearMassSlots();
  for (let e = e0; e < e1; e++) {
    const off = <usize>e << 2;
    const pw = params + ((<usize>e * <usize>P) << 2);
    const ph = pw + (<usize>K << 2);
    const pd = ph + (<usize>K << 2);
    // The forward searches the widths' knots, the inverse the heights'.
    const pSearch = inverse ? ph : pw;
    const pOther = inverse ? pw : ph;
    const sv = saved ? saved + ((<usize>e * <usize>(2 * K)) << 2) : 0;
    splineElement(
      load<f32>(input + off), pSearch, pOther, pd, K, bound, logSlope, inverse, outV + off, outL + off, scratch, sv,
    );
  }
}

export function spline_forward(
  y: usize, ladj: usize, x: usize, params: usize,
  e0: i32, e1: i32, K: i32, bound: f32, logSlope: f32, scratch: usize, saved: usize,
): void {
  splineLoop(y, ladj, x, params, e0, e1, K, bound, logSlope, scratch, saved, false);
}

export function spline_inverse(
  x: usize, ladj: usize, y: usize, params: usize,
  e0: i32, e1: i32, K: i32, bound: f32, logSlope: f32, scratch: usize,
): void {
  splineLoop(x, ladj, y, params, e0, e1, K, bound, logSlope, scratch, 0, true);
}

/**
 * Knot gradients → raw gradients of one mass block (widths or heights): `row` holds the
 * masses W_j on entry and ∂L/∂raw_j on exit (see massesBackward in the ts reference).
 */
// @ts-ignore: decorator
@inline function massesBackward(
  row: usize, raw: usize, K: i32, k: i32, gLo: f32, gHi: f32, bound: f32, lambda: f32,
): void {
  const twoB: f32 = <f32>2 * bound;
  const gBelow: f32 = twoB * (gLo + gHi);
  const gAt: f32 = twoB * gHi;
  let dot: f64 = 0;
  for (let j = 0; j <= k; j++) {
    dot += <f64>(load<f32>(row + (<usize>j << 2)) * (j < k ? gBelow : gAt));
  }
  const dotR = <f32>dot;
  // Four raw values at a time (IEEE per lane: the same bits as the scalar tail).
  let j = 0;
  const kV = i32x4.splat(k);
  const dotV = f32x4.splat(dotR);
  for (; j + 4 <= K; j += 4) {
    const pj = <usize>j << 2;
    const jV = i32x4.add(i32x4.splat(j), i32x4(0, 1, 2, 3));
    const g = v128.bitselect(
      f32x4.splat(gBelow),
      v128.and(f32x4.splat(gAt), i32x4.eq(jV, kV)),
      i32x4.lt_s(jV, kV),
    );
    const gc = f32x4.mul(v128.load(row + pj), f32x4.sub(g, dotV));
    store<v128>(row + pj, f32x4.mul(gc, softClampDerivativeVec(v128.load(raw + pj), 2, lambda)));
  }
  for (; j < K; j++) {
    const pj = <usize>j << 2;
    const g: f32 = j < k ? gBelow : j == k ? gAt : 0;
    const gc = load<f32>(row + pj) * (g - dotR);
    store<f32>(row + pj, gc * softClampDerivative(load<f32>(raw + pj), 2, lambda));
  }
}

export function spline_backward(
  dx: usize, dparams: usize, gy: usize, gl: usize, x: usize, params: usize,
  e0: i32, e1: i32, K: i32, bound: f32, logSlope: f32, saved: usize,
): void {
  const P = 3 * K - 1;
  const rowBytes = <usize>K << 2;
  for (let e = e0; e < e1; e++) {
    const off = <usize>e << 2;
    const v = load<f32>(x + off);
    const gyv = load<f32>(gy + off);
    const rowOff = (<usize>e * <usize>P) << 2;
    const pw = params + rowOff;
    const ph = pw + (<usize>K << 2);
    const pd = ph + (<usize>K << 2);
    const rw = dparams + rowOff;
    const rh = rw + (<usize>K << 2);
    const rd = rh + (<usize>K << 2);
    let k = K; // outside unless the scan finds a bin
    let scaleH: f32 = 0;
    let xlo: f32 = -bound;
    let xhi: f32 = 0;
    if (mayBeInside(v, bound)) {
      if (saved) {
        // The forward's normalised masses: widths into rw, heights into rh (scaled already).
        const sv = saved + ((<usize>e * <usize>(2 * K)) << 2);
        memory.copy(rw, sv, rowBytes);
        memory.copy(rh, sv + rowBytes, rowBytes);
        scaleH = 1;
      } else {
        // Both blocks' masses at once (the heights' are dropped if x is beyond the last knot).
        scaleRow(rw, rw, K, blockMassesPair(pw, ph, K, logSlope, rw, rh));
        scaleH = pairScaleB;
      }
      let acc: f64 = 0;
      for (k = 0; k < K; k++) {
        acc += <f64>load<f32>(rw + (<usize>k << 2));
        xhi = knot(acc, bound);
        if (!(xhi < v)) break;
        xlo = xhi;
      }
    }
    if (k >= K) {
      store<f32>(dx + off, gyv);
      memory.fill(rw, 0, <usize>P << 2);
      continue;
    }
    if (!saved) scaleRow(rh, rh, K, scaleH);
    const ylo = knotsAround(rh, k, 1, bound); // masses normalised already: · 1 is exact
    const yhi = upperKnot;
    const dlo = knotDerivative(pd, k, K, logSlope);
    const dhi = knotDerivative(pd, k + 1, K, logSlope);
    const glv = load<f32>(gl + off);

    // Bin backward (derivation in backwardInBin of the ts reference).
    const dxw = xhi - xlo;
    const dyh = yhi - ylo;
    const s = dyh / dxw;
    const z = (v - xlo) / dxw;
    const omz: f32 = <f32>1 - z;
    const w = z * omz;
    const zz = z * z;
    const omz2 = omz * omz;
    const dsum: f32 = (dlo + dhi) - <f32>2 * s;
    const den: f32 = s + dsum * z * omz;
    const num: f32 = s * zz + dlo * z * omz;
    const q: f32 = <f32>2 * s * z * omz + dlo * omz2 + dhi * zz;
    const den2 = den * den;
    const oneM2z: f32 = <f32>1 - <f32>2 * z;
    const oneM2w: f32 = <f32>1 - <f32>2 * w;

    const ratio = num / den;
    const rZ = (s * q) / den2;
    const rS = (w * (dhi * zz - dlo * omz2)) / den2;
    const rDlo = (w * (s * omz2 + dhi * w)) / den2;
    const rDhi = -((w * num) / den2);
    const qZ: f32 = <f32>2 * s * oneM2z - <f32>2 * dlo * omz + <f32>2 * dhi * z;
    const lZ: f32 = qZ / q - (<f32>2 * (dsum * oneM2z)) / den;
    const lS: f32 = <f32>2 / s + (<f32>2 * w) / q - (<f32>2 * oneM2w) / den;
    const twoWoverD: f32 = (<f32>2 * w) / den;
    const lDlo = omz2 / q - twoWoverD;
    const lDhi = zz / q - twoWoverD;

    const gyd = gyv * dyh;
    const gz = gyd * rZ + glv * lZ;
    const gs = gyd * rS + glv * lS;
    const gDlo = gyd * rDlo + glv * lDlo;
    const gDhi = gyd * rDhi + glv * lDhi;
    const gDy = gyv * ratio + gs / dxw;
    const gDx = -((gs * s + gz * z) / dxw);
    const gx = gz / dxw;
    store<f32>(dx + off, gx);

    massesBackward(rw, pw, K, k, -gx - gDx, gDx, bound, logSlope);
    massesBackward(rh, ph, K, k, gyv - gDy, gDy, bound, logSlope);
    memory.fill(rd, 0, <usize>(K - 1) << 2);
    if (k >= 1) {
      const p = <usize>(k - 1) << 2;
      store<f32>(rd + p, gDlo * dlo * softClampDerivative(load<f32>(pd + p), 1, logSlope));
    }
    if (k + 1 <= K - 1) {
      const p = <usize>k << 2;
      store<f32>(rd + p, gDhi * dhi * softClampDerivative(load<f32>(pd + p), 1, logSlope));
    }
  }
}
