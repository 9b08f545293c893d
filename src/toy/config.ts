/**
 * Parameters of the 2-class toy generator, spelled exactly like the reference YAML `generator`
 * sections (snake_case). A YAML section is validated by the config layer (src/config/schema.ts).
 *
 * Meaning of each key: see truth.ts (densities) and sample.ts (the sampling path).
 */

export type Vec2 = [number, number];

export interface GeneratorConfig {
  /** Class A (c = 0) centre of x. */
  center_A: Vec2;
  /** Class B (c = 1) centre of x. */
  center_B: Vec2;
  /** Class A per-axis standard deviations of x (before any systematic). */
  sigma_A: Vec2;
  /** Class B per-axis standard deviations of x. */
  sigma_B: Vec2;
  /** ν_shift: centroid shift, A by −shift_scale·ν·dir, B by +shift_scale·ν·dir. */
  variation_shift: number;
  /** ν_rot: rotation about each class centre, angle rot_scale·ν (A: −angle, B: +angle). */
  variation_rot: number;
  /** ν_squeeze: α = squeeze_scale·ν; A scales (x − centre) by (e^α, e^−α), B by (e^−α, e^α). */
  variation_squeeze: number;
  shift_scale: number;
  /** Direction of the centroid shift; normalised to unit length when used. */
  shift_dir: Vec2;
  rot_scale: number;
  squeeze_scale: number;
  /** Score-mean shift per unit ν_shift (y | x systematic). */
  y_shift_scale: number;
  /** Score-spread log-scale per unit ν_squeeze (y | x systematic). */
  y_squeeze_scale: number;
  /** Strength of the pre-sigmoid "data" distortion map (its rotation part). */
  distortion_strength: number;
  /** Rotation gain of the distortion map per unit ν_shift. */
  distortion_shift_scale: number;
  /** Shear gain of the distortion map per unit ν_squeeze. */
  distortion_squeeze_scale: number;
  /** Report y (and the distorted y) through a logistic sigmoid, in (0, 1)². */
  sigmoid_y: boolean;
}

/**
 * The nominal generator of the project's configs (systematics.yaml scales, as in
 * golden/generator_truth.json): centres (∓0.5, 0), sigmas A (0.9, 0.6), B (0.6, 0.4), shift 0.3
 * along (1, 0), rotation 0.3, squeeze 0.2, y-shift 0.3, y-squeeze 0.2, no distortion, no sigmoid,
 * all variations 0.
 * Note: the Python class's own constructor defaults differ in three keys (y_shift_scale 0,
 * y_squeeze_scale 0, sigmoid_y true); pass `REFERENCE_CLASS_DEFAULTS` as the base of
 * the config's generator check to reproduce a YAML that relies on those.
 */
export function defaultGeneratorConfig(): GeneratorConfig {
  return {
    center_A: [-0.5, 0],
    center_B: [0.5, 0],
    sigma_A: [0.9, 0.6],
    sigma_B: [0.6, 0.4],
    variation_shift: 0,
    variation_rot: 0,
    variation_squeeze: 0,
    shift_scale: 0.3,
    shift_dir: [1, 0],
    rot_scale: 0.3,
    squeeze_scale: 0.2,
    y_shift_scale: 0.3,
    y_squeeze_scale: 0.2,
    distortion_strength: 0,
    distortion_shift_scale: 0,
    distortion_squeeze_scale: 0,
    sigmoid_y: false,
  };
}

/** The constructor defaults of the reference `ParametricLikelihoodDataset` (see defaultGeneratorConfig). */
export const REFERENCE_CLASS_DEFAULTS: Readonly<GeneratorConfig> = Object.freeze({
  ...defaultGeneratorConfig(),
  y_shift_scale: 0,
  y_squeeze_scale: 0,
  sigmoid_y: true,
});

/** A deep copy (vectors are copied too). */
export function copyGeneratorConfig(cfg: Readonly<GeneratorConfig>): GeneratorConfig {
  return {
    ...cfg,
    center_A: [cfg.center_A[0], cfg.center_A[1]],
    center_B: [cfg.center_B[0], cfg.center_B[1]],
    sigma_A: [cfg.sigma_A[0], cfg.sigma_A[1]],
    sigma_B: [cfg.sigma_B[0], cfg.sigma_B[1]],
    shift_dir: [cfg.shift_dir[0], cfg.shift_dir[1]],
  };
}

/** The generator at nuisance ν = [ν_shift, ν_squeeze] (variation_rot is kept as it is). */
export function withNuisance(
  cfg: Readonly<GeneratorConfig>,
  nu: readonly [number, number] | ArrayLike<number>,
): GeneratorConfig {
  if (nu.length !== 2 || !Number.isFinite(nu[0]) || !Number.isFinite(nu[1])) {
    throw new Error(`withNuisance: ν must be two finite numbers [shift, squeeze], got [${Array.from(nu).join(', ')}]`);
  }
  const out = copyGeneratorConfig(cfg);
  out.variation_shift = nu[0];
  out.variation_squeeze = nu[1];
  return out;
}
