/** `fnf visualize-dataset`: figures of a dataset written by `fnf generate-dataset`. */
import { Option, type Command } from 'commander';
import { NotImplementedError } from '../errors.js';
import { existingFileParser, outputDirParser, type GlobalOptions } from '../options.js';

export interface VisualizeDatasetOptions extends GlobalOptions {
  /** Dataset file (.safetensors), as given. */
  file: string;
  outDir: string;
}

export function register(program: Command): Command {
  return program
    .command('visualize-dataset')
    .description('draw the distributions of a dataset file written by generate-dataset')
    .argument('<file>', 'dataset file (.safetensors)', existingFileParser(['.safetensors']))
    .addOption(
      new Option('--out-dir <dir>', 'directory for the figures, created if missing (required)')
        .argParser(outputDirParser)
        .makeOptionMandatory(),
    )
    .action(async (file: string, _opts: unknown, cmd: Command) =>
      run({ ...cmd.optsWithGlobals<Omit<VisualizeDatasetOptions, 'file'>>(), file }),
    );
}

export async function run(_opts: VisualizeDatasetOptions): Promise<void> {
  throw new NotImplementedError('visualize-dataset');
}
