/**
 * `fnf generate-dataset`: sample the generator of a dataset.yaml into paths.dataset (or --out).
 * Flags as generate_dataset.py: `-c/--cfg FILE` and `--seed N` (our global --seed, accepted
 * after the command name too); ours: `--format`, `--out`, `--n-events`, `--nu`.
 */
import { type Command, Option } from 'commander';
import { mkdirSync } from 'node:fs';
import { dirname, extname } from 'node:path';
import { WRITABLE_FORMATS, writeColumns } from '../../io/columns/write.js';
import { loadConfig } from '../../config/load.js';
import { writeSafetensors } from '../../io/safetensors.js';
import { generateBatch, type ToyBatch } from '../../toy/index.js';
import { withNuisance } from '../../toy/config.js';
import { Rng } from '../../random/rng.js';
import { cfgOption, eventCountParser, pointParser, type GlobalOptions } from '../options.js';
import { requireOutputFile } from '../output-path.js';
import { UserError } from '../errors.js';

export const DATASET_FORMATS = ['safetensors', ...WRITABLE_FORMATS] as const;
export type DatasetFormat = (typeof DATASET_FORMATS)[number];

export interface GenerateDatasetOptions extends GlobalOptions {
  /** dataset.yaml path, as given. */
  cfg: string;
  /** Default: the one paths.dataset's extension names (formatOfPath), else safetensors. */
  format?: DatasetFormat;
  /** Output file; default paths.dataset with the format's extension. */
  out?: string;
  /** Overrides n_events. */
  nEvents?: number;
  /** Overrides the generator's (variation_shift, variation_squeeze): a systematic template. */
  nu?: number[];
}

export function register(program: Command): Command {
  return program
    .command('generate-dataset')
    .description('draw n_events from the generator of a dataset.yaml and write them to its paths.dataset (or --out)')
    .addOption(cfgOption('dataset config, e.g. configs/dataset.yaml'))
    .addOption(
      new Option(
        '--format <name>',
        'safetensors: c, X, y as [n, 2] (the reference layout); parquet, npz, csv: columns x1, x2, y1, y2, label ' +
          '(default: the format the extension of --out, else of paths.dataset, names: .parquet, .npz, .csv; ' +
          'else safetensors)',
      ).choices(DATASET_FORMATS),
    )
    .option(
      '--out <file>',
      "output file, ending in .safetensors, .pt, .parquet, .npz or .csv (default: the config's paths.dataset " +
        "with the format's extension)",
    )
    .addOption(
      new Option('--n-events <n>', "events to draw, at most 1e8 (default: the config's n_events)").argParser(
        eventCountParser,
      ),
    )
    .addOption(
      new Option(
        '--nu <shift,squeeze>',
        "nuisance values ν of a systematic template (default: the config's variation_shift, variation_squeeze)",
      ).argParser(pointParser(2)),
    )
    .action(async (_opts: unknown, cmd: Command) => run(cmd.optsWithGlobals<GenerateDatasetOptions>()));
}

const EXTENSIONS: Readonly<Record<DatasetFormat, string>> = {
  safetensors: '.safetensors',
  parquet: '.parquet',
  npz: '.npz',
  csv: '.csv',
};

/** The names --out may have: a format's extension, or the reference's .pt (safetensors bytes, read by content). */
const OUT_EXTENSIONS: readonly string[] = [...Object.values(EXTENSIONS), '.pt'];

/**
 * safetensors (portable: a JSON header + raw little-endian float32, readable from Python with
 * `safetensors.torch.load_file`) has the reference's keys: `c` [n,2] one-hot class, `X` [n,2]
 * kinematics, `y` [n,2] score (pre-sigmoid unless the generator says sigmoid_y), plus metadata:
 * the generator settings as JSON, the seed, n_events and the writer. The column formats hold
 * x1, x2, y1, y2 (float32) and label (int32: 0 = class A, 1 = class B), as users' files do.
 * Written atomically.
 */
export async function run(opts: GenerateDatasetOptions): Promise<void> {
  const cfg = loadConfig(opts.cfg, 'dataset');
  const format = datasetFormat(opts, cfg.paths.dataset);
  const seed = opts.seed ?? cfg.seed ?? 0;
  const n = opts.nEvents ?? cfg.nEvents;
  const generator = opts.nu ? withNuisance(cfg.generator, opts.nu) : cfg.generator;
  // Where it goes is checked before drawing: a bad path should not cost the draw first.
  const out = opts.out ?? withExtension(cfg.paths.dataset, EXTENSIONS[format]);
  requireOutputFile(out, opts.out !== undefined ? '--out' : `${opts.cfg}: paths.dataset`);
  mkdirSync(dirname(out), { recursive: true });
  const batch = generateBatch(Rng.fromSeed(seed), n, generator);
  if (format === 'safetensors') {
    writeSafetensors(
      out,
      new Map([
        ['c', { dtype: 'f32', shape: [n, 2], data: batch.cOneHot }],
        ['X', { dtype: 'f32', shape: [n, 2], data: batch.x }],
        ['y', { dtype: 'f32', shape: [n, 2], data: batch.y }],
      ]),
      { format: 'fnflow-dataset', generator: JSON.stringify(generator), seed: String(seed), n_events: String(n) },
    );
  } else {
    writeColumns(out, format, toColumns(batch, n));
  }
  if (!opts.out && out !== cfg.paths.dataset)
    process.stderr.write(`fnf: paths.dataset is ${cfg.paths.dataset}; wrote ${format} to ${out}\n`);
  const nu = `ν = (${generator.variation_shift}, ${generator.variation_squeeze})`;
  process.stdout.write(`generated ${n} events (seed ${seed}, ${nu}) → ${out}\n`);
}

/**
 * --format, else what --out's extension names, else paths.dataset's: `--out a.csv` writes CSV (it
 * wrote safetensors bytes into a.csv, which no reader then took for CSV). A --format that
 * contradicts --out's column-format extension is refused rather than written under a wrong name.
 */
function datasetFormat(opts: GenerateDatasetOptions, configPath: string): DatasetFormat {
  // Every reader of a dataset (visualize-dataset, fit --data, samples:) goes by the extension, so a
  // file under another name (a.xyz, or none) was written and then refused by each of them.
  if (opts.out !== undefined && !OUT_EXTENSIONS.includes(extname(opts.out).toLowerCase())) {
    throw new UserError(
      `--out ${opts.out}: expected a file name ending in ${OUT_EXTENSIONS.join(', ')} (.pt holds safetensors ` +
        "bytes under the reference's name): fnf reads a dataset by its extension",
    );
  }
  const named = formatOfPath(opts.out ?? configPath);
  if (opts.out !== undefined && opts.format && named !== 'safetensors' && named !== opts.format) {
    throw new UserError(`--out ${opts.out} names ${named}, --format says ${opts.format}: give one or make them agree`);
  }
  return opts.format ?? named;
}

/** The column format a path's extension names, else safetensors (the reference's .pt and .safetensors). */
export function formatOfPath(path: string): DatasetFormat {
  const ext = extname(path).toLowerCase();
  const named = DATASET_FORMATS.find((f) => EXTENSIONS[f] === ext);
  return named ?? 'safetensors';
}

function withExtension(path: string, ext: string): string {
  const current = extname(path);
  return current === ext ? path : path.slice(0, path.length - current.length) + ext;
}

function toColumns(batch: ToyBatch, n: number): { name: string; values: Float32Array | Int32Array }[] {
  const column = (from: Float32Array, k: number): Float32Array => {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = from[2 * i + k];
    return out;
  };
  return [
    { name: 'x1', values: column(batch.x, 0) },
    { name: 'x2', values: column(batch.x, 1) },
    { name: 'y1', values: column(batch.y, 0) },
    { name: 'y2', values: column(batch.y, 1) },
    { name: 'label', values: Int32Array.from(batch.c) },
  ];
}
