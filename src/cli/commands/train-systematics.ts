/**
 * `fnf train-systematics -c configs/systematics.yaml -s train_kin,train_score`: train the residual
 * models on top of the frozen base flows (flags as train_systematics.py, plus --epochs,
 * --steps-per-epoch, --lr, --resume).
 */
import type { Command } from 'commander';
import { loadConfig } from '../../io/config.js';
import { residualJob } from '../../train/jobs.js';
import {
  addTrainOptions,
  checkInitFrom,
  planFor,
  seedOf,
  trainAndRecord,
  type TrainCommandOptions,
} from './train-common.js';
import { deviceFor } from '../device.js';

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
    const sector = step === 'train_kin' ? 'kin' : 'score';
    const residual = sector === 'kin' ? cfg.residualKinModel : cfg.residualScoreModel;
    if (residual.numNuisances === 0) {
      process.stdout.write(`${step}: num_nuisances is 0, nothing to train\n`);
      continue;
    }
    const flow = sector === 'kin' ? cfg.kinFlow : cfg.scoreFlow;
    const templates = sector === 'kin' ? cfg.kinSystematics : cfg.scoreSystematics;
    const basePath = sector === 'kin' ? cfg.paths.kinBaseModel : cfg.paths.scoreBaseModel;
    const path = sector === 'kin' ? cfg.paths.kinResidualModel : cfg.paths.scoreResidualModel;
    const t = sector === 'kin' ? cfg.training.kin : cfg.training.score;
    const plan = planFor(step, t, opts, seed, 0);
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
    );
    process.stderr.write(
      `fnf: ${step}: ${job.params.count} residual parameters over the frozen base ${basePath}` +
        `, ${templates.length} templates, ` +
        `${plan.epochs} × ${plan.stepsPerEpoch} steps → ${path}\n`,
    );
    await trainAndRecord(dev, opts, {
      step,
      job,
      plan,
      path,
      title: sector === 'kin' ? 'Residual kinematics model p(x | c, ν)' : 'Residual score model p(y | x, c, ν)',
      section: `residual_${sector}_model / training.${sector}`,
    });
  }
}
