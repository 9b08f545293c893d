/**
 * Training on files (issue 17 §3): the `samples:` section, the held-out split and the seeded
 * epoch shuffle, event weights in the loss, and `fnf train-base` / `train-systematics` end to end
 * on files written by `fnf generate-dataset`, with the best epoch kept and the card filled in.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run as generate } from '../src/cli/commands/generate-dataset.js';
import { run as trainBase } from '../src/cli/commands/train-base.js';
import { run as trainSystematics } from '../src/cli/commands/train-systematics.js';
import { marginalFigureName, run as validateFiles, templateLabels } from '../src/cli/commands/validate-files.js';
import { weightedNll } from '../src/validate/held-out.js';
import { MARGINAL_FIGURE_SIZE } from '../src/validate/files-figures.js';
import { pngSize } from '../src/plot/index.js';
import { writeColumns } from '../src/io/columns/write.js';
import { loadConfig, parseConfig } from '../src/config/load.js';
import { FileBatches, splitHoldout } from '../src/train/file-batches.js';
import { loadSample, type EventSample } from '../src/train/file-events.js';
import { Rng } from '../src/random/rng.js';
import { REPO } from './helpers/shared.js';
import yaml from 'js-yaml';
import { ParamSet } from '../src/autodiff/param.js';
import { createDevice } from '../src/backend/index.js';
import * as op from '../src/ops/index.js';
import { readSafetensors } from '../src/io/safetensors.js';
import { train, type TrainJob } from '../src/train/trainer.js';
import { writeModelCard } from '../src/cli/commands/train-common.js';
import type { Batch } from '../src/train/batches.js';

/** A parsed YAML config the test edits by key (any: the keys are the test's own). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type YamlDoc = Record<string, any>;

const dir = mkdtempSync(join(tmpdir(), 'fnf-files-'));
const globals = { backend: 'wasm' as const, threads: 1, seed: 7 };

function sample(n: number, weight?: (i: number) => number): EventSample {
  const x = Float32Array.from({ length: 2 * n }, (_, i) => i);
  const context = new Float32Array(2 * n).map((_, i) => (i % 2 === 0 ? 1 : 0));
  return {
    label: 's',
    files: ['f'],
    n,
    x,
    context,
    weight: weight ? Float64Array.from({ length: n }, (_, i) => weight(i)) : undefined,
  };
}

test('the reference configs still load without samples; the files configs load with them', () => {
  assert.is(loadConfig(join(REPO, 'configs/base_flows.yaml'), 'base').samples, undefined);
  assert.is(loadConfig(join(REPO, 'configs/systematics.yaml'), 'systematics').samples, undefined);
  const base = loadConfig(join(REPO, 'configs/files/base_flows.yaml'), 'base');
  assert.is(base.samples!.kin.holdout, 0.1);
  assert.equal(base.samples!.score.columns, {
    features: ['x1', 'x2'],
    scores: ['y1', 'y2'],
    class: 'label',
    weight: undefined,
    tree: undefined,
  });
  assert.is(base.samples!.kin.nominal!.files[0].path, join(REPO, 'data/files/nominal.parquet'));
  const sys = loadConfig(join(REPO, 'configs/files/systematics.yaml'), 'systematics');
  assert.equal(
    sys.samples!.kin.templates.map((t) => t.nu),
    [
      [1, 0],
      [-1, 0],
      [0, 1],
      [0, -1],
    ],
  );
});

test('samples: per-sector overrides, one file per class, and clear errors', () => {
  const doc = yaml.load(readFileSync(join(REPO, 'configs/files/systematics.yaml'), 'utf8')) as Record<string, unknown>;
  const parse = (samples: unknown) =>
    parseConfig({ ...doc, samples }, 'systematics', { file: 'sys.yaml', baseDir: '/d' });
  const cfg = parse({
    columns: { class: null, weight: 'w', tree: 'events' },
    nominal: [
      { files: 'a.root', class: 'A' },
      { files: ['b1.root', 'b2.root'], class: 1 },
    ],
    templates: [{ files: 't.npz', nu: [1, 0], class: 0 }],
    score: { holdout: 0.2, columns: { scores: ['s1', 's2'] } },
  }).samples!;
  assert.equal(cfg.kin.nominal!.files, [
    { path: '/d/a.root', class: 0 },
    { path: '/d/b1.root', class: 1 },
    { path: '/d/b2.root', class: 1 },
  ]);
  assert.is(cfg.kin.columns.class, undefined);
  assert.is(cfg.kin.holdout, 0.1);
  assert.is(cfg.score.holdout, 0.2);
  assert.equal(cfg.score.columns.scores, ['s1', 's2']);
  assert.is(cfg.score.columns.weight, 'w');
  assert.throws(() => parse({ templates: [{ files: 't.npz' }] }), /samples\.templates\[0\]\.nu.*missing required key/);
  assert.throws(
    () => parse({ nominal: 'n.npz', columns: { class: null } }),
    /class: null needs every file to name its class/,
  );
  assert.throws(() => parse({ nominal: 'n.npz', holdot: 0.1 }), /unknown key; did you mean "holdout"/);
  assert.throws(() => parse({ nominal: 'n.npz', holdout: 1.5 }), /samples\.holdout/);
  // ν with the wrong number of values is said when the config loads, before any file is read.
  assert.throws(
    () =>
      parse({
        templates: [
          { files: 't.npz', nu: [1, 0] },
          { files: 'u.npz', nu: [1] },
        ],
      }),
    /samples\.templates\[1\].*the kin template ν = \[1\] has 1 values; residual_kin_model\.num_nuisances = 2/,
  );
  assert.throws(() => parse({ nominal: 'n.npz', nuisances: ['jes', 'jes'] }), /"jes" is named twice/);
  assert.throws(() => parse({ nominal: 'n.npz', nuisances: ['1x'] }), /a name of letters, digits and _/);
});

test('held-out split and epoch shuffle: disjoint, seeded, every training event once per pass', () => {
  const a = splitHoldout(100, 0.1, Rng.fromSeed(1));
  assert.is(a.holdout.length, 10);
  assert.is(a.train.length, 90);
  assert.equal(new Set([...a.train, ...a.holdout]).size, 100);
  assert.equal(splitHoldout(100, 0.1, Rng.fromSeed(1)), a);
  assert.not.equal(Array.from(splitHoldout(100, 0.1, Rng.fromSeed(2)).holdout), Array.from(a.holdout));

  const s = sample(100);
  const batches = new FileBatches([s], 0.1, Rng.fromSeed(1));
  const rng = Rng.fromSeed(5);
  const seen: number[] = [];
  for (let k = 0; k < 3; k++) {
    const b = batches.draw(rng, 30);
    for (let r = 0; r < b.n; r++) seen.push(b.x[2 * r] / 2);
  }
  assert.equal(
    [...seen].sort((p, q) => p - q),
    Array.from(a.train),
  ); // one full pass, shuffled
  assert.not.equal(seen, Array.from(a.train));
  const held = batches.validation(4).flatMap((b) => Array.from({ length: b.n }, (_, r) => b.x[2 * r] / 2));
  assert.equal(held, Array.from(a.holdout));
});

test('weights: a batch carries w/w̄ (negative ones kept); held-out weights sum to 1 over all templates', () => {
  const w = (i: number) => (i % 10 === 3 ? -0.5 : 2);
  const s = sample(200, w);
  const batches = new FileBatches([s, { ...sample(50), nu: [1] }], 0.2, Rng.fromSeed(1));
  const b = batches.draw(Rng.fromSeed(2), 20);
  const train = splitHoldout(200, 0.2, Rng.fromSeed(1)).train;
  const mean = Array.from(train).reduce((acc, i) => acc + w(i), 0) / train.length;
  for (let r = 0; r < 10; r++) {
    const i = b.x[2 * r] / 2;
    assert.ok(Math.abs(b.w![r] - Math.fround(w(i) / mean)) < 1e-6);
  }
  for (let r = 10; r < 20; r++) assert.is(b.w![r], 1);
  const total = batches.validation(16).reduce((acc, v) => acc + v.w!.reduce((p, q) => p + q, 0), 0);
  assert.ok(Math.abs(total - 1) < 1e-5, `Σw = ${total}`);
  const summary = batches.summary();
  assert.ok(summary[0].train.negative_weights > 0);
  assert.ok(summary[0].train.effective_events < summary[0].train.events);
});

test('weights: the loss does not depend on their overall scale; tiny positive weights are accepted', () => {
  const w = (i: number) => (i % 10 === 3 ? -0.5 : 2 + Math.sin(i));
  const draw = (scale: number) => {
    const batches = new FileBatches([sample(200, (i) => scale * w(i))], 0.2, Rng.fromSeed(1));
    return { batch: batches.draw(Rng.fromSeed(2), 64), held: batches.validation(64), summary: batches.summary()[0] };
  };
  const one = draw(1);
  for (const scale of [1e-10, 7e-9, 1e12]) {
    const other = draw(scale);
    for (let r = 0; r < 64; r++)
      assert.ok(Math.abs(other.batch.w![r] - one.batch.w![r]) <= 1e-6 * Math.abs(one.batch.w![r]));
    const a = one.held.flatMap((b) => Array.from(b.w!));
    const b = other.held.flatMap((b) => Array.from(b.w!));
    for (let i = 0; i < a.length; i++)
      assert.ok(Math.abs(a[i] - b[i]) <= 1e-6 * Math.abs(a[i]), `${scale}: ${a[i]} vs ${b[i]}`);
    // The card rounds for display only, to significant digits: Σw of 1e-10 weights is not 0.
    assert.ok(Math.abs(other.summary.train.sum_w / (scale * one.summary.train.sum_w) - 1) < 1e-6, `${scale}`);
  }
});

/** Two epochs of three 16-event steps: the plan the one-parameter jobs train on. */
const smallPlan = (
  label: string,
  valBatches: number,
  more: Partial<{ epochs: number; stepsPerEpoch: number; lr: number }> = {},
) => ({ label, epochs: 2, stepsPerEpoch: 3, batchSize: 16, lr: 0.01, weightDecay: 0, seed: 1, valBatches, ...more });

/**
 * A one-parameter job on file batches, log p = −Σ (scale·x − b)²: small enough to train in a test,
 * with the trainer's file paths (batches, validation, the sampler's state) all in use.
 */
function quadraticJob(
  params: ParamSet,
  modelPath: string,
  batches: FileBatches,
  validation: TrainJob['validation'],
  scale = 1,
): TrainJob {
  const b = () => params.get('b');
  return {
    device: params.device,
    params,
    modelPath,
    architecture: { kind: 'test' },
    drawBatch: (rng, n) => batches.draw(rng, n),
    logProb: (tape, x) => op.neg(op.sumCols(op.square(op.sub(scale === 1 ? x : op.mul(x, scale), tape.param(b()))))),
    stateDict: () => new Map([['b', { dtype: 'f32', shape: [1], data: Float32Array.from(b().value.data) }]]),
    validation,
    data: batches,
  };
}

test('holdout: 0 means no validation: no NaN val loss recorded, no best epoch, the last epoch kept', async () => {
  const dev = await createDevice({ backend: 'wasm', threads: 1 } as Parameters<typeof createDevice>[0]);
  const params = new ParamSet(dev, [{ name: 'b', shape: [1] }]);
  const batches = new FileBatches([sample(60)], 0, Rng.fromSeed(1));
  const job = quadraticJob(params, join(dir, 'nohold.safetensors'), batches, batches.validation(16), 0.01);
  assert.equal(job.validation, []);
  const epochs: (number | undefined)[] = [];
  const plan = smallPlan('h', 10);
  const result = await train(job, plan, { events: { epoch: (e) => epochs.push(e.valLoss) } });
  assert.equal(epochs, [undefined, undefined]);
  assert.ok(result.state.history.every((h) => h.valLoss === undefined));
  assert.is(result.bestEpoch, undefined);
  const card = join(dir, 'nohold.card.json');
  writeModelCard(job.modelPath, {
    title: 't',
    config: join(dir, 'c.yaml'),
    section: 's',
    plan,
    result,
    backend: 'wasm',
    architecture: {},
    data: { samples: [] },
  });
  const written = JSON.parse(readFileSync(card, 'utf8'));
  assert.is(written.best_epoch, null);
  assert.is(written.best_val_loss, null);
  assert.ok(written.history.every((h: object) => !('val_loss' in h)));
  assert.not.match(readFileSync(join(dir, 'nohold.card.md'), 'utf8'), /model file holds|NaN/);
});

test('file training interrupted anywhere and resumed ends as the uninterrupted run: losses, best, model', async () => {
  // 36 training events in batches of 16: passes end mid-batch and mid-epoch. Held-out events at
  // x = 0 while training pulls b towards the training events' mean: the held-out NLL rises, so
  // the best epoch is the first and must survive the resume.
  const dev = await createDevice({ backend: 'wasm', threads: 1 } as Parameters<typeof createDevice>[0]);
  const s = sample(40);
  for (let i = 0; i < s.x.length; i++) s.x[i] = 1 + (s.x[i] % 7) / 7;
  const run = async (name: string, stops: number[]) => {
    const path = join(dir, name);
    let result;
    for (const [k, stopAtStep] of [...stops, undefined].entries()) {
      const params = new ParamSet(dev, [{ name: 'b', shape: [1] }]);
      const batches = new FileBatches([s], 0.1, Rng.fromSeed(1));
      const held = {
        n: 4,
        x: new Float32Array(8),
        context: new Float32Array(8).fill(1),
        w: new Float32Array(4).fill(0.25),
      };
      const job = quadraticJob(params, path, batches, [held]);
      const plan = smallPlan('r', 0, { epochs: 4, stepsPerEpoch: 5, lr: 0.05 });
      result = await train(job, plan, { resume: k > 0, stopAtStep });
    }
    return { result: result!, file: readSafetensors(path) };
  };
  const full = await run('full.safetensors', []);
  assert.is(full.result.bestEpoch, 0);
  for (const stops of [[3], [7, 12], [5, 10, 15]]) {
    const resumed = await run(`stop-${stops.join('-')}.safetensors`, stops);
    assert.equal(
      resumed.result.state.history.map((h) => [h.loss, h.valLoss]),
      full.result.state.history.map((h) => [h.loss, h.valLoss]),
      `stopped at ${stops}`,
    );
    assert.is(resumed.result.bestEpoch, 0);
    assert.equal(resumed.file.dict.get('b')!.data, full.file.dict.get('b')!.data, `stopped at ${stops}`);
    assert.is(JSON.parse(resumed.file.metadata.training).best_epoch, 0);
  }
});

test('--resume on other events (another file, fewer events, same count but other values) is refused', async () => {
  const dev = await createDevice({ backend: 'wasm', threads: 1 } as Parameters<typeof createDevice>[0]);
  const path = join(dir, 'inputs.safetensors');
  const plan = smallPlan('r', 0, { epochs: 4, stepsPerEpoch: 5, lr: 0.05 });
  const attempt = async (s: EventSample, resume: boolean, stopAtStep?: number) => {
    const params = new ParamSet(dev, [{ name: 'b', shape: [1] }]);
    const batches = new FileBatches([s], 0.1, Rng.fromSeed(1));
    return train(quadraticJob(params, path, batches, batches.validation(64)), plan, { resume, stopAtStep });
  };
  const started = { ...sample(40), files: ['nominal.root'], fileRows: [40] };
  await attempt(started, false, 3);
  const stateBefore = readFileSync(join(dir, 'inputs.train.safetensors'));
  const refused = async (s: EventSample, pattern: RegExp) => {
    try {
      await attempt(s, true);
    } catch (err) {
      const message = (err as Error).message;
      assert.ok(message.startsWith(`--resume: ${path}: the training events differ from those the run was`), message);
      assert.match(message, pattern);
      assert.match(message, /start a new run without --resume$/);
      return;
    }
    assert.unreachable('the resume must be refused');
  };
  await refused(
    { ...sample(30), files: ['other.root'], fileRows: [30] },
    /nominal\.root \(40 events\), now from other\.root \(30 events\)/,
  );
  const changed = { ...sample(40), files: ['nominal.root'], fileRows: [40] };
  changed.x[17] += 1;
  await refused(changed, /same number of events as before but other values \(CRC-32 /);
  const weighted = { ...sample(40, () => 1), files: ['nominal.root'], fileRows: [40], weightColumn: 'w' };
  await refused(weighted, /the weight column was \(none\), now w/);
  // Refused before anything is written: the saved state is as it was, and the same events resume.
  assert.equal(readFileSync(join(dir, 'inputs.train.safetensors')), stateBefore);
  const result = await attempt(started, true);
  assert.is(result.state.step, 20);
});

test('a class with no events is refused, naming file and class column; the card counts events per class', async () => {
  const columns = { features: ['x1', 'x2'] as [string, string], scores: ['y1', 'y2'] as [string, string] };
  const csv = (name: string, label: (i: number) => number, w: (i: number) => number) => {
    const lines = Array.from({ length: 40 }, (_, i) => [Math.sin(i), Math.cos(i), i, 1 + i, label(i), w(i)].join(','));
    const path = join(dir, name);
    writeFileSync(path, 'x1,x2,y1,y2,label,w\n' + lines.join('\n') + '\n');
    return path;
  };
  const allA = csv(
    'allA.csv',
    () => 0,
    () => 1,
  );
  await loadSample('kin', { files: [{ path: allA }] }, { ...columns, class: 'label' }, 'nominal').then(
    () => assert.unreachable('a sample without class B must be refused'),
    (err: Error) =>
      assert.is(
        err.message,
        `nominal: no events of class B (1): class column 'label' of ${allA} holds only 0s; the flow is ` +
          'conditioned on the class and needs events of both (40 of class A)',
      ),
  );
  // One file per class, both named class B: class A is missing.
  await loadSample('score', { files: [{ path: allA, class: 1 }] }, columns, 'template ν = (1)').then(
    () => assert.unreachable('must be refused'),
    (err: Error) =>
      assert.match(err.message, /^template ν = \(1\): no events of class A \(0\): its files \(.*allA\.csv: 1\)/),
  );
  const mixed = csv(
    'mixed.csv',
    (i) => (i % 4 === 0 ? 1 : 0),
    () => 1,
  );
  const s = await loadSample('kin', { files: [{ path: mixed }] }, { ...columns, class: 'label' }, 'nominal');
  assert.equal(new FileBatches([s], 0.25, Rng.fromSeed(1)).summary()[0].class_events, { A: 30, B: 10 });
});

test("weights that sum to 0 are refused naming the weight column and the files, as fnf fit's are", async () => {
  const columns = { features: ['x1', 'x2'] as [string, string], scores: ['y1', 'y2'] as [string, string] };
  const lines = Array.from({ length: 40 }, (_, i) => [Math.sin(i), Math.cos(i), i, 1 + i, i % 2, i % 2 ? 1 : -1]);
  const path = join(dir, 'zerow.csv');
  writeFileSync(path, 'x1,x2,y1,y2,label,w\n' + lines.map((l) => l.join(',')).join('\n') + '\n');
  const s = await loadSample('kin', { files: [{ path }] }, { ...columns, class: 'label', weight: 'w' }, 'nominal');
  assert.throws(
    () => new FileBatches([s], 0, Rng.fromSeed(1)),
    (err: Error) =>
      err.message === `nominal: the training events' weights (column 'w' of ${path}) sum to 0; Σw must be positive`,
  );
});

test('a placeholder (1e30, −999) in any column a flow reads is refused when read: column, file, row', async () => {
  const rows = Array.from({ length: 500 }, (_, i) => [
    Math.sin(i),
    Math.cos(i),
    Math.sin(3 * i),
    -Math.log(1 - ((i * 0.618) % 1)),
    i % 2,
  ]);
  const write = (name: string, edit: (r: number[][]) => void) => {
    const copy = rows.map((r) => [...r]);
    edit(copy);
    writeFileSync(join(dir, name), 'x1,x2,y1,y2,label\n' + copy.map((r) => r.join(',')).join('\n') + '\n');
    return join(dir, name);
  };
  const columns = {
    features: ['x1', 'x2'] as [string, string],
    scores: ['y1', 'y2'] as [string, string],
    class: 'label',
  };
  const load = (sector: 'kin' | 'score', path: string) => loadSample(sector, { files: [{ path }] }, columns, 'nominal');
  // y2 is exponential (a long tail): real values, accepted.
  await load(
    'score',
    write('clean.csv', () => {}),
  );
  const context = write('ctx.csv', (r) => {
    r[10][0] = 1e30;
    r[20][0] = -999;
  });
  await load('score', context).then(
    () => assert.unreachable('the score flow reads x1 as context'),
    (e: Error) => {
      assert.is(e.name, 'SampleError');
      assert.match(
        e.message,
        new RegExp(
          "^nominal: column 'x1' holds 2 values far outside the bulk of its values \\(median .*" +
            '\\S*ctx\\.csv row 10 \\(0-based\\): x1 = 1e\\+30; \\S*ctx\\.csv row 20 \\(0-based\\): x1 = -999; ' +
            '.*fix or drop such events \\(real values\\? samples: placeholders: keep\\)$',
        ),
      );
    },
  );
  await load('kin', context).then(
    () => assert.unreachable('the kin flow models x1'),
    (e: Error) => assert.match(e.message, /column 'x1' holds 2 values/),
  );
  const modelled = write('y.csv', (r) => (r[7][2] = -999));
  await load('kin', modelled); // the kin flow does not read y
  await load('score', modelled).then(
    () => assert.unreachable('the score flow models y1'),
    (e: Error) => assert.match(e.message, /column 'y1' holds a value .* row 7 \(0-based\): y1 = -999;/),
  );
  // far out but measured (a power-law tail's 4 TeV over a bulk of 1): kept; one constant written twice: refused
  await load(
    'kin',
    write('tail.csv', (r) => ((r[3][0] = 4123.7), (r[4][1] = -2871.25))),
  );
  await load(
    'kin',
    write('repeated.csv', (r) => ((r[5][1] = -1234), (r[6][1] = -1234))),
  ).then(
    () => assert.unreachable('a repeated far constant is a placeholder'),
    (e: Error) => assert.match(e.message, /column 'x2' holds 2 values .* row 5 \(0-based\): x2 = -1234; /),
  );
  // real values after all (a saturated readout): `samples: placeholders: keep` reads them as they are
  const kept = await loadSample('kin', { files: [{ path: join(dir, 'repeated.csv') }] }, columns, 'nominal', 'keep');
  assert.is(kept.x[2 * 5 + 1], -1234);
});

test('a class column with a value other than 0 or 1 is one clear error', async () => {
  const path = join(dir, 'bad-class.csv');
  writeFileSync(path, 'x1,x2,label\n0,0,0\n1,1,2\n');
  await loadSample(
    'kin',
    { files: [{ path }] },
    { features: ['x1', 'x2'], scores: ['y1', 'y2'], class: 'label' },
    'n',
  ).then(
    () => assert.unreachable('must throw'),
    (e: Error) =>
      assert.match(
        e.message,
        /class column 'label' holds 2 at row 1 \(0-based\); expected 0 \(class A\) or 1 \(class B\)/,
      ),
  );
});

test('the model file keeps the epoch with the lowest held-out NLL, not the last', async () => {
  // log p = −Σ (x − b)²: training events at x = 3 pull b up from 0, held-out events at x = 0
  // then see a growing NLL 2b², so the best epoch is the first and the model file must hold it.
  const dev = await createDevice({ backend: 'wasm', threads: 1 } as Parameters<typeof createDevice>[0]);
  const params = new ParamSet(dev, [{ name: 'b', shape: [1] }]);
  const batch = (value: number, n: number): Batch => ({
    n,
    x: new Float32Array(2 * n).fill(value),
    context: new Float32Array(2 * n),
    w: new Float32Array(n).fill(1),
  });
  const path = join(dir, 'best.safetensors');
  const job: TrainJob = {
    device: dev,
    params,
    modelPath: path,
    architecture: { kind: 'test' },
    drawBatch: (_rng, n) => batch(3, n),
    logProb: (_tape, x) => op.neg(op.sumCols(op.square(op.sub(x, _tape.param(params.get('b')))))),
    stateDict: () =>
      new Map([['b', { dtype: 'f32', shape: [1], data: Float32Array.from(params.get('b').value.data) }]]),
    validation: [batch(0, 8), batch(0, 3)],
  };
  const plan = smallPlan('best', 0, { epochs: 3, stepsPerEpoch: 5, lr: 0.05 });
  const result = await train(job, plan);
  const val = result.state.history.map((h) => h.valLoss!);
  assert.ok(val[0] < val[1] && val[1] < val[2], `held-out NLL rises: ${val}`);
  assert.is(result.bestEpoch, 0);
  const saved = (readSafetensors(path).dict.get('b')!.data as Float32Array)[0];
  assert.ok(
    Math.abs(2 * saved * saved - val[0]) < 1e-5,
    `model file b = ${saved}, NLL ${2 * saved * saved} vs ${val[0]}`,
  );
  assert.ok(params.get('b').value.data[0] === saved);
});

test('an event outside the model’s support stops training with its file and row, in training or held out', async () => {
  // log p = −Σ (x − b)² is −∞ in float32 for x = 1e30; the sample is two files of 50 events each.
  const dev = await createDevice({ backend: 'wasm', threads: 1 } as Parameters<typeof createDevice>[0]);
  const params = new ParamSet(dev, [{ name: 'b', shape: [1] }]);
  const plan = smallPlan('bad', 0);
  const withBad = (event: number): EventSample => {
    const s = { ...sample(100), files: ['a.csv', 'b.csv'], fileRows: [50, 50] };
    s.x[2 * event + 1] = 1e30;
    return s;
  };
  const jobOn = (s: EventSample, path: string): TrainJob => {
    const batches = new FileBatches([s], 0.1, Rng.fromSeed(1));
    return { ...quadraticJob(params, path, batches, batches.validation(32)), data: undefined };
  };
  const split = splitHoldout(100, 0.1, Rng.fromSeed(1));
  const trained = Array.from(split.train).find((i) => i > 50)!; // in b.csv: row trained − 50
  const path = join(dir, 'sub', 'bad.safetensors'); // the folder does not exist yet: training makes it
  await train(jobOn(withBad(trained), path), { ...plan, epochs: 20 }).then(
    () => assert.unreachable('must stop'),
    (e: Error) => {
      assert.is(e.name, 'TrainingDiverged');
      assert.match(
        e.message,
        new RegExp(
          `^bad: loss became -?Infinity at step \\d+: log p is −Infinity for 1 event of the batch: ` +
            `b\\.csv row ${trained - 50} \\(0-based\\): ` +
            `x = \\(${trained * 2}, 1e\\+30\\), context = \\(1, 0\\); stopped`,
        ),
      );
    },
  );
  const held = split.holdout[0]; // never trained on: the first epoch's held-out NLL finds it
  await train(jobOn(withBad(held), path), plan).then(
    () => assert.unreachable('must stop'),
    (e: Error) => {
      assert.is(e.name, 'TrainingDiverged');
      const where = held < 50 ? `a\\.csv row ${held}` : `b\\.csv row ${held - 50}`;
      assert.match(
        e.message,
        new RegExp(
          '^bad: held-out NLL is Infinity after epoch 1: ' +
            `log p is −Infinity for 1 event of the held-out events: ${where} \\(0-based\\)`,
        ),
      );
      assert.match(e.message, /fix or drop such events; stopped, no checkpoint was written by this run$/);
    },
  );
  assert.ok(existsSync(join(dir, 'sub')), 'the model folder was made before the first step');
  assert.not.ok(existsSync(path), 'nothing saved: the first epoch never ended');
});

/** Small flows and a short schedule, on files of a few thousand events. */
function writeConfigs(weighted: boolean): { base: string; sys: string } {
  const tiny = (context: number) => ({ features: 2, context, bins: 4, transforms: 1, hidden_features: [16, 16] });
  const schedule = { batch_size: 128, nepochs: 3, steps_per_epoch: 4, lr: 3e-3 };
  const dsCfg = join(dir, 'dataset.yaml');
  writeFileSync(dsCfg, readFileSync(join(REPO, 'configs/files/dataset.yaml'), 'utf8'));
  const files = {
    nominal: join(dir, 'nominal.npz'),
    up: join(dir, 'up.csv'),
    down: join(dir, 'down.parquet'),
  };
  const base = yaml.load(readFileSync(join(REPO, 'configs/files/base_flows.yaml'), 'utf8')) as YamlDoc;
  base.paths = { score_model: join(dir, 'score.safetensors'), kin_model: join(dir, 'kin.safetensors') };
  base.kin_flow = tiny(2);
  base.score_flow = tiny(4);
  base.training = { kin: schedule, score: schedule };
  base.samples = { nominal: files.nominal, columns: weighted ? { weight: 'weight' } : {} };
  const sys = yaml.load(readFileSync(join(REPO, 'configs/files/systematics.yaml'), 'utf8')) as YamlDoc;
  sys.paths = {
    kin_base_model: base.paths.kin_model,
    score_base_model: base.paths.score_model,
    kin_residual_model: join(dir, 'kin_res.safetensors'),
    score_residual_model: join(dir, 'score_res.safetensors'),
  };
  sys.kin_flow = tiny(2);
  sys.score_flow = tiny(4);
  sys.residual_kin_model = { ...sys.residual_kin_model, hidden_features: [16], num_nuisances: 1 };
  sys.residual_score_model = { ...sys.residual_score_model, hidden_features: [16], num_nuisances: 1 };
  sys.kin_systematics = [{ generator: 'generator_shift_up', m: [1] }];
  sys.score_systematics = [{ generator: 'generator_shift_up', m: [1] }];
  sys.training = { kin: schedule, score: schedule };
  sys.samples = {
    templates: [
      { files: files.up, nu: [1] },
      { files: files.down, nu: [-1] },
    ],
  };
  const paths = { base: join(dir, 'base.yaml'), sys: join(dir, 'sys.yaml') };
  writeFileSync(paths.base, yaml.dump(base));
  writeFileSync(paths.sys, yaml.dump(sys));
  return paths;
}

test('train-base, train-systematics on files: validation NLL per epoch, best epoch kept, card weights', async () => {
  const dsCfg = join(dir, 'dataset.yaml');
  writeFileSync(dsCfg, readFileSync(join(REPO, 'configs/files/dataset.yaml'), 'utf8'));
  const gen = { ...globals, cfg: dsCfg, nEvents: 3000 };
  await generate({ ...gen, seed: 1, format: 'npz', out: join(dir, 'nominal-plain.npz') } as never);
  await generate({ ...gen, seed: 2, format: 'csv', out: join(dir, 'up.csv'), nu: [1, 0], nEvents: 1500 } as never);
  await generate({
    ...gen,
    seed: 3,
    format: 'parquet',
    out: join(dir, 'down.parquet'),
    nu: [-1, 0],
    nEvents: 1500,
  } as never);
  // The nominal sample with a weight column, 2 % of the weights negative (as NLO Monte Carlo has).
  const { readColumns } = await import('../src/io/columns/index.js');
  const plain = await readColumns(join(dir, 'nominal-plain.npz'), {
    x1: 'float32',
    x2: 'float32',
    y1: 'float32',
    y2: 'float32',
    label: 'int32',
  });
  const weight = Float64Array.from({ length: plain.rows }, (_, i) => (i % 50 === 0 ? -1 : 1 + 0.1 * Math.sin(i)));
  writeColumns(join(dir, 'nominal.npz'), 'npz', [
    ...Object.entries(plain.columns).map(([name, values]) => ({ name, values })),
    { name: 'weight', values: weight },
  ]);

  const { base, sys } = writeConfigs(true);
  const opts = {
    ...globals,
    resume: false,
    epochs: undefined,
    stepsPerEpoch: undefined,
    lr: undefined,
    initFrom: undefined,
  };
  await trainBase({ ...opts, cfg: base, steps: ['train_kin', 'train_score'] } as never);
  for (const name of ['kin', 'score']) {
    const card = JSON.parse(readFileSync(join(dir, `${name}.card.json`), 'utf8'));
    assert.is(card.history.length, 3);
    for (const h of card.history) assert.ok(Number.isFinite(h.val_loss), `${name} epoch ${h.epoch} val_loss`);
    const best = Math.min(...card.history.map((h: { val_loss: number }) => h.val_loss));
    // Epochs counted from 1 in the card, as the progress lines count them.
    assert.equal(
      card.history.map((h: { epoch: number }) => h.epoch),
      [1, 2, 3],
    );
    assert.is(card.history[card.best_epoch - 1].val_loss, best);
    const s = card.training_data.samples[0];
    assert.is(s.train.events + s.holdout.events, 3000);
    assert.is(s.holdout.events, 300);
    assert.is(s.train.negative_weights + s.holdout.negative_weights, 60);
    assert.ok(s.train.effective_events < s.train.events);
    assert.match(
      readFileSync(join(dir, `${name}.card.md`), 'utf8'),
      new RegExp(`\\| model file holds \\| epoch ${card.best_epoch} \\(lowest held-out NLL, ${best.toFixed(5)}\\) \\|`),
    );
  }

  await trainSystematics({ ...opts, cfg: sys, steps: ['train_kin', 'train_score'] } as never);
  const card = JSON.parse(readFileSync(join(dir, 'kin_res.card.json'), 'utf8'));
  assert.equal(
    card.training_data.samples.map((s: { sample: string }) => s.sample),
    ['template ν = (1)', 'template ν = (-1)'],
  );
  for (const h of card.history) assert.ok(Number.isFinite(h.val_loss));
  assert.ok(existsSync(join(dir, 'kin_res.safetensors')));

  // Validation without truth: held-out NLL per sample, residuals next to their frozen base.
  const out = join(dir, 'held-out');
  await validateFiles({ ...globals, cfg: base, sysCfg: sys, outDir: out, classifierSteps: 30 } as never);
  const { rows } = JSON.parse(readFileSync(join(out, 'held-out.json'), 'utf8'));
  assert.equal(
    rows.map((r: { model: string; sample: string }) => `${r.model} ${r.sample}`),
    [
      'kin_base nominal',
      'kin_residual up.csv',
      'kin_residual down.parquet',
      'score_base nominal',
      'score_residual up.csv',
      'score_residual down.parquet',
    ],
  );
  assert.is(rows[0].events, 300);
  assert.is(rows[1].events, 150);
  assert.equal(rows[1].nu, [1]);
  for (const r of rows) {
    assert.ok(Number.isFinite(r.nll_model) && r.nll_model_se > 0, JSON.stringify(r));
    assert.ok(r.auc > 0 && r.auc < 1 && r.auc_se > 0, `classifier AUC ${r.auc} ± ${r.auc_se}`);
    assert.is(r.checks, 'held-out NLL, marginal χ²/ndf, classifier AUC');
    assert.is(r.marginal_chi2_ndf.length, 2);
    assert.is(r.marginal_ndf, 19);
  }
  for (const r of rows.filter((r: { model: string }) => r.model.endsWith('residual'))) {
    assert.ok(Math.abs(r.nll_base - r.gain - r.nll_model) < 1e-6, 'gain = base − model');
    assert.ok(r.gain_se > 0);
  }
  // The base flow's held-out NLL is the last epoch's validation loss of its card when that epoch was kept.
  const kinCard = JSON.parse(readFileSync(join(dir, 'kin.card.json'), 'utf8'));
  assert.ok(
    Math.abs(rows[0].nll_model - kinCard.best_val_loss) < 1e-4,
    `${rows[0].nll_model} vs ${kinCard.best_val_loss}`,
  );
  assert.match(readFileSync(join(out, 'held-out.md'), 'utf8'), /\| kin_residual \| up\.csv \| \(1\) \| 150 \|/);
  // One data-vs-model marginal figure per row, a PNG of the size the figure code asks for.
  assert.equal(
    rows.map((r: { marginal_figure: string }) => r.marginal_figure),
    [
      'marginals_kin_base_nominal.png',
      'marginals_kin_residual_up.png',
      'marginals_kin_residual_down.png',
      'marginals_score_base_nominal.png',
      'marginals_score_residual_up.png',
      'marginals_score_residual_down.png',
    ],
  );
  for (const r of rows) assert.equal(pngSize(readFileSync(join(out, r.marginal_figure))), MARGINAL_FIGURE_SIZE);
});

test('validate-files: templates whose files share a name get distinct sample labels and figure files', () => {
  // jes_up/events.root and jes_down/events.root both read 'events.root': one figure overwrote the other.
  assert.equal(templateLabels([['/d/jes_up/events.root'], ['/d/jes_down/events.root'], ['/d/other/up.csv']]), [
    'jes_up/events.root',
    'jes_down/events.root',
    'up.csv',
  ]);
  assert.equal(templateLabels([['/a/x/t.parquet'], ['/b/x/t.parquet']]), ['a/x/t.parquet', 'b/x/t.parquet']);
  assert.equal(
    templateLabels([
      ['/d/a.csv', '/e/b.csv'],
      ['/f/a.csv', '/e/b.csv'],
    ]),
    ['d/a.csv, e/b.csv', 'f/a.csv, e/b.csv'],
  );
  // The same file as two templates (other ν): the labels are alike, ν tells the rows and figures apart.
  const used = new Set<string>();
  const names = [
    { model: 'kin_residual', sample: 'up.csv', nu: [1] },
    { model: 'kin_residual', sample: 'up.parquet', nu: [-1] },
    { model: 'kin_residual', sample: 'up.parquet', nu: [-1] },
    { model: 'kin_residual', sample: 'jes_up/events.root', nu: [0.5] },
    { model: 'kin_residual', sample: 'jes_down/events.root', nu: [-0.5] },
  ].map((row) => {
    const name = marginalFigureName(row, used);
    used.add(name);
    return name;
  });
  assert.equal(names, [
    'marginals_kin_residual_up.png',
    'marginals_kin_residual_up_nu_-1.png',
    'marginals_kin_residual_up_2.png',
    'marginals_kin_residual_jes_up_events.png',
    'marginals_kin_residual_jes_down_events.png',
  ]);
});

test('fit and scan with residuals trained on files: their own nuisance name, flow and base, no truth', async () => {
  // The residual config as a user writes it: templates from files only (no generator templates),
  // one nuisance named jes. Trained on the up/down files above, then fitted to held-out-like data.
  const sysDoc = yaml.load(readFileSync(join(dir, 'sys.yaml'), 'utf8')) as YamlDoc;
  delete sysDoc.kin_systematics;
  delete sysDoc.score_systematics;
  sysDoc.samples.nuisances = ['jes'];
  sysDoc.paths.kin_residual_model = join(dir, 'jes', 'kin_res.safetensors');
  sysDoc.paths.score_residual_model = join(dir, 'jes', 'score_res.safetensors');
  const sys = join(dir, 'sys-jes.yaml');
  writeFileSync(sys, yaml.dump(sysDoc));
  const opts = { ...globals, resume: false, epochs: 2, stepsPerEpoch: 3, lr: undefined, initFrom: undefined };
  await trainSystematics({ ...opts, cfg: sys, steps: ['train_kin', 'train_score'] } as never);
  const { run: fit } = await import('../src/cli/commands/fit.js');
  const { run: scan } = await import('../src/cli/commands/scan.js');
  const common = { ...globals, cfg: join(dir, 'base.yaml'), sysCfg: sys, observables: 'xy', extended: false };
  const data = join(dir, 'up.csv');
  const r = await fit({ ...common, data, outDir: join(dir, 'fit-jes'), minos: true, figures: true } as never);
  assert.equal(Object.keys(r.fits), ['flow', 'base'], 'the default drops truth: these models have none');
  assert.equal(
    r.fits.flow.parameters.map((p) => p.name),
    ['mu', 'nu_jes'],
  );
  assert.ok(r.fits.flow.valid && r.fits.base.valid);
  assert.ok(existsSync(join(dir, 'fit-jes', 'fit_data_vs_model.png')));
  const sc = await scan({
    ...common,
    data,
    outDir: join(dir, 'scan-jes'),
    points: 5,
    points2d: 3,
    figures: false,
  } as never);
  assert.equal(
    sc.map((m) => m.model),
    ['flow', 'base'],
  );
  for (const m of sc) assert.ok(m.sigma_asimov > 0 && Number.isFinite(m.upper_limit_95), JSON.stringify(m));
  // What needs the exact generator is refused, with the reason and what to use instead.
  const refused = async (p: Promise<unknown>, re: RegExp) =>
    p.then(
      () => assert.unreachable('must be refused'),
      (e: Error) => assert.match(e.message, re),
    );
  await refused(
    fit({ ...common, data, model: ['truth'], outDir: join(dir, 'x'), minos: false, figures: false } as never),
    new RegExp(
      '--model truth needs the exact generator, which these models do not have ' +
        '\\(the models have 1 nuisance, the toy generator 2\\); fit with --model flow,base',
    ),
  );
  await refused(
    fit({ ...common, toy: 'mu=0.3,nu_jes=1,n=100', outDir: join(dir, 'x'), minos: false, figures: false } as never),
    /--toy draws from the exact generator; these models have none/,
  );
  // A toy study draws its pseudo-data from the flow model itself (self-consistency: bias and coverage).
  const { run: toys } = await import('../src/cli/commands/toys.js');
  const toyOpts = { ...common, nToys: 3, truth: 'mu=0.3,nu_jes=0.5', events: 300, jobs: 1, figures: true };
  const study = await toys({ ...toyOpts, outDir: join(dir, 'toys-jes') } as never);
  assert.is(study.meta.generator, 'flow');
  assert.equal(study.meta.models, ['flow', 'base']);
  assert.equal(study.meta.nuisance_names, ['jes']);
  assert.is(study.toys.length, 3);
  for (const t of study.toys) assert.ok('values' in t.fits.flow, JSON.stringify(t.fits.flow));
  assert.ok(study.summary && existsSync(join(dir, 'toys-jes', 'toys_pulls.png')));
  await refused(
    toys({ ...toyOpts, model: ['truth'], outDir: join(dir, 'x') } as never),
    /toys: --model truth needs the exact generator/,
  );
  // validate-files measures them on held-out events; validate and visualize need the generator, and say so.
  const held = join(dir, 'held-out-jes');
  await validateFiles({
    ...globals,
    cfg: join(dir, 'base.yaml'),
    sysCfg: sys,
    outDir: held,
    classifierSteps: 0,
  } as never);
  assert.ok(existsSync(join(held, 'held-out.json')));
  const { run: validate } = await import('../src/cli/commands/validate.js');
  await refused(
    validate({ ...globals, cfg: join(dir, 'base.yaml'), sysCfg: sys, n: 100, outDir: join(dir, 'x') } as never),
    /has no generator templates \(kin_systematics\): its templates come from files\. For models trained on files/,
  );
  // A names list of the wrong length is a config error naming the key.
  sysDoc.samples.nuisances = ['jes', 'jer'];
  writeFileSync(sys, yaml.dump(sysDoc));
  assert.throws(
    () => loadConfig(sys, 'systematics'),
    /samples\.nuisances.*expected 1 names \(residual_kin_model\.num_nuisances = 1\), found 2/,
  );
});

test('weighted held-out NLL: mean Σwv/Σw and its standard error, negative weights included', () => {
  const values = Float64Array.from([1, 2, 3, 4]);
  const batches = [
    { n: 3, x: new Float32Array(6), context: new Float32Array(6), w: Float32Array.from([1, 2, -1]) },
    { n: 1, x: new Float32Array(2), context: new Float32Array(2), w: Float32Array.from([2]) },
  ];
  const r = weightedNll(values, batches);
  const mean = (1 + 4 - 3 + 8) / 4;
  assert.is(r.nll, mean);
  const se = Math.sqrt((1 - mean) ** 2 + 4 * (2 - mean) ** 2 + (3 - mean) ** 2 + 4 * (4 - mean) ** 2) / 4;
  assert.ok(Math.abs(r.se - se) < 1e-12);
  assert.is(weightedNll(values, [{ n: 4, x: new Float32Array(8), context: new Float32Array(8) }]).nll, 2.5);
});

test.run();
