/**
 * The base distribution N(loc, diag(scale²)) (Zuko's DiagNormal; buffers, not parameters).
 * log N(z) = Σᵢ −(zᵢ − locᵢ)²/(2 scaleᵢ²) − ln scaleᵢ − ln√(2π).
 */
import type { Device, PersistentAllocator } from '../backend/device.js';
import type { Tape, Var } from '../autodiff/tape.js';
import type { Tensor } from '../tensor/tensor.js';
import { add, div, mul, square, sub, sumCols } from '../ops/index.js';
import type { Rng } from '../random/rng.js';

export const LN_SQRT_2PI = 0.9189385332046727;

export class DiagNormal {
  constructor(
    readonly loc: Tensor,
    readonly scale: Tensor,
  ) {}

  /** N(0, I); its buffers from `dev` (a flow passes its ParamSet, so they are freed with it). */
  static standard(dev: PersistentAllocator, features: number): DiagNormal {
    return new DiagNormal(dev.persistent([features]), dev.persistent([features], new Array(features).fill(1)));
  }

  get features(): number {
    return this.loc.size;
  }

  /** log N(z) per row → [B]. */
  logProbVar(tape: Tape, z: Var): Var {
    const u = div(sub(z, tape.constant(this.loc)), tape.constant(this.scale));
    let logNorm = 0;
    for (const s of this.scale.data) logNorm += Math.log(s) + LN_SQRT_2PI;
    return add(sumCols(mul(square(u), -0.5)), -logNorm);
  }

  /** n draws into a fresh [n, F] arena tensor. */
  sampleTensor(dev: Device, rng: Rng, n: number): Tensor {
    const F = this.features;
    const z = dev.empty([n, F]);
    const d = z.data;
    rng.fillNormal(d);
    const loc = this.loc.data,
      scale = this.scale.data;
    for (let i = 0; i < n; i++) for (let j = 0; j < F; j++) d[i * F + j] = loc[j] + scale[j] * d[i * F + j];
    return z;
  }
}
