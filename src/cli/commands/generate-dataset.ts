/** `fnf generate-dataset`: sample the toy generator of a dataset.yaml into a safetensors file. */
import { Option, type Command } from 'commander';
import { loadConfig } from '../../io/config.js';
import { NotImplementedError } from '../errors.js';
import { existingFileParser, type GlobalOptions } from '../options.js';

export interface GenerateDatasetOptions extends GlobalOptions {
  /** dataset.yaml path, as given. */
  config: string;
}

export function register(program: Command): Command {
  return program
    .command('generate-dataset')
    .description('draw n_events from the generator of a dataset.yaml and write them (c, x, y) as safetensors')
    .addOption(
      new Option('-c, --config <file>', 'dataset config, e.g. configs/dataset.yaml (required)')
        .argParser(existingFileParser(['.yaml', '.yml']))
        .makeOptionMandatory(),
    )
    .action(async (_opts: unknown, cmd: Command) => run(cmd.optsWithGlobals<GenerateDatasetOptions>()));
}

export async function run(opts: GenerateDatasetOptions): Promise<void> {
  loadConfig(opts.config, 'dataset');
  throw new NotImplementedError('generate-dataset');
}
