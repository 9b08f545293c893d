/**
 * `fnf visualize-dataset`: figures of a dataset written by `fnf generate-dataset`.
 * Flags as visualize_dataset.py: the dataset file, `--out-dir` (default validation/<file name>).
 */
import { basename, extname, join } from 'node:path';
import { Option, type Command } from 'commander';
import { NotImplementedError } from '../errors.js';
import { existingFileParser, outputDirParser, type GlobalOptions } from '../options.js';

export interface VisualizeDatasetOptions extends GlobalOptions {
  /** Dataset file (.safetensors, or the reference's .pt), as given. */
  dataset: string;
  /** Figure directory; defaulted from the file name when the flag is absent. */
  outDir: string;
}

/** validation/<dataset file name without extension>, as the reference. */
export function defaultDatasetOutDir(dataset: string): string {
  return join('validation', basename(dataset, extname(dataset)));
}

export function register(program: Command): Command {
  return program
    .command('visualize-dataset')
    .description('draw the distributions of a dataset file written by generate-dataset')
    .argument('<dataset>', 'dataset file (.safetensors, or a reference .pt)', existingFileParser(['.safetensors', '.pt']))
    .addOption(
      new Option('--out-dir <dir>', 'directory for the figures, created if missing (default: validation/<dataset file name>)')
        .argParser(outputDirParser),
    )
    .action(async (dataset: string, _opts: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<Omit<VisualizeDatasetOptions, 'dataset' | 'outDir'> & { outDir?: string }>();
      return run({ ...opts, dataset, outDir: opts.outDir ?? defaultDatasetOutDir(dataset) });
    });
}

export async function run(_opts: VisualizeDatasetOptions): Promise<void> {
  throw new NotImplementedError('visualize-dataset');
}
