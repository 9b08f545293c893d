/**
 * Loading the YAML configs — the reference project's own three files, as they are (schema:
 * schema.ts; validators: kit.ts; user-facing summary: configs/README.md). `loadConfig(path,
 * kind)` reads, validates strictly and returns a typed object with defaults filled and every
 * `paths` entry resolved against the config file's directory. Problems throw `ConfigError` naming the file, the
 * key path, what was expected and what was found; the CLI prints it as one line.
 *
 * Besides per-key types it checks what only the whole file can tell: templates name existing
 * generator sections, all m vectors of a list have one length, equal to the residual's
 * num_nuisances; residual dims equal their flow's; the toy data's fixed shapes (x, y 2-D; 2
 * classes); a batch holds one chunk per template. `checkBaseFlowsMatch` compares the flows of a
 * systematics file with a base file; `checkArchitecture` compares a checkpoint with a config.
 *
 * Usage:
 *
 *   import { loadConfig } from '../config/load.js';
 *   const base = loadConfig('configs/base_flows.yaml', 'base');
 *   base.kin.flow;        // { features: 2, context: 2, bins: 20, transforms: 2, hiddenFeatures: [128, 128, 128], … }
 *   base.kin.training;    // { batchSize: 1024, nepochs: 100, stepsPerEpoch: 1000, lr: 1e-4, weightDecay: 0.01, … }
 *   base.kin.paths.model; // '/abs/…/models/kin_density.safetensors'
 *   base.generator;       // GeneratorConfig (src/toy), the nominal generator
 *
 *   const sys = loadConfig('configs/systematics.yaml', 'systematics');
 *   for (const t of sys.kin.templates) t.name, t.m, t.generator;  // 'generator_shift_up', [1, 0], GeneratorConfig
 *   sys.kin.residual;     // { featuresDim: 2, contextDim: 2, numNuisances: 2, numResidualLayers: 1, type: 'flow', … }
 *   sys.kin.paths.base, sys.kin.paths.residual;
 *   for (const s of SECTORS) sys[s].flow;                      // one record per sector: no kin/score ternaries
 *   checkBaseFlowsMatch(base, sys); // the two configs' flows agree in architecture (the fit also compares weights)
 *
 *   checkArchitecture(sys.kin.flow, inferNsfConfig(sd, '', file), `${file} vs ${sys.source}: kin_flow`);
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import yaml from 'js-yaml';
import { samplesSection, type SampleSet } from './samples.js';
import {
  FLOW_FIELDS,
  baseTrainingSection,
  dataPath,
  datasetPath,
  flowSection,
  generatorSection,
  isGeneratorKey,
  residualSection,
  residualTrainingSection,
  runtimeSection,
  templateEntry,
  type BaseFlowsConfig,
  type ConfigKind,
  type ConfigOf,
  type DatasetConfig,
  type FlowArchitecture,
  type GeneratorConfig,
  type ResidualArchitecture,
  type SystematicsConfig,
  type SystematicTemplate,
  type TemplateEntry,
} from './schema.js';
import {
  ConfigError,
  at,
  camelKey,
  closest,
  fail,
  list,
  optional,
  positiveInt,
  problem,
  required,
  section,
  seedInt,
  type Check,
  type Where,
} from './kit.js';
import { copyGeneratorConfig } from '../toy/config.js';
import { EVENTS_MEMORY, MAX_EVENTS } from '../toy/sample.js';
import { SECTORS, type Sector } from '../toy/sector.js';

export { ConfigError } from './kit.js';
export { checkArchitecture, formatArchitecture } from './architecture.js';
export type * from './schema.js';

/** Shapes fixed by the toy data: x and y are 2-D, the class is a one-hot of 2. */
export const TOY_X_DIM = 2;
export const TOY_Y_DIM = 2;
export const TOY_CLASSES = 2;
/** Context widths the data provides: kin = one-hot class; score = [one-hot class, x]. */
export const KIN_CONTEXT_DIM = TOY_CLASSES;
export const SCORE_CONTEXT_DIM = TOY_CLASSES + TOY_X_DIM;

/** A record with one entry per sector, built by `make` (in SECTORS order). */
function perSector<T>(make: (s: Sector) => T): Record<Sector, T> {
  return Object.fromEntries(SECTORS.map((s) => [s, make(s)])) as Record<Sector, T>;
}

/**
 * Reads and validates a config file. `path` is named in messages as given; paths inside the file
 * resolve against its directory.
 */
export function loadConfig<K extends ConfigKind>(path: string, kind: K): ConfigOf<K> {
  knownKind('loadConfig', kind);
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
    // CORE_SCHEMA: plain YAML 1.2 scalars (no dates, no binary); duplicate keys are rejected.
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
  /** Name used in messages (usually the file path as given; '' for none). */
  file: string;
  /** Directory relative paths resolve against. */
  baseDir: string;
}

/** Validates an already-parsed YAML document (tests, programmatic use). */
export function parseConfig<K extends ConfigKind>(doc: unknown, kind: K, source: ConfigSource): ConfigOf<K> {
  knownKind('parseConfig', kind);
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
      throw new Error(
        `parseConfig: unknown config kind ${JSON.stringify(kind)} (expected base, systematics or dataset)`,
      );
  }
}

// ---------------------------------------------------------------------------------------------
// Wrong kind of file

/** From JavaScript `kind` may be anything: say which kinds exist rather than 'the undefined config'. */
function knownKind(fn: string, kind: unknown): void {
  if (!Object.hasOwn(KIND_NAMES, String(kind))) {
    throw new Error(`${fn}: kind must be one of ${Object.keys(KIND_NAMES).join(', ')}, got ${String(kind)}`);
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
  for (const key of ['kin_systematics', 'score_systematics', 'residual_kin_model', 'residual_score_model']) {
    if (Object.hasOwn(doc, key)) return ['systematics', key];
  }
  if (Object.hasOwn(doc, 'n_events')) return ['dataset', 'n_events'];
  for (const key of ['kin_flow', 'score_flow']) if (Object.hasOwn(doc, key)) return ['base', key];
  return undefined;
}

/** Says "wrong kind of file" instead of a list of unknown keys when a file goes to the wrong flag. */
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
// base_flows.yaml

const baseTop = section({
  runtime: optional(runtimeSection),
  paths: required(section({ score_model: required(dataPath), kin_model: required(dataPath) })),
  generator: required(generatorSection()),
  score_flow: required(flowSection),
  kin_flow: required(flowSection),
  training: required(section({ score: required(baseTrainingSection), kin: required(baseTrainingSection) })),
  seed: optional(seedInt),
  samples: optional(samplesSection),
});

function parseBase(doc: unknown, where: Where, source: string): BaseFlowsConfig {
  const top = baseTop(doc, where);
  for (const s of SECTORS) checkToyFlow(where, s, top[`${s}Flow`]);
  if (top.samples?.nuisances) {
    problem(at(at(where, 'samples'), 'nuisances'), 'nuisances belong in a systematics config (base flows have none)');
  }
  return {
    kind: 'base',
    source,
    seed: top.seed,
    device: top.runtime?.device,
    generator: top.generator,
    ...perSector((s) => ({
      flow: top[`${s}Flow`],
      training: top.training[s],
      paths: { model: top.paths[`${s}Model`] },
    })),
    samples: top.samples,
  };
}

/** The widths the toy data fixes for each sector's flow, and why. */
const TOY_FLOW_WIDTHS: Record<Sector, { features: [number, string]; context: [number, string] }> = {
  kin: { features: [TOY_X_DIM, 'x is 2-D'], context: [KIN_CONTEXT_DIM, 'the context is the one-hot class'] },
  score: { features: [TOY_Y_DIM, 'y is 2-D'], context: [SCORE_CONTEXT_DIM, 'the context is [one-hot class, x]'] },
};

function checkToyFlow(where: Where, s: Sector, flow: FlowArchitecture): void {
  for (const key of ['features', 'context'] as const) {
    const [expected, because] = TOY_FLOW_WIDTHS[s][key];
    expectEqual(at(at(where, `${s}_flow`), key), flow[key], expected, because);
  }
}

function expectEqual(where: Where, found: number, expected: number, because: string): void {
  if (found !== expected) problem(where, `expected ${expected} (${because}), found ${found}`);
}

// ---------------------------------------------------------------------------------------------
// systematics.yaml

const systematicsTop = section(
  {
    runtime: optional(runtimeSection),
    paths: required(
      section({
        score_base_model: required(dataPath),
        kin_base_model: required(dataPath),
        score_residual_model: required(dataPath),
        kin_residual_model: required(dataPath),
      }),
    ),
    generator: required(generatorSection()),
    kin_systematics: optional(list(templateEntry)),
    score_systematics: optional(list(templateEntry)),
    score_flow: required(flowSection),
    kin_flow: required(flowSection),
    residual_score_model: required(residualSection),
    residual_kin_model: required(residualSection),
    training: required(section({ score: required(residualTrainingSection), kin: required(residualTrainingSection) })),
    seed: optional(seedInt),
    samples: optional(samplesSection),
  },
  (key) => key.startsWith('generator_'),
);

function parseSystematics(doc: unknown, where: Where, source: string): SystematicsConfig {
  const top = systematicsTop(doc, where);
  const generators: Record<string, GeneratorConfig> = {};
  const otherGenerator = generatorSection();
  for (const [key, value] of Object.entries(doc as Record<string, unknown>)) {
    if (isGeneratorKey(key))
      generators[key] = key === 'generator' ? top.generator : otherGenerator(value, at(where, key));
  }
  for (const s of SECTORS) checkToyFlow(where, s, top[`${s}Flow`]);
  for (const s of SECTORS) checkResidualDims(where, s, top[`residual${capitalised(s)}Model`], top[`${s}Flow`]);
  const templates = perSector((s) =>
    resolveTemplates(
      where,
      s,
      top[`${s}Systematics`],
      generators,
      top[`residual${capitalised(s)}Model`],
      (top.samples?.[s].templates.length ?? 0) > 0,
    ),
  );
  checkNuisanceNames(where, top.samples?.nuisances, [top.residualKinModel, top.residualScoreModel]);
  for (const s of SECTORS)
    checkTemplateNu(where, s, top.samples?.[s].templates ?? [], top[`residual${capitalised(s)}Model`]);
  for (const s of SECTORS) checkBatchHoldsTemplates(where, s, top.training[s].batchSize, templates[s].length);
  return {
    kind: 'systematics',
    source,
    seed: top.seed,
    device: top.runtime?.device,
    generator: top.generator,
    generators,
    ...perSector((s) => ({
      flow: top[`${s}Flow`],
      residual: top[`residual${capitalised(s)}Model`],
      templates: templates[s],
      training: top.training[s],
      paths: { base: top.paths[`${s}BaseModel`], residual: top.paths[`${s}ResidualModel`] },
    })),
    samples: top.samples,
  };
}

/** samples.nuisances names every component of ν: as many names as each residual with nuisances has. */
function checkNuisanceNames(where: Where, names: string[] | undefined, residuals: ResidualArchitecture[]): void {
  if (!names) return;
  for (const [res, key] of residuals.map(
    (r, i) => [r, i === 0 ? 'residual_kin_model' : 'residual_score_model'] as const,
  )) {
    if (res.numNuisances > 0 && res.numNuisances !== names.length) {
      problem(
        at(at(where, 'samples'), 'nuisances'),
        `expected ${res.numNuisances} names (${key}.num_nuisances = ${res.numNuisances}), found ${names.length}`,
      );
    }
  }
}

/** Each file template's ν has one value per nuisance: said when the config loads, not after files are read. */
function checkTemplateNu(where: Where, s: Sector, templates: SampleSet[], res: ResidualArchitecture): void {
  if (res.numNuisances === 0) return;
  templates.forEach((t, i) => {
    if (t.nu && t.nu.length !== res.numNuisances) {
      problem(
        at(at(at(where, 'samples'), 'templates'), i),
        `the ${s} template ν = [${t.nu.join(', ')}] has ${t.nu.length} values; ` +
          `residual_${s}_model.num_nuisances = ${res.numNuisances}`,
      );
    }
  });
}

/** `kin` → `Kin`: the sector inside a camelCase key (`residualKinModel`). */
function capitalised<S extends Sector>(s: S): Capitalize<S> {
  return (s[0]!.toUpperCase() + s.slice(1)) as Capitalize<S>;
}

/** The residual wraps its base flow: same feature and context widths. */
function checkResidualDims(where: Where, s: Sector, res: ResidualArchitecture, flow: FlowArchitecture): void {
  const flowKey = `${s}_flow`;
  const w = at(where, `residual_${s}_model`);
  if (res.featuresDim !== flow.features) {
    problem(at(w, 'features_dim'), `expected ${flow.features} (${flowKey}.features), found ${res.featuresDim}`);
  }
  if (res.contextDim !== flow.context) {
    problem(at(w, 'context_dim'), `expected ${flow.context} (${flowKey}.context), found ${res.contextDim}`);
  }
}

/**
 * A template list → templates. An absent list falls back, like the reference, to the legacy pair
 * generator_<model>_up / _down (m = [+1] / [−1]); or to no templates when the residual has no
 * nuisances (it is the identity and never trained) or its templates come from files (samples:).
 */
function resolveTemplates(
  where: Where,
  model: Sector,
  entries: TemplateEntry[] | undefined,
  generators: Record<string, GeneratorConfig>,
  res: ResidualArchitecture,
  fromFiles: boolean,
): SystematicTemplate[] {
  const listKey = `${model}_systematics`;
  const resKey = `residual_${model}_model`;
  const lw = at(where, listKey);
  const names = Object.keys(generators);
  if (entries === undefined) {
    const up = `generator_${model}_up`;
    const down = `generator_${model}_down`;
    if (generators[up] && generators[down]) {
      entries = [
        { generator: up, m: [1] },
        { generator: down, m: [-1] },
      ];
    } else if (res.numNuisances === 0 || fromFiles) {
      // No nuisances: the residual is the identity. Templates from files (samples:): the events
      // define them, and without generator templates the fit has no exact truth for this model.
      return [];
    } else {
      problem(
        lw,
        `missing required key (expected a list of {generator: <generator section>, m: [ν…]}, one per template, ` +
          `since ${resKey}.num_nuisances = ${res.numNuisances}; or the legacy sections ${up} and ${down})`,
      );
    }
  }
  if (entries.length === 0 && res.numNuisances > 0) {
    fail(lw, `a list of at least 1 template (${resKey}.num_nuisances = ${res.numNuisances})`, entries);
  }
  const firstUse = new Map<string, number>();
  return entries.map((e, i) => {
    const ew = at(lw, i);
    if (!Object.hasOwn(generators, e.generator)) {
      const hint = closest(e.generator, names);
      problem(
        at(ew, 'generator'),
        `expected the name of a generator section of this file${hint ? ` (did you mean "${hint}"?)` : ''}; ` +
          `found "${e.generator}"; sections here: ${names.join(', ')}`,
      );
    }
    const before = firstUse.get(e.generator);
    if (before !== undefined) problem(at(ew, 'generator'), `"${e.generator}" is already used by ${listKey}[${before}]`);
    firstUse.set(e.generator, i);
    const mw = at(ew, 'm');
    const first = entries![0]!.m.length;
    if (e.m.length !== first) {
      problem(
        mw,
        `expected a list of ${first} numbers like ${listKey}[0].m` +
          ` (all m vectors have one length), found a list of ${e.m.length}`,
      );
    }
    // With no nuisances the residual is the identity and the list is not used (reference behaviour).
    if (res.numNuisances > 0 && e.m.length !== res.numNuisances) {
      problem(
        mw,
        `expected a list of ${res.numNuisances} numbers (${resKey}.num_nuisances = ${res.numNuisances})` +
          `, found a list of ${e.m.length}`,
      );
    }
    return { name: e.generator, m: [...e.m], generator: copyGeneratorConfig(generators[e.generator]!) };
  });
}

/** Each batch takes ⌊batch_size / #templates⌋ events from every template: at least one. */
function checkBatchHoldsTemplates(where: Where, model: Sector, batchSize: number, templates: number): void {
  if (batchSize < templates) {
    problem(
      at(at(at(where, 'training'), model), 'batch_size'),
      `expected at least ${templates} (one event per template of ${model}_systematics), found ${batchSize}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// dataset.yaml

/** Events are drawn in memory all at once, so their number is bounded (MAX_EVENTS says why). */
const eventCount: Check<number> = (v, where) => {
  const n = positiveInt(v, where);
  return n <= MAX_EVENTS ? n : fail(where, `at most ${MAX_EVENTS} (1e8) events: ${EVENTS_MEMORY}`, v);
};

const datasetTop = section({
  n_events: required(eventCount),
  runtime: optional(runtimeSection),
  paths: required(section({ dataset: required(datasetPath) })),
  generator: required(generatorSection()),
  seed: optional(seedInt),
});

function parseDataset(doc: unknown, where: Where, source: string): DatasetConfig {
  const top = datasetTop(doc, where);
  return {
    kind: 'dataset',
    source,
    seed: top.seed,
    device: top.runtime?.device,
    generator: top.generator,
    paths: top.paths,
    nEvents: top.nEvents,
  };
}

// ---------------------------------------------------------------------------------------------
// Agreement between files, and with checkpoints

/**
 * The systematics file's score_flow / kin_flow (what its residuals were trained on) must equal
 * the base file's (what validate/visualize load). Throws a ConfigError naming both files.
 */
export function checkBaseFlowsMatch(base: BaseFlowsConfig, sys: SystematicsConfig): void {
  for (const s of SECTORS) {
    const [a, b] = [base[s].flow, sys[s].flow];
    for (const yamlKey of Object.keys(FLOW_FIELDS)) {
      const field = camelKey(yamlKey) as keyof FlowArchitecture;
      if (JSON.stringify(a[field]) !== JSON.stringify(b[field])) {
        const path = `${s}_flow.${yamlKey}`;
        throw new ConfigError(
          sys.source,
          path,
          `expected ${JSON.stringify(a[field])} like ${path} of ${base.source}` +
            ` (the residuals sit on that base flow), ` +
            `found ${JSON.stringify(b[field])}`,
        );
      }
    }
  }
}
