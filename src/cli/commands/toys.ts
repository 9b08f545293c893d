/**
 * `fnf toys`: a toy study (pseudo-data from the exact generator — or from the flow model for models
 * without one —, ν̃ ~ N(ν_true, 1), a fit per model)
 * writing `<out-dir>/toys.json`, or with `--shard i/K` the i-th of K slices to
 * `<out-dir>/toys-shard-<i>-of-<K>.json`; `fnf toys merge FILE… --out toys.json` joins shard files
 * into the file a single run writes (bit for bit). Figures (pulls, coverage) go beside a full study.
 * `--jobs N` (default: the CPUs) runs the toys in N worker threads with a single-thread device each; the
 * file is the one `--jobs 1` writes, bit for bit. Ctrl-C or a failing worker stops every worker and
 * writes nothing (a failing worker is named with the toy it ran).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { createDevice } from '../../backend/index.js';
import { MAX_TOY_EVENTS, parseTruthSpec } from '../../fit/truth-spec.js';
import { fitNuisanceNames, toyTruth } from '../../fit/setup.js';
import { checkSettings, openModels, type LikelihoodSettings } from '../../fit/session.js';
import {
  mergeToyFiles,
  parseShard,
  parseToyFile,
  resolveMinosParameters,
  runToys,
  runToysInWorkers,
  shardToys,
  toyParameterNames,
  toyFileText,
  type ToyRecord,
  type Shard,
  type ToyFile,
  type ToyStudyMeta,
} from '../../fit/toys.js';
import { summaryMarkdown } from '../../fit/toy-summary.js';
import { ToyWorkerError } from '../../fit/toy-pool.js';
import { toyFigures } from '../../fit/figures-toys.js';
import { UserError } from '../errors.js';
import { outputFileParser, positiveIntParser } from '../options.js';
import { addCommonFitOptions, FIT_DEFAULT_SEED, fitModelNames, type FitCommonOptions } from './fit.js';
import { requireOutputDir } from '../output-path.js';

export interface ToysOptions extends FitCommonOptions {
  nToys: number;
  truth: string;
  events: number;
  shard: string | undefined;
  /** true (bare flag: μ), 'all', or a comma-separated list of parameter names. */
  minos: boolean | string;
  figures: boolean;
  jobs: number;
}

/** --events: an event count within what a toy may hold (MAX_TOY_EVENTS, below the general cap). */
function toyEventsParser(text: string): number {
  const n = positiveIntParser(text);
  if (n > MAX_TOY_EVENTS) {
    throw new InvalidArgumentError(
      `expected at most ${MAX_TOY_EVENTS} (1e7): a toy's events and their densities are held in memory`,
    );
  }
  return n;
}

export function register(program: Command): Command {
  const cmd = program
    .command('toys')
    .description(
      'toy study: pseudo-data from the exact generator (or the flow model) fitted with each model (pulls, coverage)',
    );
  addCommonFitOptions(cmd, 'toys', false)
    .addOption(new Option('--n-toys <n>', 'number of toys (required)').argParser(positiveIntParser))
    .addOption(new Option('--truth <point>', 'the true point, e.g. "mu=0.3,nu_shift=0.5,nu_squeeze=-0.4" (required)'))
    .addOption(new Option('--events <n>', 'events in every toy data set').argParser(toyEventsParser).default(2000))
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
    .addOption(
      new Option('--jobs <n>', 'toys run in n worker threads with one kernel thread each; 1: in this process')
        .argParser(positiveIntParser)
        .default(availableParallelism(), `the CPUs, here ${availableParallelism()}`),
    )
    .action(async (_o: unknown, c: Command) => {
      await run(c.optsWithGlobals<ToysOptions>());
    });
  cmd
    .command('merge')
    .description('merge the shard files of one toy study into one toys.json')
    // its help lists its own options only: the study's (-c, --n-toys, --truth …) are not needed to merge
    .configureHelp({ showGlobalOptions: false })
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
    merged = mergeToyFiles(files.map((name) => ({ name, file: parseToyFile(readShard(name), name) })));
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  writeToyFile(out, merged, figures);
  return merged;
}

/** A shard file's text; a file that cannot be read is the user's (a mistyped name), said in one line. */
function readShard(name: string): string {
  try {
    return readFileSync(name, 'utf8');
  } catch (e) {
    throw new Error(`toys merge: cannot read ${name} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
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
  requireOutputDir(o.outDir, '--out-dir');
  const base = loadConfig(o.cfg, 'base');
  const sys = loadConfig(o.sysCfg, 'systematics');
  // Models without an exact truth (trained on a user's files): the flow model itself generates the
  // pseudo-data, and the study checks the fit's self-consistency (bias, coverage) under that model.
  const toyGen = toyTruth(sys);
  const generator = 'truthAt' in toyGen ? ('truth' as const) : ('flow' as const);
  const modelNames = fitModelNames('toys', o.model, toyGen);
  if ('noTruth' in toyGen) {
    process.stderr.write(
      `fnf toys: pseudo-data from the flow model: these models have no exact truth (${toyGen.noTruth})\n`,
    );
  }
  const names = fitNuisanceNames(sys);
  try {
    checkSettings(settings, modelNames);
    truth = parseTruthSpec(o.truth, names, { allowN: false, what: '--truth' });
    if (o.shard !== undefined) shard = parseShard(o.shard);
    minos = resolveMinosParameters(o.minos, toyParameterNames(names, !!o.extended));
  } catch (e) {
    throw new UserError(`toys: ${(e as Error).message}`);
  }
  const jobs = Math.min(o.jobs ?? 1, shardToys(o.nToys, shard).length);
  if (jobs > 1 && o.backend === 'gpu') {
    throw new UserError('toys: --jobs runs wasm workers; with --backend gpu use --jobs 1');
  }
  const meta: ToyStudyMeta = {
    truth: { mu: truth.mu, nu: truth.nu },
    nuisance_names: names,
    events: o.events,
    n_toys: o.nToys,
    seed: o.seed ?? sys.seed ?? FIT_DEFAULT_SEED,
    models: modelNames,
    observables: o.observables,
    extended: !!o.extended,
    minos,
    ...(generator === 'flow' ? { generator } : {}),
  };
  const totals: Record<string, number> = {};
  const t0 = performance.now();
  const onToy = (rec: ToyRecord, done: number, total: number, secs: Record<string, number>): void => {
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
  };
  let file: ToyFile;
  if (jobs > 1) {
    // refuse bad models here, before the workers start
    openModels(await createDevice({ backend: 'ts', threads: 1 }), base, sys, o.observables, modelNames);
    file = await inWorkers(o, { settings, meta, shard, onToy, jobs });
  } else {
    const dev = await createDevice({ backend: o.backend, threads: o.threads });
    file = runToys({ models: openModels(dev, base, sys, o.observables, modelNames), settings, meta, shard, onToy });
  }
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

/** The toys in worker threads; Ctrl-C stops them all and nothing is written. */
async function inWorkers(
  o: ToysOptions,
  p: {
    settings: LikelihoodSettings;
    meta: ToyStudyMeta;
    shard: Shard | null;
    onToy: (rec: ToyRecord, done: number, total: number, secs: Record<string, number>) => void;
    jobs: number;
  },
): Promise<ToyFile> {
  const stop = new AbortController();
  let done = 0;
  const onSigint = (): void => stop.abort();
  process.once('SIGINT', onSigint);
  process.stderr.write(`fnf toys: ${p.jobs} workers, one kernel thread each\n`);
  try {
    return await runToysInWorkers({
      ...p,
      onToy: (rec, n, total, secs) => {
        done = n;
        p.onToy(rec, n, total, secs);
      },
      signal: stop.signal,
      worker: { cfg: o.cfg, sysCfg: o.sysCfg, backend: o.backend === 'ts' ? 'ts' : 'wasm', observables: o.observables },
    });
  } catch (e) {
    if (stop.signal.aborted) throw new UserError(`toys: interrupted after ${done} toys; nothing written`, 130);
    if (e instanceof ToyWorkerError) throw new UserError(`toys: ${e.message}; nothing written`, 1);
    throw e;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}
