/**
 * The per-configuration constants of the toy generator, computed once per call so that the
 * per-event loops of sampling and densities do only arithmetic.
 *
 * x | c (class sign s = −1 for A, +1 for B; the reference applies the x systematics in the
 * order rotation, squeeze, shift):
 *   x = m_c + A_c ε,  ε ~ N(0, I),  A_c = Q_c · R(θ_c) · diag(σ_c)
 *   θ_c = s · rot_scale · variation_rot                 (A rotates by −angle, B by +angle)
 *   Q_c = diag(e^{−s α}, e^{s α}),  α = squeeze_scale · variation_squeeze
 *   m_c = centre_c + s · shift_scale · variation_shift · shift_dir / |shift_dir|
 * det Q = det R = 1, so log|det A_c| = log σ_c1 + log σ_c2 at every ν.
 */
import type { GeneratorConfig } from './config.js';

export interface PreparedClass {
  /** −1 for class A (c = 0), +1 for class B (c = 1). */
  readonly sign: number;
  /** Mean of x | c. */
  readonly m0: number;
  readonly m1: number;
  /** A_c row-major: x − m = [[a00, a01], [a10, a11]] ε. */
  readonly a00: number;
  readonly a01: number;
  readonly a10: number;
  readonly a11: number;
  /** A_c⁻¹ row-major: ε = [[b00, b01], [b10, b11]] (x − m). */
  readonly b00: number;
  readonly b01: number;
  readonly b10: number;
  readonly b11: number;
  /** log|det A_c|. */
  readonly logDetA: number;
}

export interface PreparedGenerator {
  readonly classes: readonly [PreparedClass, PreparedClass];
  /** Score-mean shift d = variation_shift · y_shift_scale. */
  readonly yShift: number;
  /** Score-spread log-scale b = variation_squeeze · y_squeeze_scale. */
  readonly ySqueeze: number;
  /** Distortion rotation gain: 2 · distortion_strength · (1 + distortion_shift_scale · ν_shift). */
  readonly distortThetaGain: number;
  /** Distortion shear coefficient k = 0.1 · (1 + distortion_squeeze_scale · ν_squeeze). */
  readonly distortShear: number;
  readonly sigmoidY: boolean;
}

function prepareClass(
  sign: number,
  centre: readonly number[],
  sigma: readonly number[],
  cfg: Readonly<GeneratorConfig>,
): PreparedClass {
  const theta = sign * cfg.rot_scale * cfg.variation_rot;
  const alpha = cfg.squeeze_scale * cfg.variation_squeeze;
  const q0 = Math.exp(-sign * alpha);
  const q1 = Math.exp(sign * alpha);
  const cs = Math.cos(theta);
  const sn = Math.sin(theta);
  const dirNorm = Math.sqrt(cfg.shift_dir[0] * cfg.shift_dir[0] + cfg.shift_dir[1] * cfg.shift_dir[1]);
  const delta = sign * cfg.shift_scale * cfg.variation_shift;
  const [s0, s1] = sigma;
  return {
    sign,
    m0: centre[0] + (delta * cfg.shift_dir[0]) / dirNorm,
    m1: centre[1] + (delta * cfg.shift_dir[1]) / dirNorm,
    // Q R diag(σ) with R = [[cos, −sin], [sin, cos]]
    a00: q0 * cs * s0,
    a01: -q0 * sn * s1,
    a10: q1 * sn * s0,
    a11: q1 * cs * s1,
    // diag(1/σ) Rᵀ Q⁻¹
    b00: cs / (s0 * q0),
    b01: sn / (s0 * q1),
    b10: -sn / (s1 * q0),
    b11: cs / (s1 * q1),
    logDetA: Math.log(s0) + Math.log(s1),
  };
}

/** Check a config that did not come through the config layer's checks (throws naming the key). */
function checkConfig(cfg: Readonly<GeneratorConfig>): void {
  if (cfg === null || typeof cfg !== 'object') {
    throw new Error(
      'GeneratorConfig: expected a generator config object (e.g. defaultGeneratorConfig()), ' +
        `got ${cfg === null ? 'null' : typeof cfg}`,
    );
  }
  const vecs = ['center_A', 'center_B', 'sigma_A', 'sigma_B', 'shift_dir'] as const;
  for (const k of vecs) {
    const v = cfg[k];
    if (!v || v.length !== 2 || !Number.isFinite(v[0]) || !Number.isFinite(v[1])) {
      throw new Error(`GeneratorConfig.${k}: expected 2 finite numbers, got ${JSON.stringify(v)}`);
    }
  }
  for (const k of ['sigma_A', 'sigma_B'] as const) {
    if (!(cfg[k][0] > 0 && cfg[k][1] > 0))
      throw new Error(`GeneratorConfig.${k}: expected positive sigmas, got [${cfg[k].join(', ')}]`);
  }
  if (cfg.shift_dir[0] === 0 && cfg.shift_dir[1] === 0)
    throw new Error('GeneratorConfig.shift_dir: expected a non-zero direction, got [0, 0]');
  const nums = [
    'variation_shift',
    'variation_rot',
    'variation_squeeze',
    'shift_scale',
    'rot_scale',
    'squeeze_scale',
    'y_shift_scale',
    'y_squeeze_scale',
    'distortion_strength',
    'distortion_shift_scale',
    'distortion_squeeze_scale',
  ] as const;
  for (const k of nums) {
    if (!Number.isFinite(cfg[k])) throw new Error(`GeneratorConfig.${k}: expected a finite number, got ${cfg[k]}`);
  }
}

export function prepareGenerator(cfg: Readonly<GeneratorConfig>): PreparedGenerator {
  checkConfig(cfg);
  return {
    classes: [prepareClass(-1, cfg.center_A, cfg.sigma_A, cfg), prepareClass(1, cfg.center_B, cfg.sigma_B, cfg)],
    yShift: cfg.variation_shift * cfg.y_shift_scale,
    ySqueeze: cfg.variation_squeeze * cfg.y_squeeze_scale,
    distortThetaGain: 2 * cfg.distortion_strength * (1 + cfg.distortion_shift_scale * cfg.variation_shift),
    distortShear: 0.1 * (1 + cfg.distortion_squeeze_scale * cfg.variation_squeeze),
    sigmoidY: !!cfg.sigmoid_y,
  };
}

/** The class index as 0 or 1, or an error naming the caller and the position. */
export function classIndex(c: number, what: string, i?: number): 0 | 1 {
  if (c === 0 || c === 1) return c;
  throw new Error(`${what}: class must be 0 (A) or 1 (B), got ${c}${i === undefined ? '' : ` at index ${i}`}`);
}
