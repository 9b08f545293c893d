/**
 * Config loading: the shipped configs load with the reference values; every class of mistake
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
  loadConfig,
  nsfArchitecture,
  parseConfig,
  residualArchitecture,
  type ConfigKind,
} from '../src/io/config.js';

// Compiled to dist/test/, so the repository root is two levels up.
const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const CONFIGS = join(ROOT, 'configs');
const MODELS = join(ROOT, 'models');

function shipped(name: string): Record<string, any> {
  return yaml.load(readFileSync(join(CONFIGS, name), 'utf8'), { schema: yaml.CORE_SCHEMA }) as Record<string, any>;
}

/** Parses `doc` as if it came from configs/<file> and expects a ConfigError containing every fragment. */
function expectError(doc: unknown, kind: ConfigKind, file: string, fragments: string[]): ConfigError {
  try {
    parseConfig(doc, kind, { file, baseDir: CONFIGS });
  } catch (e) {
    assert.instance(e, ConfigError, `expected a ConfigError, got ${String(e)}`);
    const msg = (e as ConfigError).message;
    assert.ok(msg.startsWith(`${file}: `), `message should start with the file name: ${msg}`);
    for (const f of fragments) assert.ok(msg.includes(f), `message lacks ${JSON.stringify(f)}:\n  ${msg}`);
    return e as ConfigError;
  }
  assert.unreachable(`expected a ConfigError containing ${fragments.join(' / ')}`);
  throw new Error('unreachable');
}

// ---------------------------------------------------------------------------------------------
// Shipped configs

test('base_flows.yaml loads with the reference architecture and defaults', () => {
  const cfg = loadConfig(join(CONFIGS, 'base_flows.yaml'), 'base');
  assert.is(cfg.kind, 'base');
  assert.is(cfg.train_kin.features, 2);
  assert.is(cfg.train_kin.context, 2);
  assert.is(cfg.train_kin.transforms, 2);
  assert.is(cfg.train_score.context, 4);
  assert.is(cfg.train_score.transforms, 3);
  for (const s of [cfg.train_kin, cfg.train_score]) {
    assert.is(s.bins, 20);
    assert.equal(s.hidden_features, [128, 128, 128]);
    assert.is(s.batch_size, 1024);
    assert.is(s.nepochs, 100);
    assert.is(s.steps_per_epoch, 1000);
    assert.is(s.lr, 1e-4);
    assert.is(s.weight_decay, 0.01);
    assert.is(s.val_batches, 10);
    assert.is(s.slope, 1e-3);
  }
  assert.is(cfg.train_kin.model_path, join(MODELS, 'kin_density.safetensors'));
  assert.is(cfg.train_score.model_path, join(MODELS, 'score_density.safetensors'));
  assert.equal(cfg.generator.center_A, [-0.5, 0]);
  assert.equal(cfg.generator.sigma_B, [0.6, 0.4]);
  assert.is(cfg.generator.sigmoid_y, false);
  assert.is(cfg.source, join(CONFIGS, 'base_flows.yaml'));
});

test('systematics.yaml: templates in reference order, overrides merged onto the nominal generator', () => {
  const cfg = loadConfig(join(CONFIGS, 'systematics.yaml'), 'systematics');
  const expected: [string, number[]][] = [
    ['generator_shift_up', [1, 0]],
    ['generator_shift_down', [-1, 0]],
    ['generator_squeeze_up', [0, 1]],
    ['generator_squeeze_down', [0, -1]],
  ];
  for (const list of [cfg.kin_systematics, cfg.score_systematics]) {
    assert.equal(
      list.map((t) => [t.name, t.m]),
      expected,
    );
    for (const t of list) {
      assert.is(t.generator.variation_shift, t.m[0]);
      assert.is(t.generator.variation_squeeze, t.m[1]);
      assert.is(t.generator.shift_scale, 0.3);
      assert.is(t.generator.squeeze_scale, 0.2);
      assert.is(t.generator.y_shift_scale, 0.3);
      assert.is(t.generator.y_squeeze_scale, 0.2);
      assert.is(t.generator.sigmoid_y, false);
    }
  }
  assert.is.not(cfg.kin_systematics[0]!.generator, cfg.score_systematics[0]!.generator, 'no shared generator objects');
  const k = cfg.train_kin;
  assert.is(k.num_residual_layers, 1);
  assert.equal(k.hidden_features, [128, 128]);
  assert.is(cfg.train_score.num_residual_layers, 2);
  assert.equal(cfg.train_score.hidden_features, [128, 128, 128]);
  for (const s of [cfg.train_kin, cfg.train_score]) {
    assert.is(s.num_nuisances, 2);
    assert.is(s.type, 'flow');
    assert.is(s.quadratic_damping, 0.01);
    assert.equal(s.cross_term_pairs, []);
    assert.equal(s.central_nuisance_values, [0, 0]);
    assert.equal(s.nuisance_scales, [1, 1]);
    assert.is(s.nepochs, 60);
    assert.is(s.steps_per_epoch, 1000);
    assert.is(s.lr, 1e-4);
    assert.is(s.batch_size, 1024);
  }
  assert.is(k.base_model, join(MODELS, 'kin_density.safetensors'));
  assert.is(cfg.train_score.base_model, join(MODELS, 'score_density.safetensors'));
});

test('systematics_crossterms.yaml: corner templates, cross pair, distinct model paths', () => {
  const plain = loadConfig(join(CONFIGS, 'systematics.yaml'), 'systematics');
  const cfg = loadConfig(join(CONFIGS, 'systematics_crossterms.yaml'), 'systematics');
  assert.is(cfg.kin_systematics.length, 8);
  assert.equal(
    cfg.kin_systematics.slice(4).map((t) => t.m),
    [
      [1, 1],
      [1, -1],
      [-1, 1],
      [-1, -1],
    ],
  );
  for (const t of cfg.kin_systematics.slice(4)) {
    assert.is(t.generator.variation_shift, t.m[0]);
    assert.is(t.generator.variation_squeeze, t.m[1]);
  }
  for (const key of ['train_kin', 'train_score'] as const) {
    assert.equal(cfg[key].cross_term_pairs, [[0, 1]]);
    assert.is.not(cfg[key].model_path, plain[key].model_path);
    assert.is(cfg[key].base_model, plain[key].base_model);
  }
});

test('dataset.yaml loads', () => {
  const cfg = loadConfig(join(CONFIGS, 'dataset.yaml'), 'dataset');
  assert.is(cfg.n_events, 100000);
  assert.is(cfg.format, 'safetensors');
  assert.is(cfg.output, join(ROOT, 'data', 'toy_nominal.safetensors'));
  assert.is(cfg.seed, 1234);
});

// ---------------------------------------------------------------------------------------------
// Paths

test('paths resolve relative to the config file, whatever the working directory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fnf-config-'));
  mkdirSync(join(dir, 'sub'));
  const file = join(dir, 'sub', 'd.yaml');
  writeFileSync(file, 'n_events: 10\noutput: out/d.safetensors\n');
  const cfg = loadConfig(file, 'dataset');
  assert.is(cfg.output, join(dir, 'sub', 'out', 'd.safetensors'));
  writeFileSync(file, 'n_events: 10\noutput: /abs/d.safetensors\n');
  assert.is(loadConfig(file, 'dataset').output, '/abs/d.safetensors');
  // Defaults are filled for an almost empty file.
  assert.is(loadConfig(file, 'dataset').format, 'safetensors');
  assert.is(loadConfig(file, 'dataset').seed, undefined);
});

// ---------------------------------------------------------------------------------------------
// Errors: file + key path + expectation

test('unknown key names the key, suggests the near one and lists the known ones', () => {
  const doc = shipped('base_flows.yaml');
  doc.train_kin.lrr = 1e-3;
  expectError(doc, 'base', 'base_flows.yaml', ['train_kin.lrr', 'unknown key', 'did you mean "lr"', 'known keys here: model_path']);
  const top = shipped('base_flows.yaml');
  top.train_systematics = {};
  expectError(top, 'base', 'base_flows.yaml', ['base_flows.yaml: train_systematics: unknown key']);
});

test('missing required key names it and says what it should hold', () => {
  const doc = shipped('base_flows.yaml');
  delete doc.train_score.bins;
  const e = expectError(doc, 'base', 'base_flows.yaml', [
    'base_flows.yaml: train_score.bins: missing required key (expected a positive integer)',
  ]);
  assert.is(e.keyPath, 'train_score.bins');
  assert.is(e.file, 'base_flows.yaml');
  const sys = shipped('systematics.yaml');
  delete sys.train_kin;
  expectError(sys, 'systematics', 'systematics.yaml', ['train_kin: missing required key (expected a mapping with keys [base_model']);
  const noTemplates = shipped('systematics.yaml');
  delete noTemplates.score_systematics;
  expectError(noTemplates, 'systematics', 'systematics.yaml', ['score_systematics: missing required key (expected a list of at least 1)']);
});

test('wrong type says what was expected and what was found', () => {
  const doc = shipped('base_flows.yaml');
  doc.train_kin.lr = 'fast';
  expectError(doc, 'base', 'base_flows.yaml', ['train_kin.lr: expected a positive number, found "fast" (a string)']);
  const neg = shipped('base_flows.yaml');
  neg.train_kin.batch_size = 0;
  expectError(neg, 'base', 'base_flows.yaml', ['train_kin.batch_size: expected a positive integer, found 0']);
  const frac = shipped('systematics.yaml');
  frac.train_kin.num_residual_layers = 1.5;
  expectError(frac, 'systematics', 'systematics.yaml', ['train_kin.num_residual_layers: expected a non-negative integer, found 1.5']);
  const typ = shipped('systematics.yaml');
  typ.train_score.type = 'affine';
  expectError(typ, 'systematics', 'systematics.yaml', ['train_score.type: expected one of "flow", "transform", found "affine"']);
  const empty = shipped('base_flows.yaml');
  empty.train_kin.nepochs = null;
  expectError(empty, 'base', 'base_flows.yaml', ['train_kin.nepochs: expected a positive integer, found nothing (empty value)']);
  const notMap = shipped('base_flows.yaml');
  notMap.train_kin = [1, 2];
  expectError(notMap, 'base', 'base_flows.yaml', ['train_kin: expected a mapping with keys [model_path', 'found a list of 2 items']);
});

test('bad nested list element is named with its index', () => {
  const doc = shipped('systematics.yaml');
  doc.train_kin.hidden_features = [128, '128'];
  expectError(doc, 'systematics', 'systematics.yaml', [
    'systematics.yaml: train_kin.hidden_features[1]: expected a positive integer, found "128" (a string)',
  ]);
  const pairs = shipped('systematics.yaml');
  pairs.train_score.cross_term_pairs = [[0, 'a']];
  expectError(pairs, 'systematics', 'systematics.yaml', ['train_score.cross_term_pairs[0][1]: expected a non-negative integer']);
  const m = shipped('systematics.yaml');
  m.score_systematics[3].m = [0, 'up'];
  expectError(m, 'systematics', 'systematics.yaml', ['score_systematics[3].m[1]: expected a number, found "up"']);
  const emptyHidden = shipped('base_flows.yaml');
  emptyHidden.train_kin.hidden_features = [];
  expectError(emptyHidden, 'base', 'base_flows.yaml', ['train_kin.hidden_features: expected a list of at least 1, found a list of 0 items']);
});

test('template m length must equal num_nuisances', () => {
  const doc = shipped('systematics.yaml');
  doc.kin_systematics[2].m = [0, 1, 0];
  expectError(doc, 'systematics', 'systematics.yaml', [
    'systematics.yaml: kin_systematics[2].m: expected a list of 2 numbers (train_kin.num_nuisances = 2), found a list of 3',
  ]);
  const n = shipped('systematics.yaml');
  n.train_score.num_nuisances = 3;
  delete n.train_score.central_nuisance_values;
  delete n.train_score.nuisance_scales;
  expectError(n, 'systematics', 'systematics.yaml', ['score_systematics[0].m: expected a list of 3 numbers (train_score.num_nuisances = 3)']);
  const c = shipped('systematics.yaml');
  c.train_kin.nuisance_scales = [1];
  expectError(c, 'systematics', 'systematics.yaml', ['train_kin.nuisance_scales: expected a list of 2 numbers (num_nuisances = 2), found a list of 1']);
});

test('cross_term_pairs: indices below num_nuisances, different, not repeated', () => {
  const cases: [unknown, string][] = [
    [[[0, 2]], 'train_kin.cross_term_pairs[0]: expected nuisance indices < num_nuisances = 2, found [0, 2]'],
    [[[1, 1]], 'train_kin.cross_term_pairs[0]: expected two different nuisance indices, found [1, 1]'],
    [[[0, 1], [1, 0]], 'train_kin.cross_term_pairs[1]: pair [1, 0] is listed twice'],
    [[[0, 1, 2]], 'train_kin.cross_term_pairs[0]: expected a list of exactly 2, found a list of 3 items'],
  ];
  for (const [pairs, fragment] of cases) {
    const doc = shipped('systematics.yaml');
    doc.train_kin.cross_term_pairs = pairs;
    expectError(doc, 'systematics', 'systematics.yaml', [fragment]);
  }
});

test('generator sections are validated by the toy validator, with file and key path', () => {
  const doc = shipped('base_flows.yaml');
  doc.generator.shift_dir = 'x';
  expectError(doc, 'base', 'base_flows.yaml', ['base_flows.yaml: generator.shift_dir: expected a list of 2']);
  const unk = shipped('systematics.yaml');
  unk.kin_systematics[1].generator.variation_shfit = -1;
  expectError(unk, 'systematics', 'systematics.yaml', ['kin_systematics[1].generator.variation_shfit: unknown generator key']);
  const el = shipped('base_flows.yaml');
  el.generator.sigma_A = [0.9, -1];
  expectError(el, 'base', 'base_flows.yaml', ['generator.sigma_A[1]: expected a positive number']);
});

test('whole-file consistency: toy shapes, batch vs templates, template names, extensions', () => {
  const f = shipped('base_flows.yaml');
  f.train_score.context = 3;
  expectError(f, 'base', 'base_flows.yaml', ['train_score.context: expected 4 (the context is [one-hot class, x]), found 3']);
  const b = shipped('systematics.yaml');
  b.train_kin.batch_size = 3;
  expectError(b, 'systematics', 'systematics.yaml', ['train_kin.batch_size: expected at least 4 (one event per template of kin_systematics), found 3']);
  const names = shipped('systematics.yaml');
  names.kin_systematics[1].name = 'generator_shift_up';
  expectError(names, 'systematics', 'systematics.yaml', ['kin_systematics[1].name: template name "generator_shift_up" is used twice']);
  const ext = shipped('base_flows.yaml');
  ext.train_kin.model_path = '../models/kin.pt';
  expectError(ext, 'base', 'base_flows.yaml', ['train_kin.model_path: expected a path ending in .safetensors, found "../models/kin.pt"']);
  const feat = shipped('systematics.yaml');
  feat.train_kin.features_dim = 0;
  expectError(feat, 'systematics', 'systematics.yaml', ['train_kin.features_dim: expected a positive integer, found 0']);
});

test('the wrong kind of file is recognised', () => {
  expectError(shipped('systematics.yaml'), 'base', 'systematics.yaml', ['expected a base flows config', 'looks like a systematics config: it has the key kin_systematics']);
  expectError(shipped('base_flows.yaml'), 'dataset', 'base_flows.yaml', ['expected a dataset config']);
  expectError(shipped('dataset.yaml'), 'systematics', 'dataset.yaml', ['looks like a dataset config: it has the key n_events']);
  expectError(null, 'base', 'empty.yaml', ['empty.yaml: expected a mapping with keys [seed, generator, train_kin, train_score], found nothing']);
});

test('unreadable files and YAML syntax errors name the file (and the line)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fnf-config-'));
  const missing = join(dir, 'nope.yaml');
  assert.throws(() => loadConfig(missing, 'base'), (e: unknown) => e instanceof ConfigError && e.message === `${missing}: cannot read the base config: file not found`);
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'n_events: 10\noutput: [a\n');
  assert.throws(() => loadConfig(bad, 'dataset'), (e: unknown) => e instanceof ConfigError && e.message.startsWith(`${bad}: not valid YAML (line`));
  const dup = join(dir, 'dup.yaml');
  writeFileSync(dup, 'n_events: 10\nn_events: 20\noutput: a.safetensors\n');
  assert.throws(() => loadConfig(dup, 'dataset'), (e: unknown) => e instanceof ConfigError && /duplicated mapping key/.test(e.message));
  // Through loadConfig, the file is named as the caller gave it.
  const wrong = join(dir, 'wrong.yaml');
  writeFileSync(wrong, 'n_events: many\noutput: a.safetensors\n');
  assert.throws(() => loadConfig(wrong, 'dataset'), (e: unknown) => e instanceof ConfigError && e.message === `${wrong}: n_events: expected a positive integer, found "many" (a string)`);
});

// ---------------------------------------------------------------------------------------------
// Checkpoint vs config

test('checkArchitecture accepts a match and names both shapes on a mismatch', () => {
  const base = loadConfig(join(CONFIGS, 'base_flows.yaml'), 'base');
  const expected = nsfArchitecture(base.train_kin);
  checkArchitecture(expected, { ...expected }, 'kin_density.safetensors vs base_flows.yaml: train_kin');
  const found = { ...expected, hidden_features: [128, 128], transforms: 3 };
  try {
    checkArchitecture(expected, found, 'kin_density.safetensors vs base_flows.yaml: train_kin');
    assert.unreachable('should throw');
  } catch (e) {
    assert.instance(e, ConfigError);
    const msg = (e as Error).message;
    for (const f of [
      'kin_density.safetensors vs base_flows.yaml: train_kin: the checkpoint does not match the config',
      'transforms: config 2, checkpoint 3',
      'hidden_features: config [128,128,128], checkpoint [128,128]',
      'config:     { features: 2, context: 2, bins: 20, transforms: 2, hidden_features: [128,128,128] }',
      'checkpoint: { features: 2, context: 2, bins: 20, transforms: 3, hidden_features: [128,128] }',
    ]) {
      assert.ok(msg.includes(f), `lacks ${f}:\n${msg}`);
    }
  }
  const sys = loadConfig(join(CONFIGS, 'systematics.yaml'), 'systematics');
  const r = residualArchitecture(sys.train_score);
  assert.throws(
    () => checkArchitecture(r, { num_nuisances: 2 }, 'x'),
    (e: unknown) => e instanceof Error && e.message.includes('features_dim: config 2, checkpoint does not say'),
  );
});

test.run();
