/**
 * What training writes at the end of each epoch (and on Ctrl-C), always atomically:
 *
 * - `<model>.safetensors`: the model's state dict (Zuko / reference key names, loadable in
 *   Python) with the architecture in the metadata — what users ship and load;
 * - `<model>.train.safetensors`: what --resume needs to continue exactly: AdamW moments, the
 *   step count, the data RNG's state, the loss history.
 *
 * Each file is replaced by rename, so a crash mid-write leaves the previous good file. Neither
 * writer accepts a non-finite value: a diverged model is refused, and the file on disk stays as it was.
 */
import { existsSync } from 'node:fs';
import { readSafetensors, writeSafetensors } from '../io/safetensors.js';
import type { StateDict } from '../io/state-dict.js';
import { CheckpointError } from '../io/state-dict.js';
import type { AdamW } from './adamw.js';

export interface TrainingState {
  /** optimizer steps done (= index of the next step) */
  step: number;
  /** data RNG state (xoshiro128 words) at `step` */
  rng: number[];
  /** per finished epoch: mean training loss and (base flows) validation loss */
  history: { epoch: number; loss: number; valLoss?: number; seconds: number }[];
  /** loss sum and count of the unfinished epoch, when interrupted mid-epoch */
  partial: { sum: number; count: number };
  /** wall-clock seconds of training so far, across resumes */
  seconds: number;
  seed: number;
  /** what the run was started with, so a resume with other settings is refused */
  plan: { epochs: number; stepsPerEpoch: number; batchSize: number; lr: number };
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

export function saveTrainingState(modelPath: string, opt: AdamW, state: TrainingState): void {
  const dict: StateDict = new Map([
    ['exp_avg', { dtype: 'f32', shape: [opt.m.size], data: Float32Array.from(opt.m.data) }],
    ['exp_avg_sq', { dtype: 'f32', shape: [opt.v.size], data: Float32Array.from(opt.v.data) }],
  ]);
  assertFiniteDict(trainStatePath(modelPath), dict);
  writeSafetensors(trainStatePath(modelPath), dict, { format: 'fnflow-train', state: JSON.stringify(state) });
}

export function loadTrainingState(modelPath: string, opt: AdamW): TrainingState {
  const path = trainStatePath(modelPath);
  if (!existsSync(path))
    throw new CheckpointError(`--resume: no training state at ${path} (was the run started with this output path?)`);
  const { dict, metadata } = readSafetensors(path);
  const m = dict.get('exp_avg'),
    v = dict.get('exp_avg_sq');
  if (!m || !v || m.data.length !== opt.m.size || v.data.length !== opt.v.size) {
    throw new CheckpointError(`${path}: optimizer state does not match the model (${opt.m.size} parameters expected)`);
  }
  opt.m.data.set(m.data as Float32Array);
  opt.v.data.set(v.data as Float32Array);
  const state = JSON.parse(metadata.state ?? 'null') as TrainingState | null;
  if (!state || typeof state.step !== 'number')
    throw new CheckpointError(`${path}: metadata 'state' is missing or invalid`);
  opt.steps = state.step;
  return state;
}
