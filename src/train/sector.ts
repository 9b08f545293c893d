/**
 * One sector's training, as the commands run it and as a library call: from a loaded config and
 * a sector (kin or score), the job, its plan and where the model goes. `fnf train-base` and
 * `fnf train-systematics` call these, then add their progress lines and the model card.
 */
import type { Device } from '../backend/device.js';
import type { BaseFlowsConfig, SystematicsConfig, TrainingSection } from '../config/load.js';
import { baseFlowJob, residualJob } from './jobs.js';
import type { FileBatches } from './file-batches.js';
import type { Sector } from '../toy/sector.js';
import { train, type TrainJob, type TrainOptions, type TrainPlan, type TrainResult } from './trainer.js';

/** What may override the config's schedule (the CLI's --epochs, --steps-per-epoch, --lr). */
export interface ScheduleOverrides {
  epochs?: number;
  stepsPerEpoch?: number;
  lr?: number;
}

export interface SectorTrainingOptions extends ScheduleOverrides {
  /** the data and init seed (default: the config's seed, else 0). */
  seed?: number;
  /** continue the run saved at the model path (same plan). */
  resume?: boolean;
  /** start from this checkpoint's weights with a fresh optimizer (a fine-tuning stage). */
  initFrom?: string;
  /** the plan's label in progress lines (default: train_kin / train_score). */
  label?: string;
  /** events read from files (a config's samples: section) instead of the generator. */
  files?: FileBatches;
}

/** A training ready to run: `train(job, plan, { resume })`. */
export interface SectorTraining {
  sector: Sector;
  job: TrainJob;
  plan: TrainPlan;
  /** where the model is written (atomically, every epoch). */
  path: string;
  /** the model card's title and config section. */
  title: string;
  section: string;
}

/** The plan from a config's training section and the overrides. */
export function planFor(
  label: string,
  t: TrainingSection,
  o: ScheduleOverrides,
  seed: number,
  valBatches: number,
): TrainPlan {
  return {
    label,
    epochs: o.epochs ?? t.nepochs,
    stepsPerEpoch: o.stepsPerEpoch ?? t.stepsPerEpoch,
    batchSize: t.batchSize,
    lr: o.lr ?? t.lr,
    weightDecay: t.weightDecay,
    seed,
    valBatches,
  };
}

/** A base flow's training (kin: p(x | c), score: p(y | x, c)) from a base_flows config. */
export function baseFlowTraining(
  dev: Device,
  cfg: BaseFlowsConfig,
  sector: Sector,
  o: SectorTrainingOptions = {},
): SectorTraining {
  const seed = o.seed ?? cfg.seed ?? 0;
  const { flow, training: t, paths } = cfg[sector];
  const path = paths.model;
  const plan = planFor(o.label ?? `train_${sector}`, t, o, seed, t.valBatches);
  const files = o.files && { batches: o.files, validationBatch: plan.batchSize };
  const { job } = baseFlowJob(dev, sector, flow, cfg.generator, path, seed, o.resume ?? false, o.initFrom, files);
  return {
    sector,
    job,
    plan,
    path,
    title: sector === 'kin' ? 'Base kinematics flow p(x | c)' : 'Base score flow p(y | x, c)',
    section: `${sector}_flow / training.${sector}`,
  };
}

/**
 * A residual model's training over its frozen base flow, from a systematics config; null when
 * the sector has no nuisances (nothing to train).
 */
export function residualTraining(
  dev: Device,
  cfg: SystematicsConfig,
  sector: Sector,
  o: SectorTrainingOptions = {},
): (SectorTraining & { basePath: string; /** templates, or samples from files */ templates: number }) | null {
  const { flow, residual, templates, training: t, paths } = cfg[sector];
  if (residual.numNuisances === 0) return null;
  const seed = o.seed ?? cfg.seed ?? 0;
  const [basePath, path] = [paths.base, paths.residual];
  const plan = planFor(o.label ?? `train_${sector}`, t, o, seed, 0);
  const resume = o.resume ?? false;
  const files = o.files && { batches: o.files, validationBatch: plan.batchSize };
  const { job } = residualJob(dev, sector, flow, residual, templates, basePath, path, seed, resume, o.initFrom, files);
  return {
    sector,
    job,
    plan,
    path,
    basePath,
    templates: o.files ? o.files.samples.length : templates.length,
    title: sector === 'kin' ? 'Residual kinematics model p(x | c, ν)' : 'Residual score model p(y | x, c, ν)',
    section: `residual_${sector}_model / training.${sector}`,
  };
}

/**
 * Run a prepared training to its end (writing the model every epoch): `train` with the options
 * it takes (resume, events for progress, an AbortSignal to stop after saving).
 */
export function runTraining(t: SectorTraining, opts: TrainOptions = {}): Promise<TrainResult> {
  return train(t.job, t.plan, opts);
}
