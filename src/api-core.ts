/**
 * The part of the public surface that needs no Node: models, the transform protocol, autodiff,
 * checkpoint bytes, the toy generator, the fit's likelihood and the minimizer. Both entries
 * re-export it, 'fnflow' (src/index.ts, Node) and 'fnflow/browser' (src/browser.ts, a web page),
 * so the two never drift apart.
 */

// ---- models ----

/** Zuko's neural spline flow p(x | c): logProb, forward (x → z), inverse, sample, and …Var on a tape. */
export { NSF } from './flows/nsf.js';
/** An NSF's architecture, and the defaults of its optional settings. */
export { nsfDefaults, type NSFConfig } from './flows/nsf.js';
/**
 * Residual stack in front of a frozen base NSF, p(x | c, ν): logProb, logProbGrad (d/dν and d/dx
 * with per-event weights), forward (x_obs → x_nom), inverse, sample.
 */
export { SystematicCorrectedModel } from './systematics/corrected-model.js';
/** A residual model's architecture, and a complete one from the required fields. */
export { residualDefaults, type ResidualModelConfig } from './systematics/config.js';

// ---- the transform protocol ----

/** `{ context, nu }`: what conditions a transform or a model, at every evaluation level. */
export type { Condition } from './flows/transform.js';
/** The one protocol of every transform: forwardVar on a tape, inverseTensor on device tensors. */
export type { Transform, ForwardVar, InverseTensor } from './flows/transform.js';
/** Transforms applied in order, as one transform (the NSF's chain, the residual stack). */
export { compose, ComposedTransform } from './flows/compose.js';
/** Zuko's masked autoregressive rational-quadratic spline transform. */
export { AutoregressiveSplineTransform } from './flows/autoregressive.js';
/** The residual layer x ↦ x ⊙ e^{s(ν)} + t(ν), and the reversal between layers. */
export { PolynomialResidualTransform, ReversePermutation } from './systematics/polynomial-residual.js';
/** Reverse-mode autodiff: a Tape per step, Vars on it (`tape.leaf` for an input that wants a gradient). */
export { Tape, Var } from './autodiff/tape.js';
/** A shape and an offset into the device's memory. */
export type { Tensor } from './tensor/tensor.js';

// ---- checkpoint bytes, the device ----

/** A parsed checkpoint: its state dict and metadata. */
export type { Checkpoint } from './io/checkpoint-codec.js';
/** What the loaders throw for a checkpoint that cannot be read or holds another model (the message names the file). */
export { CheckpointError } from './io/state-dict.js';
/** The architectures loadBaseFlow / loadResidualModel check a checkpoint against (a config's flow and residual). */
export type { FlowArchitecture, ResidualArchitecture } from './config/schema.js';
/** Whether a checkpoint holds a residual model (a base flow under `base_model.`). */
export { isResidualCheckpoint } from './models/from-checkpoint.js';
/** A model as our safetensors checkpoint bytes (loadModel reads them back). */
export { modelToBytes } from './models/to-bytes.js';
/** One line naming a device's backend, build and threads. */
export { describeDevice } from './backend/describe.js';
/** Memory, allocators and the kernel table every model runs on. */
export type { Device } from './backend/device.js';

// ---- the toy generator and its exact densities ----

/** Seeded random streams (xoshiro128**: `Rng.fromSeed`, `fork`, `split`), reproducible bit for bit. */
export { Rng } from './random/rng.js';
/** The generator's settings: the reference's defaults, and the same with nuisances ν applied. */
export { defaultGeneratorConfig, withNuisance, type GeneratorConfig } from './toy/index.js';
/** Draw (c, x, y) events; draw y given (x, c). */
export { generateBatch, sampleY, type ToyBatch } from './toy/index.js';
/** Exact log p(x | c) and log p(y | x, c), one event or a batch. */
export { logProbX, logProbXBatch, logProbY, logProbYBatch } from './toy/index.js';

// ---- the fit ----

/**
 * The models a fit uses — the residual models (score null for x only), the truth at ν or null,
 * ν's names — and the observables; `openFitModels` (Node) builds them from the configs, a page
 * from models it loaded itself.
 */
export type { FitModels, Observables } from './fit/sources.js';
/** The events a fit sees (x, y, optional weights), and a toy drawn from the exact generator. */
export type { FitEvents } from './fit/events.js';
export { drawToy } from './fit/toy-data.js';
/** The likelihood of model 'flow', 'truth' or 'base' over events, with the fit's settings. */
export { likelihoodFor, type LikelihoodSettings } from './fit/likelihood-for.js';
/** Those model names, as likelihoodFor and scanModel take them. */
export type { ModelName } from './fit/density-source.js';
/** The mixture likelihood μ p_A + (1 − μ) p_B with Gaussian-constrained ν, and its exact gradient. */
export { MixtureLikelihood, type LikelihoodOptions } from './fit/likelihood.js';
/** One fit: MIGRAD and HESSE (and MINOS), its flags and notes, as `fit.json` records it. */
export { fitLikelihood, type FitOptions, type ModelFit, type ModelFitJson } from './fit/run-fit.js';
/**
 * The MINUIT-style minimizer alone, for any objective with a gradient: MIGRAD, HESSE, MINOS,
 * profiles (with a model's `logProbGrad`, a fit of ν in a few lines, in Node or in a page).
 */
export { migrad, hesse, minos, profile, profile2d } from './fit/minimize/index.js';
export type { Fcn, ParameterSpec, FitResult, MinosResult, MinimizeOptions } from './fit/minimize/index.js';
