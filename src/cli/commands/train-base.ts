/**
 * `fnf train-base -c configs/base_flows.yaml -s train_score,train_kin`: train the base flows
 * p(y | x, c) and p(x | c) (flags as train_base_flows.py, plus --epochs, --steps-per-epoch,
 * --lr, --resume).
 */
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { checkDistinctModelPaths } from '../../config/model-paths.js';
import { baseFlowTraining } from '../../train/sector.js';
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

export type TrainBaseOptions = TrainCommandOptions;

export function register(program: Command): Command {
  return addTrainOptions(
    program
      .command('train-base')
      .description(
        'train the base flows (score: p(y | x, c), kin: p(x | c)) of a base_flows.yaml; checkpoints every epoch',
      ),
    'base flows config, e.g. configs/base_flows.yaml',
  ).action(async (_opts: unknown, cmd: Command) => run(cmd.optsWithGlobals<TrainBaseOptions>()));
}

export async function run(opts: TrainBaseOptions): Promise<void> {
  const cfg = loadConfig(opts.cfg, 'base');
  checkDistinctModelPaths(cfg, opts.cfg);
  checkInitFrom(opts); // flag combinations first: before a device is made or a file is read
  const dev = await deviceFor(opts);
  const seed = seedOf(opts, cfg.seed);
  for (const step of opts.steps) requireOutputFile(cfg[sectorOf(step)].paths.model, `${opts.cfg}: the ${step} model`);
  for (const step of opts.steps) {
    const sector = sectorOf(step);
    const files = cfg.samples ? await fileTraining(sector, cfg.samples[sector], 'base', seed) : undefined;
    const t = baseFlowTraining(dev, cfg, sector, { ...opts, seed, label: step, files: files?.batches });
    const { epochs, stepsPerEpoch } = t.plan;
    process.stderr.write(
      `fnf: ${step}: ${t.job.params.count} parameters, ${epochs} × ${stepsPerEpoch} steps → ${t.path}\n`,
    );
    for (const line of files ? describeFileTraining(files) : []) process.stderr.write(`fnf: ${step}: ${line}\n`);
    await trainAndRecord(dev, opts, { ...t, data: files?.card });
  }
}
