/**
 * `fnf fit`: fit μ (signal share, class A) and the nuisances ν to a data file or a toy drawn from
 * the exact generator, with each requested density model (flow, truth, base); print an
 * iminuit-style table per model and write `<out-dir>/fit.json` (atomically). Every input is
 * checked before a model is loaded or a file written.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { createDevice } from '../../backend/index.js';
import { Rng } from '../../random/rng.js';
import { MODEL_NAMES, type ModelName } from '../../fit/density-source.js';
import { OBSERVABLES, readDataFiles, type Observable } from '../../fit/data-file.js';
import { drawToy } from '../../fit/toy-data.js';
import { fitLikelihood, type ModelFit, type ModelFitJson } from '../../fit/run-fit.js';
import { fitTable } from '../../fit/table.js';
import { parseTruthSpec, type TruthPoint } from '../../fit/truth-spec.js';
import { checkSettings, likelihoodFor, openModels, type LikelihoodSettings } from '../../fit/session.js';
import { fitNuisanceNames, toyTruth } from '../../fit/setup.js';
import { TOY_NUISANCE_NAMES, type FitModels, type Observables } from '../../fit/sources.js';
import type { FitEvents } from '../../fit/events.js';
import { weightSums } from '../../analysis/columns.js';
import { FIT_FIGURE_FILES, fitFigures } from '../../fit/figures.js';
import { UserError } from '../errors.js';
import {
  cfgOption,
  existingFileParser,
  finiteNumberParser,
  namesParser,
  outputDirParser,
  type GlobalOptions,
} from '../options.js';
import { requireOutputDir, requireOutputFile } from '../output-path.js';

export const FIT_DEFAULT_SEED = 20240617;

/** What `--data` reads: the file(s), and where their observables (and weights) are. */
export interface DataOptions {
  /** One file, or several (`--data` repeated) whose events are concatenated. */
  data: string | string[] | undefined;
  toy: string | undefined;
  columns?: Partial<Record<Observable, string>>;
  tree?: string;
  /** fit only: the per-event weight column */
  weight?: string;
}

export interface FitCommonOptions extends GlobalOptions {
  cfg: string;
  sysCfg: string;
  /** Undefined: the default for the models (fitModelNames). */
  model: ModelName[] | undefined;
  observables: Observables;
  extended: boolean;
  fixMu: number | undefined;
  startMu: number | undefined;
  outDir: string;
}

export interface FitOptions extends FitCommonOptions, DataOptions {
  minos: boolean;
  figures: boolean;
}

/** The options `fit`, `scan` and `toys` share. */
export function addCommonFitOptions(cmd: Command, defaultOutDir: string, mandatory = true): Command {
  // `fnf toys` checks -c and --sys-cfg itself: commander would demand them of `fnf toys merge` too.
  const cfg = cfgOption('base flows config, e.g. configs/base_flows.yaml').makeOptionMandatory(mandatory);
  const sysCfg = new Option('--sys-cfg <file>', 'systematics config naming the residual models (required)')
    .argParser(existingFileParser(['.yaml', '.yml']))
    .makeOptionMandatory(mandatory);
  return cmd
    .addOption(cfg)
    .addOption(sysCfg)
    .addOption(
      new Option(
        '--model <names>',
        'density models to fit with: flow, truth, base (default: flow,truth,base; flow,base for models ' +
          'without an exact truth, such as those trained on your files)',
      ).argParser(namesParser(MODEL_NAMES)),
    )
    .addOption(
      new Option('--observables <which>', 'xy: kinematics and score; x: kinematics only')
        .choices(['xy', 'x'])
        .default('xy'),
    )
    .addOption(
      new Option('--extended', 'signal and background yields with the Poisson term instead of μ').default(false),
    )
    .addOption(
      new Option('--fix-mu <mu>', 'hold μ fixed at this value (default: μ is fitted)').argParser(finiteNumberParser),
    )
    .addOption(
      new Option('--start-mu <mu>', 'starting value of μ (default: its best value at the starting ν)').argParser(
        finiteNumberParser,
      ),
    )
    .addOption(
      new Option('--out-dir <dir>', 'output directory, created if missing')
        .argParser(outputDirParser)
        .default(defaultOutDir),
    );
}

export function register(program: Command): Command {
  const cmd = program
    .command('fit')
    .description('fit μ and the nuisances to data or a toy with the flow, truth and base densities');
  addDataOptions(addCommonFitOptions(cmd, 'fit'))
    .addOption(
      new Option(
        '--weight <column>',
        "the data file's per-event weight column (weighted Monte Carlo): errors from the sandwich " +
          'H⁻¹(Σw²ssᵀ)H⁻¹, no MINOS (default: every event counts once)',
      ),
    )
    .addOption(new Option('--no-minos', 'skip the MINOS intervals (default: run MINOS for every parameter)'))
    .addOption(new Option('--no-figures', 'skip the fit figures (default: draw them)'))
    .action(async (_o: unknown, c: Command) => {
      await run(c.optsWithGlobals<FitOptions>());
    });
  return cmd;
}

/** The events of `--data` or `--toy` (the toy string checked before anything is loaded). */
export function parseToyOption(
  text: string,
  names: readonly string[] = TOY_NUISANCE_NAMES,
): TruthPoint & { n: number } {
  const p = parseTruthSpec(text, names, { allowN: true, what: '--toy' });
  return { ...p, n: p.n ?? 20_000 };
}

export interface FitRunResult {
  n_events: number;
  /** With --weight: the weight column and its sums (Kish's effective number of events (Σw)²/Σw²). */
  weights?: { column: string; sum_w: number; sum_w2: number; effective_events: number; negative: number };
  fits: Record<string, ModelFitJson>;
}

/** The --weight summary of fit.json. */
function weightSummary(column: string, w: Float64Array): NonNullable<FitRunResult['weights']> {
  const { sum, sum2, negative } = weightSums(w);
  return { column, sum_w: sum, sum_w2: sum2, effective_events: sum2 > 0 ? (sum * sum) / sum2 : 0, negative };
}

/**
 * `--columns x1=pt,x2=eta,...`: the data file's names for the observables (the rest keep their own).
 * Every key is an observable, named once, and no two observables read the same column.
 */
export function columnMapParser(text: string): Partial<Record<Observable, string>> {
  const out: Partial<Record<Observable, string>> = {};
  for (const item of text.split(',')) {
    const m = /^\s*([^=\s]+)\s*=\s*(\S(?:.*\S)?)\s*$/.exec(item);
    if (!m) throw new InvalidArgumentError(`expected observable=column pairs such as x1=pt,x2=eta; got '${item}'`);
    const [, key, column] = m;
    if (!(OBSERVABLES as readonly string[]).includes(key)) {
      throw new InvalidArgumentError(`'${key}' is not an observable; expected ${OBSERVABLES.join(', ')}`);
    }
    if (out[key as Observable] !== undefined) throw new InvalidArgumentError(`'${key}' is mapped twice`);
    out[key as Observable] = column;
  }
  const named = OBSERVABLES.map((o) => out[o] ?? o);
  const twice = named.find((n, i) => named.indexOf(n) !== i);
  if (twice !== undefined) throw new InvalidArgumentError(`two observables would read the column '${twice}'`);
  return out;
}

/** The data options of `fit` and `scan`. */
export function addDataOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option(
        '--data <file>',
        'events to fit: fnf generate-dataset safetensors, or a column file (CSV, Parquet, .npz, ROOT) with ' +
          'x1,x2,y1,y2; repeat it for several files, their events concatenated ' +
          '(default: none; give --data or --toy)',
      ).argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), existingFileParser()(v)]),
    )
    .addOption(
      new Option(
        '--columns <map>',
        "the data file's names for the observables, e.g. x1=pt,x2=eta,y1=s1,y2=s2 (default: x1,x2,y1,y2)",
      ).argParser(columnMapParser),
    )
    .addOption(new Option('--tree <name>', "the ROOT file's TTree (default: its only one)"))
    .addOption(
      new Option(
        '--toy <truth>',
        'fit a toy from the exact generator, e.g. "mu=0.3,nu_shift=0.5,nu_squeeze=-0.4,n=20000" (default: none)',
      ),
    );
}

export interface Prepared {
  settings: LikelihoodSettings;
  /** --model, or its default for these models (without truth when they have none). */
  modelNames: ModelName[];
  models: FitModels;
  events: FitEvents;
  toy: (TruthPoint & { n: number }) | undefined;
  seed: number;
}

/** Checks every input (nothing loaded or written before), then loads the models and the events. */
export async function prepare(
  what: string,
  o: FitCommonOptions & DataOptions,
  outputs: readonly string[],
): Promise<Prepared> {
  if ((o.data === undefined) === (o.toy === undefined))
    throw new UserError(`${what}: give exactly one of --data and --toy`);
  const fileOnly = (['columns', 'tree', 'weight'] as const).find((k) => o[k] !== undefined);
  if (o.toy !== undefined && fileOnly)
    throw new UserError(`${what}: --${fileOnly} describes a --data file, not a --toy`);
  if (o.weight !== undefined && o.extended) {
    throw new UserError(
      `${what}: --weight with --extended is not supported: the sandwich errors here are those of the μ ` +
        'likelihood (the Poisson term has no per-event share); fit the weighted events without --extended',
    );
  }
  requireOutputDir(o.outDir, '--out-dir');
  // Each file, not just the directory: a fit.json or a figure name taken by a directory would otherwise fail
  // after the whole fit has run, or after fit.json was written.
  for (const f of outputs) requireOutputFile(join(o.outDir, f), '--out-dir');
  const settings: LikelihoodSettings = {
    observables: o.observables,
    extended: !!o.extended,
    fixMu: o.fixMu,
    startMu: o.startMu,
  };
  let toy: (TruthPoint & { n: number }) | undefined;
  let events: FitEvents | undefined;
  const base = loadConfig(o.cfg, 'base');
  const sys = loadConfig(o.sysCfg, 'systematics');
  const truth = toyTruth(sys);
  const modelNames = fitModelNames(what, o.model, truth);
  try {
    checkSettings(settings, modelNames);
    if (o.toy !== undefined) {
      if ('noTruth' in truth)
        throw new Error(`--toy draws from the exact generator; these models have none (${truth.noTruth}); give --data`);
      toy = parseToyOption(o.toy, fitNuisanceNames(sys));
    }
    if (o.data !== undefined) {
      const cols = { names: o.columns, tree: o.tree, weight: o.weight };
      const files = Array.isArray(o.data) ? o.data : [o.data];
      events = await readDataFiles(files, o.observables === 'xy', cols);
    }
  } catch (e) {
    throw new UserError(`${what}: ${(e as Error).message}`);
  }
  const dev = await createDevice({ backend: o.backend, threads: o.threads });
  const models = openModels(dev, base, sys, o.observables, modelNames);
  const seed = o.seed ?? sys.seed ?? FIT_DEFAULT_SEED;
  if (toy) events = drawToy(Rng.fromSeed(seed), toy.n, toy.mu, models.truthAt!(toy.nu));
  return { settings, modelNames, models, events: events!, toy, seed };
}

/**
 * The models to fit with: --model, or flow, truth, base — without truth for models that have no exact
 * generator (trained on a user's files), where naming it is refused with the reason.
 */
export function fitModelNames(
  what: string,
  asked: ModelName[] | undefined,
  truth: ReturnType<typeof toyTruth>,
): ModelName[] {
  if ('truthAt' in truth) return asked ?? ['flow', 'truth', 'base'];
  if (asked?.includes('truth')) {
    throw new UserError(
      `${what}: --model truth needs the exact generator, which these models do not have (${truth.noTruth}); ` +
        'fit with --model flow,base',
    );
  }
  return asked ?? ['flow', 'base'];
}

export async function run(o: FitOptions): Promise<FitRunResult> {
  const {
    settings,
    modelNames,
    models,
    events: ev,
    toy,
  } = await prepare('fit', o, ['fit.json', ...(o.figures ? FIT_FIGURE_FILES : [])]);
  const weights = o.weight !== undefined && ev.weights ? weightSummary(o.weight, ev.weights) : undefined;
  if (weights) {
    process.stdout.write(
      `${ev.n} events weighted by '${weights.column}': Σw = ${weights.sum_w.toPrecision(6)}, ` +
        `effective number of events (Σw)²/Σw² = ${weights.effective_events.toFixed(1)}` +
        `${weights.negative > 0 ? `, ${weights.negative} negative weights` : ''}\n\n`,
    );
  }
  const fits: Record<string, ModelFit> = {};
  for (const name of modelNames) {
    const lik = likelihoodFor(name, models, ev, settings);
    const f = fitLikelihood(lik, { minos: o.minos ? lik.names : [], weightedEvents: o.weight !== undefined });
    fits[name] = f;
    process.stdout.write(fitTable(name, f) + '\n');
  }
  const out: FitRunResult = {
    n_events: ev.n,
    ...(weights ? { weights } : {}),
    fits: Object.fromEntries(Object.entries(fits).map(([k, f]) => [k, f.json])),
  };
  mkdirSync(o.outDir, { recursive: true });
  writeFileAtomic(join(o.outDir, 'fit.json'), new TextEncoder().encode(`${JSON.stringify(out, null, 2)}\n`));
  if (o.figures) {
    const files = fitFigures(o.outDir, { models, events: ev, fits, settings, truth: toy });
    process.stderr.write(`fnf fit: wrote fit.json and ${files.length} figures to ${o.outDir}\n`);
  } else process.stderr.write(`fnf fit: wrote ${join(o.outDir, 'fit.json')}\n`);
  return out;
}
