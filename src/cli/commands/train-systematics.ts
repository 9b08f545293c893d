/**
 * `fnf train-systematics -c configs/systematics.yaml -s train_kin,train_score`: train the residual
 * models on top of the frozen base flows (flags as train_systematics.py, plus --epochs,
 * --steps-per-epoch, --lr, --resume).
 */
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { residualJob } from '../../train/jobs.js';
import { describeFileTraining, fileTraining } from '../../train/file-data.js';
import {
  addTrainOptions,
  checkInitFrom,
  planFor,
  sectorOf,
  seedOf,
  trainAndRecord,
  type TrainCommandOptions,
} from './train-common.js';
import { deviceFor } from '../device.js';
import type { Sector } from '../../toy/sector.js';

const TITLES: Record<Sector, string> = {
  kin: 'Residual kinematics model p(x | c, ν)',
  score: 'Residual score model p(y | x, c, ν)',
};

export type TrainSystematicsOptions = TrainCommandOptions;

export function register(program: Command): Command {
  return addTrainOptions(
    program
      .command('train-systematics')
      .description('train the residual models p(x | c, ν) and p(y | x, c, ν) on top of the frozen base flows'),
    'systematics config, e.g. configs/systematics.yaml',
  ).action(async (_opts: unknown, cmd: Command) => run(cmd.optsWithGlobals<TrainSystematicsOptions>()));
}

export async function run(opts: TrainSystematicsOptions): Promise<void> {
  const cfg = loadConfig(opts.cfg, 'systematics');
  const dev = await deviceFor(opts);
  const seed = seedOf(opts, cfg.seed);
  checkInitFrom(opts);
  for (const step of opts.steps) {
    const sector = sectorOf(step);
    const { flow, residual, templates, training: t, paths } = cfg[sector];
    if (residual.numNuisances === 0) {
      process.stdout.write(`${step}: num_nuisances is 0, nothing to train\n`);
      continue;
    }
    const [basePath, path] = [paths.base, paths.residual];
    const plan = planFor(step, t, opts, seed, 0);
    const files = cfg.samples
      ? await fileTraining(sector, cfg.samples[sector], 'residual', seed, residual.numNuisances)
      : undefined;
    const { job } = residualJob(
      dev,
      sector,
      flow,
      residual,
      templates,
      basePath,
      path,
      seed,
      opts.resume,
      opts.initFrom,
      files && { batches: files.batches, validationBatch: plan.batchSize },
    );
    const count = files ? files.batches.samples.length : templates.length;
    process.stderr.write(
      `fnf: ${step}: ${job.params.count} residual parameters over the frozen base ${basePath}` +
        `, ${count} templates${files ? ' from files' : ''}, ` +
        `${plan.epochs} × ${plan.stepsPerEpoch} steps → ${path}\n`,
    );
    for (const line of files ? describeFileTraining(files) : []) process.stderr.write(`fnf: ${step}: ${line}\n`);
    await trainAndRecord(dev, opts, {
      step,
      job,
      plan,
      path,
      title: TITLES[sector],
      section: `residual_${sector}_model / training.${sector}`,
      data: files?.card,
    });
  }
}
