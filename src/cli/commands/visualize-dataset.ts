/**
 * `fnf visualize-dataset`: figures of a dataset written by `fnf generate-dataset`, in any of its
 * formats (safetensors c, X, y; or a column file with x1, x2, y1, y2, label), or a reference .pt.
 * Flags as visualize_dataset.py: the dataset file, `--out-dir` (default validation/<file name>).
 */
import { basename, extname, join } from 'node:path';
import { Option, type Command } from 'commander';
import { CheckpointError } from '../../io/state-dict.js';
import {
  datasetSummary,
  readDataset,
  readDatasetColumns,
  renderDataset,
  type Dataset,
} from '../../visualize/dataset.js';
import { UserError } from '../errors.js';
import { existingFileParser, outputDirParser, type GlobalOptions } from '../options.js';

export interface VisualizeDatasetOptions extends GlobalOptions {
  /** Dataset file (.safetensors, the reference's .pt, or a column file), as given. */
  dataset: string;
  /** Figure directory; defaulted from the file name when the flag is absent. */
  outDir: string;
}

/** Extensions read as tensor files (c, X, y) and as column files (x1, x2, y1, y2, label). */
const TENSOR_FILES = ['.safetensors', '.pt'];
const COLUMN_FILES = ['.parquet', '.npz', '.csv', '.root'];

/** validation/<dataset file name without extension>, as the reference. */
export function defaultDatasetOutDir(dataset: string): string {
  return join('validation', basename(dataset, extname(dataset)));
}

export function register(program: Command): Command {
  return program
    .command('visualize-dataset')
    .description('draw the distributions of a dataset file written by generate-dataset')
    .argument(
      '<dataset>',
      'dataset file: .safetensors or a reference .pt (c, X, y), or .parquet, .npz, .csv, .root ' +
        '(columns x1, x2, y1, y2, label)',
      existingFileParser([...TENSOR_FILES, ...COLUMN_FILES]),
    )
    .addOption(
      new Option(
        '--out-dir <dir>',
        'directory for the figures, created if missing (default: validation/<dataset file name>)',
      ).argParser(outputDirParser),
    )
    .action(async (dataset: string, _opts: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<Omit<VisualizeDatasetOptions, 'dataset' | 'outDir'> & { outDir?: string }>();
      return run({ ...opts, dataset, outDir: opts.outDir ?? defaultDatasetOutDir(dataset) });
    });
}

export async function run(opts: VisualizeDatasetOptions): Promise<void> {
  let ds: Dataset;
  try {
    const columns = COLUMN_FILES.includes(extname(opts.dataset).toLowerCase());
    ds = columns ? await readDatasetColumns(opts.dataset) : readDataset(opts.dataset);
  } catch (e) {
    if (e instanceof CheckpointError && opts.dataset.endsWith('.pt')) {
      // Our .pt reader takes tensor dictionaries only; a pickled dict with other objects fails here.
      throw new UserError(
        `${opts.dataset}: cannot read this .pt dataset (${e.message})` +
          `; fnf reads .pt files holding plain tensors only — ` +
          'write the dataset with `fnf generate-dataset` (safetensors) or convert it to safetensors',
      );
    }
    // A CheckpointError or ColumnReadError is printed as one line by the entry point; the file's
    // own complaints (a missing tensor or column) name the file and are the user's too.
    if (e instanceof Error && e.message.startsWith(opts.dataset)) throw new UserError(e.message);
    throw e;
  }
  // Nothing to summarise or draw (the summary's percentages and the figures' ranges need events).
  if (ds.n === 0) throw new UserError(`${opts.dataset}: the file holds no events`);
  process.stdout.write(`${datasetSummary(ds)}\n`);
  const written = renderDataset(ds, opts.outDir);
  process.stderr.write(`visualize-dataset: ${written.length} figures → ${opts.outDir}\n`);
}
