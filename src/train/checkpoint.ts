/**
 * What training writes at the end of each epoch (and on Ctrl-C), always atomically:
 *
 * - `<model>.train.safetensors`: everything --resume needs to continue exactly, in one file: the
 *   parameters, the AdamW moments, the step count, the data RNG's state (and the file sampler's
 *   place in its pass), the loss history, and the best epoch so far (its index, held-out NLL and
 *   weights) when events from files have a held-out set;
 * - `<model>.safetensors`: the model's state dict (Zuko / reference key names, loadable in
 *   Python) with the architecture and the step it holds in the metadata — what users ship and load.
 *
 * The training state is written first, then the model. Each file is replaced by rename, so a
 * crash mid-write leaves the previous good file; a kill between the two renames leaves a model
 * one checkpoint behind its state, which is harmless: --resume takes the weights from the state
 * (one file, always self-consistent) and the model file is rewritten at the next save. Neither
 * writer accepts a non-finite value: a diverged model is refused, and the file on disk stays as it was.
 */
import { existsSync, readdirSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { readSafetensors, writeSafetensors } from '../io/safetensors.js';
import type { StateDict, StoredTensor } from '../io/state-dict.js';
import { CheckpointError } from '../io/state-dict.js';
import type { AdamW } from './adamw.js';

export interface TrainingState {
  /** optimizer steps done (= index of the next step) */
  step: number;
  /** data RNG state (xoshiro128 words) at `step` */
  rng: number[];
  /** per finished epoch (counted from 0): mean training loss and (base flows) validation loss */
  history: { epoch: number; loss: number; valLoss?: number; seconds: number }[];
  /** loss sum and count of the unfinished epoch, when interrupted mid-epoch */
  partial: { sum: number; count: number };
  /** wall-clock seconds of training so far, across resumes */
  seconds: number;
  seed: number;
  /** what the run was started with, so a resume with other settings is refused */
  plan: { epochs: number; stepsPerEpoch: number; batchSize: number; lr: number };
  /** the epoch with the lowest held-out NLL so far (events from files); its weights are in the file */
  best?: { epoch: number; loss: number };
  /** where the batch source stands (events from files: each sampler's pass), for an exact resume */
  data?: unknown;
}

/** A training state as read back: the state, and the weights saved with it. */
export interface SavedTraining {
  state: TrainingState;
  /** the parameters at `state.step` (absent in states written before they were saved there) */
  params?: Float32Array;
  /** the best epoch's parameters, when `state.best` is set */
  bestParams?: Float32Array;
}

export const trainStatePath = (modelPath: string) => modelPath.replace(/(\.safetensors)?$/, '.train.safetensors');

/** Throws, naming the key and element, if a float tensor of the dict holds NaN or ±Inf. */
export function assertFiniteDict(path: string, dict: StateDict): void {
  for (const [key, t] of dict) {
    if (!(t.data instanceof Float32Array || t.data instanceof Float64Array)) continue;
    const i = t.data.findIndex((v) => !Number.isFinite(v));
    if (i >= 0) throw new CheckpointError(`${path}: not written, '${key}' element ${i} is ${t.data[i]}`);
  }
}

export function saveModel(
  path: string,
  dict: StateDict,
  architecture: object,
  extra: Record<string, string> = {},
): void {
  assertFiniteDict(path, dict);
  writeSafetensors(path, dict, { format: 'fnflow', architecture: JSON.stringify(architecture), ...extra });
}

const flat = (data: ArrayLike<number>) => ({
  dtype: 'f32' as const,
  shape: [data.length],
  data: Float32Array.from(data),
});

/** Writes the training state: optimizer moments, the parameters, the best epoch's parameters, and `state`. */
export function saveTrainingState(
  modelPath: string,
  opt: AdamW,
  state: TrainingState,
  params: ArrayLike<number>,
  bestParams?: ArrayLike<number>,
): void {
  const dict: StateDict = new Map([
    ['exp_avg', flat(opt.m.data)],
    ['exp_avg_sq', flat(opt.v.data)],
    ['params', flat(params)],
  ]);
  if (bestParams) dict.set('best_params', flat(bestParams));
  assertFiniteDict(trainStatePath(modelPath), dict);
  writeSafetensors(trainStatePath(modelPath), dict, { format: 'fnflow-train', state: JSON.stringify(state) });
}

/** Reads the training state into the optimizer (moments, step count) and returns it with its weights. */
export function loadTrainingState(modelPath: string, opt: AdamW): SavedTraining {
  const path = trainStatePath(modelPath);
  if (!existsSync(path))
    throw new CheckpointError(`--resume: no training state at ${path} (was the run started with this output path?)`);
  const { dict, metadata } = readSafetensors(path);
  const m = dict.get('exp_avg'),
    v = dict.get('exp_avg_sq');
  const size = opt.m.size;
  const fits = (t: StoredTensor | undefined) => t !== undefined && t.dtype === 'f32' && t.data.length === size;
  const [params, best] = [dict.get('params'), dict.get('best_params')];
  if (!fits(m) || !fits(v) || (params && !fits(params)) || (best && !fits(best))) {
    throw new CheckpointError(`${path}: optimizer state does not match the model (${size} parameters expected)`);
  }
  const state = JSON.parse(metadata.state ?? 'null') as TrainingState | null;
  if (!state || typeof state.step !== 'number')
    throw new CheckpointError(`${path}: metadata 'state' is missing or invalid`);
  if (state.best && !best) throw new CheckpointError(`${path}: names a best epoch but holds no 'best_params'`);
  opt.m.data.set(m!.data as Float32Array);
  opt.v.data.set(v!.data as Float32Array);
  opt.steps = state.step;
  return {
    state,
    params: params?.data as Float32Array | undefined,
    bestParams: state.best ? (best!.data as Float32Array) : undefined,
  };
}

/**
 * The optimizer step a model file says it holds (its `training` metadata), or null when the file
 * is missing, unreadable or says nothing (a converted or shipped checkpoint).
 */
export function modelTrainingStep(modelPath: string): number | null {
  if (!existsSync(modelPath)) return null;
  try {
    const training = JSON.parse(readSafetensors(modelPath).metadata.training ?? 'null') as { step?: unknown } | null;
    return typeof training?.step === 'number' ? training.step : null;
  } catch {
    return null;
  }
}

/**
 * How far the run saved at `modelPath` got (its training state's step and planned steps), or null
 * when there is no readable state: what a new run over it is about to replace.
 */
export function savedRunProgress(modelPath: string): { step: number; total: number } | null {
  const path = trainStatePath(modelPath);
  if (!existsSync(path)) return null;
  try {
    const state = JSON.parse(readSafetensors(path).metadata.state ?? 'null') as TrainingState | null;
    if (typeof state?.step !== 'number' || typeof state.plan?.epochs !== 'number') return null;
    return { step: state.step, total: state.plan.epochs * state.plan.stepsPerEpoch };
  } catch {
    return null;
  }
}

/** True while a process with this id runs (one we may not signal still runs). */
function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Removes the temporary files a killed writer left beside `paths`: only names of the atomic
 * writer's form (`<file>.tmp-<pid>-<12 hex digits>`, src/io/atomic.ts) whose process is gone, so
 * a write in progress in another live process is never touched. Returns the removed paths.
 */
export function removeStaleTemporaries(paths: readonly string[]): string[] {
  const removed: string[] = [];
  for (const path of paths) {
    const dir = dirname(path);
    const pattern = new RegExp(`^${escapeRegExp(basename(path))}\\.tmp-(\\d+)-[0-9a-f]{12}$`);
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue; // no folder yet: nothing left behind
    }
    for (const name of names) {
      const pid = pattern.exec(name)?.[1];
      if (pid === undefined || processAlive(Number(pid))) continue;
      try {
        unlinkSync(join(dir, name));
        removed.push(join(dir, name));
      } catch {
        // gone already, or not ours to remove: leave it
      }
    }
  }
  return removed;
}
