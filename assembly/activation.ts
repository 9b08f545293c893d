// Activation maps shared by the matmul store step and the elementwise kernels. Internal: not
// re-exported by index.ts, so nothing here becomes a wasm export.
//
// Codes are those of `Act` (src/backend/kernels.ts): 0 none, 1 relu, 2 elu (α = 1), 3 tanh.
// Relu is written as compare-and-select, not max, so that relu(NaN) = 0 as in the ts reference.

/**
 * Scalar activation, the same maps as the ts reference. A switch (br_table), not an if-chain:
 * Binaryen turns `if (act == k) return f(v)` chains into br_if chains that evaluate every
 * pure callee (expm1, tanh) before testing the code.
 */
// @ts-ignore: decorator
@inline export function actScalar(act: i32, v: f32): f32 {
  switch (act) {
    case 1: return v > 0 ? v : 0;
    case 2: return v > 0 ? v : Mathf.expm1(v);
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

/** Activation on four lanes: relu vectorised, the transcendental ones per lane. */
// @ts-ignore: decorator
@inline export function actVec(v: v128, act: i32): v128 {
  if (act == 0) return v;
  if (act == 1) return reluVec(v);
  let r = v;
  r = f32x4.replace_lane(r, 0, actScalar(act, f32x4.extract_lane(v, 0)));
  r = f32x4.replace_lane(r, 1, actScalar(act, f32x4.extract_lane(v, 1)));
  r = f32x4.replace_lane(r, 2, actScalar(act, f32x4.extract_lane(v, 2)));
  r = f32x4.replace_lane(r, 3, actScalar(act, f32x4.extract_lane(v, 3)));
  return r;
}
