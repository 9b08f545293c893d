/**
 * `fnf generate-dataset`: sample the nominal generator of a dataset.yaml into paths.dataset.
 * Flags as generate_dataset.py: `-c/--cfg FILE` and `--seed N` (our global --seed, accepted
 * after the command name too).
 */
import type { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadConfig } from '../../config/load.js';
import { writeSafetensors } from '../../io/safetensors.js';
import { generateBatch } from '../../toy/index.js';
import { Rng } from '../../random/rng.js';
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

/**
 * The file is safetensors (portable: a JSON header + raw little-endian float32, readable from
 * Python with `safetensors.torch.load_file`) with the reference's keys: `c` [n,2] one-hot class,
 * `X` [n,2] kinematics, `y` [n,2] score (pre-sigmoid unless the generator says sigmoid_y),
 * plus metadata: the generator settings as JSON, the seed, n_events and the writer. Written
 * atomically, whatever extension `paths.dataset` has.
 */
export async function run(opts: GenerateDatasetOptions): Promise<void> {
  const cfg = loadConfig(opts.cfg, 'dataset');
  const seed = opts.seed ?? cfg.seed ?? 0;
  const n = cfg.nEvents;
  const batch = generateBatch(Rng.fromSeed(seed), n, cfg.generator);
  const out = cfg.paths.dataset.replace(/\.pt$/, '.safetensors');
  mkdirSync(dirname(out), { recursive: true });
  writeSafetensors(
    out,
    new Map([
      ['c', { dtype: 'f32', shape: [n, 2], data: batch.cOneHot }],
      ['X', { dtype: 'f32', shape: [n, 2], data: batch.x }],
      ['y', { dtype: 'f32', shape: [n, 2], data: batch.y }],
    ]),
    { format: 'fnflow-dataset', generator: JSON.stringify(cfg.generator), seed: String(seed), n_events: String(n) },
  );
  if (out !== cfg.paths.dataset)
    process.stderr.write(`fnf: paths.dataset names a .pt file; wrote safetensors to ${out}\n`);
  process.stdout.write(`generated ${n} events (seed ${seed}) → ${out}\n`);
}
