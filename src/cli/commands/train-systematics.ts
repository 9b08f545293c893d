/** `fnf train-systematics`: train the residual systematic models of a systematics.yaml. */
import { Option, type Command } from 'commander';
import { loadConfig } from '../../io/config.js';
import { NotImplementedError } from '../errors.js';
import { existingFileParser, namesParser, positiveIntParser, type GlobalOptions } from '../options.js';
import { TRAIN_SECTIONS, type TrainSectionName } from './train-base.js';

export interface TrainSystematicsOptions extends GlobalOptions {
  /** systematics.yaml path, as given. */
  config: string;
  sections: TrainSectionName[];
  resume: boolean;
  epochs: number | undefined;
  steps: number | undefined;
}

export function register(program: Command): Command {
  return program
    .command('train-systematics')
    .description('train the residual models p(x | c, ν) and p(y | x, c, ν) on top of the frozen base flows')
    .addOption(
      new Option('-c, --config <file>', 'systematics config, e.g. configs/systematics.yaml (required)')
        .argParser(existingFileParser(['.yaml', '.yml']))
        .makeOptionMandatory(),
    )
    .addOption(
      new Option('-s, --sections <list>', 'comma-separated sections to train, in order: train_kin, train_score')
        .argParser(namesParser(TRAIN_SECTIONS))
        .default([...TRAIN_SECTIONS], 'train_kin,train_score'),
    )
    .option('--resume', 'continue each section from its last saved training state instead of starting fresh', false)
    .addOption(
      new Option('--epochs <n>', "number of epochs, overriding the config's nepochs (default: from the config)")
        .argParser(positiveIntParser),
    )
    .addOption(
      new Option('--steps <n>', "optimizer steps per epoch, overriding steps_per_epoch (default: from the config)")
        .argParser(positiveIntParser),
    )
    .action(async (_opts: unknown, cmd: Command) => run(cmd.optsWithGlobals<TrainSystematicsOptions>()));
}

export async function run(opts: TrainSystematicsOptions): Promise<void> {
  loadConfig(opts.config, 'systematics');
  throw new NotImplementedError('train-systematics');
}
