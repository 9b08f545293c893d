/**
 * `fnf toys`: a toy study (pseudo-data from the exact generator, ν̃ ~ N(ν_true, 1), a fit per model)
 * writing `<out-dir>/toys.json`, or with `--shard i/K` the i-th of K slices to
 * `<out-dir>/toys-shard-<i>-of-<K>.json`; `fnf toys merge FILE… --out toys.json` joins shard files
 * into the file a single run writes (bit for bit). Figures (pulls, coverage) go beside a full study.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Option, type Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { createDevice } from '../../backend/index.js';
import { parseTruthSpec } from '../../fit/truth-spec.js';
import { TOY_NUISANCE_NAMES } from '../../fit/setup.js';
import { checkSettings, openModels, type LikelihoodSettings } from '../../fit/session.js';
import {
  mergeToyFiles,
  parseShard,
  parseToyFile,
  resolveMinosParameters,
  runToys,
  toyParameterNames,
  toyFileText,
  type Shard,
  type ToyFile,
  type ToyStudyMeta,
} from '../../fit/toys.js';
import { summaryMarkdown } from '../../fit/toy-summary.js';
import { toyFigures } from '../../fit/figures-toys.js';
import { UserError } from '../errors.js';
import { outputFileParser, positiveIntParser } from '../options.js';
import { addCommonFitOptions, FIT_DEFAULT_SEED, type FitCommonOptions } from './fit.js';

export interface ToysOptions extends FitCommonOptions {
  nToys: number;
  truth: string;
  events: number;
  shard: string | undefined;
  /** true (bare flag: μ), 'all', or a comma-separated list of parameter names. */
  minos: boolean | string;
  figures: boolean;
}

export function register(program: Command): Command {
  const cmd = program
    .command('toys')
    .description('toy study: pseudo-data from the exact generator fitted with each model (pulls, coverage)');
  addCommonFitOptions(cmd, 'toys', false)
    .addOption(new Option('--n-toys <n>', 'number of toys (required)').argParser(positiveIntParser))
    .addOption(new Option('--truth <point>', 'the true point, e.g. "mu=0.3,nu_shift=0.5,nu_squeeze=-0.4" (required)'))
    .addOption(new Option('--events <n>', 'events in every toy data set').argParser(positiveIntParser).default(2000))
    .addOption(
      new Option('--shard <i/K>', 'run only the i-th of K slices (0 ≤ i < K) for a batch farm (default: all toys)'),
    )
    .addOption(
      new Option(
        '--minos [parameters]',
        'MINOS intervals in every fit (coverage from MINOS too): of μ (bare flag), of all parameters ("all"), ' +
          'or of a comma-separated list such as mu,nu_squeeze',
      ).default(false),
    )
    .addOption(new Option('--no-figures', 'skip the pull and coverage figures (default: draw them)'))
    .action(async (_o: unknown, c: Command) => {
      await run(c.optsWithGlobals<ToysOptions>());
    });
  cmd
    .command('merge')
    .description('merge the shard files of one toy study into one toys.json')
    .argument('<files...>', 'shard files written by fnf toys --shard')
    .addOption(
      new Option('--out <file>', 'merged file').argParser(outputFileParser(['.json'])).default('toys/toys.json'),
    )
    .addOption(new Option('--no-figures', 'skip the pull and coverage figures (default: draw them)'))
    .action(async (files: string[], o: { out: string; figures: boolean }) => {
      merge(files, o.out, o.figures);
    });
  return cmd;
}

function writeToyFile(path: string, f: ToyFile, figures: boolean): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomic(path, new TextEncoder().encode(toyFileText(f)));
  if (f.summary) {
    process.stdout.write(summaryMarkdown(f.meta, f.summary));
    if (figures) toyFigures(dirname(path), f);
  }
  process.stderr.write(`fnf toys: wrote ${path}\n`);
}

export function merge(files: string[], out: string, figures: boolean): ToyFile {
  let merged: ToyFile;
  try {
    merged = mergeToyFiles(files.map((name) => ({ name, file: parseToyFile(readFileSync(name, 'utf8'), name) })));
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  writeToyFile(out, merged, figures);
  return merged;
}

export async function run(o: ToysOptions): Promise<ToyFile> {
  const settings: LikelihoodSettings = {
    observables: o.observables,
    extended: !!o.extended,
    fixMu: o.fixMu,
    startMu: o.startMu,
  };
  let shard: Shard | null = null;
  let truth;
  let minos: string[] = [];
  const missing = [
    ['-c, --cfg <file>', o.cfg],
    ['--sys-cfg <file>', o.sysCfg],
    ['--n-toys <n>', o.nToys],
    ['--truth <point>', o.truth],
  ].filter(([, v]) => v === undefined);
  if (missing.length > 0) throw new UserError(`toys: required option '${missing[0][0]}' not specified`);
  try {
    checkSettings(settings, o.model);
    truth = parseTruthSpec(o.truth, TOY_NUISANCE_NAMES, { allowN: false, what: '--truth' });
    if (o.shard !== undefined) shard = parseShard(o.shard);
    minos = resolveMinosParameters(o.minos, toyParameterNames(TOY_NUISANCE_NAMES, !!o.extended));
  } catch (e) {
    throw new UserError(`toys: ${(e as Error).message}`);
  }
  const base = loadConfig(o.cfg, 'base');
  const sys = loadConfig(o.sysCfg, 'systematics');
  const dev = await createDevice({ backend: o.backend, threads: o.threads });
  const models = openModels(dev, base, sys, o.observables);
  const meta: ToyStudyMeta = {
    truth: { mu: truth.mu, nu: truth.nu },
    nuisance_names: [...TOY_NUISANCE_NAMES],
    events: o.events,
    n_toys: o.nToys,
    seed: o.seed ?? sys.seed ?? FIT_DEFAULT_SEED,
    models: o.model,
    observables: o.observables,
    extended: !!o.extended,
    minos,
  };
  const totals: Record<string, number> = {};
  const t0 = performance.now();
  const file = runToys({
    models,
    settings,
    meta,
    shard,
    onToy: (rec, done, total, secs) => {
      for (const [k, v] of Object.entries(secs)) totals[k] = (totals[k] ?? 0) + v;
      const fails = Object.entries(rec.fits)
        .filter(([, f]) => 'failed' in f || !f.valid)
        .map(([m]) => m);
      process.stderr.write(
        `toy ${rec.index} (${done}/${total})${fails.length ? ` invalid: ${fails.join(', ')}` : ''} ` +
          Object.entries(secs)
            .map(([k, v]) => `${k} ${v.toFixed(2)} s`)
            .join(', ') +
          '\n',
      );
    },
  });
  const wall = (performance.now() - t0) / 1000;
  const n = file.toys.length;
  process.stderr.write(
    `fnf toys: ${n} toys in ${wall.toFixed(1)} s (${((60 * n) / wall).toFixed(1)} toys/minute); per model ` +
      Object.entries(totals)
        .map(([k, v]) => `${k} ${(v / Math.max(1, n)).toFixed(2)} s/toy`)
        .join(', ') +
      '\n',
  );
  const name = shard ? `toys-shard-${shard.index}-of-${shard.count}.json` : 'toys.json';
  writeToyFile(join(o.outDir, name), file, o.figures);
  return file;
}
