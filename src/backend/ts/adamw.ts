/**
 * Reference AdamW step with PyTorch's semantics (torch.optim.AdamW, single-tensor path):
 * decoupled decay first, then the moment updates, then the bias-corrected step.
 * Arithmetic per element in float32, like PyTorch on f32 tensors.
 */
import type { AdamWHyper } from '../kernels.js';
import type { Tensor } from '../../tensor/tensor.js';

const f = Math.fround;

export function adamw(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, h: AdamWHyper): void {
  const P = param.data,
    G = grad.data,
    Mm = m.data,
    V = v.data;
  const bc1 = 1 - Math.pow(h.beta1, h.step);
  const bc2 = 1 - Math.pow(h.beta2, h.step);
  const stepSize = h.lr / bc1;
  const bc2Sqrt = Math.sqrt(bc2);
  const decay = f(1 - h.lr * h.weightDecay);
  for (let i = 0; i < P.length; i++) {
    const g = G[i];
    P[i] = f(P[i] * decay);
    Mm[i] = f(f(Mm[i] * h.beta1) + f(g * (1 - h.beta1)));
    V[i] = f(f(V[i] * h.beta2) + f(f(g * g) * (1 - h.beta2)));
    const denom = f(f(Math.sqrt(V[i]) / bc2Sqrt) + h.eps);
    P[i] = f(P[i] - f(stepSize * f(Mm[i] / denom)));
  }
}
