// Indexed gather for the block layout of masked layers (src/nn/block-layout.ts): each step
// gathers a masked weight into its sorted order, and its gradient back into Zuko's order.
//
//   gather(out, src, index, scale, e0, e1, limit) -> i32
//       out[e] = src[index[e]] · scale[e] for e in [e0, e1)
//   index holds integers stored as f32 (exact below 2^24), so it lives in an ordinary tensor;
//   every index must lie in [0, limit) (the size of src). Returns −1, or the first e whose index
//   is out of range — the call stops there, before reading with it. Each out[e] is written by
//   one e only, so a pool can split [e0, e1) freely.
//
// Data movement, not arithmetic: a scalar loop; it is here because the same loop in JS over the
// shared memory costs ~5 ns per element, several times this.

export function gather(out: usize, src: usize, index: usize, scale: usize, e0: i32, e1: i32, limit: i32): i32 {
  for (let e = e0; e < e1; e++) {
    const at = <usize>(e << 2);
    const f = load<f32>(index + at);
    const j = <i32>f;
    if (!(f >= 0) || j >= limit || <f32>j != f) return e;
    store<f32>(out + at, load<f32>(src + (<usize>j << 2)) * load<f32>(scale + at));
  }
  return -1;
}
