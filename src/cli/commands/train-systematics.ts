/**
 * `fnf train-systematics -c configs/systematics.yaml -s train_kin,train_score`: train the residual
 * models on top of the frozen base flows (flags as train_systematics.py, plus --epochs,
 * --steps-per-epoch, --lr, --resume).
 */
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { checkDistinctModelPaths } from '../../config/model-paths.js';
import { residualTraining } from '../../train/sector.js';
import { describeFileTraining, fileTraining } from '../../train/file-data.js';
import {
  addTrainOptions,
  checkInitFrom,
  sectorOf,
  seedOf,
  trainAndRecord,
  type TrainCommandOptions,
} from './train-common.js';
import { deviceFor } from '../device.js';
import { requireOutputFile } from '../output-path.js';

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
  checkDistinctModelPaths(cfg, opts.cfg);
  checkInitFrom(opts); // flag combinations first: before a device is made or a file is read
  const dev = await deviceFor(opts);
  const seed = seedOf(opts, cfg.seed);
  for (const step of opts.steps) {
    const { residual, paths } = cfg[sectorOf(step)];
    if (residual.numNuisances > 0) requireOutputFile(paths.residual, `${opts.cfg}: the ${step} model`);
  }
  for (const step of opts.steps) {
    const sector = sectorOf(step);
    const { residual } = cfg[sector];
    const files =
      cfg.samples && residual.numNuisances > 0
        ? await fileTraining(sector, cfg.samples[sector], 'residual', seed, residual.numNuisances)
        : undefined;
    const t = residualTraining(dev, cfg, sector, { ...opts, seed, label: step, files: files?.batches });
    if (!t) {
      process.stdout.write(`${step}: num_nuisances is 0, nothing to train\n`);
      continue;
    }
    process.stderr.write(
      `fnf: ${step}: ${t.job.params.count} residual parameters over the frozen base ${t.basePath}, ` +
        `${t.templates} templates${files ? ' from files' : ''}, ` +
        `${t.plan.epochs} × ${t.plan.stepsPerEpoch} steps → ${t.path}\n`,
    );
    for (const line of files ? describeFileTraining(files) : []) process.stderr.write(`fnf: ${step}: ${line}\n`);
    await trainAndRecord(dev, opts, { ...t, data: files?.card });
  }
}
