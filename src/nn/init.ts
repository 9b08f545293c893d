/**
 * PyTorch's default nn.Linear initialisation: W and b ~ U(−1/√fan_in, +1/√fan_in)
 * (kaiming_uniform with a = √5 reduces to exactly this bound), fan_in = the full input width.
 */
import type { Rng } from '../random/rng.js';

export function uniformInit(out: Float32Array, fanIn: number, rng: Rng): void {
  const bound = 1 / Math.sqrt(fanIn);
  for (let i = 0; i < out.length; i++) out[i] = (2 * rng.uniform() - 1) * bound;
}
