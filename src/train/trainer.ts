/**
 * The training loop shared by every model: fresh toy batches each step, loss = −mean log p,
 * backward on the step's tape, one AdamW kernel over all trainable parameters, the warm-up +
 * cosine schedule, arena reset. Around it: per-epoch checkpoints (atomic), exact --resume, a
 * NaN/Inf guard on the loss and on the gradients (checked before AdamW commits a step, so the
 * file keeps the last checkpoint written), and a stop on request that saves first.
 *
 * The trainer owns no display and no process state: it reports through callbacks
 * (`TrainOptions.events`: start, each step, each epoch, messages) and stops when
 * `TrainOptions.signal` aborts. The command line turns those into its progress display and
 * Ctrl-C (src/cli/commands/train-common.ts).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Device } from '../backend/device.js';
import type { ParamSet } from '../autodiff/param.js';
import { Tape, type Var } from '../autodiff/tape.js';
import { mean, mul, neg, sum } from '../ops/index.js';
import type { StateDict } from '../io/state-dict.js';
import type { Condition } from '../flows/transform.js';
import { Rng } from '../random/rng.js';
import { AdamW } from './adamw.js';
import type { Batch } from './batches.js';
import {
  loadTrainingState,
  modelTrainingStep,
  removeStaleTemporaries,
  savedRunProgress,
  saveModel,
  saveTrainingState,
  trainStatePath,
  type SavedTraining,
  type TrainingState,
} from './checkpoint.js';
import { CheckpointError } from '../io/state-dict.js';
import { warmupCosineFactor } from './schedule.js';
import { badEvents, badEventsPhrase } from './bad-events.js';
import { batchVars } from './batch-vars.js';
import { SampleError } from './file-events.js';

export interface TrainPlan {
  label: string;
  epochs: number;
  stepsPerEpoch: number;
  batchSize: number;
  lr: number;
  weightDecay: number;
  seed: number;
  /** validation batches per epoch (0: none, as for residual models) */
  valBatches: number;
}

export interface TrainJob {
  device: Device;
  params: ParamSet;
  modelPath: string;
  architecture: object;
  drawBatch(rng: Rng, n: number): Batch;
  /** log p per row, on the given tape (the model's logProbVar) */
  logProb(tape: Tape, x: Var, cond: Condition<Var>): Var;
  stateDict(): StateDict;
  /**
   * Held-out batches (events read from files): when given, they replace the drawn validation
   * batches, the validation NLL is Σ w (−log p) / Σ w over all of them every epoch, and the model
   * file ends up holding the best epoch's weights (the training state keeps the last, for --resume).
   */
  validation?: Batch[];
  /**
   * Where the batch source stands beyond the RNG (events from files: each sampler's place in its
   * pass), saved with the training state so that --resume draws the batches an uninterrupted run would.
   */
  data?: { state(): unknown; restore(saved: unknown): void };
}

export interface TrainResult {
  state: TrainingState;
  interrupted: boolean;
  /** With held-out batches: the epoch (from 0) whose weights the model file holds (lowest validation NLL). */
  bestEpoch?: number;
  /** --resume of a run that had already finished: nothing was trained. */
  alreadyFinished?: boolean;
}

export class TrainingDiverged extends Error {
  override name = 'TrainingDiverged';
}

/** A step whose loss is finite but whose gradient is not; thrown before the optimizer commits it. */
export class NonFiniteGradient extends Error {
  override name = 'NonFiniteGradient';
}

/** The first non-finite gradient element, named, or null (one pass over the flat block when all is well). */
function nonFiniteGradient(params: ParamSet): string | null {
  // The sum of the block (a kernel the pool's threads share; a loop here was the longest serial
  // span of a two-thread step) is finite when every element is: float64 partial sums of float32
  // values cannot overflow. Rounded to float32 it can (|Σ| > 3.4e38), so a non-finite sum is only
  // a reason to look element by element.
  const dev = params.device;
  const total = dev.empty([1]);
  dev.kernels.sumAll(total, params.grads);
  if (Number.isFinite(total.data[0])) return null;
  // x·0 is 0 for finite x and NaN for NaN or ±Inf: one tight loop, no per-element call.
  const g = params.grads.data;
  let probe = 0;
  for (let i = 0; i < g.length; i++) probe += g[i] * 0;
  if (probe === 0) return null;
  for (const p of params.params) {
    const i = p.grad.data.findIndex((v) => !Number.isFinite(v));
    if (i >= 0) return `${p.name}[${i}] = ${p.grad.data[i]}`;
  }
  return 'padding'; // unreachable: padding gradients stay 0
}

export class TrainingInterrupted extends Error {
  override name = 'TrainingInterrupted';
}

/**
 * One optimizer step; returns the loss (a non-finite loss skips the step). Throws
 * NonFiniteGradient, with the parameters untouched, when the loss is finite but a gradient is not.
 * Exposed for benchmarks and tests.
 */
export function trainStep(job: TrainJob, opt: AdamW, batch: Batch, lr: number): number {
  const dev = job.device;
  job.params.zeroGrad();
  const tape = new Tape(dev);
  const v = batchVars(tape, dev, batch);
  const loss = neg(mean(weighted(tape, job.logProb(tape, v.x, v.cond), batch)));
  const value = loss.value.data[0];
  if (!Number.isFinite(value)) {
    dev.arena.reset();
    return value;
  }
  tape.backward(loss);
  const bad = nonFiniteGradient(job.params);
  if (bad) {
    dev.arena.reset();
    throw new NonFiniteGradient(`loss ${value} is finite but the gradient is not finite (${bad})`);
  }
  opt.step(lr);
  dev.arena.reset();
  return value;
}

/** w · log p when the batch carries event weights, else log p. */
function weighted(tape: Tape, logp: Var, batch: Batch): Var {
  return batch.w ? mul(logp, tape.constant(logp.device.tensor(batch.w, logp.value.shape))) : logp;
}

/** Σ w (−log p) / Σ w over the job's held-out batches. */
function heldOutLoss(job: TrainJob, batches: Batch[]): number {
  let num = 0;
  let den = 0;
  for (const b of batches) {
    const tape = new Tape(job.device, { grad: false });
    const v = batchVars(tape, job.device, b);
    num -= sum(weighted(tape, job.logProb(tape, v.x, v.cond), b)).value.data[0];
    for (let i = 0; i < b.n; i++) den += b.w ? b.w[i] : 1;
    job.device.arena.reset();
  }
  return num / den;
}

function validationLoss(job: TrainJob, plan: TrainPlan, epoch: number): number {
  if (job.validation) return heldOutLoss(job, job.validation);
  const rng = Rng.fromSeed(plan.seed).fork(1_000_000 + epoch); // never touches the training stream
  let sum = 0;
  for (let i = 0; i < plan.valBatches; i++) {
    const b = job.drawBatch(rng, plan.batchSize);
    const tape = new Tape(job.device, { grad: false });
    const v = batchVars(tape, job.device, b);
    sum += -mean(job.logProb(tape, v.x, v.cond)).value.data[0];
    job.device.arena.reset();
  }
  return sum / plan.valBatches;
}

/** What a training run reports while it runs; every callback is optional. */
export interface TrainEvents {
  /** Before the first step; `startStep` > 0 after --resume. */
  start?(run: { label: string; startStep: number; totalSteps: number; epochs: number; stepsPerEpoch: number }): void;
  /** After each optimizer step, with its loss; `step` counts from 1 over the whole run. */
  step?(loss: number, step: number): void;
  /** After each epoch's checkpoint is saved; `epoch` counts from 0. */
  epoch?(e: { epoch: number; loss: number; valLoss: number | undefined }): void;
  /** A note for the user (e.g. where a resumed run continues). */
  message?(text: string): void;
}

export interface TrainOptions {
  resume?: boolean;
  events?: TrainEvents;
  /**
   * Aborting it stops the run after the current step: it saves, then throws TrainingInterrupted.
   * (The loop yields to the event loop every ~200 ms, so a signal handler gets to run.)
   */
  signal?: AbortSignal;
  /** stop (saving, as on Ctrl-C) once this many steps are done — for tests and time-boxed runs */
  stopAtStep?: number;
}

type PlanKey = TrainingState['plan'];

/** The best epoch so far by held-out NLL, with its weights. */
interface Best {
  epoch: number;
  loss: number;
  values: Float32Array;
}

/** Where a run starts: its state, the data stream, and (events from files) the best epoch so far. */
interface Start {
  state: TrainingState;
  rng: Rng;
  best?: Best;
  resumed: boolean;
}

function freshStart(plan: TrainPlan, planKey: PlanKey): Start {
  const rng = Rng.fromSeed(plan.seed);
  const state: TrainingState = {
    step: 0,
    rng: Array.from(rng.state()),
    history: [],
    partial: { sum: 0, count: 0 },
    seconds: 0,
    seed: plan.seed,
    plan: planKey,
  };
  return { state, rng, resumed: false };
}

/** --resume with other settings would not continue the same run: refused, naming both. */
function checkSamePlan(job: TrainJob, state: TrainingState, plan: TrainPlan, planKey: PlanKey): void {
  const was = { ...state.plan, seed: state.seed };
  const now = { ...planKey, seed: plan.seed };
  if (JSON.stringify(was) === JSON.stringify(now)) return;
  throw new CheckpointError(
    `--resume: ${job.modelPath} was trained with ${JSON.stringify(was)}, not ${JSON.stringify(now)}; ` +
      'resume with the same schedule and seed, or start a new run without --resume',
  );
}

/**
 * The weights to continue from: those saved with the state. A state written before the state
 * held them takes the model file's, which must then be at the same step (a run killed between
 * the two writes left them one checkpoint apart, and mixing them would not continue the run).
 */
function restoreWeights(job: TrainJob, saved: SavedTraining): void {
  if (saved.params) {
    job.params.values.data.set(saved.params);
    return;
  }
  const held = modelTrainingStep(job.modelPath);
  if (held === saved.state.step) return;
  throw new CheckpointError(
    `--resume: ${job.modelPath} holds step ${held ?? '(none recorded)'} but its training state ` +
      `${trainStatePath(job.modelPath)} is at step ${saved.state.step} (the run was killed between the two ` +
      'writes), and that state does not hold the weights itself; start the run again without --resume',
  );
}

/** The batch source back to its saved place; its refusals (other events than the run's) name the model. */
function restoreData(job: TrainJob, saved: unknown): void {
  try {
    job.data?.restore(saved);
  } catch (err) {
    if (err instanceof SampleError) throw new CheckpointError(`--resume: ${job.modelPath}: ${err.message}`);
    throw err;
  }
}

/** The saved run to continue, or null (said in one line) when this model's training never started. */
function resumeStart(job: TrainJob, plan: TrainPlan, planKey: PlanKey, opt: AdamW, events: TrainEvents): Start | null {
  const statePath = trainStatePath(job.modelPath);
  if (!existsSync(statePath)) {
    const replacing = existsSync(job.modelPath) ? ` (replacing ${job.modelPath})` : '';
    events.message?.(
      `${plan.label}: --resume: no training state at ${statePath}: this model's training never started, ` +
        `so it starts fresh${replacing}`,
    );
    return null;
  }
  const saved = loadTrainingState(job.modelPath, opt);
  const { state } = saved;
  checkSamePlan(job, state, plan, planKey);
  restoreWeights(job, saved);
  if (state.data !== undefined) restoreData(job, state.data);
  else if (job.data && state.step > 0)
    events.message?.(
      `${plan.label}: this training state predates saving the file sampler's place: the resumed run starts ` +
        'a fresh pass over the events (reproducible, but not bit-identical to an uninterrupted run)',
    );
  const best = state.best && saved.bestParams ? { ...state.best, values: saved.bestParams } : undefined;
  return { state, rng: Rng.fromState(state.rng), best, resumed: true };
}

/** The index of the last finished epoch (from 0), or −1. */
const lastEpoch = (state: TrainingState) => state.history[state.history.length - 1]?.epoch ?? -1;

/** Writes the model file: the parameters as they are now, with the step and history they belong to. */
function writeModel(job: TrainJob, state: TrainingState, bestEpoch?: number): void {
  const training = {
    step: state.step,
    history: state.history,
    ...(bestEpoch !== undefined ? { best_epoch: bestEpoch } : {}),
  };
  saveModel(job.modelPath, job.stateDict(), job.architecture, { training: JSON.stringify(training) });
}

/**
 * At the end of a run the model holds the best epoch's weights (events from files), else the
 * last; returns the best epoch when it was swapped in.
 */
function holdFinalWeights(job: TrainJob, state: TrainingState, best: Best | undefined): number | undefined {
  if (!best || best.epoch === lastEpoch(state)) return undefined;
  job.params.values.data.set(best.values);
  return best.epoch;
}

/**
 * --resume of a run that had finished: nothing to train. Its model file is rewritten only when it
 * is not the final one (a kill between the last two writes left it a checkpoint behind).
 */
function finishedRun(job: TrainJob, plan: TrainPlan, start: Start, events: TrainEvents): TrainResult {
  const { state, best } = start;
  const bestEpoch = holdFinalWeights(job, state, best);
  if (modelTrainingStep(job.modelPath) !== state.step) {
    writeModel(job, state, bestEpoch);
    events.message?.(`${plan.label}: rewrote ${job.modelPath} from its training state (it was a checkpoint behind)`);
  }
  events.message?.(`${plan.label}: already finished at epoch ${plan.epochs}/${plan.epochs}; nothing to do`);
  return { state, interrupted: false, bestEpoch: best?.epoch, alreadyFinished: true };
}

/**
 * A new run over a saved one replaces it at its first save (an epoch's end, or Ctrl-C): said
 * up front, since rerunning the command without --resume after a Ctrl-C silently threw the
 * interrupted run away.
 */
function warnReplacing(job: TrainJob, plan: TrainPlan, events: TrainEvents): void {
  const saved = savedRunProgress(job.modelPath);
  if (!saved) return;
  const which =
    saved.step < saved.total
      ? `the unfinished run saved there (step ${saved.step} of ${saved.total}; --resume continues it)`
      : 'the finished run saved there';
  events.message?.(`${plan.label}: a new run (no --resume) into ${job.modelPath} replaces ${which} at its first save`);
}

export async function train(job: TrainJob, plan: TrainPlan, opts: TrainOptions = {}): Promise<TrainResult> {
  const events = opts.events ?? {};
  const stale = removeStaleTemporaries([job.modelPath, trainStatePath(job.modelPath)]);
  if (stale.length > 0)
    events.message?.(`${plan.label}: removed ${stale.length} temporary file(s) a killed run left: ${stale.join(', ')}`);
  const opt = new AdamW(job.params, { weightDecay: plan.weightDecay });
  try {
    return await runPlan(job, plan, opts, opt, events);
  } finally {
    opt.free();
  }
}

async function runPlan(
  job: TrainJob,
  plan: TrainPlan,
  opts: TrainOptions,
  opt: AdamW,
  events: TrainEvents,
): Promise<TrainResult> {
  const total = plan.epochs * plan.stepsPerEpoch;
  const planKey = { epochs: plan.epochs, stepsPerEpoch: plan.stepsPerEpoch, batchSize: plan.batchSize, lr: plan.lr };
  const start = (opts.resume && resumeStart(job, plan, planKey, opt, events)) || freshStart(plan, planKey);
  const { state, rng } = start;
  let best = start.best;
  if (start.resumed && state.step >= total) return finishedRun(job, plan, start, events);

  mkdirSync(dirname(job.modelPath), { recursive: true }); // a model path in a folder not made yet
  if (start.resumed) events.message?.(`${plan.label}: resuming at step ${state.step} of ${total}`);
  else warnReplacing(job, plan, events);
  events.start?.({
    label: plan.label,
    startStep: state.step,
    totalSteps: total,
    epochs: plan.epochs,
    stepsPerEpoch: plan.stepsPerEpoch,
  });
  // What the model file holds from this run (or the run resumed), so a divergence reports it truly.
  let lastSaved: number | null = start.resumed ? state.step : null;
  const kept = () =>
    lastSaved === null
      ? `no checkpoint was written by this run`
      : `${job.modelPath} keeps the checkpoint of step ${lastSaved}`;
  // The state first, then the model: the state alone can always continue the run (file header).
  const save = () => {
    state.rng = Array.from(rng.state());
    state.data = job.data?.state();
    state.best = best && { epoch: best.epoch, loss: best.loss };
    saveTrainingState(job.modelPath, opt, state, job.params.values.data, best?.values);
    const bestEpoch = state.step === total ? holdFinalWeights(job, state, best) : undefined;
    writeModel(job, state, bestEpoch);
    lastSaved = state.step;
  };

  // Held-out events from files choose the epoch the model file keeps; with none held out
  // (holdout: 0) there is no validation at all, rather than a NaN one.
  const keepBest = job.validation !== undefined && job.validation.length > 0;
  const validates = job.validation !== undefined ? keepBest : plan.valBatches > 0;

  let t0 = performance.now();
  let lastYield = t0;
  while (state.step < total) {
    const batch = job.drawBatch(rng, plan.batchSize);
    const lr = plan.lr * warmupCosineFactor(state.step, plan.stepsPerEpoch, total);
    let loss: number;
    try {
      loss = trainStep(job, opt, batch, lr);
    } catch (e) {
      if (!(e instanceof NonFiniteGradient)) throw e;
      throw new TrainingDiverged(`${plan.label}: ${e.message} at step ${state.step}; stopped, ${kept()}`);
    }
    if (!Number.isFinite(loss)) {
      const bad = badEvents(job, batch);
      const why = bad ? `: ${badEventsPhrase(bad, 'the batch')}` : '';
      throw new TrainingDiverged(`${plan.label}: loss became ${loss} at step ${state.step}${why}; stopped, ${kept()}`);
    }
    state.step++;
    state.partial.sum += loss;
    state.partial.count++;
    events.step?.(loss, state.step);

    if (state.step % plan.stepsPerEpoch === 0) {
      const epoch = state.step / plan.stepsPerEpoch - 1;
      const valLoss = validates ? validationLoss(job, plan, epoch) : undefined;
      // Held-out events from files: a non-finite NLL is an event the model gives no support, and
      // picking the best epoch by it would be meaningless; name the event instead.
      const badHeld = job.validation && valLoss !== undefined && !Number.isFinite(valLoss);
      const held = badHeld ? job.validation!.map((b) => badEvents(job, b)).find((b) => b) : undefined;
      if (held) {
        throw new TrainingDiverged(
          `${plan.label}: held-out NLL is ${valLoss} after epoch ${epoch + 1}: ` +
            `${badEventsPhrase(held, 'the held-out events')}; fix or drop such events; stopped, ${kept()}`,
        );
      }
      if (keepBest && valLoss !== undefined && (!best || valLoss < best.loss))
        best = { epoch, loss: valLoss, values: Float32Array.from(job.params.values.data) };
      const now = performance.now();
      state.seconds += (now - t0) / 1000;
      t0 = now;
      const epochLoss = state.partial.sum / state.partial.count;
      state.history.push({ epoch, loss: epochLoss, valLoss, seconds: state.seconds });
      state.partial = { sum: 0, count: 0 };
      save();
      events.epoch?.({ epoch, loss: epochLoss, valLoss });
    }
    if (opts.stopAtStep !== undefined && state.step >= opts.stopAtStep && state.step < total) {
      state.seconds += (performance.now() - t0) / 1000;
      save();
      return { state, interrupted: true };
    }
    // Let signals and I/O through now and then (the loop is otherwise synchronous).
    if (performance.now() - lastYield > 200) {
      await new Promise((r) => setImmediate(r));
      lastYield = performance.now();
    }
    // (Not after the last step: the run is complete and saved, with the best epoch's weights.)
    if (opts.signal?.aborted && state.step < total) {
      state.seconds += (performance.now() - t0) / 1000;
      save();
      throw new TrainingInterrupted(`${plan.label}: interrupted at step ${state.step}; saved, continue with --resume`);
    }
  }
  return { state, interrupted: false, bestEpoch: best?.epoch };
}
