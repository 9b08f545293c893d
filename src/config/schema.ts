/**
 * The YAML config schema — the reference's own (configs/{base_flows,systematics,dataset}.yaml of
 * the PyTorch project, read by its train_base_flows.py, train_systematics.py, generate_dataset.py,
 * validate_flows.py and visualize_residual_transform.py) — plus a few optional fnflow extension
 * keys (marked EXT; absent = reference behaviour). The typed results are camelCase; generator
 * sections stay `GeneratorConfig` (src/toy), whose fields keep the YAML spellings.
 *
 * Rules for every file: unknown keys are errors; (required) keys must be present; other keys take
 * the default shown; `paths` entries resolve relative to the config file's directory (absolute
 * paths are kept) and may name .pt or .safetensors files (readers decide by content).
 *
 * ── common ─────────────────────────────────────────────────────────────────────────────────────
 *   runtime: { device: string }        optional; accepted and IGNORED (--backend decides)
 *   seed: int in [0, 2^32 − 1]         EXT, optional; the global --seed wins over it
 *   generator: {…}                     (required) the nominal toy generator; keys left out take
 *                                      the reference class defaults (REFERENCE_CLASS_DEFAULTS)
 *
 * ── base_flows.yaml (`fnf train-base`, `fnf validate -c`, `fnf visualize -c`) ──────────────────
 *   paths: { score_model, kin_model }  (required) base checkpoints (written by training)
 *   score_flow: (required) NSF p(y | x, c)    kin_flow: (required) NSF p(x | c)
 *     features (req, score 2 / kin 2), context (req, score 4 = [one-hot c, x] / kin 2 = one-hot c),
 *     bins (req), transforms (req), hidden_features (req, [int ≥ 1, …]),
 *     slope EXT 1e-3 (spline minimum derivative), bound EXT 5 (spline half-width)
 *   training: { score: {…}, kin: {…} } (required, both)
 *     batch_size, nepochs, steps_per_epoch (warm-up = one epoch), lr (all required),
 *     weight_decay EXT 0.01 (AdamW), val_batches EXT 10 (validation batches after each epoch)
 *
 * ── systematics.yaml (`fnf train-systematics`, `--sys-cfg`) ────────────────────────────────────
 *   paths: { score_base_model, kin_base_model, score_residual_model, kin_residual_model } (required)
 *   generator_<name>: {…}              any number of named generator sections (class defaults)
 *   kin_systematics / score_systematics: [{ generator: <section name>, m: [ν…] }, …]
 *                                      the templates, in batch order. Legacy form when a list is
 *                                      absent: generator_{kin,score}_{up,down} with m = [±1].
 *                                      May be absent when that residual has num_nuisances: 0.
 *   score_flow, kin_flow               as in base_flows.yaml (the frozen base architectures)
 *   residual_score_model / residual_kin_model: (required)
 *     features_dim (= flow features), context_dim (= flow context), num_nuisances (= length of
 *     every m), num_residual_layers, hidden_features, type ("flow" | "transform") — all required;
 *     EXT: quadratic_damping 0.01, cross_term_pairs [] ([[i, j], …], i ≠ j < num_nuisances),
 *     cross_damping 0.01, central_nuisance_values zeros, nuisance_scales ones, ladj_sign +1 (±1)
 *   training: { score, kin }           as in base_flows.yaml without val_batches;
 *                                      batch_size ≥ number of templates (one chunk per template)
 *
 * ── dataset.yaml (`fnf generate-dataset`) ──────────────────────────────────────────────────────
 *   n_events: int ≥ 1 (required)       paths: { dataset } (required)
 */
import type { NSFConfig } from '../flows/nsf.js';
import type { ResidualModelConfig } from '../systematics/config.js';
import { REFERENCE_CLASS_DEFAULTS, generatorFromYaml, type GeneratorConfig } from '../toy/config.js';
import {
  ConfigError,
  anyNumber,
  at,
  fail,
  filePath,
  list,
  nonEmptyString,
  nonNegativeInt,
  nonNegativeNumber,
  oneOf,
  optional,
  positiveInt,
  positiveNumber,
  required,
  section,
  withDefault,
  type Check,
  type Where,
} from './kit.js';

export type { GeneratorConfig };

// ---------------------------------------------------------------------------------------------
// Typed results

/** A neural spline flow (`score_flow` / `kin_flow`): exactly the model's own config type. */
export type FlowArchitecture = NSFConfig;

export type ResidualType = ResidualModelConfig['type'];

/**
 * A residual model (`residual_score_model` / `residual_kin_model`), the model's own config type;
 * `crossTermPairs` normalised to [min, max] per pair, in file order.
 */
export type ResidualArchitecture = ResidualModelConfig;

/** One `training.score` / `training.kin` section. */
export interface TrainingSection {
  batchSize: number;
  nepochs: number;
  stepsPerEpoch: number;
  lr: number;
  weightDecay: number;
}

export interface BaseTrainingSection extends TrainingSection {
  valBatches: number;
}

/** One template: the named generator section and the ν it stands for. */
export interface SystematicTemplate {
  /** The generator section's name, e.g. `generator_shift_up`. */
  name: string;
  m: number[];
  /** That section, resolved (a copy per template: never shared). */
  generator: GeneratorConfig;
}

interface Common {
  /** Absolute path of the file this came from ('' for an in-memory document). */
  source: string;
  seed: number | undefined;
  /** `runtime.device` as written; informational only (the backend flag decides). */
  device: string | undefined;
  /** The nominal `generator` section. */
  generator: GeneratorConfig;
}

export interface BaseFlowsConfig extends Common {
  kind: 'base';
  paths: { scoreModel: string; kinModel: string };
  scoreFlow: FlowArchitecture;
  kinFlow: FlowArchitecture;
  training: { score: BaseTrainingSection; kin: BaseTrainingSection };
}

export interface SystematicsConfig extends Common {
  kind: 'systematics';
  paths: { scoreBaseModel: string; kinBaseModel: string; scoreResidualModel: string; kinResidualModel: string };
  /** Every generator section by name, `generator` included, in file order. */
  generators: Record<string, GeneratorConfig>;
  kinSystematics: SystematicTemplate[];
  scoreSystematics: SystematicTemplate[];
  scoreFlow: FlowArchitecture;
  kinFlow: FlowArchitecture;
  residualScoreModel: ResidualArchitecture;
  residualKinModel: ResidualArchitecture;
  training: { score: TrainingSection; kin: TrainingSection };
}

export interface DatasetConfig extends Common {
  kind: 'dataset';
  paths: { dataset: string };
  nEvents: number;
}

export type ConfigKind = 'base' | 'systematics' | 'dataset';
export type ConfigOf<K extends ConfigKind> = K extends 'base'
  ? BaseFlowsConfig
  : K extends 'systematics'
    ? SystematicsConfig
    : DatasetConfig;

// ---------------------------------------------------------------------------------------------
// Section checks

/** A key naming a generator section: `generator` itself or `generator_<anything>`. */
export function isGeneratorKey(key: string): boolean {
  return key === 'generator' || key.startsWith('generator_');
}

/**
 * A generator section; keys left out take the reference class defaults. Adapts src/toy's
 * validator (plain Error, "path: problem") to ConfigError.
 */
export const generatorSection: Check<GeneratorConfig> = (v, where) => {
  try {
    return generatorFromYaml(v, where.path, REFERENCE_CLASS_DEFAULTS);
  } catch (e) {
    if (e instanceof ConfigError || !(e instanceof Error)) throw e;
    // Key paths contain no spaces, so the first ": " ends the path.
    const m = /^(\S*?): ([\s\S]*)$/.exec(e.message);
    throw m ? new ConfigError(where.file, m[1]!, m[2]!) : new ConfigError(where.file, where.path, e.message);
  }
};

export const runtimeSection = section({ device: optional(nonEmptyString) });

/** Checkpoints and datasets: PyTorch pickles or safetensors, told apart by content when read. */
export const dataPath = filePath(['.pt', '.safetensors']);

const hiddenFeatures = list(positiveInt, { minLength: 1 });

const flowFields = section({
  features: required(positiveInt),
  context: required(nonNegativeInt),
  bins: required(positiveInt),
  transforms: required(positiveInt),
  hidden_features: required(hiddenFeatures),
  slope: withDefault(positiveNumber, () => 1e-3),
  bound: withDefault(positiveNumber, () => 5),
});

export const flowSection: Check<FlowArchitecture> = (v, where) => {
  const s = flowFields(v, where);
  return {
    features: s.features,
    context: s.context,
    bins: s.bins,
    transforms: s.transforms,
    hiddenFeatures: s.hidden_features,
    slope: s.slope,
    bound: s.bound,
  };
};

const pair: Check<[number, number]> = (v, where) => {
  const [i, j] = list(nonNegativeInt, { length: 2 })(v, where);
  return [i!, j!];
};

const ladjSign: Check<1 | -1> = (v, where) => (v === 1 || v === -1 ? v : fail(where, '1 or -1', v));

/** Residual fields; the checks that need num_nuisances run after, so they can quote it. */
const residualFields = section({
  features_dim: required(positiveInt),
  context_dim: required(nonNegativeInt),
  num_nuisances: required(nonNegativeInt),
  num_residual_layers: required(nonNegativeInt),
  hidden_features: required(hiddenFeatures),
  type: required(oneOf(['flow', 'transform'] as const)),
  quadratic_damping: withDefault(nonNegativeNumber, () => 0.01),
  cross_term_pairs: withDefault(list(pair), () => []),
  cross_damping: withDefault(nonNegativeNumber, () => 0.01),
  central_nuisance_values: optional(list(anyNumber)),
  nuisance_scales: optional(list(positiveNumber)),
  ladj_sign: withDefault(ladjSign, () => 1 as const),
});

export const residualSection: Check<ResidualArchitecture> = (v, where) => {
  const s = residualFields(v, where);
  const n = s.num_nuisances;
  const lengthOk = (key: string, values: number[] | undefined): void => {
    if (values !== undefined && values.length !== n) {
      fail(at(where, key), `a list of ${n} numbers (num_nuisances = ${n})`, values);
    }
  };
  lengthOk('central_nuisance_values', s.central_nuisance_values);
  lengthOk('nuisance_scales', s.nuisance_scales);
  const seen = new Set<string>();
  const pairs = s.cross_term_pairs.map(([i, j], k): [number, number] => {
    const w = at(at(where, 'cross_term_pairs'), k);
    if (i >= n || j >= n) {
      throw new ConfigError(w.file, w.path, `expected nuisance indices < num_nuisances = ${n}, found [${i}, ${j}]`);
    }
    if (i === j) throw new ConfigError(w.file, w.path, `expected two different nuisance indices, found [${i}, ${j}]`);
    const norm: [number, number] = [Math.min(i, j), Math.max(i, j)];
    const id = norm.join(',');
    if (seen.has(id)) throw new ConfigError(w.file, w.path, `the pair [${i}, ${j}] is listed twice`);
    seen.add(id);
    return norm;
  });
  return {
    featuresDim: s.features_dim,
    contextDim: s.context_dim,
    numNuisances: n,
    numResidualLayers: s.num_residual_layers,
    hiddenFeatures: s.hidden_features,
    type: s.type,
    quadraticDamping: s.quadratic_damping,
    crossTermPairs: pairs,
    crossDamping: s.cross_damping,
    centralNuisanceValues: s.central_nuisance_values ?? new Array<number>(n).fill(0),
    nuisanceScales: s.nuisance_scales ?? new Array<number>(n).fill(1),
    ladjSign: s.ladj_sign,
  };
};

const trainingCore = {
  batch_size: required(positiveInt),
  nepochs: required(positiveInt),
  steps_per_epoch: required(positiveInt),
  lr: required(positiveNumber),
  weight_decay: withDefault(nonNegativeNumber, () => 0.01),
};
const residualTrainingFields = section(trainingCore);
const baseTrainingFields = section({ ...trainingCore, val_batches: withDefault(nonNegativeInt, () => 10) });

export const residualTrainingSection: Check<TrainingSection> = (v, where) => {
  const s = residualTrainingFields(v, where);
  return {
    batchSize: s.batch_size,
    nepochs: s.nepochs,
    stepsPerEpoch: s.steps_per_epoch,
    lr: s.lr,
    weightDecay: s.weight_decay,
  };
};

export const baseTrainingSection: Check<BaseTrainingSection> = (v, where) => {
  const s = baseTrainingFields(v, where);
  return {
    batchSize: s.batch_size,
    nepochs: s.nepochs,
    stepsPerEpoch: s.steps_per_epoch,
    lr: s.lr,
    weightDecay: s.weight_decay,
    valBatches: s.val_batches,
  };
};

/** A raw template entry, before its generator name is looked up. */
export interface TemplateEntry {
  generator: string;
  m: number[];
}

export const templateEntry: Check<TemplateEntry> = section({
  generator: required(nonEmptyString),
  m: required(list(anyNumber)),
});

export { type Where };
