/**
 * The generator's exact log p(x | c, ν) and log p(y | x, c, ν) with their analytic gradients with
 * respect to ν = (ν_shift, ν_squeeze), per event (the truth density source of the fit).
 *
 * x | c, ν ~ N(m_c, A_c A_cᵀ) (src/toy/prepared.ts): with e = B_c (x − m_c), B_c = A_c⁻¹,
 *   log p = −log 2π − log|det A_c| − ½|e|²,  log|det A_c| independent of ν,
 *   ∂m_c/∂ν_shift   = s · shift_scale · dir/|dir|              ⇒ ∂e/∂ν_shift   = −B_c ∂m_c
 *   B_c = diag(1/σ) Rᵀ Q⁻¹, Q⁻¹ = diag(e^{sα}, e^{−sα}), α = squeeze_scale·ν_squeeze
 *                                                               ⇒ ∂B_c/∂ν_squeeze = B_c · diag(s, −s) · squeeze_scale
 *   ∂ log p/∂ν = −e · ∂e/∂ν.
 * y | x, c, ν (src/toy/truth.ts): μ₀ += s·d·tanh x₁, μ₁ −= s·d·tanh x₁ with d = y_shift_scale·ν_shift;
 * σ₀ ∝ e^{s b}, σ₁ ∝ e^{−s b} with b = y_squeeze_scale·ν_squeeze (so log σ₀ + log σ₁ is ν-free);
 * with u_j = (y_j − μ_j)/σ_j and q = (u₀² − 2ρu₀u₁ + u₁²)/(1 − ρ²):
 *   ∂ log p/∂ν = −½ (∂q/∂u₀ ∂u₀/∂ν + ∂q/∂u₁ ∂u₁/∂ν) − ∂(log σ₀ + log σ₁)/∂ν.
 * The sigmoid's Jacobian does not depend on ν. The data distortion does (and is not part of the
 * toy's fit model): a generator with distortion_strength ≠ 0 is refused.
 * Variation_rot is not a nuisance of the fit; it stays at the generator's value.
 */
import { withNuisance, type GeneratorConfig } from '../toy/index.js';
import { prepareGenerator } from '../toy/prepared.js';
import { logProbXBatch, logProbYBatch } from '../toy/truth.js';

export interface TruthEval {
  logp: Float64Array;
  /** [n, 2]: ∂/∂ν_shift, ∂/∂ν_squeeze per event. */
  dnu: Float64Array;
}

export function checkTruthGenerator(gen: Readonly<GeneratorConfig>, what: string): void {
  if (gen.distortion_strength !== 0) {
    throw new Error(
      `${what}: the truth density of the fit needs distortion_strength 0, got ${gen.distortion_strength}`,
    );
  }
}

/** log p(x | c, ν) + (y ? log p(y | x, c, ν) : 0) for every event in class `cls`, and ∂/∂ν. */
export function truthLogProbAndNuGrad(
  nominal: Readonly<GeneratorConfig>,
  nu: readonly number[],
  cls: 0 | 1,
  x: Float32Array,
  y: Float32Array | null,
): TruthEval {
  const gen = withNuisance(nominal, [nu[0], nu[1]]);
  checkTruthGenerator(gen, 'truth density');
  const n = x.length / 2;
  const cs = new Uint8Array(n).fill(cls);
  const logp = logProbXBatch(x, cs, gen);
  if (y) {
    const ly = logProbYBatch(y, x, cs, gen);
    for (let i = 0; i < n; i++) logp[i] += ly[i];
  }
  const dnu = new Float64Array(2 * n);
  const g = prepareGenerator(gen);
  const k = g.classes[cls];
  const s = k.sign;
  const dn = Math.hypot(gen.shift_dir[0], gen.shift_dir[1]);
  const dm0 = (s * gen.shift_scale * gen.shift_dir[0]) / dn;
  const dm1 = (s * gen.shift_scale * gen.shift_dir[1]) / dn;
  // ∂e/∂ν_shift = −B ∂m (the same for every event)
  const de0s = -(k.b00 * dm0 + k.b01 * dm1);
  const de1s = -(k.b10 * dm0 + k.b11 * dm1);
  const sq = gen.squeeze_scale * s;
  for (let i = 0; i < n; i++) {
    const u0 = x[2 * i] - k.m0;
    const u1 = x[2 * i + 1] - k.m1;
    const e0 = k.b00 * u0 + k.b01 * u1;
    const e1 = k.b10 * u0 + k.b11 * u1;
    // ∂e/∂ν_squeeze = B · diag(s, −s)·squeeze_scale · u
    const de0q = sq * (k.b00 * u0 - k.b01 * u1);
    const de1q = sq * (k.b10 * u0 - k.b11 * u1);
    dnu[2 * i] = -(e0 * de0s + e1 * de1s);
    dnu[2 * i + 1] = -(e0 * de0q + e1 * de1q);
  }
  if (y) addScoreGrad(gen, s, x, y, dnu);
  return { logp, dnu };
}

function softplus(t: number): number {
  return Math.max(t, 0) + Math.log1p(Math.exp(-Math.abs(t)));
}

function addScoreGrad(gen: GeneratorConfig, s: number, x: Float32Array, yIn: Float32Array, dnu: Float64Array): void {
  const n = x.length / 2;
  const d = gen.y_shift_scale * gen.variation_shift;
  const b = gen.y_squeeze_scale * gen.variation_squeeze;
  const sig = !!gen.sigmoid_y;
  for (let i = 0; i < n; i++) {
    const x1 = x[2 * i];
    const x2 = x[2 * i + 1];
    let y0 = yIn[2 * i];
    let y1 = yIn[2 * i + 1];
    if (sig) {
      y0 = Math.log(y0) - Math.log1p(-y0);
      y1 = Math.log(y1) - Math.log1p(-y1);
    }
    const th = Math.tanh(x1);
    const mu0 = Math.sin(1.5 * x1) + 0.3 * x2 + s * d * th;
    const mu1 = 0.3 * x1 * x1 - 1.2 + 0.5 * Math.sin(x2) - s * d * th;
    const s0 = softplus(0.4 * x1 + 0.1) * Math.exp(s * b);
    const s1 = softplus(-0.2 * x1 + 0.4) * Math.exp(-s * b);
    const r = 0.8 * Math.tanh(0.5 * (x1 + x2));
    const u0 = (y0 - mu0) / s0;
    const u1 = (y1 - mu1) / s1;
    const om = 1 - r * r;
    const qu0 = (2 * u0 - 2 * r * u1) / om;
    const qu1 = (2 * u1 - 2 * r * u0) / om;
    // ν_shift: only the means move
    const dmu0 = s * gen.y_shift_scale * th;
    const du0s = -dmu0 / s0;
    const du1s = dmu0 / s1;
    // ν_squeeze: log σ₀ moves by s·y_squeeze_scale, log σ₁ by −s·y_squeeze_scale
    const du0q = -u0 * s * gen.y_squeeze_scale;
    const du1q = u1 * s * gen.y_squeeze_scale;
    dnu[2 * i] += -0.5 * (qu0 * du0s + qu1 * du1s);
    dnu[2 * i + 1] += -0.5 * (qu0 * du0q + qu1 * du1q);
  }
}
