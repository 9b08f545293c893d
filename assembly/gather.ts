// Indexed gather for the block layout of masked layers (src/nn/block-layout.ts): each step
// gathers a masked weight into its sorted order, and its gradient back into Zuko's order.
//
//   gather(out, src, index, scale, e0, e1, limit) -> i32
//       out[e] = src[index[e]] · scale[e] for e in [e0, e1)
//   index holds integers stored as f32 (exact below 2^24), so it lives in an ordinary tensor;
//   every index must be an integer in [0, limit) (the size of src). Returns −1, or the first e
//   whose index is not — the call stops at its group of four, before reading with it. Each
//   out[e] is written by one e only, so a pool can split [e0, e1) freely.
//
// Four elements per step: the index conversion and its checks on i32x4 / f32x4, then four
// scalar loads (wasm has no gather instruction) and one vector multiply-store. Data movement,
// not arithmetic; it is here because the same loop in JS over the shared memory costs ~5 ns
// per element.

// @ts-ignore: decorator
@inline function badLane(f: f32, limit: i32): bool {
  const j = <i32>f;
  return !(f >= 0) || j >= limit || <f32>j != f;
}

export function gather(out: usize, src: usize, index: usize, scale: usize, e0: i32, e1: i32, limit: i32): i32 {
  let e = e0;
  const lim = i32x4.splat(limit);
  for (; e + 4 <= e1; e += 4) {
    const at = <usize>(e << 2);
    const f = v128.load(index + at);
    const j = i32x4.trunc_sat_f32x4_s(f);
    // Bad lanes: negative or NaN (f >= 0 fails), not an integer, or ≥ limit.
    const ok = v128.and(
      v128.and(f32x4.ge(f, f32x4.splat(0)), f32x4.eq(f32x4.convert_i32x4_s(j), f)),
      i32x4.lt_s(j, lim),
    );
    if (!i32x4.all_true(ok)) {
      for (let l = 0; l < 4; l++) if (badLane(load<f32>(index + at + <usize>(l << 2)), limit)) return e + l;
    }
    const a = <usize>i32x4.extract_lane(j, 0) << 2;
    const b = <usize>i32x4.extract_lane(j, 1) << 2;
    const c = <usize>i32x4.extract_lane(j, 2) << 2;
    const d = <usize>i32x4.extract_lane(j, 3) << 2;
    let v = f32x4.splat(load<f32>(src + a));
    v = f32x4.replace_lane(v, 1, load<f32>(src + b));
    v = f32x4.replace_lane(v, 2, load<f32>(src + c));
    v = f32x4.replace_lane(v, 3, load<f32>(src + d));
    v128.store(out + at, f32x4.mul(v, v128.load(scale + at)));
  }
  for (; e < e1; e++) {
    const at = <usize>(e << 2);
    const f = load<f32>(index + at);
    if (badLane(f, limit)) return e;
    store<f32>(out + at, load<f32>(src + (<usize>(<i32>f) << 2)) * load<f32>(scale + at));
  }
  return -1;
}

//   gather_rows(out, src, rows, N, r0, r1, limit) -> i32
//       out[r, :] = src[rows[r], :] for rows r in [r0, r1) of N floats each; rows holds integers
//       stored as f32 in [0, limit) (the rows of src). Returns −1, or the first r whose index is
//       not one, before copying it. Each out row is written by one r only, so a pool can split
//       [r0, r1) freely. Whole-row copies (memory.copy): the grid evaluator's copy of a network's
//       outputs from its distinct input rows back to every row (~7.7 MB per page update and class).
export function gather_rows(out: usize, src: usize, rows: usize, N: i32, r0: i32, r1: i32, limit: i32): i32 {
  const bytes = <usize>(N << 2);
  for (let r = r0; r < r1; r++) {
    const f = load<f32>(rows + (<usize>r << 2));
    if (badLane(f, limit)) return r;
    memory.copy(out + <usize>r * bytes, src + <usize>(<i32>f) * bytes, bytes);
  }
  return -1;
}
