/** Training: an MLP regression reaches a known loss; resume is exact; NaN keeps the last checkpoint. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { writeModelCard } from '../src/cli/commands/train-common.js';
import { readSafetensors, writeSafetensors } from '../src/io/safetensors.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Act } from '../src/backend/kernels.js';
import { ParamSet } from '../src/autodiff/param.js';
import { Tape } from '../src/autodiff/tape.js';
import type { Condition } from '../src/flows/transform.js';
import * as op from '../src/ops/index.js';
import { AdamW } from '../src/train/adamw.js';
import { baseFlowJob, residualJob } from '../src/train/jobs.js';
import { train, TrainingDiverged, type TrainEvents, type TrainPlan } from '../src/train/trainer.js';
import { removeStaleTemporaries, saveModel, trainStatePath } from '../src/train/checkpoint.js';
import { CheckpointError } from '../src/io/state-dict.js';
import { nsfToStateDict, nsfArchitecture } from '../src/flows/nsf-state.js';
import { defaultGeneratorConfig, withNuisance } from '../src/toy/index.js';
import { Rng } from '../src/random/rng.js';
import { residualDefaults } from '../src/systematics/config.js';
import { allDevices } from './helpers/devices.js';
import { REPO } from './helpers/shared.js';
import { ConfigError } from '../src/config/error.js';
import { run as runTrainBase } from '../src/cli/commands/train-base.js';
import { run as runTrainSystematics } from '../src/cli/commands/train-systematics.js';

const devices = await allDevices();
const tiny = { features: 2, context: 2, bins: 4, transforms: 2, hiddenFeatures: [8, 8], slope: 1e-3, bound: 5 };
const plan = (epochs: number): TrainPlan => ({
  label: 't',
  epochs,
  stepsPerEpoch: 5,
  batchSize: 64,
  lr: 3e-3,
  weightDecay: 0.01,
  seed: 3,
  valBatches: 2,
});

for (const dev of devices) {
  test(`${dev.backend}: a two-layer MLP learns y = 2x₁ − x₂ + 0.5 to MSE < 2e-3`, () => {
    const ps = new ParamSet(dev, [
      { name: 'w1', shape: [32, 2] },
      { name: 'b1', shape: [32] },
      { name: 'w2', shape: [1, 32] },
      { name: 'b2', shape: [1] },
    ]);
    const rng = Rng.fromSeed(5);
    for (const p of ps.params)
      for (let i = 0; i < p.value.size; i++)
        p.value.data[i] = (rng.uniform() * 2 - 1) / Math.sqrt(p.shape[p.shape.length - 1]);
    const opt = new AdamW(ps, { weightDecay: 0 });
    let loss = Infinity;
    for (let step = 0; step < 600; step++) {
      const x = new Float32Array(128 * 2);
      for (let i = 0; i < x.length; i++) x[i] = rng.uniform() * 2 - 1;
      const y = new Float32Array(128).map((_, i) => 2 * x[2 * i] - x[2 * i + 1] + 0.5);
      ps.zeroGrad();
      const tape = new Tape(dev);
      const h = op.linear(tape.constant(dev.tensor(x, [128, 2])), tape.param(ps.get('w1')), tape.param(ps.get('b1')), {
        activation: Act.Tanh,
      });
      const out = op.linear(h, tape.param(ps.get('w2')), tape.param(ps.get('b2')));
      const mse = op.mean(op.square(op.sub(out, tape.constant(dev.tensor(y, [128, 1])))));
      loss = mse.value.data[0];
      tape.backward(mse);
      opt.step(step < 400 ? 1e-2 : 2e-3);
      dev.arena.reset();
    }
    assert.ok(loss < 2e-3, `final MSE ${loss}`);
    opt.free();
  });

  test(`${dev.backend}: interrupted + --resume gives exactly the uninterrupted run`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fnf-train-'));
    const gen = defaultGeneratorConfig();
    const a = baseFlowJob(dev, 'kin', tiny, gen, join(dir, 'a.safetensors'), 3, false);
    const full = await train(a.job, plan(4), {});
    const b = baseFlowJob(dev, 'kin', tiny, gen, join(dir, 'b.safetensors'), 3, false);
    const first = await train(b.job, plan(4), { stopAtStep: 7 }); // mid-epoch
    assert.ok(first.interrupted);
    const c = baseFlowJob(dev, 'kin', tiny, gen, join(dir, 'b.safetensors'), 3, true);
    const resumed = await train(c.job, plan(4), { resume: true });
    assert.equal(
      resumed.state.history.map((h) => [h.loss, h.valLoss]),
      full.state.history.map((h) => [h.loss, h.valLoss]),
    );
    assert.equal(Array.from(c.model.params.values.data), Array.from(a.model.params.values.data));
    await assert_rejects(
      () =>
        train(baseFlowJob(dev, 'kin', tiny, gen, join(dir, 'b.safetensors'), 3, true).job, plan(5), { resume: true }),
      /was trained with/,
    );
  });

  test(`${dev.backend}: an aborted signal saves and stops; the events report every step and epoch`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fnf-abort-'));
    const gen = defaultGeneratorConfig();
    const a = baseFlowJob(dev, 'kin', tiny, gen, join(dir, 'a.safetensors'), 3, false);
    const seen = { starts: [] as number[], steps: [] as number[], epochs: [] as number[] };
    const events: TrainEvents = {
      start: (r) => seen.starts.push(r.startStep, r.totalSteps),
      step: (_loss, step) => seen.steps.push(step),
      epoch: (e) => seen.epochs.push(e.epoch),
    };
    const full = await train(a.job, plan(3), { events });
    assert.equal(seen.starts, [0, 15]);
    assert.equal(
      seen.steps,
      Array.from({ length: 15 }, (_, i) => i + 1),
    );
    assert.equal(seen.epochs, [0, 1, 2]);

    // Abort from inside step 7 (mid-epoch 2), as Ctrl-C does from the CLI's SIGINT handler.
    const stop = new AbortController();
    const b = baseFlowJob(dev, 'kin', tiny, gen, join(dir, 'b.safetensors'), 3, false);
    const abortAt7 = { step: (_loss: number, step: number) => (step === 7 ? stop.abort() : undefined) };
    await assert_rejects(
      () => train(b.job, plan(3), { events: abortAt7, signal: stop.signal }),
      /interrupted at step 7/,
    );
    const messages: string[] = [];
    const c = baseFlowJob(dev, 'kin', tiny, gen, join(dir, 'b.safetensors'), 3, true);
    const resumed = await train(c.job, plan(3), { resume: true, events: { message: (m) => messages.push(m) } });
    assert.equal(messages, ['t: resuming at step 7 of 15']);
    assert.equal(
      resumed.state.history.map((h) => [h.loss, h.valLoss]),
      full.state.history.map((h) => [h.loss, h.valLoss]),
    );
    assert.equal(Array.from(c.model.params.values.data), Array.from(a.model.params.values.data));
  });

  test(`${dev.backend}: killed between the two writes (model, state a checkpoint apart): resumes exactly`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fnf-kill-'));
    const gen = defaultGeneratorConfig();
    const job = (name: string, resume: boolean) => baseFlowJob(dev, 'kin', tiny, gen, join(dir, name), 3, resume);
    const a = job('a.safetensors', false);
    const full = await train(a.job, plan(4), {});
    // Each case stops at step 5 (keeping that model file), then at step 7, then swaps in the
    // other step's model file: the state written but not the model, or (as the writers ran
    // before) the model written but not the state.
    for (const [name, stateAt, modelAt] of [
      ['behind.safetensors', 7, 5],
      ['ahead.safetensors', 5, 7],
    ] as const) {
      const path = join(dir, name);
      await train(job(name, false).job, plan(4), { stopAtStep: 5 });
      const files = { 5: [readFileSync(path), readFileSync(trainStatePath(path))] };
      await train(job(name, true).job, plan(4), { resume: true, stopAtStep: 7 });
      const at7 = [readFileSync(path), readFileSync(trainStatePath(path))];
      writeFileSync(path, modelAt === 5 ? files[5][0] : at7[0]);
      writeFileSync(trainStatePath(path), stateAt === 5 ? files[5][1] : at7[1]);
      const messages: string[] = [];
      const c = job(name, true);
      const resumed = await train(c.job, plan(4), { resume: true, events: { message: (m) => messages.push(m) } });
      assert.equal(messages, [`t: resuming at step ${stateAt} of 20`], name);
      assert.equal(
        resumed.state.history.map((h) => [h.loss, h.valLoss]),
        full.state.history.map((h) => [h.loss, h.valLoss]),
        name,
      );
      assert.equal(Array.from(c.model.params.values.data), Array.from(a.model.params.values.data), name);
      assert.equal(modelFile(path), modelFile(join(dir, 'a.safetensors')), `${name}: the same model file`);
    }
  });

  test(`${dev.backend}: a NaN loss stops training and keeps the last good checkpoint`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fnf-nan-'));
    const path = join(dir, 'm.safetensors');
    const { job, model } = baseFlowJob(dev, 'kin', tiny, defaultGeneratorConfig(), path, 3, false);
    saveModel(path, nsfToStateDict(model), nsfArchitecture(model.config));
    let calls = 0;
    const poisoned = {
      ...job,
      logProb: (tape: Tape, x: op_Var, cond: Condition<op_Var>) => {
        const lp = job.logProb(tape, x, cond);
        return ++calls > 7 ? op.mul(lp, NaN) : lp;
      },
    };
    await assert_rejects(() => train(poisoned, { ...plan(3), valBatches: 0 }, {}), /loss became NaN at step 7/);
    // Epoch 1 (steps 0–4) was saved; the failure at step 7 left that checkpoint as it was: it
    // loads, says step 5, and holds finite weights.
    const { dict, metadata } = readSafetensors(path);
    assert.is(JSON.parse(metadata.training).step, 5);
    const w = dict.get('transform.transforms.0.hyper.0.weight')!.data as Float32Array;
    assert.ok(w.every(Number.isFinite));
    assert.ok(new TrainingDiverged('x') instanceof Error);
  });

  test(`${dev.backend}: finite loss, NaN gradient at an epoch's end: no AdamW step, file = last epoch`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fnf-nangrad-'));
    const path = join(dir, 'm.safetensors');
    const { job, model } = baseFlowJob(dev, 'kin', tiny, defaultGeneratorConfig(), path, 3, false);
    let calls = 0;
    let epochOneBytes: Buffer | null = null;
    let weightsBefore: number[] = [];
    const poisoned = {
      ...job,
      logProb: (tape: Tape, x: op_Var, cond: Condition<op_Var>) => {
        const lp = job.logProb(tape, x, cond);
        if (++calls !== 10) return lp; // step 9: the last step of the second epoch (5 steps each)
        epochOneBytes = readFileSync(path); // what the first epoch saved
        weightsBefore = Array.from(model.params.values.data);
        return op.add(lp, op.sqrt(op.mul(lp, 0))); // value lp, gradient NaN
      },
    };
    await assert_rejects(
      () => train(poisoned, { ...plan(3), valBatches: 0 }, {}),
      /gradient is not finite \(transform.*NaN\) at step 9; stopped, .*keeps the checkpoint of step 5$/,
    );
    assert.ok(epochOneBytes, 'the poisoned step ran');
    assert.ok(Buffer.compare(readFileSync(path), epochOneBytes!) === 0, "the model file is the first epoch's bytes");
    assert.equal(Array.from(model.params.values.data), weightsBefore, 'AdamW did not commit the NaN step');
  });

  test(`${dev.backend}: a NaN in the first epoch says that nothing was saved`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fnf-nan0-'));
    const path = join(dir, 'm.safetensors');
    const { job } = baseFlowJob(dev, 'kin', tiny, defaultGeneratorConfig(), path, 3, false);
    const poisoned = {
      ...job,
      logProb: (tape: Tape, x: op_Var, cond: Condition<op_Var>) => op.mul(job.logProb(tape, x, cond), NaN),
    };
    await assert_rejects(
      () => train(poisoned, { ...plan(2), valBatches: 0 }, {}),
      /loss became NaN at step 0.*no checkpoint was written/,
    );
    assert.not.ok(existsSync(path));
  });

  test(`${dev.backend}: residual training leaves the frozen base untouched, with no optimizer state`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fnf-res-'));
    const gen = defaultGeneratorConfig();
    const base = baseFlowJob(dev, 'kin', tiny, gen, join(dir, 'base.safetensors'), 1, false);
    saveModel(join(dir, 'base.safetensors'), nsfToStateDict(base.model), nsfArchitecture(base.model.config));
    const templates = [
      [1, 0],
      [-1, 0],
    ].map((m, i) => ({ name: `t${i}`, m, generator: withNuisance(gen, [m[0], m[1]]) }));
    const rcfg = residualDefaults({ featuresDim: 2, contextDim: 2, numNuisances: 2, hiddenFeatures: [8] });
    const { job, model } = residualJob(
      dev,
      'kin',
      tiny,
      rcfg,
      templates,
      join(dir, 'base.safetensors'),
      join(dir, 'res.safetensors'),
      2,
      false,
    );
    const baseBefore = Array.from(model.base.params.values.data);
    const resBefore = Array.from(model.params.values.data);
    await train(job, { ...plan(2), valBatches: 0 }, {});
    assert.equal(Array.from(model.base.params.values.data), baseBefore);
    assert.not.equal(Array.from(model.params.values.data), resBefore);
    assert.ok(model.base.params.params.every((p) => p.frozen));
  });
}

type op_Var = Parameters<typeof op.exp>[0];

/** A model file's tensors and the step it says it holds (its history's wall times differ run to run). */
function modelFile(path: string): { step: number; tensors: [string, number[]][] } {
  const { dict, metadata } = readSafetensors(path);
  const tensors = [...dict].map(([k, t]) => [k, Array.from(t.data as Float32Array)] as [string, number[]]);
  return { step: JSON.parse(metadata.training).step, tensors };
}

async function assert_rejects(fn: () => Promise<unknown>, re: RegExp): Promise<void> {
  try {
    await fn();
  } catch (e) {
    assert.match(String((e as Error).message), re, `message: ${(e as Error).message}`);
    return;
  }
  assert.unreachable('expected a rejection');
}

const dev0 = devices[devices.length - 1];

test('--resume: never started → fresh; finished → nothing to do; another schedule or seed → refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fnf-resume-'));
  const gen = defaultGeneratorConfig();
  const job = (name: string, resume: boolean) => baseFlowJob(dev0, 'kin', tiny, gen, join(dir, name), 3, resume);
  const messages: string[] = [];
  const starts: number[] = [];
  const events: TrainEvents = { message: (m) => messages.push(m), start: (r) => starts.push(r.startStep) };
  const full = await train(job('a.safetensors', false).job, plan(2), {});
  // No training state: the model's training never started (Ctrl-C came in an earlier model).
  const fresh = await train(job('b.safetensors', true).job, plan(2), { resume: true, events });
  assert.match(messages[0], /^t: --resume: no training state at \S*b\.train\.safetensors: .*starts fresh$/);
  assert.equal(starts, [0]);
  assert.equal(
    fresh.state.history,
    full.state.history.map((h) => ({ ...h, seconds: fresh.state.history[h.epoch].seconds })),
  );
  assert.equal(modelFile(join(dir, 'b.safetensors')), modelFile(join(dir, 'a.safetensors')));

  // Finished: said so, nothing trained, no progress started; the files stay as they were.
  messages.length = 0;
  starts.length = 0;
  const before = readFileSync(join(dir, 'b.safetensors'));
  const done = await train(job('b.safetensors', true).job, plan(2), { resume: true, events });
  assert.equal(messages, ['t: already finished at epoch 2/2; nothing to do']);
  assert.equal(starts, []);
  assert.ok(done.alreadyFinished && !done.interrupted);
  assert.ok(readFileSync(join(dir, 'b.safetensors')).equals(before));
  // Killed between the last two writes (the model a checkpoint behind): the model is rewritten.
  await train(job('c.safetensors', false).job, plan(2), { stopAtStep: 5 });
  const behind = readFileSync(join(dir, 'c.safetensors'));
  await train(job('c.safetensors', true).job, plan(2), { resume: true });
  writeFileSync(join(dir, 'c.safetensors'), behind);
  messages.length = 0;
  await train(job('c.safetensors', true).job, plan(2), { resume: true, events });
  assert.match(messages[0], /rewrote \S*c\.safetensors from its training state/);
  assert.equal(modelFile(join(dir, 'c.safetensors')), modelFile(join(dir, 'b.safetensors')));

  // Another schedule or seed: refused as a checkpoint problem (one line from the CLI), naming both.
  for (const other of [plan(3), { ...plan(2), stepsPerEpoch: 7 }, { ...plan(2), lr: 0.5 }, { ...plan(2), seed: 4 }]) {
    await train(job('b.safetensors', true).job, other, { resume: true }).then(
      () => assert.unreachable('must refuse'),
      (e: Error) => {
        assert.ok(e instanceof CheckpointError, e.name);
        assert.match(
          e.message,
          /^--resume: \S*b\.safetensors was trained with \{.*\}, not \{.*\}; resume with the same/,
        );
      },
    );
  }
});

test('a new run (no --resume) over a saved one says what it replaces: unfinished (how far) or finished', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fnf-replace-'));
  const gen = defaultGeneratorConfig();
  const path = join(dir, 'm.safetensors');
  const job = () => baseFlowJob(dev0, 'kin', tiny, gen, path, 3, false).job;
  const messages: string[] = [];
  const events: TrainEvents = { message: (m) => messages.push(m) };
  await train(job(), plan(2), { events }); // nothing saved there yet: nothing to say
  assert.equal(messages, []);
  await train(job(), plan(4), { stopAtStep: 7 }); // as Ctrl-C leaves it
  await train(job(), plan(2), { events });
  assert.equal(messages, [
    `t: a new run (no --resume) into ${path} replaces the unfinished run saved there ` +
      '(step 7 of 20; --resume continues it) at its first save',
  ]);
  messages.length = 0;
  await train(job(), plan(2), { events });
  assert.equal(messages, [
    `t: a new run (no --resume) into ${path} replaces the finished run saved there at its first save`,
  ]);
});

test('train-base / train-systematics refuse a config whose two paths name one model, before writing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fnf-samepath-'));
  const base = join(dir, 'kin.safetensors');
  writeFileSync(base, 'a trained base'); // never read: the refusal comes first
  const sys = readFileSync(join(REPO, 'configs', 'systematics.yaml'), 'utf8')
    .replace(/kin_base_model: .*/, `kin_base_model: ${base}`)
    .replace(/kin_residual_model: .*/, `kin_residual_model: ${base}`);
  writeFileSync(join(dir, 'sys.yaml'), sys);
  const opts = { cfg: join(dir, 'sys.yaml'), steps: ['train_kin'], resume: false, backend: 'ts', threads: 1 };
  await runTrainSystematics(opts as never).then(
    () => assert.unreachable('must refuse'),
    (e: Error) => {
      assert.instance(e, ConfigError);
      assert.match(e.message, /sys\.yaml: paths\.kin_residual_model: \S+ is the same file as paths\.kin_base_model/);
    },
  );
  assert.is(readFileSync(base, 'utf8'), 'a trained base');
  assert.equal(readdirSync(dir).sort(), ['kin.safetensors', 'sys.yaml']);
  const baseCfg = readFileSync(join(REPO, 'configs', 'base_flows.yaml'), 'utf8')
    .replace(/score_model: .*/, `score_model: ${base}`)
    .replace(/kin_model: .*/, `kin_model: ${base}`);
  writeFileSync(join(dir, 'base.yaml'), baseCfg);
  await runTrainBase({ ...opts, cfg: join(dir, 'base.yaml') } as never).then(
    () => assert.unreachable('must refuse'),
    (e: Error) => assert.match(e.message, /base\.yaml: paths\.kin_model: \S+ is the same file as paths\.score_model/),
  );
  assert.is(readFileSync(base, 'utf8'), 'a trained base');
});

test('--resume from a training state without weights (older files) refuses a model at another step', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fnf-legacy-'));
  const gen = defaultGeneratorConfig();
  const path = join(dir, 'm.safetensors');
  const job = (resume: boolean) => baseFlowJob(dev0, 'kin', tiny, gen, path, 3, resume).job;
  await train(job(false), plan(4), { stopAtStep: 5 });
  // As the old writers left it: no 'params' in the state, the model written a checkpoint ahead.
  const { dict, metadata } = readSafetensors(trainStatePath(path));
  dict.delete('params');
  await train(job(true), plan(4), { resume: true, stopAtStep: 7 });
  writeSafetensors(trainStatePath(path), dict, metadata);
  await train(job(true), plan(4), { resume: true }).then(
    () => assert.unreachable('must refuse'),
    (e: Error) => {
      assert.ok(e instanceof CheckpointError);
      assert.match(
        e.message,
        /m\.safetensors holds step 7 but its training state \S+ is at step 5 \(the run was killed/,
      );
    },
  );
});

test("stale temporary files of killed writers are removed; live writers' and other names are kept", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fnf-tmp-'));
  const path = join(dir, 'm.safetensors');
  const dead = spawnSync(process.execPath, ['-e', '0']).pid!; // a process id that has exited
  const names = [
    `m.safetensors.tmp-${dead}-0123456789ab`,
    `m.train.safetensors.tmp-${dead}-ba9876543210`,
    `m.safetensors.tmp-${process.pid}-0123456789ab`, // a writer still running
    `m.safetensors.tmp-${dead}-notours`, // not the atomic writer's form
    `other.safetensors.tmp-${dead}-0123456789ab`, // another file's
  ];
  for (const n of names) writeFileSync(join(dir, n), 'x');
  const messages: string[] = [];
  const { job } = baseFlowJob(dev0, 'kin', tiny, defaultGeneratorConfig(), path, 3, false);
  await train(job, { ...plan(1), valBatches: 0 }, { events: { message: (m) => messages.push(m) } });
  assert.equal(
    readdirSync(dir)
      .filter((n) => n.includes('.tmp-'))
      .sort(),
    names.slice(2).sort(),
  );
  assert.match(messages[0], /^t: removed 2 temporary file\(s\) a killed run left: /);
  assert.equal(removeStaleTemporaries([join(dir, 'none', 'x.safetensors')]), []);
});

test('the checkpoint writers refuse a non-finite value, naming key and element, and leave the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fnf-nanw-'));
  const path = join(dir, 'm.safetensors');
  const good = new Map([['a.weight', { dtype: 'f32' as const, shape: [3], data: Float32Array.from([1, 2, 3]) }]]);
  saveModel(path, good, { kind: 'test' });
  const before = readFileSync(path);
  const bad = new Map([['a.weight', { dtype: 'f32' as const, shape: [3], data: Float32Array.from([1, NaN, 3]) }]]);
  assert.throws(() => saveModel(path, bad, { kind: 'test' }), /'a\.weight' element 1 is NaN/);
  assert.ok(Buffer.compare(readFileSync(path), before) === 0);
});

test('a fine-tuning stage (--init-from) records the stages of the checkpoint it started from, wherever written', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fnf-card-'));
  const plan = (lr: number): TrainPlan => ({
    label: 'x',
    epochs: 2,
    stepsPerEpoch: 10,
    batchSize: 8,
    lr,
    weightDecay: 0.01,
    seed: 1,
    valBatches: 0,
  });
  const result = (seconds: number) =>
    ({
      interrupted: false,
      state: {
        step: 20,
        rng: [],
        history: [{ epoch: 1, loss: 1.5, seconds }],
        partial: { sum: 0, count: 0 },
        seconds,
        seed: 1,
        plan: '',
      },
    }) as unknown as Parameters<typeof writeModelCard>[1]['result'];
  const info = { title: 'm', config: join(dir, 'c.yaml'), section: 's', backend: 'wasm', architecture: {} };
  writeModelCard(join(dir, 'a.safetensors'), { ...info, plan: plan(5e-4), result: result(10) });
  writeModelCard(join(dir, 'b.safetensors'), {
    ...info,
    plan: plan(2e-4),
    result: result(20),
    initFrom: join(dir, 'a.safetensors'),
  });
  writeModelCard(join(dir, 'c.safetensors'), {
    ...info,
    plan: plan(1e-4),
    result: result(30),
    initFrom: join(dir, 'b.safetensors'),
  });
  const c = JSON.parse(readFileSync(join(dir, 'c.card.json'), 'utf8'));
  assert.equal(
    c.earlier_stages.map((e: { schedule: { lr: number } }) => e.schedule.lr),
    [5e-4, 2e-4],
  );
  assert.is(c.total_wall_time_s, 60);
  assert.match(readFileSync(join(dir, 'c.card.md'), 'utf8'), /stage 3 \(fine-tuning from stage 2\)/);
});

test.run();
