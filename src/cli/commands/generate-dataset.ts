/**
 * `fnf generate-dataset`: sample the nominal generator of a dataset.yaml into paths.dataset.
 * Flags as generate_dataset.py: `-c/--cfg FILE` and `--seed N` (our global --seed, accepted
 * after the command name too).
 */
import type { Command } from 'commander';
import { loadConfig } from '../../io/config.js';
import { NotImplementedError } from '../errors.js';
import { cfgOption, type GlobalOptions } from '../options.js';

export interface GenerateDatasetOptions extends GlobalOptions {
  /** dataset.yaml path, as given. */
  cfg: string;
}

export function register(program: Command): Command {
  return program
    .command('generate-dataset')
    .description('draw n_events from the generator of a dataset.yaml and write them (c, X, y) to its paths.dataset')
    .addOption(cfgOption('dataset config, e.g. configs/dataset.yaml'))
    .action(async (_opts: unknown, cmd: Command) => run(cmd.optsWithGlobals<GenerateDatasetOptions>()));
}

export async function run(opts: GenerateDatasetOptions): Promise<void> {
  loadConfig(opts.cfg, 'dataset');
  throw new NotImplementedError('generate-dataset');
}
