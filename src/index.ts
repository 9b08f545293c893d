/**
 * fnflow as a library: a deliberately small public surface, one doc comment per export.
 *
 * Evaluation comes in three levels, each named the same way wherever it exists: `…Var` on a tape
 * (differentiable; models and transforms), `…Tensor` on device tensors (no gradient; a transform's
 * `inverseTensor`), bare names on plain Float32Arrays (a model's logProb, logProbGrad, forward,
 * inverse, sample: row-major, any number of rows, evaluated in chunks). What conditions a model —
 * the context c and the nuisances ν — travels as one `Condition` object `{ context, nu }`.
 *
 * ```ts
 * import { createDevice, loadResidualModel, shippedModelPath } from 'fnflow';
 * const dev = await createDevice({ backend: 'wasm' });
 * const model = loadResidualModel(dev, shippedModelPath('kin_density_residuals'));
 * const logp = model.logProb(x, { context: oneHot, nu: Float32Array.of(0.5, -0.3) });
 * ```
 *
 * In a web page, 'fnflow/browser' (src/browser.ts) has the same models (from bytes) and the fit.
 */

// ---- devices ----

/** A device (kernels + memory): backend 'auto' | 'wasm' | 'ts' | 'gpu', and a thread count. */
export { createDevice } from './backend/index.js';
/** The backends `createDevice` accepts, its options, and what `onAutoChoice` is handed. */
export type { BackendChoice, DeviceOptions, AutoChoice } from './backend/index.js';

// ---- models, the transform protocol, autodiff, checkpoint bytes, the toy generator, the fit's likelihood ----
// (src/api-core.ts, the part shared with the browser entry 'fnflow/browser')

export * from './api-core.js';

// ---- checkpoints: ours (.safetensors) or the reference's PyTorch .pt, from a path or from bytes ----

/** A flow or a residual model, whichever the checkpoint holds. */
export { loadModel } from './models/load.js';
/** A base NSF from a checkpoint, optionally checked against an expected architecture. */
export { loadBaseFlow } from './models/load.js';
/** A residual model (with its base) from a checkpoint, optionally checked against the config. */
export { loadResidualModel } from './models/load.js';
/** A path, `{ bytes, name }` (no file system needed), or a checkpoint already read. */
export type { CheckpointSource } from './models/load.js';
/** Read or parse a checkpoint by content. */
export { checkpointOf } from './models/load.js';
/** A model written as our safetensors checkpoint file, atomically. */
export { writeModel } from './models/save.js';
/** Absolute paths of the models and configs this package ships, wherever it is installed. */
export { shippedModelPath, shippedConfigPath } from './models/shipped.js';
export type { ShippedModelName, ShippedConfigName } from './models/shipped.js';

// ---- configs (the reference's YAML schema) ----

/** Read and check a base_flows / systematics / dataset YAML (errors name file, key and expectation). */
export { loadConfig, parseConfig, ConfigError } from './config/load.js';
/** The checked configs. */
export type { BaseFlowsConfig, SystematicsConfig, ConfigKind } from './config/load.js';

// ---- training (what `fnf train-base` / `fnf train-systematics` run) ----

/** A base flow's or a residual model's training from a config and a sector, ready to run. */
export { baseFlowTraining, residualTraining, type SectorTraining } from './train/sector.js';
/** Options of those: seed, resume, init-from, and schedule overrides; the plan they build. */
export { planFor, type SectorTrainingOptions, type ScheduleOverrides } from './train/sector.js';
/** Run a prepared training to its end (the model is written every epoch). */
export { runTraining } from './train/sector.js';
/** The training loop itself (AdamW, warm-up + cosine), for a hand-built job. */
export { train, type TrainJob, type TrainPlan, type TrainResult } from './train/trainer.js';
/** A training stopped by a non-finite loss, or interrupted (the last good checkpoint is kept). */
export { TrainingDiverged, TrainingInterrupted } from './train/trainer.js';
/** 'kin' (p(x | c)) or 'score' (p(y | x, c)). */
export type { Sector } from './toy/sector.js';

// ---- validation (what `fnf validate` runs) ----

/** Closure report (KL against the exact truth) and the validation figures. */
export { runValidation, type ValidationOptions, type ValidationResult } from './validate/pipeline.js';
/** The closure report's content. */
export type { ClosureReport } from './validate/closure.js';

// ---- fit (what `fnf fit`, `fnf scan` and `fnf toys` run) ----
// (The likelihood, one fit, drawToy and the minimizer are in src/api-core.ts: the browser has them too.)

/** The density models of a fit from the two configs: flow, base, and the exact truth when they are the toy's. */
export { openModels as openFitModels } from './fit/session.js';
/** Events to fit from a file (CSV, Parquet, .npz, ROOT, safetensors): column names, TTree, weight column. */
export { readDataFile, type DataColumns } from './fit/data-file.js';
/** What reading a data file's columns throws (the message names the file, column and what was wrong). */
export { ColumnReadError } from './io/columns/table.js';
/** The profile likelihood scan of μ: −2 ln λ(μ), (μ, ν) contours, Z and the CLs upper limit. */
export { scanModel, defaultScanSettings, type ScanSettings, type ModelScan } from './fit/scan.js';
