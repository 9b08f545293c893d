/** `fnf train-base`: train the base flows p(x | c) and p(y | x, c) of a base_flows.yaml. */
import { Option, type Command } from 'commander';
import { loadConfig } from '../../io/config.js';
import { NotImplementedError } from '../errors.js';
import { existingFileParser, namesParser, positiveIntParser, type GlobalOptions } from '../options.js';

export const TRAIN_SECTIONS = ['train_kin', 'train_score'] as const;
export type TrainSectionName = (typeof TRAIN_SECTIONS)[number];

export interface TrainBaseOptions extends GlobalOptions {
  /** base_flows.yaml path, as given. */
  config: string;
  /** Sections to train, in the order given. */
  sections: TrainSectionName[];
  /** Continue from the section's last saved training state instead of starting fresh. */
  resume: boolean;
  /** Override of each section's nepochs. */
  epochs: number | undefined;
  /** Override of each section's steps_per_epoch. */
  steps: number | undefined;
}

export function register(program: Command): Command {
  return program
    .command('train-base')
    .description('train the base flows (kin: p(x | c), score: p(y | x, c)) described by a base_flows.yaml')
    .addOption(
      new Option('-c, --config <file>', 'base flows config, e.g. configs/base_flows.yaml (required)')
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
    .action(async (_opts: unknown, cmd: Command) => run(cmd.optsWithGlobals<TrainBaseOptions>()));
}

export async function run(opts: TrainBaseOptions): Promise<void> {
  loadConfig(opts.config, 'base');
  throw new NotImplementedError('train-base');
}
