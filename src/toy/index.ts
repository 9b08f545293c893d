/**
 * The 2-class toy generator of the reference with exact densities: configuration (config.ts),
 * sampling (sample.ts; seeded streams: ../random/rng.ts), analytic densities (truth.ts) and the
 * pre-sigmoid distortion / sigmoid maps (distortion.ts).
 */
export {
  type GeneratorConfig,
  type Vec2,
  REFERENCE_CLASS_DEFAULTS,
  defaultGeneratorConfig,
  copyGeneratorConfig,
  withNuisance,
} from './config.js';
export { type Sector, SECTORS } from './sector.js';
export { type ToyBatch, type GenerateOptions, type SampleYOptions, generateBatch, sampleY } from './sample.js';
export {
  type XParams,
  type YParams,
  type YDensityOptions,
  P_CLASS_B,
  logClassPrior,
  softplus,
  xParams,
  yParams,
  yParamsBatch,
  logProbX,
  logProbXBatch,
  logProbY,
  logProbYBatch,
} from './truth.js';
export { distortY, undistortY, distortionLogAbsDet, sigmoid, logit } from './distortion.js';
