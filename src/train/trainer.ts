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
import { mkdirSync } from 'node:fs';
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
import { loadTrainingState, saveModel, saveTrainingState, type TrainingState } from './checkpoint.js';
import { warmupCosineFactor } from './schedule.js';
import { badEvents, badEventsPhrase } from './bad-events.js';
import { batchVars } from './batch-vars.js';

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
}

export interface TrainResult {
  state: TrainingState;
  interrupted: boolean;
  /** With held-out batches: the epoch whose weights the model file holds (lowest validation NLL). */
  bestEpoch?: number;
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

export async function train(job: TrainJob, plan: TrainPlan, opts: TrainOptions = {}): Promise<TrainResult> {
  const opt = new AdamW(job.params, { weightDecay: plan.weightDecay });
  const total = plan.epochs * plan.stepsPerEpoch;
  const planKey = { epochs: plan.epochs, stepsPerEpoch: plan.stepsPerEpoch, batchSize: plan.batchSize, lr: plan.lr };
  let state: TrainingState;
  let rng: Rng;
  if (opts.resume) {
    state = loadTrainingState(job.modelPath, opt);
    if (JSON.stringify(state.plan) !== JSON.stringify(planKey)) {
      throw new Error(
        `--resume: ${job.modelPath} was trained with ${JSON.stringify(state.plan)}, not ${JSON.stringify(planKey)}`,
      );
    }
    rng = Rng.fromState(state.rng);
  } else {
    rng = Rng.fromSeed(plan.seed);
    state = {
      step: 0,
      rng: Array.from(rng.state()),
      history: [],
      partial: { sum: 0, count: 0 },
      seconds: 0,
      seed: plan.seed,
      plan: planKey,
    };
  }

  mkdirSync(dirname(job.modelPath), { recursive: true }); // a model path in a folder not made yet
  const events = opts.events ?? {};
  if (opts.resume) events.message?.(`${plan.label}: resuming at step ${state.step} of ${total}`);
  events.start?.({
    label: plan.label,
    startStep: state.step,
    totalSteps: total,
    epochs: plan.epochs,
    stepsPerEpoch: plan.stepsPerEpoch,
  });
  // What the model file holds from this run (or the run resumed), so a divergence reports it truly.
  let lastSaved: number | null = opts.resume ? state.step : null;
  const kept = () =>
    lastSaved === null
      ? `no checkpoint was written by this run`
      : `${job.modelPath} keeps the checkpoint of step ${lastSaved}`;
  const save = () => {
    saveModel(job.modelPath, job.stateDict(), job.architecture, {
      training: JSON.stringify({ step: state.step, history: state.history }),
    });
    saveTrainingState(job.modelPath, opt, state);
    lastSaved = state.step;
  };

  // Best epoch by held-out NLL (file training): its weights, restored into the model file at the end.
  const keepBest = job.validation !== undefined && job.validation.length > 0;
  let best: { epoch: number; loss: number; values: Float32Array } | undefined;

  let t0 = performance.now();
  let lastYield = t0;
  try {
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
        throw new TrainingDiverged(
          `${plan.label}: loss became ${loss} at step ${state.step}${why}; stopped, ${kept()}`,
        );
      }
      state.step++;
      state.partial.sum += loss;
      state.partial.count++;
      events.step?.(loss, state.step);

      if (state.step % plan.stepsPerEpoch === 0) {
        const epoch = state.step / plan.stepsPerEpoch - 1;
        const valLoss = plan.valBatches > 0 || keepBest ? validationLoss(job, plan, epoch) : undefined;
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
        state.rng = Array.from(rng.state());
        save();
        events.epoch?.({ epoch, loss: epochLoss, valLoss });
      }
      if (opts.stopAtStep !== undefined && state.step >= opts.stopAtStep && state.step < total) {
        state.seconds += (performance.now() - t0) / 1000;
        state.rng = Array.from(rng.state());
        save();
        return { state, interrupted: true };
      }
      // Let signals and I/O through now and then (the loop is otherwise synchronous).
      if (performance.now() - lastYield > 200) {
        await new Promise((r) => setImmediate(r));
        lastYield = performance.now();
      }
      if (opts.signal?.aborted) {
        state.seconds += (performance.now() - t0) / 1000;
        state.rng = Array.from(rng.state());
        save();
        throw new TrainingInterrupted(
          `${plan.label}: interrupted at step ${state.step}; saved, continue with --resume`,
        );
      }
    }
  } finally {
    opt.free();
  }
  const last = state.history[state.history.length - 1];
  if (best && last && best.epoch !== last.epoch) {
    job.params.values.data.set(best.values);
    saveModel(job.modelPath, job.stateDict(), job.architecture, {
      training: JSON.stringify({ step: state.step, history: state.history, best_epoch: best.epoch }),
    });
  }
  return { state, interrupted: false, bestEpoch: best?.epoch };
}
