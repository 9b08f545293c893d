// Activation maps shared by the matmul's finishing pass and the elementwise kernels. Internal: not
// re-exported by index.ts, so nothing here becomes a wasm export.
//
// Codes are those of `Act` (src/backend/kernels.ts): 0 none, 1 relu, 2 elu (α = 1), 3 tanh.
// Relu is written as compare-and-select, not max, so that relu(NaN) = 0 as in the ts reference.
// Elu runs on four lanes with the expm1 polynomial of fastmath.ts (within ~1.5 ulp of the ts
// reference's Math.expm1); its scalar form goes through the same vector code, so an element
// gets the same bits whether it falls in a vector or in a tail (thread splits stay bit-identical).

import { expm1NegVec } from './fastmath';

/** v ≥ 0 ? v : eᵛ − 1 on four lanes (v = −0 stays −0 and NaN stays NaN, as Math.expm1). */
// @ts-ignore: decorator
@inline export function eluVec(v: v128): v128 {
  return v128.bitselect(v, expm1NegVec(v), f32x4.ge(v, f32x4.splat(0)));
}

/** Elu of one value: lane 0 of eluVec, so bit-identical to the 4-lane form. */
// @ts-ignore: decorator
@inline export function eluScalar(v: f32): f32 {
  return f32x4.extract_lane(eluVec(f32x4.splat(v)), 0);
}

/**
 * Scalar activation, the same maps as the ts reference. A switch (br_table), not an if-chain:
 * Binaryen turns `if (act == k) return f(v)` chains into br_if chains that evaluate every
 * pure callee (expm1, tanh) before testing the code.
 */
// @ts-ignore: decorator
@inline export function actScalar(act: i32, v: f32): f32 {
  switch (act) {
    case 1: return v > 0 ? v : 0;
    case 2: return eluScalar(v);
    case 3: return Mathf.tanh(v);
    default: return v;
  }
}

/** x > 0 ? x : 0 on four lanes (NaN → 0). */
// @ts-ignore: decorator
@inline export function reluVec(v: v128): v128 {
  const z = f32x4.splat(0);
  return v128.bitselect(v, z, f32x4.gt(v, z));
}

/** Activation on four lanes: relu and elu vectorised, tanh per lane. A switch, as actScalar. */
// @ts-ignore: decorator
@inline export function actVec(v: v128, act: i32): v128 {
  switch (act) {
    case 1: return reluVec(v);
    case 2: return eluVec(v);
    case 3: {
      let r = v;
      r = f32x4.replace_lane(r, 0, Mathf.tanh(f32x4.extract_lane(v, 0)));
      r = f32x4.replace_lane(r, 1, Mathf.tanh(f32x4.extract_lane(v, 1)));
      r = f32x4.replace_lane(r, 2, Mathf.tanh(f32x4.extract_lane(v, 2)));
      r = f32x4.replace_lane(r, 3, Mathf.tanh(f32x4.extract_lane(v, 3)));
      return r;
    }
    default: return v;
  }
}
