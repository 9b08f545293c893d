// AdamW: one fused update over flat param / grad / m / v buffers, PyTorch semantics
// (torch.optim.AdamW, single-tensor path), arithmetic in float32 like PyTorch on f32 tensors.
//
// ABI (pointers are byte offsets into the shared memory; [e0, e1) an element range):
//
//   adamw(p, g, m, v, e0, e1, decay, beta1, oneMinusBeta1, beta2, oneMinusBeta2,
//         stepSize, bc2Sqrt, eps)
//     per element:  p *= decay                      decay    = 1 − lr·wd
//                   m  = β1·m + (1−β1)·g
//                   v  = β2·v + (1−β2)·g²
//                   p -= stepSize · m / (sqrt(v) / bc2Sqrt + eps)
//                                                   stepSize = lr / (1 − β1^step)
//                                                   bc2Sqrt  = sqrt(1 − β2^step)
// The scalars are computed by the caller in float64 and passed as f32, which is what PyTorch
// does with its Python-float hyper-parameters.

export function adamw(
  p: usize, g: usize, m: usize, v: usize, e0: i32, e1: i32,
  decay: f32, beta1: f32, oneMinusBeta1: f32, beta2: f32, oneMinusBeta2: f32,
  stepSize: f32, bc2Sqrt: f32, eps: f32,
): void {
  const dV = f32x4.splat(decay);
  const b1V = f32x4.splat(beta1), c1V = f32x4.splat(oneMinusBeta1);
  const b2V = f32x4.splat(beta2), c2V = f32x4.splat(oneMinusBeta2);
  const sV = f32x4.splat(stepSize), qV = f32x4.splat(bc2Sqrt), eV = f32x4.splat(eps);
  let i = e0;
  for (; i + 4 <= e1; i += 4) {
    const at = <usize>(i << 2);
    const gi = v128.load(g + at);
    const pi = f32x4.mul(v128.load(p + at), dV);
    const mi = f32x4.add(f32x4.mul(v128.load(m + at), b1V), f32x4.mul(gi, c1V));
    const vi = f32x4.add(f32x4.mul(v128.load(v + at), b2V), f32x4.mul(f32x4.mul(gi, gi), c2V));
    const denom = f32x4.add(f32x4.div(f32x4.sqrt(vi), qV), eV);
    v128.store(p + at, f32x4.sub(pi, f32x4.mul(sV, f32x4.div(mi, denom))));
    v128.store(m + at, mi);
    v128.store(v + at, vi);
  }
  for (; i < e1; i++) {
    const at = <usize>(i << 2);
    const gi = load<f32>(g + at);
    const pi = load<f32>(p + at) * decay;
    const mi = load<f32>(m + at) * beta1 + gi * oneMinusBeta1;
    const vi = load<f32>(v + at) * beta2 + gi * gi * oneMinusBeta2;
    const denom = Mathf.sqrt(vi) / bc2Sqrt + eps;
    store<f32>(p + at, pi - stepSize * (mi / denom));
    store<f32>(m + at, mi);
    store<f32>(v + at, vi);
  }
}
