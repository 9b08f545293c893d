/**
 * Loading the YAML configs: `loadConfig(path, kind)` reads, validates (strictly: see
 * config-schema.ts for the schema) and returns a typed object with defaults filled and every
 * path resolved relative to the config file's directory. Problems throw `ConfigError` naming
 * the file, the key path and what was expected.
 *
 * Besides per-key types it checks what only the whole file can tell: ν vector lengths against
 * num_nuisances, shapes the toy data imposes (x and y are 2-D, 2 classes), batch sizes that can
 * hold one chunk per template. `checkArchitecture` compares a checkpoint with its config section.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import yaml from 'js-yaml';
import { defaultGeneratorConfig } from '../toy/config.js';
import {
  baseFlowSection,
  generatorCheck,
  residualSection,
  seedInt,
  templateList,
  type BaseFlowSection,
  type BaseFlowsConfig,
  type ConfigKind,
  type ConfigOf,
  type DatasetConfig,
  type ResidualSection,
  type SystematicsConfig,
  type SystematicTemplate,
} from './config-schema.js';
import {
  ConfigError,
  at,
  filePath,
  list,
  oneOf,
  optional,
  positiveInt,
  required,
  section,
  withDefault,
  type Check,
  type Where,
} from './config-validators.js';

export { ConfigError } from './config-validators.js';
export type * from './config-schema.js';

/** Shapes fixed by the toy data: x and y are 2-D, the class is a one-hot of 2. */
export const TOY_X_DIM = 2;
export const TOY_Y_DIM = 2;
export const TOY_CLASSES = 2;
/** Context widths the data provides: kin = one-hot class; score = [one-hot class, x]. */
export const KIN_CONTEXT_DIM = TOY_CLASSES;
export const SCORE_CONTEXT_DIM = TOY_CLASSES + TOY_X_DIM;

/** Template lists are validated once the nominal generator is known; here only their shape. */
const templatesFirstPass: Check<unknown[]> = list((v: unknown) => v, { minLength: 1 });

/**
 * Reads and validates a config file. `file` in messages is the path as given; paths inside the
 * file resolve against its directory.
 */
export function loadConfig<K extends ConfigKind>(path: string, kind: K): ConfigOf<K> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a directory, not a file' : String(e);
    throw new ConfigError(path, '', `cannot read the ${kind} config: ${why}`);
  }
  let doc: unknown;
  try {
    // CORE_SCHEMA: plain YAML 1.2 scalars (no dates, no binary), duplicate keys rejected.
    doc = yaml.load(text, { filename: path, schema: yaml.CORE_SCHEMA });
  } catch (e) {
    if (e instanceof yaml.YAMLException) {
      const line = e.mark ? ` (line ${e.mark.line + 1}, column ${e.mark.column + 1})` : '';
      throw new ConfigError(path, '', `not valid YAML${line}: ${e.reason}`);
    }
    throw e;
  }
  return parseConfig(doc, kind, { file: path, baseDir: dirname(resolvePath(path)) });
}

export interface ConfigSource {
  /** Name used in messages (usually the file path). */
  file: string;
  /** Directory relative paths resolve against. */
  baseDir: string;
}

/** Validates an already-parsed YAML document (for tests and programmatic use). */
export function parseConfig<K extends ConfigKind>(doc: unknown, kind: K, source: ConfigSource): ConfigOf<K> {
  const where: Where = { file: source.file, path: '', baseDir: source.baseDir };
  const absSource = source.file === '' ? '' : resolvePath(source.file);
  checkKind(doc, kind, where);
  switch (kind) {
    case 'base':
      return parseBase(doc, where, absSource) as ConfigOf<K>;
    case 'systematics':
      return parseSystematics(doc, where, absSource) as ConfigOf<K>;
    case 'dataset':
      return parseDataset(doc, where, absSource) as ConfigOf<K>;
    default:
      throw new Error(`parseConfig: unknown config kind ${JSON.stringify(kind)} (expected base, systematics or dataset)`);
  }
}

const KIND_NAMES: Record<ConfigKind, string> = {
  base: 'base flows config',
  systematics: 'systematics config',
  dataset: 'dataset config',
};
const KIND_EXAMPLES: Record<ConfigKind, string> = {
  base: 'configs/base_flows.yaml',
  systematics: 'configs/systematics.yaml',
  dataset: 'configs/dataset.yaml',
};

/** Which kind a document looks like, from keys only one kind has, and the key that tells. */
function guessKind(doc: Record<string, unknown>): [ConfigKind, string] | undefined {
  for (const key of ['kin_systematics', 'score_systematics']) if (Object.hasOwn(doc, key)) return ['systematics', key];
  for (const key of ['train_kin', 'train_score']) {
    const sec = doc[key];
    if (sec !== null && typeof sec === 'object' && Object.hasOwn(sec, 'base_model')) {
      return ['systematics', `${key}.base_model`];
    }
  }
  for (const key of ['train_kin', 'train_score']) if (Object.hasOwn(doc, key)) return ['base', key];
  for (const key of ['n_events', 'output']) if (Object.hasOwn(doc, key)) return ['dataset', key];
  return undefined;
}

/** Says "wrong kind of file" instead of a list of unknown keys when a config is passed to the wrong flag. */
function checkKind(doc: unknown, kind: ConfigKind, where: Where): void {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return;
  const guess = guessKind(doc as Record<string, unknown>);
  if (guess !== undefined && guess[0] !== kind) {
    throw new ConfigError(
      where.file,
      '',
      `expected a ${KIND_NAMES[kind]} (like ${KIND_EXAMPLES[kind]}), but this looks like a ` +
        `${KIND_NAMES[guess[0]]}: it has the key ${guess[1]}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------

const baseTop = section({
  seed: optional(seedInt),
  generator: withDefault(generatorCheck(), defaultGeneratorConfig),
  train_kin: required(baseFlowSection),
  train_score: required(baseFlowSection),
});

function parseBase(doc: unknown, where: Where, source: string): BaseFlowsConfig {
  const top = baseTop(doc, where);
  const kin = at(where, 'train_kin');
  const score = at(where, 'train_score');
  expectEqual(at(kin, 'features'), top.train_kin.features, TOY_X_DIM, 'x is 2-D');
  expectEqual(at(kin, 'context'), top.train_kin.context, KIN_CONTEXT_DIM, 'the context is the one-hot class');
  expectEqual(at(score, 'features'), top.train_score.features, TOY_Y_DIM, 'y is 2-D');
  expectEqual(at(score, 'context'), top.train_score.context, SCORE_CONTEXT_DIM, 'the context is [one-hot class, x]');
  return { kind: 'base', source, ...top };
}

const systematicsTop = section({
  seed: optional(seedInt),
  generator: withDefault(generatorCheck(), defaultGeneratorConfig),
  kin_systematics: required(templatesFirstPass),
  score_systematics: required(templatesFirstPass),
  train_kin: required(residualSection),
  train_score: required(residualSection),
});

function parseSystematics(doc: unknown, where: Where, source: string): SystematicsConfig {
  const top = systematicsTop(doc, where);
  const templates = templateList(top.generator);
  const kinTemplates = templates(top.kin_systematics, at(where, 'kin_systematics'));
  const scoreTemplates = templates(top.score_systematics, at(where, 'score_systematics'));
  checkResidualAgainstTemplates(where, 'train_kin', top.train_kin, 'kin_systematics', kinTemplates);
  checkResidualAgainstTemplates(where, 'train_score', top.train_score, 'score_systematics', scoreTemplates);
  const kin = at(where, 'train_kin');
  const score = at(where, 'train_score');
  expectEqual(at(kin, 'features_dim'), top.train_kin.features_dim, TOY_X_DIM, 'x is 2-D');
  expectEqual(at(kin, 'context_dim'), top.train_kin.context_dim, KIN_CONTEXT_DIM, 'the context is the one-hot class');
  expectEqual(at(score, 'features_dim'), top.train_score.features_dim, TOY_Y_DIM, 'y is 2-D');
  expectEqual(at(score, 'context_dim'), top.train_score.context_dim, SCORE_CONTEXT_DIM, 'the context is [one-hot class, x]');
  return {
    kind: 'systematics',
    source,
    seed: top.seed,
    generator: top.generator,
    kin_systematics: kinTemplates,
    score_systematics: scoreTemplates,
    train_kin: top.train_kin,
    train_score: top.train_score,
  };
}

/** Every template's m has num_nuisances entries; a batch holds at least one event per template. */
function checkResidualAgainstTemplates(
  where: Where,
  sectionKey: string,
  sec: ResidualSection,
  listKey: string,
  templates: SystematicTemplate[],
): void {
  templates.forEach((t, i) => {
    if (t.m.length !== sec.num_nuisances) {
      const w = at(at(at(where, listKey), i), 'm');
      throw new ConfigError(
        w.file,
        w.path,
        `expected a list of ${sec.num_nuisances} numbers (${sectionKey}.num_nuisances = ${sec.num_nuisances}), ` +
          `found a list of ${t.m.length}`,
      );
    }
  });
  if (sec.batch_size < templates.length) {
    const w = at(at(where, sectionKey), 'batch_size');
    throw new ConfigError(
      w.file,
      w.path,
      `expected at least ${templates.length} (one event per template of ${listKey}), found ${sec.batch_size}`,
    );
  }
}

const datasetTop = section({
  seed: optional(seedInt),
  generator: withDefault(generatorCheck(), defaultGeneratorConfig),
  n_events: required(positiveInt),
  output: required(filePath(['.safetensors'])),
  format: withDefault(oneOf(['safetensors'] as const), () => 'safetensors' as const),
});

function parseDataset(doc: unknown, where: Where, source: string): DatasetConfig {
  return { kind: 'dataset', source, ...datasetTop(doc, where) };
}

function expectEqual(where: Where, found: number, expected: number, because: string): void {
  if (found !== expected) {
    throw new ConfigError(where.file, where.path, `expected ${expected} (${because}), found ${found}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Checkpoint ↔ config agreement

/** Named architecture facts (sizes, widths, flags) as read from a config or a checkpoint. */
export type ArchitectureValue = number | string | boolean | readonly number[] | readonly (readonly number[])[];
export type Architecture = Readonly<Record<string, ArchitectureValue>>;

/** The architecture a base-flow section asks for. */
export function nsfArchitecture(sec: BaseFlowSection): Architecture {
  return {
    features: sec.features,
    context: sec.context,
    bins: sec.bins,
    transforms: sec.transforms,
    hidden_features: sec.hidden_features,
  };
}

/** The architecture a residual section asks for. */
export function residualArchitecture(sec: ResidualSection): Architecture {
  return {
    features_dim: sec.features_dim,
    context_dim: sec.context_dim,
    num_nuisances: sec.num_nuisances,
    num_residual_layers: sec.num_residual_layers,
    hidden_features: sec.hidden_features,
    cross_term_pairs: sec.cross_term_pairs,
  };
}

export function formatArchitecture(a: Architecture): string {
  return `{ ${Object.entries(a)
    .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
    .join(', ')} }`;
}

/**
 * Throws a ConfigError when `found` (read from a checkpoint) disagrees with `expected` (from the
 * config) on any key of `expected`. `where` names both sides, e.g.
 * "models/kin_density.safetensors vs configs/base_flows.yaml: train_kin".
 */
export function checkArchitecture(expected: Architecture, found: Architecture, where: string): void {
  const diffs: string[] = [];
  for (const [key, want] of Object.entries(expected)) {
    const got = found[key];
    if (got === undefined) diffs.push(`${key}: config ${JSON.stringify(want)}, checkpoint does not say`);
    else if (JSON.stringify(got) !== JSON.stringify(want)) {
      diffs.push(`${key}: config ${JSON.stringify(want)}, checkpoint ${JSON.stringify(got)}`);
    }
  }
  if (diffs.length > 0) {
    throw new ConfigError(
      where,
      '',
      `the checkpoint does not match the config (${diffs.join('; ')})\n` +
        `  config:     ${formatArchitecture(expected)}\n  checkpoint: ${formatArchitecture(found)}`,
    );
  }
}
