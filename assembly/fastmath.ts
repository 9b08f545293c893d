// Float32 exp and expm1 polynomials, scalar and 4-lane, shared by the spline (exp of the softmax
// masses) and the ELU activation (eᵛ − 1), and the build-dependent multiply-add the matmul tiles
// use. Internal: not re-exported by index.ts.
//
// Why hand-written: Mathf.exp / Mathf.expm1 are scalar only, and the transcendental per element
// was the cost of ELU layers and spline softmaxes; one f32x4 polynomial does four lanes at once.
//
// exp(v) = 2ⁿ·p(r), n = nearest(v·log₂e), r = (v − n·ln2_hi) − n·ln2_lo (|r| ≤ ln2/2, the split
// constant ln2_hi has few mantissa bits so n·ln2_hi is exact), p = degree-7 Taylor polynomial
// of eʳ (truncation ≤ 6e-9 relative: about 1 ulp in total). expF32 in the ts reference spline
// (src/backend/ts/spline.ts) performs the same float32 operations, so the spline kernels stay
// bit-identical to it: do not reorder anything in expf / expVec.
//
// No range reduction guard: the 2ⁿ scale is built from the exponent bits, valid for
// n ∈ [−126, 127], i.e. v ∈ [−87.3, 88.0]. The spline only passes v ≤ 0 of moderate size
// (differences to a max of soft-clamped values); expm1NegVec clamps its input.

const LOG2E: f32 = 1.4426950408889634;
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.1219444170128554e-4; // f32(ln 2 − LN2_HI)
const C2: f32 = 1.0 / 2;
const C3: f32 = 1.0 / 6;
const C4: f32 = 1.0 / 24;
const C5: f32 = 1.0 / 120;
const C6: f32 = 1.0 / 720;
const C7: f32 = 1.0 / 5040;

/** eᵛ in float32 (scalar form of expVec, same operations). */
// @ts-ignore: decorator
@inline export function expf(v: f32): f32 {
  const n = nearest<f32>(v * LOG2E);
  const r = (v - n * LN2_HI) - n * LN2_LO;
  let p = C7 * r + C6;
  p = p * r + C5;
  p = p * r + C4;
  p = p * r + C3;
  p = p * r + C2;
  p = p * r + <f32>1;
  p = p * r + <f32>1;
  return p * reinterpret<f32>((<i32>n + 127) << 23);
}

/** eᵛ on four lanes (IEEE per lane: bit-identical to expf). */
// @ts-ignore: decorator
@inline export function expVec(v: v128): v128 {
  const n = f32x4.nearest(f32x4.mul(v, f32x4.splat(LOG2E)));
  const r = f32x4.sub(f32x4.sub(v, f32x4.mul(n, f32x4.splat(LN2_HI))), f32x4.mul(n, f32x4.splat(LN2_LO)));
  let p = f32x4.add(f32x4.mul(f32x4.splat(C7), r), f32x4.splat(C6));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(C5));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(C4));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(C3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(C2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(p, scale);
}

/** 1.5·2²³: adding it to |y| < 2²² rounds y to the nearest integer (ties even, like nearest). */
const ROUND_MAGIC: f32 = 12582912;
/** Bit pattern of ROUND_MAGIC: bits(y + ROUND_MAGIC) = ROUND_MAGIC_BITS + nearest(y). */
const ROUND_MAGIC_BITS: i32 = 0x4b400000;

/** a·b + c: fused in the relaxed build (one rounding), mul then add in the plain one (matmul tiles, elu). */
// @ts-ignore: decorator
@inline export function fma(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return f32x4.relaxed_madd(a, b, c);
  } else {
    return f32x4.add(f32x4.mul(a, b), c);
  }
}

/** c − a·b, likewise. */
// @ts-ignore: decorator
@inline function fnma(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return f32x4.relaxed_nmadd(a, b, c);
  } else {
    return f32x4.sub(c, f32x4.mul(a, b));
  }
}

/**
 * eᵛ − 1 on four lanes for v ≤ 0 (lanes above 0 produce garbage: the caller selects its own
 * value there; NaN stays NaN; below −64 the result is −1, as in float32 anyway).
 *
 * Same reduction as expVec, but the polynomial keeps eʳ − 1 = r·(1 + r/2 + …) without its
 * leading 1, and eᵛ − 1 = 2ⁿ·(eʳ − 1) + (2ⁿ − 1). For |v| < ln2/2, n = 0 and the result is the
 * polynomial in v itself, so small arguments keep full relative precision (what expm1 is for;
 * exp(v) − 1 would cancel there). For n ≤ −1, 2ⁿ − 1 is exact and outweighs the other term, so
 * the one rounding of the sum dominates. Measured against Math.expm1 (f64) on 4.6M points of
 * [−20, 5] (dense grid, geometric near 0, every float32 around the n = 0/−1 switch): at most
 * 1.26 ulp, 4.4e-8 absolute in the plain build, 1.13 ulp fused.
 *
 * Cheaper than expVec's form, same n: the rounding uses the 1.5·2²³ shift (n's bits come out in
 * the low mantissa, so no trunc_sat), and the clamp is a single pmax (wasm's f32x4.min/max are
 * multi-instruction sequences on x64); pmax(v, −64) keeps NaN. The relaxed build fuses each
 * multiply-add (as its matmuls do: the two builds differ in the last bits, each is the same on
 * every thread count): an elu layer's pass costs ~30 ops per four values in the plain build and
 * ~20 fused, and the residual nets run twelve such passes per training step.
 */
// @ts-ignore: decorator
@inline export function expm1NegVec(x: v128): v128 {
  const v = f32x4.pmax(x, f32x4.splat(-64));
  const t = fma(v, f32x4.splat(LOG2E), f32x4.splat(ROUND_MAGIC));
  const n = f32x4.sub(t, f32x4.splat(ROUND_MAGIC));
  const r = fnma(n, f32x4.splat(LN2_LO), fnma(n, f32x4.splat(LN2_HI), v));
  let p = fma(f32x4.splat(C7), r, f32x4.splat(C6));
  p = fma(p, r, f32x4.splat(C5));
  p = fma(p, r, f32x4.splat(C4));
  p = fma(p, r, f32x4.splat(C3));
  p = fma(p, r, f32x4.splat(C2));
  p = fma(p, r, f32x4.splat(1));
  const q = f32x4.mul(p, r); // eʳ − 1
  const scale = i32x4.shl(i32x4.add(t, i32x4.splat(127 - ROUND_MAGIC_BITS)), 23); // 2ⁿ
  return fma(scale, q, f32x4.sub(scale, f32x4.splat(1)));
}
