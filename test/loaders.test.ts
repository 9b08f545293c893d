/**
 * Loading and export against the reference format: every error path of the NSF and residual
 * state-dict loaders and of the checkpoint reader (each message asserted), the refusal of a
 * state dict without the base distribution's buffers, an export's keys / shapes / dtypes against
 * the reference checkpoints, `fnf convert` end to end, and every shipped model with its card.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { NSF, type NSFConfig } from '../src/flows/nsf.js';
import { inferNsfConfig, nsfArchitecture, nsfFromStateDict, nsfToStateDict } from '../src/flows/nsf-state.js';
import { SystematicCorrectedModel } from '../src/systematics/corrected-model.js';
import { residualDefaults } from '../src/systematics/config.js';
import {
  inferResidualConfig,
  residualArchitecture,
  residualFromStateDict,
  residualToStateDict,
} from '../src/systematics/state.js';
import { architectureOf, readCheckpoint } from '../src/io/checkpoint.js';
import { loadConfig } from '../src/config/load.js';
import { readPt } from '../src/io/pt.js';
import { readSafetensors, writeSafetensors } from '../src/io/safetensors.js';
import type { StateDict, StoredTensor } from '../src/io/state-dict.js';
import { loadBaseFlow, loadResidualModel } from '../src/models/load.js';
import { saveModel } from '../src/train/checkpoint.js';
import { Rng } from '../src/random/rng.js';
import type { Sector } from '../src/toy/sector.js';
import { tsDevice } from './helpers/devices.js';
import { REPO, SHARED } from './helpers/shared.js';

const dev = tsDevice();
const REF = join(SHARED, 'reference-models');
const dir = mkdtempSync(join(tmpdir(), 'fnf-loaders-'));

const tiny: NSFConfig = {
  features: 2,
  context: 2,
  bins: 4,
  transforms: 2,
  hiddenFeatures: [8, 8],
  slope: 1e-3,
  bound: 5,
};
const nsf = new NSF(dev, tiny).init(Rng.fromSeed(1));
/** A fresh copy of the tiny NSF's state dict (the writer copies every array). */
const nsfDict = (): StateDict => nsfToStateDict(nsf);

const rcfg = residualDefaults({
  featuresDim: 2,
  contextDim: 2,
  numNuisances: 2,
  numResidualLayers: 2,
  hiddenFeatures: [8],
});
const residual = new SystematicCorrectedModel(dev, nsf, rcfg).init(Rng.fromSeed(2));
const residualDict = (): StateDict => residualToStateDict(residual);

/** The same entry with another shape (the data is not looked at before the shape check). */
const reshaped = (t: StoredTensor, shape: number[]): StoredTensor => ({ ...t, shape });
/** A mask with one element flipped. */
function flipped(t: StoredTensor, i: number): StoredTensor {
  const data = Uint8Array.from(t.data as Uint8Array);
  data[i] ^= 1;
  return { ...t, data };
}
function edit(sd: StateDict, f: (sd: StateDict) => void): StateDict {
  f(sd);
  return sd;
}

// ------------------------------------------------------------------ NSF loader (flows/nsf-state.ts)

test('NSF loader: the untouched dict loads (baseline for the error paths)', () => {
  const back = nsfFromStateDict(dev, nsfDict(), { where: 'tiny' });
  assert.equal(Array.from(back.params.values.data), Array.from(nsf.params.values.data));
});

const nsfErrors: [string, () => StateDict, RegExp, NSFConfig?][] = [
  [
    'a missing parameter',
    () => edit(nsfDict(), (sd) => sd.delete('transform.transforms.1.hyper.2.bias')),
    /^tiny: missing key 'transform\.transforms\.1\.hyper\.2\.bias'$/,
  ],
  [
    'no first hyper-network',
    () => edit(nsfDict(), (sd) => sd.delete('transform.transforms.0.hyper.0.weight')),
    /^tiny: no 'transform\.transforms\.0\.hyper\.0\.weight' — not a Zuko NSF state dict$/,
  ],
  [
    'a missing order buffer',
    () => edit(nsfDict(), (sd) => sd.delete('transform.transforms.0.order')),
    /^tiny: missing key 'transform\.transforms\.0\.order'$/,
  ],
  [
    'an output width that is not F·(3K−1)',
    () =>
      edit(nsfDict(), (sd) =>
        sd.set(
          'transform.transforms.0.hyper.4.weight',
          reshaped(sd.get('transform.transforms.0.hyper.4.weight')!, [23, 8]),
        ),
      ),
    /^tiny: hyper-network output 23 is not F·\(3K−1\) for F = 2$/,
  ],
  [
    'a wrong shape (the configuration given)',
    () =>
      edit(nsfDict(), (sd) =>
        sd.set(
          'transform.transforms.1.hyper.0.weight',
          reshaped(sd.get('transform.transforms.1.hyper.0.weight')!, [8, 3]),
        ),
      ),
    /^tiny: 'transform\.transforms\.1\.hyper\.0\.weight' has shape \[8,3\], the architecture needs \[8,4\]$/,
    tiny,
  ],
  [
    'a wrong order',
    () =>
      edit(nsfDict(), (sd) =>
        sd.set('transform.transforms.1.order', { dtype: 'i64', shape: [2], data: BigInt64Array.from([0n, 1n]) }),
      ),
    /^tiny: transform 1 has order \[0,1\], expected Zuko's alternating \[1,0\]$/,
  ],
  [
    'a wrong mask',
    () =>
      edit(nsfDict(), (sd) =>
        sd.set('transform.transforms.1.hyper.2.mask', flipped(sd.get('transform.transforms.1.hyper.2.mask')!, 5)),
      ),
    /^tiny: 'transform\.transforms\.1\.hyper\.2\.mask' differs from the mask Zuko's construction gives for this arch/,
  ],
  [
    'no base distribution buffers (neither Zuko ≥ 1.6 nor ≤ 1.5 names)',
    () => edit(nsfDict(), (sd) => (sd.delete('base.loc'), sd.delete('base.scale'))),
    /^tiny: missing 'base\.loc' \(or 'base\._0'\): the base distribution's mean/,
  ],
  [
    'base.scale missing',
    () => edit(nsfDict(), (sd) => sd.delete('base.scale')),
    /^tiny: missing 'base\.scale' \(or 'base\._1'\)/,
  ],
  [
    'a base buffer of the wrong shape',
    () => edit(nsfDict(), (sd) => sd.set('base.loc', { dtype: 'f32', shape: [3], data: new Float32Array(3) })),
    /^tiny: 'base\.loc' has shape \[3\], the architecture needs \[2\]$/,
  ],
];
for (const [what, dict, message, config] of nsfErrors) {
  test(`NSF loader refuses ${what}`, () => {
    assert.throws(() => nsfFromStateDict(dev, dict(), { where: 'tiny', config }), message);
  });
}

test('NSF loader: Zuko ≤ 1.5 names (base._0, base._1) load as base.loc, base.scale', () => {
  const sd = nsfDict();
  const loc = sd.get('base.loc')!;
  const scale = sd.get('base.scale')!;
  (loc.data as Float32Array).set([0.25, -0.5]);
  (scale.data as Float32Array).set([2, 3]);
  sd.delete('base.loc');
  sd.delete('base.scale');
  sd.set('base._0', loc).set('base._1', scale);
  const back = nsfFromStateDict(dev, sd, { where: 'tiny' });
  assert.equal(Array.from(back.base.loc.data), [0.25, -0.5]);
  assert.equal(Array.from(back.base.scale.data), [2, 3]);
});

// -------------------------------------------------------- residual loader (systematics/state.ts)

test('residual loader: the untouched dict loads (baseline for the error paths)', () => {
  const back = residualFromStateDict(dev, residualDict(), { where: 'res', extra: rcfg });
  assert.equal(Array.from(back.params.values.data), Array.from(residual.params.values.data));
});

const residualErrors: [string, () => StateDict, RegExp][] = [
  [
    'a dict without central_nuisance_values',
    () => edit(residualDict(), (sd) => sd.delete('central_nuisance_values')),
    /^res: no 'central_nuisance_values' — not a SystematicCorrectedModel state dict$/,
  ],
  [
    'a stack out of the reference order (residual where a reversal belongs)',
    () =>
      edit(residualDict(), (sd) => sd.set('transforms.1.central_nuisance_values', sd.get('central_nuisance_values')!)),
    /^res: stack entry 1 is not the expected reverse layer$/,
  ],
  [
    'a missing nuisance-net parameter',
    () => edit(residualDict(), (sd) => sd.delete('transforms.2.nuisance_nets.1.0.bias')),
    /^res: missing key 'transforms\.2\.nuisance_nets\.1\.0\.bias'$/,
  ],
  [
    'a nuisance-net weight of the wrong shape',
    () =>
      edit(residualDict(), (sd) =>
        sd.set(
          'transforms.0.nuisance_nets.1.0.weight',
          reshaped(sd.get('transforms.0.nuisance_nets.1.0.weight')!, [8, 5]),
        ),
      ),
    /^res: 'transforms\.0\.nuisance_nets\.1\.0\.weight' has shape \[8,5\], the architecture needs \[8,4\]$/,
  ],
  [
    'a missing mask',
    () => edit(residualDict(), (sd) => sd.delete('transforms.2.nuisance_nets.0.2.mask')),
    /^res: missing key 'transforms\.2\.nuisance_nets\.0\.2\.mask'$/,
  ],
  [
    'a wrong mask',
    () =>
      edit(residualDict(), (sd) =>
        sd.set('transforms.0.nuisance_nets.1.0.mask', flipped(sd.get('transforms.0.nuisance_nets.1.0.mask')!, 0)),
      ),
    /^res: 'transforms\.0\.nuisance_nets\.1\.0\.mask' differs from the residual net's autoregressive mask$/,
  ],
  [
    'a frozen base without its base buffers',
    () => edit(residualDict(), (sd) => (sd.delete('base_model.base.loc'), sd.delete('base_model.base.scale'))),
    /^res: missing 'base_model\.base\.loc' \(or 'base_model\.base\._0'\)/,
  ],
];
for (const [what, dict, message] of residualErrors) {
  test(`residual loader refuses ${what}`, () => {
    assert.throws(() => residualFromStateDict(dev, dict(), { where: 'res', extra: rcfg }), message);
  });
}

// ------------------------------------------------------------------ checkpoint reader (io/checkpoint.ts)

test('readCheckpoint: an unreadable path, a file of neither format, architecture metadata that is not JSON', () => {
  const missing = join(dir, 'nothing-here.pt');
  assert.throws(() => readCheckpoint(missing), new RegExp(`^${missing}: cannot read checkpoint \\(ENOENT`));
  const junk = join(dir, 'junk.safetensors');
  writeFileSync(junk, 'this is not a checkpoint at all');
  assert.throws(
    () => readCheckpoint(junk),
    /junk\.safetensors: neither a PyTorch zip checkpoint nor a safetensors file$/,
  );
  const badMeta = join(dir, 'bad-meta.safetensors');
  writeSafetensors(badMeta, nsfDict(), { architecture: '{not json' });
  const ck = readCheckpoint(badMeta);
  assert.throws(() => architectureOf(ck), /bad-meta\.safetensors: metadata 'architecture' is not valid JSON$/);
});

// ------------------------------------------------------- export against the reference checkpoints

/** Key → "dtype [shape]" in file order, with Zuko ≤ 1.5's base._0 / base._1 under their 1.6 names. */
function layout(sd: StateDict): string[] {
  return [...sd].map(
    ([k, t]) => `${k.replace(/base\._0$/, 'base.loc').replace(/base\._1$/, 'base.scale')}: ${t.dtype} [${t.shape}]`,
  );
}

for (const name of ['kin_density', 'score_density']) {
  test(`an exported ${name} NSF has the reference checkpoint's keys, order, shapes and dtypes`, () => {
    const ref = readPt(join(REF, `${name}.pt`));
    const cfg = inferNsfConfig(ref, '', name);
    const ours = new NSF(dev, cfg).init(Rng.fromSeed(3));
    const path = join(dir, `${name}.safetensors`);
    saveModel(path, nsfToStateDict(ours), nsfArchitecture(cfg));
    assert.equal(layout(readSafetensors(path).dict), layout(ref));
  });
}

for (const name of ['kin_density_residuals', 'score_density_residuals']) {
  test(`an exported ${name} model has the reference checkpoint's keys, order, shapes and dtypes`, () => {
    const ref = readPt(join(REF, `${name}.pt`));
    const base = new NSF(dev, inferNsfConfig(ref, 'base_model.', name)).init(Rng.fromSeed(4));
    const ours = new SystematicCorrectedModel(dev, base, inferResidualConfig(ref, name)).init(Rng.fromSeed(5));
    const path = join(dir, `${name}.safetensors`);
    saveModel(path, residualToStateDict(ours), residualArchitecture(ours));
    assert.equal(layout(readSafetensors(path).dict), layout(ref));
  });
}

// ------------------------------------------------------------------ fnf convert, end to end

const MAIN = join(REPO, 'dist', 'src', 'cli', 'main.js');

/** log p of a few fixed points, on the model a file loads into. */
function logProbs(path: string, residualModel: boolean): number[] {
  const rng = Rng.fromSeed(9);
  const n = 64;
  const x = Float32Array.from({ length: 2 * n }, () => rng.uniform() * 4 - 2);
  if (!residualModel) {
    const m = loadBaseFlow(dev, path);
    const c = Float32Array.from({ length: m.config.context * n }, () => rng.uniform());
    return Array.from(m.logProb(x, { context: c }));
  }
  const m = loadResidualModel(dev, path);
  const C = m.config.contextDim;
  const c = Float32Array.from({ length: C * n }, () => rng.uniform());
  const nu = Float32Array.from({ length: 2 * n }, () => rng.uniform() * 2 - 1);
  return Array.from(m.logProb(x, { context: c, nu }));
}

for (const [name, residualModel] of [
  ['kin_density', false],
  ['kin_density_residuals', true],
] as const) {
  test(`fnf convert ${name}.pt: the output loads, computes the same log p, and keeps the layout`, () => {
    const out = join(dir, `converted-${name}.safetensors`);
    const r = spawnSync(process.execPath, [MAIN, 'convert', join(REF, `${name}.pt`), out, '--backend', 'ts'], {
      encoding: 'utf8',
    });
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, /architecture: /);
    assert.equal(logProbs(out, residualModel), logProbs(join(REF, `${name}.pt`), residualModel));
    assert.equal(layout(readSafetensors(out).dict), layout(readPt(join(REF, `${name}.pt`))));
  });
}

// ------------------------------------------------------------------ the shipped models

const MODELS = join(REPO, 'models');
const shipped = readdirSync(MODELS).filter((f) => f.endsWith('.safetensors'));

test('six shipped models, each with a card', () => {
  assert.is(shipped.length, 6);
});

for (const file of shipped) {
  test(`shipped ${file}: loads, its card and metadata agree, and its config's architecture fits`, () => {
    const path = join(MODELS, file);
    const card = JSON.parse(readFileSync(path.replace(/\.safetensors$/, '.card.json'), 'utf8'));
    assert.is(card.file, basename(path));
    const meta = architectureOf(readCheckpoint(path))!;
    assert.equal(meta, card.architecture);
    const configPath = join(REPO, card.config);
    const sector: Sector = /score/.test(card.section) ? 'score' : 'kin';
    if (meta.kind === 'nsf') {
      const cfg = loadConfig(configPath, 'base');
      const m = loadBaseFlow(dev, path, cfg[sector].flow);
      assert.equal(nsfArchitecture(m.config), meta);
    } else {
      assert.is(meta.kind, 'systematic_corrected');
      const cfg = loadConfig(configPath, 'systematics');
      const expected = { flow: cfg[sector].flow, residual: cfg[sector].residual };
      const m = loadResidualModel(dev, path, expected);
      assert.equal(residualArchitecture(m), meta);
    }
    assert.ok(logProbs(path, meta.kind !== 'nsf').every(Number.isFinite));
  });
}

test.run();
