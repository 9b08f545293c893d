/**
 * The YAML config schema (reconstructed from the reference's specs, in its snake_case style).
 *
 * Rules for every file: unknown keys are errors; a key marked (required) must be present; every
 * other key has the default shown; paths resolve relative to the config file's directory.
 * The typed objects mirror the files key for key (snake_case), with defaults filled in.
 *
 * ── base_flows.yaml (`fnf train-base`, `fnf validate -c`, `fnf visualize -c`) ──────────────────
 *   seed: int ≥ 0                      optional; the CLI's --seed wins over it
 *   generator: {…}                     the nominal toy generator (keys below); default nominal
 *   train_kin:   (required) base NSF p(x | c)
 *   train_score: (required) base NSF p(y | x, c)
 *     model_path: path.safetensors     (required) checkpoint written by training
 *     features: int ≥ 2                (required) F (2: x or y is 2-D)
 *     context: int ≥ 0                 (required) C (kin 2 = one-hot; score 4 = [one-hot, x])
 *     bins: int ≥ 1                    (required) K (20)
 *     transforms: int ≥ 1              (required) T (kin 2, score 3)
 *     hidden_features: [int ≥ 1, …]    (required) H ([128, 128, 128])
 *     batch_size: int ≥ 1              (required) 1024
 *     nepochs: int ≥ 1                 (required) 100
 *     steps_per_epoch: int ≥ 1         (required) 1000 (also the warm-up length)
 *     lr: number > 0                   (required) 1e-4 (AdamW peak learning rate)
 *     weight_decay: number ≥ 0         0.01 (AdamW default)
 *     val_batches: int ≥ 0             10 (validation batches of batch_size after each epoch)
 *     slope: number > 0                1e-3 (spline minimum derivative; Zuko 1.5/1.6 value)
 *
 * ── systematics.yaml / systematics_crossterms.yaml (`fnf train-systematics`, `--sys-cfg`) ──────
 *   seed: int ≥ 0                      optional
 *   generator: {…}                     nominal generator the templates modify; default nominal
 *   kin_systematics:   (required) list of templates for the kin residual, in batch order
 *   score_systematics: (required) list of templates for the score residual
 *     - name: string                   (required) unique within the list, e.g. generator_shift_up
 *       m: [number, …]                 (required) the template's ν, length = num_nuisances
 *       generator: {…}                 overrides on top of the top-level generator, e.g.
 *                                      { variation_shift: 1.0 }; default: no override
 *   train_kin:   (required) residual model p(x | c, ν)
 *   train_score: (required) residual model p(y | x, c, ν)
 *     base_model: path.pt|.safetensors (required) frozen base NSF checkpoint
 *     model_path: path.safetensors     (required) residual checkpoint written by training
 *     features_dim: int ≥ 1            (required) F (2)
 *     context_dim: int ≥ 0             (required) C (kin 2, score 4)
 *     num_nuisances: int ≥ 0           (required) N_ν (2) = length of every template's m
 *     num_residual_layers: int ≥ 0     (required) L (kin 1, score 2)
 *     hidden_features: [int ≥ 1, …]    (required) kin [128, 128], score [128, 128, 128]
 *     type: "flow" | "transform"       "flow"
 *     quadratic_damping: number ≥ 0    0.01
 *     cross_term_pairs: [[i, j], …]    [] ; 0 ≤ i, j < num_nuisances, i ≠ j, no pair twice
 *     cross_damping: number ≥ 0        0.01
 *     central_nuisance_values: [num…]  zeros(num_nuisances)
 *     nuisance_scales: [num > 0, …]    ones(num_nuisances)
 *     batch_size: int ≥ 1              (required) 1024 (≥ number of templates)
 *     nepochs: int ≥ 1                 (required) 60
 *     steps_per_epoch: int ≥ 1         (required) 1000
 *     lr: number > 0                   (required) 1e-4
 *     weight_decay: number ≥ 0         0.01
 *
 * ── dataset.yaml (`fnf generate-dataset`) ───────────────────────────────────────────────────────
 *   seed: int ≥ 0                      optional
 *   generator: {…}                     the generator to sample; default nominal
 *   n_events: int ≥ 1                  (required)
 *   output: path.safetensors           (required)
 *   format: "safetensors"              "safetensors": float32 tensors c (N, 2) one-hot class,
 *                                      x (N, 2), y (N, 2), plus y_distorted (N, 2) when
 *                                      generator.distortion_strength ≠ 0; the metadata holds
 *                                      the generator settings, seed and n_events as JSON.
 *
 * ── generator section (validated by src/toy/config.ts, `generatorFromYaml`) ────────────────────
 *   center_A, center_B, sigma_A, sigma_B: [a, b]; variation_shift, variation_rot,
 *   variation_squeeze; shift_scale, shift_dir [a, b], rot_scale, squeeze_scale, y_shift_scale,
 *   y_squeeze_scale, distortion_strength, distortion_shift_scale, distortion_squeeze_scale:
 *   numbers; sigmoid_y: bool. Defaults: the nominal generator of the specs (figures.md §0.2).
 */
import { generatorFromYaml, defaultGeneratorConfig, type GeneratorConfig } from '../toy/config.js';
import {
  ConfigError,
  anyNumber,
  at,
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
  seedInt,
  num,
  withDefault,
  type Check,
  type Where,
} from './config-validators.js';

export type { GeneratorConfig };

// ---------------------------------------------------------------------------------------------
// Typed configs

/** A base NSF training section (`train_kin` / `train_score` of base_flows.yaml). */
export interface BaseFlowSection {
  model_path: string;
  features: number;
  context: number;
  bins: number;
  transforms: number;
  hidden_features: number[];
  batch_size: number;
  nepochs: number;
  steps_per_epoch: number;
  lr: number;
  weight_decay: number;
  val_batches: number;
  slope: number;
}

export interface BaseFlowsConfig {
  kind: 'base';
  /** Absolute path of the file this came from ('' for an in-memory object). */
  source: string;
  seed: number | undefined;
  generator: GeneratorConfig;
  train_kin: BaseFlowSection;
  train_score: BaseFlowSection;
}

/** One systematic template: a generator variant and the ν it stands for. */
export interface SystematicTemplate {
  name: string;
  m: number[];
  /** The full generator of this template (top-level generator + the template's overrides). */
  generator: GeneratorConfig;
}

export type ResidualType = 'flow' | 'transform';

/** A residual training section (`train_kin` / `train_score` of systematics.yaml). */
export interface ResidualSection {
  base_model: string;
  model_path: string;
  features_dim: number;
  context_dim: number;
  num_nuisances: number;
  num_residual_layers: number;
  hidden_features: number[];
  type: ResidualType;
  quadratic_damping: number;
  cross_term_pairs: [number, number][];
  cross_damping: number;
  central_nuisance_values: number[];
  nuisance_scales: number[];
  batch_size: number;
  nepochs: number;
  steps_per_epoch: number;
  lr: number;
  weight_decay: number;
}

export interface SystematicsConfig {
  kind: 'systematics';
  source: string;
  seed: number | undefined;
  generator: GeneratorConfig;
  kin_systematics: SystematicTemplate[];
  score_systematics: SystematicTemplate[];
  train_kin: ResidualSection;
  train_score: ResidualSection;
}

export type DatasetFormat = 'safetensors';

export interface DatasetConfig {
  kind: 'dataset';
  source: string;
  seed: number | undefined;
  generator: GeneratorConfig;
  n_events: number;
  output: string;
  format: DatasetFormat;
}

export type ConfigKind = 'base' | 'systematics' | 'dataset';
export type ConfigOf<K extends ConfigKind> = K extends 'base'
  ? BaseFlowsConfig
  : K extends 'systematics'
    ? SystematicsConfig
    : DatasetConfig;

// ---------------------------------------------------------------------------------------------
// Section checks

/** Adapts src/toy's generator validator (plain Error, `path: problem`) to ConfigError. */
export function generatorCheck(base: () => GeneratorConfig = defaultGeneratorConfig): Check<GeneratorConfig> {
  return (v, where) => {
    try {
      return generatorFromYaml(v, where.path, base());
    } catch (e) {
      if (e instanceof ConfigError || !(e instanceof Error)) throw e;
      // Key paths contain no spaces, so the first ": " ends the path.
      const m = /^(\S*?): ([\s\S]*)$/.exec(e.message);
      throw m ? new ConfigError(where.file, m[1]!, m[2]!) : new ConfigError(where.file, where.path, e.message);
    }
  };
}

const hiddenFeatures = list(positiveInt, { minLength: 1 });
const checkpointOut = filePath(['.safetensors']);
const checkpointIn = filePath(['.pt', '.safetensors']);

export const baseFlowSection: Check<BaseFlowSection> = section({
  model_path: required(checkpointOut),
  features: required(num({ int: true, min: 2 })),
  context: required(nonNegativeInt),
  bins: required(positiveInt),
  transforms: required(positiveInt),
  hidden_features: required(hiddenFeatures),
  batch_size: required(positiveInt),
  nepochs: required(positiveInt),
  steps_per_epoch: required(positiveInt),
  lr: required(positiveNumber),
  weight_decay: withDefault(nonNegativeNumber, () => 0.01),
  val_batches: withDefault(nonNegativeInt, () => 10),
  slope: withDefault(positiveNumber, () => 1e-3),
});

const pair: Check<[number, number]> = (v, where) => {
  const [i, j] = list(nonNegativeInt, { length: 2 })(v, where);
  return [i!, j!];
};

/**
 * Residual section before the checks that need num_nuisances (lengths of the ν vectors);
 * those run in `residualSection` so their messages can quote num_nuisances.
 */
const residualFields = section({
  base_model: required(checkpointIn),
  model_path: required(checkpointOut),
  features_dim: required(positiveInt),
  context_dim: required(nonNegativeInt),
  num_nuisances: required(nonNegativeInt),
  num_residual_layers: required(nonNegativeInt),
  hidden_features: required(hiddenFeatures),
  type: withDefault(oneOf(['flow', 'transform'] as const), () => 'flow' as const),
  quadratic_damping: withDefault(nonNegativeNumber, () => 0.01),
  cross_term_pairs: withDefault(list(pair), () => []),
  cross_damping: withDefault(nonNegativeNumber, () => 0.01),
  central_nuisance_values: optional(list(anyNumber)),
  nuisance_scales: optional(list(positiveNumber)),
  batch_size: required(positiveInt),
  nepochs: required(positiveInt),
  steps_per_epoch: required(positiveInt),
  lr: required(positiveNumber),
  weight_decay: withDefault(nonNegativeNumber, () => 0.01),
});

export const residualSection: Check<ResidualSection> = (v, where) => {
  const s = residualFields(v, where);
  const n = s.num_nuisances;
  const lengthOk = (key: string, values: number[] | undefined): void => {
    if (values !== undefined && values.length !== n) {
      throw new ConfigError(
        where.file,
        at(where, key).path,
        `expected a list of ${n} numbers (num_nuisances = ${n}), found a list of ${values.length}`,
      );
    }
  };
  lengthOk('central_nuisance_values', s.central_nuisance_values);
  lengthOk('nuisance_scales', s.nuisance_scales);
  const seen = new Set<string>();
  s.cross_term_pairs.forEach(([i, j], k) => {
    const w = at(at(where, 'cross_term_pairs'), k);
    if (i >= n || j >= n) {
      throw new ConfigError(w.file, w.path, `expected nuisance indices < num_nuisances = ${n}, found [${i}, ${j}]`);
    }
    if (i === j) throw new ConfigError(w.file, w.path, `expected two different nuisance indices, found [${i}, ${j}]`);
    const id = `${Math.min(i, j)},${Math.max(i, j)}`;
    if (seen.has(id)) throw new ConfigError(w.file, w.path, `pair [${i}, ${j}] is listed twice`);
    seen.add(id);
  });
  return {
    ...s,
    central_nuisance_values: s.central_nuisance_values ?? new Array<number>(n).fill(0),
    nuisance_scales: s.nuisance_scales ?? new Array<number>(n).fill(1),
  };
};

/** A template list; overrides are applied on top of `nominal`. */
export function templateList(nominal: GeneratorConfig): Check<SystematicTemplate[]> {
  const template = section({
    name: required(nonEmptyString),
    m: required(list(anyNumber)),
    generator: withDefault(generatorCheck(() => nominal), () => nominal),
  });
  return (v, where) => {
    const out = list(template, { minLength: 1 })(v, where);
    const names = new Set<string>();
    out.forEach((t, i) => {
      if (names.has(t.name)) {
        const w = at(at(where, i), 'name');
        throw new ConfigError(w.file, w.path, `template name ${JSON.stringify(t.name)} is used twice in this list`);
      }
      names.add(t.name);
    });
    // A fresh copy per template so no two templates share a generator object.
    return out.map((t) => ({ name: t.name, m: t.m, generator: structuredClone(t.generator) }));
  };
}

export { seedInt, type Where };
