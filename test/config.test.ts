/**
 * Config loading with the reference YAML schema: the shipped configs load with the reference
 * values; a file written in the reference's own layout (with .pt paths and runtime.device) loads
 * as it is; omitted generator keys take the reference class defaults; every class of mistake
 * gives a ConfigError naming the file, the key path and what was expected; paths resolve
 * relative to the config file.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import {
  ConfigError,
  checkArchitecture,
  checkBaseFlowsMatch,
  loadConfig,
  parseConfig,
  type ConfigKind,
} from '../src/config/load.js';
import { generatorSection } from '../src/config/schema.js';
import { checkDistinctModelPaths } from '../src/config/model-paths.js';
import { REFERENCE_CLASS_DEFAULTS, defaultGeneratorConfig } from '../src/toy/config.js';
import { SECTORS } from '../src/toy/sector.js';

// Compiled to dist/test/, so the repository root is two levels up.
const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const CONFIGS = join(ROOT, 'configs');
const MODELS = join(ROOT, 'models');

/** A parsed YAML document the tests edit by key path (any: the paths are the test's own). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type YamlDoc = Record<string, any>;

function shipped(name: string): YamlDoc {
  return yaml.load(readFileSync(join(CONFIGS, name), 'utf8'), { schema: yaml.CORE_SCHEMA }) as YamlDoc;
}

/**
 * Parses `doc` as if it came from configs/<file>; expects a ConfigError whose message starts with
 * the file name, whose keyPath is `keyPath`, and which contains every fragment.
 */
function expectError(doc: unknown, kind: ConfigKind, file: string, keyPath: string, fragments: string[]): ConfigError {
  try {
    parseConfig(doc, kind, { file, baseDir: CONFIGS });
  } catch (e) {
    assert.instance(e, ConfigError, `expected a ConfigError, got ${String(e)}`);
    const err = e as ConfigError;
    assert.ok(err.message.startsWith(`${file}: `), `message should start with the file name: ${err.message}`);
    assert.is(err.file, file);
    assert.is(err.keyPath, keyPath, `key path of: ${err.message}`);
    if (keyPath !== '')
      assert.ok(err.message.startsWith(`${file}: ${keyPath}: `), `message should name ${keyPath}: ${err.message}`);
    for (const f of fragments)
      assert.ok(err.message.includes(f), `message lacks ${JSON.stringify(f)}:\n  ${err.message}`);
    return err;
  }
  assert.unreachable(`expected a ConfigError at ${keyPath} containing ${fragments.join(' / ')}`);
  throw new Error('unreachable');
}

// ---------------------------------------------------------------------------------------------
// Shipped configs

test('base_flows.yaml loads with the reference architecture, training and extension defaults', () => {
  const cfg = loadConfig(join(CONFIGS, 'base_flows.yaml'), 'base');
  assert.is(cfg.kind, 'base');
  assert.is(cfg.source, join(CONFIGS, 'base_flows.yaml'));
  assert.is(cfg.device, 'cuda');
  assert.is(cfg.seed, undefined);
  assert.equal(cfg.kin.flow, {
    features: 2,
    context: 2,
    bins: 20,
    transforms: 2,
    hiddenFeatures: [128, 128, 128],
    slope: 1e-3,
    bound: 5,
  });
  assert.equal(cfg.score.flow, {
    features: 2,
    context: 4,
    bins: 20,
    transforms: 3,
    hiddenFeatures: [128, 128, 128],
    slope: 1e-3,
    bound: 5,
  });
  for (const t of [cfg.kin.training, cfg.score.training]) {
    assert.equal(t, {
      batchSize: 1024,
      nepochs: 100,
      stepsPerEpoch: 1000,
      lr: 1e-4,
      weightDecay: 0.01,
      valBatches: 10,
    });
  }
  assert.equal(cfg.kin.paths, { model: join(MODELS, 'kin_density.safetensors') });
  assert.equal(cfg.score.paths, { model: join(MODELS, 'score_density.safetensors') });
  // Keys the file gives, and class defaults for the rest.
  assert.equal(cfg.generator.center_B, [0.5, 0]);
  assert.is(cfg.generator.sigmoid_y, false);
  assert.is(cfg.generator.shift_scale, REFERENCE_CLASS_DEFAULTS.shift_scale);
  assert.is(cfg.generator.y_shift_scale, 0);
});

test('systematics.yaml: named generator sections, templates in reference order, residuals', () => {
  const cfg = loadConfig(join(CONFIGS, 'systematics.yaml'), 'systematics');
  const expected: [string, number[]][] = [
    ['generator_shift_up', [1, 0]],
    ['generator_shift_down', [-1, 0]],
    ['generator_squeeze_up', [0, 1]],
    ['generator_squeeze_down', [0, -1]],
  ];
  assert.equal(Object.keys(cfg.generators), ['generator', ...expected.map(([n]) => n)]);
  for (const list of [cfg.kin.templates, cfg.score.templates]) {
    assert.equal(
      list.map((t) => [t.name, t.m]),
      expected,
    );
    for (const t of list) {
      assert.equal(t.generator, cfg.generators[t.name]);
      assert.is(t.generator.variation_shift, t.m[0]);
      assert.is(t.generator.variation_squeeze, t.m[1]);
      assert.is(t.generator.shift_scale, 0.3);
      assert.is(t.generator.squeeze_scale, 0.2);
      assert.is(t.generator.y_shift_scale, 0.3);
      assert.is(t.generator.y_squeeze_scale, 0.2);
      assert.is(t.generator.sigmoid_y, false);
    }
  }
  assert.is.not(cfg.kin.templates[0]!.generator, cfg.score.templates[0]!.generator, 'no shared generator objects');
  // The nominal section omits the y scales: class defaults (0).
  assert.is(cfg.generator.y_shift_scale, 0);
  assert.is(cfg.generator.variation_shift, 0);
  assert.equal(cfg.kin.residual, {
    featuresDim: 2,
    contextDim: 2,
    numNuisances: 2,
    numResidualLayers: 1,
    hiddenFeatures: [128, 128],
    type: 'flow',
    quadraticDamping: 0.01,
    crossTermPairs: [],
    crossDamping: 0.01,
    centralNuisanceValues: [0, 0],
    nuisanceScales: [1, 1],
    ladjSign: 1,
  });
  assert.is(cfg.score.residual.contextDim, 4);
  assert.is(cfg.score.residual.numResidualLayers, 2);
  assert.equal(cfg.score.residual.hiddenFeatures, [128, 128, 128]);
  for (const t of [cfg.kin.training, cfg.score.training]) {
    assert.equal(t, { batchSize: 1024, nepochs: 60, stepsPerEpoch: 1000, lr: 1e-4, weightDecay: 0.01 });
  }
  assert.equal(cfg.score.paths, {
    base: join(MODELS, 'score_density.safetensors'),
    residual: join(MODELS, 'score_density_residuals.safetensors'),
  });
  assert.equal(cfg.kin.paths, {
    base: join(MODELS, 'kin_density.safetensors'),
    residual: join(MODELS, 'kin_density_residuals.safetensors'),
  });
  checkBaseFlowsMatch(loadConfig(join(CONFIGS, 'base_flows.yaml'), 'base'), cfg);
});

test('systematics_crossterms.yaml: the plain file plus four corners and the cross pair', () => {
  const plain = loadConfig(join(CONFIGS, 'systematics.yaml'), 'systematics');
  const cfg = loadConfig(join(CONFIGS, 'systematics_crossterms.yaml'), 'systematics');
  const corners = [
    [1, 1],
    [1, -1],
    [-1, 1],
    [-1, -1],
  ];
  for (const [list, plainList] of [
    [cfg.kin.templates, plain.kin.templates],
    [cfg.score.templates, plain.score.templates],
  ] as const) {
    assert.is(list.length, 8);
    assert.equal(list.slice(0, 4), plainList);
    assert.equal(
      list.slice(4).map((t) => t.m),
      corners,
    );
    for (const t of list.slice(4)) {
      assert.ok(t.name.startsWith('generator_shift_'), t.name);
      assert.is(t.generator.variation_shift, t.m[0]);
      assert.is(t.generator.variation_squeeze, t.m[1]);
      assert.is(t.generator.y_squeeze_scale, 0.2);
    }
  }
  for (const s of SECTORS) {
    assert.equal(cfg[s].residual.crossTermPairs, [[0, 1]]);
    assert.equal({ ...cfg[s].residual, crossTermPairs: [] }, plain[s].residual);
  }
  assert.is(cfg.kin.paths.residual, join(MODELS, 'kin_density_residuals_cross.safetensors'));
  assert.is(cfg.score.paths.residual, join(MODELS, 'score_density_residuals_cross.safetensors'));
  assert.is(cfg.kin.paths.base, plain.kin.paths.base);
  assert.equal([cfg.kin.training, cfg.score.training], [plain.kin.training, plain.score.training]);
});

test('dataset.yaml loads with the reference generator', () => {
  const cfg = loadConfig(join(CONFIGS, 'dataset.yaml'), 'dataset');
  assert.is(cfg.nEvents, 100000);
  assert.is(cfg.paths.dataset, join(ROOT, 'data', 'dataset.safetensors'));
  assert.is(cfg.generator.shift_scale, 1);
  assert.is(cfg.generator.squeeze_scale, 1);
  assert.is(cfg.generator.y_shift_scale, 0);
  assert.equal(cfg.generator.shift_dir, [1, 0]);
});

// ---------------------------------------------------------------------------------------------
// Files in the reference's own layout

/** A systematics file in the reference layout (keys and nesting of its configs/systematics.yaml). */
const REFERENCE_STYLE_SYSTEMATICS = `
runtime:
  device: mps
paths:
  score_base_model: ../weights/score.pt
  kin_base_model: ../weights/kin.pt
  score_residual_model: ../weights/score_res.pt
  kin_residual_model: /somewhere/else/kin_res.pt
generator:
  sigmoid_y: false
generator_pull_up:
  variation_shift: 1.0
  y_shift_scale: 0.5
  sigmoid_y: false
generator_pull_down:
  variation_shift: -1.0
  y_shift_scale: 0.5
  sigmoid_y: false
kin_systematics:
  - {generator: generator_pull_up, m: [1.0]}
  - {generator: generator_pull_down, m: [-1.0]}
score_systematics:
  - generator: generator_pull_up
    m: [1]
  - generator: generator_pull_down
    m: [-1]
score_flow: {features: 2, context: 4, bins: 8, transforms: 1, hidden_features: [16]}
kin_flow: {features: 2, context: 2, bins: 8, transforms: 1, hidden_features: [16, 16]}
residual_score_model:
  features_dim: 2
  context_dim: 4
  num_nuisances: 1
  num_residual_layers: 1
  hidden_features: [16]
  type: transform
residual_kin_model:
  features_dim: 2
  context_dim: 2
  num_nuisances: 1
  num_residual_layers: 3
  hidden_features: [16]
  type: flow
training:
  score: {batch_size: 64, nepochs: 2, steps_per_epoch: 5, lr: 1.0e-3}
  kin: {batch_size: 64, nepochs: 2, steps_per_epoch: 5, lr: 1.0e-3}
`;

test('a reference-layout systematics file loads as it is, paths relative to its directory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fnf-config-'));
  mkdirSync(join(dir, 'cfg'));
  const file = join(dir, 'cfg', 'sys.yaml');
  writeFileSync(file, REFERENCE_STYLE_SYSTEMATICS);
  const cfg = loadConfig(file, 'systematics');
  assert.is(cfg.device, 'mps');
  assert.equal(cfg.score.paths, {
    base: join(dir, 'weights', 'score.pt'),
    residual: join(dir, 'weights', 'score_res.pt'),
  });
  assert.equal(cfg.kin.paths, { base: join(dir, 'weights', 'kin.pt'), residual: '/somewhere/else/kin_res.pt' });
  assert.equal(
    cfg.kin.templates.map((t) => [t.name, t.m]),
    [
      ['generator_pull_up', [1]],
      ['generator_pull_down', [-1]],
    ],
  );
  assert.equal(
    cfg.score.templates.map((t) => t.m),
    [[1], [-1]],
  );
  // Omitted generator keys: the reference class defaults, not another section's values.
  const up = cfg.generators.generator_pull_up!;
  assert.equal(up, { ...REFERENCE_CLASS_DEFAULTS, variation_shift: 1, y_shift_scale: 0.5, sigmoid_y: false });
  assert.equal(cfg.generator, { ...REFERENCE_CLASS_DEFAULTS, sigmoid_y: false });
  assert.is(cfg.score.residual.type, 'transform');
  assert.is(cfg.kin.residual.numResidualLayers, 3);
  assert.equal(cfg.kin.residual.centralNuisanceValues, [0]);
  assert.equal(cfg.kin.flow.hiddenFeatures, [16, 16]);
  assert.is(cfg.kin.training.lr, 1e-3);
  assert.is(cfg.kin.training.weightDecay, 0.01);
});

test('training refuses two paths naming one model (one overwrote the other, or a residual its frozen base)', () => {
  const source = { file: 'base_flows.yaml', baseDir: CONFIGS };
  const refusal = (doc: YamlDoc, kind: 'base' | 'systematics', file: string): ConfigError => {
    const cfg = parseConfig(doc, kind, { ...source, file }); // the reading commands accept it
    try {
      checkDistinctModelPaths(cfg, file);
    } catch (e) {
      assert.instance(e, ConfigError);
      return e as ConfigError;
    }
    return assert.unreachable('expected a ConfigError') as never;
  };
  const base = shipped('base_flows.yaml');
  checkDistinctModelPaths(parseConfig(base, 'base', source), 'base_flows.yaml'); // the shipped paths differ
  base.paths.kin_model = base.paths.score_model;
  let e = refusal(base, 'base', 'base_flows.yaml');
  assert.is(e.keyPath, 'paths.kin_model');
  assert.match(
    e.message,
    /^base_flows\.yaml: paths\.kin_model: \S+score_density\.safetensors is the same file as paths\.score_model/,
  );
  assert.match(e.message, /each model needs its own file, or training one overwrites the other$/);
  // NAME.pt and NAME.safetensors share the card NAME.card.json.
  base.paths.kin_model = base.paths.score_model.replace(/\.safetensors$/, '.pt');
  assert.match(
    refusal(base, 'base', 'base_flows.yaml').message,
    /the same model name \(and card\) as paths\.score_model/,
  );
  const sys = shipped('systematics.yaml');
  sys.paths.kin_residual_model = `./${sys.paths.kin_base_model}`; // another spelling of the same file
  e = refusal(sys, 'systematics', 'systematics.yaml');
  assert.is(e.keyPath, 'paths.kin_residual_model');
  assert.ok(e.message.includes(`${join(CONFIGS, sys.paths.kin_base_model)} is the same file as paths.kin_base_model`));
});

test('reference-layout base and dataset files with .pt paths and an empty generator section', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fnf-config-'));
  const base = shipped('base_flows.yaml');
  base.paths = { score_model: 'm/score.pt', kin_model: 'm/kin.pt' };
  base.generator = {};
  delete base.runtime;
  writeFileSync(join(dir, 'b.yaml'), yaml.dump(base));
  const b = loadConfig(join(dir, 'b.yaml'), 'base');
  assert.equal([b.score.paths.model, b.kin.paths.model], [join(dir, 'm', 'score.pt'), join(dir, 'm', 'kin.pt')]);
  assert.equal(b.generator, { ...REFERENCE_CLASS_DEFAULTS });
  assert.is(b.device, undefined);
  writeFileSync(
    join(dir, 'd.yaml'),
    'runtime: {device: cpu}\npaths:\n  dataset: ../data/dataset.pt\nn_events: 10\ngenerator: {}\n',
  );
  const d = loadConfig(join(dir, 'd.yaml'), 'dataset');
  assert.is(d.paths.dataset, resolve(dir, '..', 'data', 'dataset.pt'));
  assert.is(d.nEvents, 10);
  assert.is(d.device, 'cpu');
});

test('dataset.yaml paths.dataset may name a column format; another extension is refused by name', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fnf-cfg-ds-'));
  for (const ext of ['.parquet', '.npz', '.csv', '.safetensors', '.pt']) {
    writeFileSync(join(dir, 'd.yaml'), `paths:\n  dataset: data/nominal${ext}\nn_events: 10\ngenerator: {}\n`);
    assert.is(loadConfig(join(dir, 'd.yaml'), 'dataset').paths.dataset, join(dir, 'data', `nominal${ext}`));
  }
  assert.is(
    loadConfig(join(CONFIGS, 'files', 'dataset.yaml'), 'dataset').paths.dataset,
    join(ROOT, 'data', 'files', 'nominal.parquet'),
  );
  writeFileSync(join(dir, 'd.yaml'), 'paths:\n  dataset: data/nominal.feather\nn_events: 10\ngenerator: {}\n');
  assert.throws(
    () => loadConfig(join(dir, 'd.yaml'), 'dataset'),
    (e: Error) =>
      e.message.includes('paths.dataset') &&
      e.message.includes('expected a path ending in .pt or .safetensors or .parquet or .npz or .csv'),
  );
});

test('extension keys: explicit values are read, pairs normalised', () => {
  const doc = shipped('systematics.yaml');
  doc.seed = 7;
  Object.assign(doc.residual_kin_model, {
    quadratic_damping: 0.1,
    cross_term_pairs: [[1, 0]],
    cross_damping: 0.5,
    central_nuisance_values: [0.5, -0.5],
    nuisance_scales: [2, 3],
    ladj_sign: -1,
  });
  Object.assign(doc.kin_flow, { slope: 1e-4, bound: 8 });
  Object.assign(doc.score_flow, { slope: 1e-4, bound: 8 });
  doc.training.kin.weight_decay = 0;
  const cfg = parseConfig(doc, 'systematics', { file: 'systematics.yaml', baseDir: CONFIGS });
  assert.is(cfg.seed, 7);
  const r = cfg.kin.residual;
  assert.is(r.quadraticDamping, 0.1);
  assert.equal(r.crossTermPairs, [[0, 1]]);
  assert.is(r.crossDamping, 0.5);
  assert.equal(r.centralNuisanceValues, [0.5, -0.5]);
  assert.equal(r.nuisanceScales, [2, 3]);
  assert.is(r.ladjSign, -1);
  assert.is(cfg.kin.flow.slope, 1e-4);
  assert.is(cfg.kin.flow.bound, 8);
  assert.is(cfg.kin.training.weightDecay, 0);
  const base = shipped('base_flows.yaml');
  base.training.kin.val_batches = 0;
  assert.is(parseConfig(base, 'base', { file: 'b.yaml', baseDir: CONFIGS }).kin.training.valBatches, 0);
});

test('legacy generator_kin_up/_down sections; no template list needed with num_nuisances: 0', () => {
  const doc = shipped('systematics.yaml');
  delete doc.kin_systematics;
  doc.generator_kin_up = { variation_shift: 1 };
  doc.generator_kin_down = { variation_shift: -1 };
  doc.residual_kin_model.num_nuisances = 1;
  const cfg = parseConfig(doc, 'systematics', { file: 's.yaml', baseDir: CONFIGS });
  assert.equal(
    cfg.kin.templates.map((t) => [t.name, t.m, t.generator.variation_shift]),
    [
      ['generator_kin_up', [1], 1],
      ['generator_kin_down', [-1], -1],
    ],
  );
  const off = shipped('systematics.yaml');
  delete off.score_systematics;
  off.residual_score_model.num_nuisances = 0;
  assert.equal(parseConfig(off, 'systematics', { file: 's.yaml', baseDir: CONFIGS }).score.templates, []);
  // With no nuisances a leftover list is not used, as in the reference.
  const unused = shipped('systematics.yaml');
  unused.residual_score_model.num_nuisances = 0;
  assert.is(parseConfig(unused, 'systematics', { file: 's.yaml', baseDir: CONFIGS }).score.templates.length, 4);
});

// ---------------------------------------------------------------------------------------------
// Errors: file + key path + expectation

test('unknown keys: named, with the near miss and the known keys', () => {
  const doc = shipped('base_flows.yaml');
  doc.training.kin.lrr = 1e-3;
  expectError(doc, 'base', 'base_flows.yaml', 'training.kin.lrr', [
    'unknown key',
    'did you mean "lr"',
    'known keys here: batch_size',
  ]);
  const top = shipped('base_flows.yaml');
  top.train_kin = {};
  expectError(top, 'base', 'base_flows.yaml', 'train_kin', [
    'unknown key',
    'known keys here: runtime, paths, generator',
  ]);
  // A misspelt required key is reported as the misspelling, not as a missing key.
  const typo = shipped('systematics.yaml');
  typo.residual_kin_model.num_nuisance = typo.residual_kin_model.num_nuisances;
  delete typo.residual_kin_model.num_nuisances;
  expectError(typo, 'systematics', 'systematics.yaml', 'residual_kin_model.num_nuisance', [
    'did you mean "num_nuisances"',
  ]);
  const gen = shipped('systematics.yaml');
  gen.generatr_shift_up = gen.generator_shift_up;
  expectError(gen, 'systematics', 'systematics.yaml', 'generatr_shift_up', ['unknown key']);
  const rt = shipped('dataset.yaml');
  rt.runtime.devices = 'cpu';
  expectError(rt, 'dataset', 'dataset.yaml', 'runtime.devices', ['did you mean "device"']);
});

test('missing required keys: named, with what they should hold', () => {
  const doc = shipped('base_flows.yaml');
  delete doc.score_flow.bins;
  expectError(doc, 'base', 'base_flows.yaml', 'score_flow.bins', [
    'missing required key (expected a positive integer)',
  ]);
  const sys = shipped('systematics.yaml');
  delete sys.residual_kin_model;
  expectError(sys, 'systematics', 'systematics.yaml', 'residual_kin_model', [
    'missing required key (expected a mapping with keys [features_dim',
  ]);
  const type = shipped('systematics.yaml');
  delete type.residual_score_model.type;
  expectError(type, 'systematics', 'systematics.yaml', 'residual_score_model.type', [
    'missing required key (expected one of "flow", "transform")',
  ]);
  const paths = shipped('systematics.yaml');
  delete paths.paths.kin_residual_model;
  expectError(paths, 'systematics', 'systematics.yaml', 'paths.kin_residual_model', ['missing required key']);
  const list = shipped('systematics.yaml');
  delete list.score_systematics;
  expectError(list, 'systematics', 'systematics.yaml', 'score_systematics', [
    'missing required key',
    'residual_score_model.num_nuisances = 2',
    'generator_score_up',
  ]);
  const gen = shipped('dataset.yaml');
  delete gen.generator;
  expectError(gen, 'dataset', 'dataset.yaml', 'generator', ['missing required key']);
  const train = shipped('base_flows.yaml');
  delete train.training.score;
  expectError(train, 'base', 'base_flows.yaml', 'training.score', ['missing required key']);
});

test('wrong types and values: what was expected and what was found', () => {
  const cases: [string, ConfigKind, (d: YamlDoc) => void, string, string][] = [
    [
      'base_flows.yaml',
      'base',
      (d) => (d.training.kin.lr = 'fast'),
      'training.kin.lr',
      'expected a positive number, found "fast" (a string)',
    ],
    [
      'base_flows.yaml',
      'base',
      (d) => (d.training.kin.batch_size = 0),
      'training.kin.batch_size',
      'expected a positive integer, found 0',
    ],
    [
      'base_flows.yaml',
      'base',
      (d) => (d.training.score.nepochs = null),
      'training.score.nepochs',
      'found nothing (empty value)',
    ],
    ['base_flows.yaml', 'base', (d) => (d.kin_flow = [1, 2]), 'kin_flow', 'expected a mapping with keys [features'],
    [
      'base_flows.yaml',
      'base',
      (d) => (d.kin_flow.hidden_features = []),
      'kin_flow.hidden_features',
      'expected a list of at least 1, found a list of 0 items',
    ],
    [
      'base_flows.yaml',
      'base',
      (d) => (d.kin_flow.bound = -1),
      'kin_flow.bound',
      'expected a positive number, found -1',
    ],
    [
      'base_flows.yaml',
      'base',
      (d) => (d.runtime.device = 3),
      'runtime.device',
      'expected a non-empty string, found 3',
    ],
    ['base_flows.yaml', 'base', (d) => (d.seed = -1), 'seed', 'expected an integer in [0, 4294967295], found -1'],
    [
      'base_flows.yaml',
      'base',
      (d) => (d.paths.kin_model = '../models/kin.yaml'),
      'paths.kin_model',
      'expected a path ending in .pt or .safetensors',
    ],
    [
      'base_flows.yaml',
      'base',
      (d) => (d.paths = null),
      'paths',
      'expected a mapping with keys [score_model, kin_model]',
    ],
    [
      'systematics.yaml',
      'systematics',
      (d) => (d.residual_kin_model.num_residual_layers = 1.5),
      'residual_kin_model.num_residual_layers',
      'expected a non-negative integer, found 1.5',
    ],
    [
      'systematics.yaml',
      'systematics',
      (d) => (d.residual_score_model.type = 'affine'),
      'residual_score_model.type',
      'expected one of "flow", "transform", found "affine"',
    ],
    [
      'systematics.yaml',
      'systematics',
      (d) => (d.residual_kin_model.hidden_features = [128, '128']),
      'residual_kin_model.hidden_features[1]',
      'expected a positive integer, found "128" (a string)',
    ],
    [
      'systematics.yaml',
      'systematics',
      (d) => (d.residual_kin_model.ladj_sign = 2),
      'residual_kin_model.ladj_sign',
      'expected 1 or -1, found 2',
    ],
    [
      'systematics.yaml',
      'systematics',
      (d) => (d.residual_kin_model.nuisance_scales = [1, 0]),
      'residual_kin_model.nuisance_scales[1]',
      'expected a positive number, found 0',
    ],
    [
      'systematics.yaml',
      'systematics',
      (d) => (d.score_systematics[3].m = [0, 'up']),
      'score_systematics[3].m[1]',
      'expected a number, found "up"',
    ],
    [
      'systematics.yaml',
      'systematics',
      (d) => (d.kin_systematics[0].weight = 2),
      'kin_systematics[0].weight',
      'unknown key; known keys here: generator, m',
    ],
    [
      'systematics.yaml',
      'systematics',
      (d) => (d.kin_systematics = { generator: 'generator' }),
      'kin_systematics',
      'expected a list, found a mapping',
    ],
    ['dataset.yaml', 'dataset', (d) => (d.n_events = 1.5), 'n_events', 'expected a positive integer, found 1.5'],
  ];
  for (const [file, kind, edit, keyPath, fragment] of cases) {
    const doc = shipped(file);
    edit(doc);
    expectError(doc, kind, file, keyPath, [fragment]);
  }
});

test('generator sections: the same kit, with file and key path', () => {
  const doc = shipped('base_flows.yaml');
  doc.generator.shift_dir = 'x';
  expectError(doc, 'base', 'base_flows.yaml', 'generator.shift_dir', ['expected a list of 2']);
  const unk = shipped('systematics.yaml');
  unk.generator_shift_down.variation_shfit = -1;
  expectError(unk, 'systematics', 'systematics.yaml', 'generator_shift_down.variation_shfit', [
    'unknown key; did you mean "variation_shift"? known keys here: center_A, center_B',
  ]);
  const el = shipped('dataset.yaml');
  el.generator.sigma_A = [0.9, -1];
  expectError(el, 'dataset', 'dataset.yaml', 'generator.sigma_A[1]', ['expected a positive number']);
  const notMap = shipped('systematics.yaml');
  notMap.generator_squeeze_up = 5;
  expectError(notMap, 'systematics', 'systematics.yaml', 'generator_squeeze_up', [
    'expected a mapping with keys [center_A, center_B',
    'found 5 (a number)',
  ]);
});

test('generatorSection: fills defaults from its base, validates keys and values, names the key', () => {
  const where = { file: 'g.yaml', path: 'generator_up', baseDir: CONFIGS };
  const fromNominal = generatorSection(defaultGeneratorConfig());
  const cfg = fromNominal({ variation_shift: 1, sigma_A: [1, 0.5], sigmoid_y: true }, where);
  assert.is(cfg.variation_shift, 1);
  assert.equal(cfg.sigma_A, [1, 0.5]);
  assert.is(cfg.sigmoid_y, true);
  assert.is(cfg.shift_scale, 0.3);
  assert.is(generatorSection()({}, where).sigmoid_y, true, 'the default base: the reference class defaults');
  const a = fromNominal({}, where);
  a.center_A[0] = 9;
  assert.is(fromNominal({}, where).center_A[0], -0.5, 'defaults are copied per section');
  const cases: [unknown, string][] = [
    [{ variation_shfit: 1 }, 'generator_up.variation_shfit: unknown key; did you mean "variation_shift"?'],
    [{ shift_scale: '0.3' }, 'generator_up.shift_scale: expected a number, found "0.3" (a string)'],
    [{ sigmoid_y: 1 }, 'generator_up.sigmoid_y: expected true or false, found 1 (a number)'],
    [{ sigma_B: [0.6] }, 'generator_up.sigma_B: expected a list of 2 positive numbers, found a list of 1 item'],
    [{ sigma_B: [0.6, -1] }, 'generator_up.sigma_B[1]: expected a positive number, found -1 (a number)'],
    [{ center_A: [0, 'a'] }, 'generator_up.center_A[1]: expected a number, found "a" (a string)'],
    [{ shift_dir: [0, 0] }, 'generator_up.shift_dir: expected a non-zero direction, found [0, 0]'],
    [[1, 2], 'generator_up: expected a mapping with keys [center_A, center_B, sigma_A'],
  ];
  for (const [value, start] of cases) {
    assert.throws(
      () => fromNominal(value, where),
      (e: unknown) => e instanceof ConfigError && e.message.startsWith(`g.yaml: ${start}`),
      `${JSON.stringify(value)} → ${start}`,
    );
  }
});

test('templates: existing generator sections, used once, one m length equal to num_nuisances', () => {
  const name = shipped('systematics.yaml');
  name.kin_systematics[1].generator = 'generator_shift_dwn';
  expectError(name, 'systematics', 'systematics.yaml', 'kin_systematics[1].generator', [
    'expected the name of a generator section of this file (did you mean "generator_shift_down"?)',
    'sections here: generator, generator_shift_up',
  ]);
  const twice = shipped('systematics.yaml');
  twice.score_systematics[2].generator = 'generator_shift_up';
  expectError(twice, 'systematics', 'systematics.yaml', 'score_systematics[2].generator', [
    '"generator_shift_up" is already used by score_systematics[0]',
  ]);
  const ragged = shipped('systematics.yaml');
  ragged.kin_systematics[2].m = [0, 1, 0];
  expectError(ragged, 'systematics', 'systematics.yaml', 'kin_systematics[2].m', [
    'expected a list of 2 numbers like kin_systematics[0].m',
    'found a list of 3',
  ]);
  const n = shipped('systematics.yaml');
  n.residual_score_model.num_nuisances = 3;
  expectError(n, 'systematics', 'systematics.yaml', 'score_systematics[0].m', [
    'expected a list of 3 numbers (residual_score_model.num_nuisances = 3), found a list of 2',
  ]);
  const empty = shipped('systematics.yaml');
  empty.kin_systematics = [];
  expectError(empty, 'systematics', 'systematics.yaml', 'kin_systematics', ['expected a list of at least 1 template']);
  const scales = shipped('systematics.yaml');
  scales.residual_kin_model.central_nuisance_values = [0];
  expectError(scales, 'systematics', 'systematics.yaml', 'residual_kin_model.central_nuisance_values', [
    'expected a list of 2 numbers (num_nuisances = 2), found a list of 1',
  ]);
});

test('cross_term_pairs: indices below num_nuisances, different, not repeated', () => {
  const cases: [unknown, string, string][] = [
    [[[0, 2]], 'residual_kin_model.cross_term_pairs[0]', 'expected nuisance indices < num_nuisances = 2, found [0, 2]'],
    [[[1, 1]], 'residual_kin_model.cross_term_pairs[0]', 'expected two different nuisance indices, found [1, 1]'],
    [
      [
        [0, 1],
        [1, 0],
      ],
      'residual_kin_model.cross_term_pairs[1]',
      'the pair [1, 0] is listed twice',
    ],
    [[[0, 1, 2]], 'residual_kin_model.cross_term_pairs[0]', 'expected a list of exactly 2, found a list of 3 items'],
    [[[0, 'a']], 'residual_kin_model.cross_term_pairs[0][1]', 'expected a non-negative integer'],
  ];
  for (const [pairs, keyPath, fragment] of cases) {
    const doc = shipped('systematics.yaml');
    doc.residual_kin_model.cross_term_pairs = pairs;
    expectError(doc, 'systematics', 'systematics.yaml', keyPath, [fragment]);
  }
});

test('whole-file consistency: toy shapes, residual vs flow dims, batch vs templates', () => {
  const ctx = shipped('base_flows.yaml');
  ctx.score_flow.context = 3;
  expectError(ctx, 'base', 'base_flows.yaml', 'score_flow.context', [
    'expected 4 (the context is [one-hot class, x]), found 3',
  ]);
  const feat = shipped('systematics.yaml');
  feat.kin_flow.features = 3;
  expectError(feat, 'systematics', 'systematics.yaml', 'kin_flow.features', ['expected 2 (x is 2-D), found 3']);
  const rf = shipped('systematics.yaml');
  rf.residual_kin_model.features_dim = 3;
  expectError(rf, 'systematics', 'systematics.yaml', 'residual_kin_model.features_dim', [
    'expected 2 (kin_flow.features), found 3',
  ]);
  const rc = shipped('systematics.yaml');
  rc.residual_score_model.context_dim = 2;
  expectError(rc, 'systematics', 'systematics.yaml', 'residual_score_model.context_dim', [
    'expected 4 (score_flow.context), found 2',
  ]);
  const b = shipped('systematics.yaml');
  b.training.kin.batch_size = 3;
  expectError(b, 'systematics', 'systematics.yaml', 'training.kin.batch_size', [
    'expected at least 4 (one event per template of kin_systematics), found 3',
  ]);
});

test('the wrong kind of file is recognised', () => {
  expectError(shipped('systematics.yaml'), 'base', 'systematics.yaml', '', [
    'expected a base flows config',
    'looks like a systematics config: it has the key kin_systematics',
  ]);
  expectError(shipped('base_flows.yaml'), 'dataset', 'base_flows.yaml', '', [
    'expected a dataset config',
    'it has the key kin_flow',
  ]);
  expectError(shipped('dataset.yaml'), 'systematics', 'dataset.yaml', '', [
    'looks like a dataset config: it has the key n_events',
  ]);
  expectError(null, 'base', 'empty.yaml', '', [
    'empty.yaml: expected a mapping with keys' +
      ' [runtime, paths, generator, score_flow, kin_flow, training, seed, samples], found nothing',
  ]);
});

test('unreadable files and YAML syntax errors name the file (and the line)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fnf-config-'));
  const missing = join(dir, 'nope.yaml');
  assert.throws(
    () => loadConfig(missing, 'base'),
    (e: unknown) => e instanceof ConfigError && e.message === `${missing}: cannot read the base config: file not found`,
  );
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'n_events: 10\npaths: [a\n');
  assert.throws(
    () => loadConfig(bad, 'dataset'),
    (e: unknown) => e instanceof ConfigError && e.message.startsWith(`${bad}: not valid YAML (line`),
  );
  const dup = join(dir, 'dup.yaml');
  writeFileSync(dup, 'n_events: 10\nn_events: 20\n');
  assert.throws(
    () => loadConfig(dup, 'dataset'),
    (e: unknown) => e instanceof ConfigError && /duplicated mapping key/.test(e.message),
  );
  const wrong = join(dir, 'wrong.yaml');
  writeFileSync(wrong, 'n_events: many\npaths: {dataset: d.pt}\ngenerator: {}\n');
  assert.throws(
    () => loadConfig(wrong, 'dataset'),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.message === `${wrong}: n_events: expected a positive integer, found "many" (a string)`,
  );
});

// ---------------------------------------------------------------------------------------------
// Agreement between files and with checkpoints

test('checkBaseFlowsMatch names the systematics file, the key and the base file', () => {
  const base = loadConfig(join(CONFIGS, 'base_flows.yaml'), 'base');
  const doc = shipped('systematics.yaml');
  doc.score_flow.bins = 8;
  const sysFile = join(CONFIGS, 'other_systematics.yaml');
  const sys = parseConfig(doc, 'systematics', { file: sysFile, baseDir: CONFIGS });
  assert.throws(
    () => checkBaseFlowsMatch(base, sys),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.file === sysFile &&
      e.keyPath === 'score_flow.bins' &&
      e.message.includes(`expected 20 like score_flow.bins of ${base.source}`) &&
      e.message.includes('found 8'),
  );
});

test('checkArchitecture: a match passes, a mismatch names both shapes, spellings are equivalent', () => {
  const base = loadConfig(join(CONFIGS, 'base_flows.yaml'), 'base');
  const expected = base.kin.flow;
  checkArchitecture(expected, { ...expected }, 'kin_density.safetensors vs base_flows.yaml: kin_flow');
  // A checkpoint reader may use snake_case and carry extra keys.
  checkArchitecture(
    expected,
    { kind: 'nsf', features: 2, context: 2, bins: 20, transforms: 2, hidden_features: [128, 128, 128] },
    'x',
  );
  const found = { ...expected, hiddenFeatures: [128, 128], transforms: 3 };
  try {
    checkArchitecture(expected, found, 'kin_density.safetensors vs base_flows.yaml: kin_flow');
    assert.unreachable('should throw');
  } catch (e) {
    assert.instance(e, ConfigError);
    const msg = (e as Error).message;
    for (const f of [
      'kin_density.safetensors vs base_flows.yaml: kin_flow: the checkpoint does not match the config',
      'transforms: config 2, checkpoint 3',
      'hiddenFeatures: config [128,128,128], checkpoint [128,128]',
      'config:     { features: 2, context: 2,' +
        ' bins: 20, transforms: 2, hiddenFeatures: [128,128,128], slope: 0.001, bound: 5 }',
      'checkpoint: { features: 2, context: 2,' +
        ' bins: 20, transforms: 3, hiddenFeatures: [128,128], slope: 0.001, bound: 5 }',
    ]) {
      assert.ok(msg.includes(f), `lacks ${f}:\n${msg}`);
    }
  }
  const sys = loadConfig(join(CONFIGS, 'systematics.yaml'), 'systematics');
  assert.throws(
    () =>
      checkArchitecture(
        sys.score.residual,
        { num_nuisances: 3 },
        'res.safetensors vs systematics.yaml: residual_score_model',
      ),
    (e: unknown) => e instanceof ConfigError && e.message.includes('numNuisances: config 2, checkpoint 3'),
  );
  // Nothing in common is a caller bug, not a user error.
  assert.throws(
    () => checkArchitecture(sys.score.residual, { foo: 1 }, 'x'),
    (e: unknown) => !(e instanceof ConfigError) && e instanceof Error && /share no key/.test(e.message),
  );
});

test.run();
