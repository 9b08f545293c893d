// Index moves for the block layout of masked layers (src/nn/block-layout.ts): each step gathers
// a masked weight into its sorted order and scatters the weight gradient back.
//
//   permute(out, src, index, scale, n, limit, scatter) -> i32
//       gather  (scatter = 0): out[e] = src[index[e]] · scale[e]
//       scatter (scatter = 1): out[index[e]] = src[e] · scale[e]        for e in [0, n)
//   index holds integers stored as f32 (exact below 2^24), so it lives in an ordinary tensor;
//   every index must lie in [0, limit) (the size of the indexed tensor). Returns −1, or the
//   first e whose index is out of range — the call stops there, before touching memory with it.
//
// Data movement, not arithmetic: a scalar loop; it is here because the same loop in JS over the
// shared memory costs ~5 ns per element, 15× this.

export function permute(out: usize, src: usize, index: usize, scale: usize, n: i32, limit: i32, scatter: i32): i32 {
  for (let e = 0; e < n; e++) {
    const at = <usize>(e << 2);
    const f = load<f32>(index + at);
    const j = <i32>f;
    if (!(f >= 0) || j >= limit || <f32>j != f) return e;
    const jb = <usize>(j << 2);
    if (scatter) store<f32>(out + jb, load<f32>(src + at) * load<f32>(scale + at));
    else store<f32>(out + at, load<f32>(src + jb) * load<f32>(scale + at));
  }
  return -1;
}
