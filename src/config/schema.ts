/**
 * The YAML config schema — the reference's own (configs/{base_flows,systematics,dataset}.yaml of
 * the PyTorch project, read by its train_base_flows.py, train_systematics.py, generate_dataset.py,
 * validate_flows.py and visualize_residual_transform.py) — plus a few optional fnflow extension
 * keys (marked EXT; absent = reference behaviour). The typed results are camelCase (derived from
 * the YAML keys by the kit); generator sections stay `GeneratorConfig` (src/toy), whose fields
 * keep the YAML spellings. Results are grouped per sector: `cfg.kin.{flow, training, paths}`
 * for base_flows.yaml, `cfg.kin.{flow, residual, templates, training, paths}` for
 * systematics.yaml, the same for `cfg.score`.
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
 *   n_events: int in [1, 1e8] (required; all held in memory)
 *   paths: { dataset: .pt/.safetensors/.parquet/.npz/.csv } (required)
 */
import type { SamplesConfig } from './samples.js';
import type { NSFConfig } from '../flows/nsf.js';
import type { ResidualModelConfig } from '../systematics/config.js';
import { REFERENCE_CLASS_DEFAULTS, copyGeneratorConfig, type GeneratorConfig } from '../toy/config.js';
import type { Sector } from '../toy/sector.js';
import {
  anyNumber,
  at,
  bool,
  fail,
  filePath,
  list,
  nonEmptyString,
  nonNegativeInt,
  nonNegativeNumber,
  oneOf,
  optional,
  pairOf,
  positiveInt,
  positiveNumber,
  problem,
  required,
  section,
  sectionAsWritten,
  withDefault,
  type Check,
  type Fields,
  type Where,
} from './kit.js';

export type { GeneratorConfig, Sector };

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
  /** `samples:` (optional): train on events from files instead of the generator (samples.ts). */
  samples?: SamplesConfig;
}

/** One sector of base_flows.yaml: `<s>_flow`, `training.<s>`, `paths.<s>_model`. */
export interface BaseSector {
  flow: FlowArchitecture;
  training: BaseTrainingSection;
  paths: { model: string };
}

export interface BaseFlowsConfig extends Common, Record<Sector, BaseSector> {
  kind: 'base';
}

/**
 * One sector of systematics.yaml: `<s>_flow`, `residual_<s>_model`, `<s>_systematics`,
 * `training.<s>`, `paths.<s>_base_model` and `paths.<s>_residual_model`.
 */
export interface SystematicsSector {
  /** The frozen base flow the residual sits on. */
  flow: FlowArchitecture;
  residual: ResidualArchitecture;
  /** The templates, in batch order. */
  templates: SystematicTemplate[];
  training: TrainingSection;
  paths: { base: string; residual: string };
}

export interface SystematicsConfig extends Common, Record<Sector, SystematicsSector> {
  kind: 'systematics';
  /** Every generator section by name, `generator` included, in file order. */
  generators: Record<string, GeneratorConfig>;
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

const point = pairOf(anyNumber, 'numbers');
const widths = pairOf(positiveNumber, 'positive numbers');
const direction: Check<[number, number]> = (v, where) => {
  const d = pairOf(anyNumber, 'numbers, not both 0')(v, where);
  return d[0] === 0 && d[1] === 0 ? problem(where, 'expected a non-zero direction, found [0, 0]') : d;
};

/** The check of each generator key (the keys are GeneratorConfig's, so the result keeps them). */
const GENERATOR_CHECKS: { [K in keyof GeneratorConfig]: Check<GeneratorConfig[K]> } = {
  center_A: point,
  center_B: point,
  sigma_A: widths,
  sigma_B: widths,
  variation_shift: anyNumber,
  variation_rot: anyNumber,
  variation_squeeze: anyNumber,
  shift_scale: anyNumber,
  shift_dir: direction,
  rot_scale: anyNumber,
  squeeze_scale: anyNumber,
  y_shift_scale: anyNumber,
  y_squeeze_scale: anyNumber,
  distortion_strength: anyNumber,
  distortion_shift_scale: anyNumber,
  distortion_squeeze_scale: anyNumber,
  sigmoid_y: bool,
};

/**
 * A generator section; keys left out take `base` (for YAML files: the reference class
 * defaults, as the reference's own loader does).
 */
export function generatorSection(base: Readonly<GeneratorConfig> = REFERENCE_CLASS_DEFAULTS): Check<GeneratorConfig> {
  const fields: Fields = {};
  for (const [key, check] of Object.entries(GENERATOR_CHECKS)) {
    fields[key] = withDefault(check, () => copyGeneratorConfig(base)[key as keyof GeneratorConfig]);
  }
  return sectionAsWritten(fields) as Check<unknown> as Check<GeneratorConfig>;
}

export const runtimeSection = section({ device: optional(nonEmptyString) });

/** Checkpoints (and the reference's datasets): PyTorch pickles or safetensors, told apart by content when read. */
export const dataPath = filePath(['.pt', '.safetensors']);

/**
 * dataset.yaml's paths.dataset: also the column formats `fnf generate-dataset` writes (its default
 * format follows this extension), so a config can name the file that training on files reads.
 */
export const DATASET_EXTENSIONS = ['.pt', '.safetensors', '.parquet', '.npz', '.csv'] as const;
export const datasetPath = filePath(DATASET_EXTENSIONS);

const hiddenFeatures = list(positiveInt, { minLength: 1 });

/** The keys of a flow section (also what checkBaseFlowsMatch compares). */
export const FLOW_FIELDS = {
  features: required(positiveInt),
  context: required(nonNegativeInt),
  bins: required(positiveInt),
  transforms: required(positiveInt),
  hidden_features: required(hiddenFeatures),
  slope: withDefault(positiveNumber, () => 1e-3),
  bound: withDefault(positiveNumber, () => 5),
};

export const flowSection: Check<FlowArchitecture> = section(FLOW_FIELDS);

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
  const n = s.numNuisances;
  const lengthOk = (key: string, values: number[] | undefined): void => {
    if (values !== undefined && values.length !== n) {
      fail(at(where, key), `a list of ${n} numbers (num_nuisances = ${n})`, values);
    }
  };
  lengthOk('central_nuisance_values', s.centralNuisanceValues);
  lengthOk('nuisance_scales', s.nuisanceScales);
  const seen = new Set<string>();
  const pairs = s.crossTermPairs.map(([i, j], k): [number, number] => {
    const w = at(at(where, 'cross_term_pairs'), k);
    if (i >= n || j >= n) problem(w, `expected nuisance indices < num_nuisances = ${n}, found [${i}, ${j}]`);
    if (i === j) problem(w, `expected two different nuisance indices, found [${i}, ${j}]`);
    const norm: [number, number] = [Math.min(i, j), Math.max(i, j)];
    const id = norm.join(',');
    if (seen.has(id)) problem(w, `the pair [${i}, ${j}] is listed twice`);
    seen.add(id);
    return norm;
  });
  return {
    ...s,
    crossTermPairs: pairs,
    centralNuisanceValues: s.centralNuisanceValues ?? new Array<number>(n).fill(0),
    nuisanceScales: s.nuisanceScales ?? new Array<number>(n).fill(1),
  };
};

const trainingCore = {
  batch_size: required(positiveInt),
  nepochs: required(positiveInt),
  steps_per_epoch: required(positiveInt),
  lr: required(positiveNumber),
  weight_decay: withDefault(nonNegativeNumber, () => 0.01),
};
export const residualTrainingSection: Check<TrainingSection> = section(trainingCore);
export const baseTrainingSection: Check<BaseTrainingSection> = section({
  ...trainingCore,
  val_batches: withDefault(nonNegativeInt, () => 10),
});

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
