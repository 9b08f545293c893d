/**
 * Toy studies: per toy, pseudo-data from the exact generator at the true (μ, ν) — or, for models
 * without an exact truth (trained on a user's files), from the flow model itself — global
 * observables ν̃ ~ N(ν_true, 1), and a fit with each model. Every toy is kept (a failed fit with its
 * reason, never dropped).
 *
 * Reproducibility and sharding: toy t draws everything from Rng.fromSeed(seed).fork(t), so a toy
 * does not depend on which process runs it; shard i of K runs the toys t with t mod K = i; the
 * file holds the toys sorted by index and a summary computed from them alone (no wall-clock
 * times), so merging the K shard files gives the single run's file bit for bit. For the same reason
 * the toys can run in worker threads of one process (runToysInWorkers, `fnf toys --jobs N`).
 */
import { Rng } from '../random/rng.js';
import type { ModelName } from './density-source.js';
import { fitLikelihood } from './run-fit.js';
import { likelihoodFor, type LikelihoodSettings } from './session.js';
import { requireTruth, type FitModels, type Observables } from './sources.js';
import { drawToy } from './toy-data.js';
import { drawFlowToy } from './model-draws.js';
import { summarizeToys, type ToySummary } from './toy-summary.js';
import { runInWorkers } from './toy-pool.js';
import type { BackendChoice } from '../backend/index.js';

export interface Shard {
  index: number;
  count: number;
}

export interface ToyStudyMeta {
  truth: { mu: number; nu: number[] };
  nuisance_names: string[];
  events: number;
  n_toys: number;
  seed: number;
  models: ModelName[];
  observables: string;
  extended: boolean;
  /** Parameters whose MINOS interval every fit computes (e.g. ["mu"]; [] = HESSE only). */
  minos: string[];
  /** Where the pseudo-data come from: the exact generator (absent: the same) or the flow model. */
  generator?: 'truth' | 'flow';
}

export interface ToyFitRecord {
  /** Parameter names, values, HESSE errors; per parameter its MINOS interval [lo, hi] (null: not run or not closed). */
  names: string[];
  values: number[];
  errors: number[];
  minos: ([number, number] | null)[];
  valid: boolean;
  edm: number;
  nfcn: number;
  message: string;
  /** Parameters whose curvature one event dominates in this fit (ModelFit.dominated). */
  dominated?: string[];
}

export interface ToyRecord {
  index: number;
  global_obs: number[];
  fits: Record<string, ToyFitRecord | { failed: string }>;
}

export interface ToyFile {
  meta: ToyStudyMeta;
  /** "i/K" for a shard file; null for a full study (a single run or a merge). */
  shard: string | null;
  toys: ToyRecord[];
  /** Computed for full studies only (null in shard files). */
  summary: ToySummary | null;
}

export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const i = m ? Number(m[1]) : NaN;
  const k = m ? Number(m[2]) : NaN;
  if (!m || !(k >= 1) || !(i >= 0 && i < k)) {
    throw new Error(`--shard: '${text}' is not i/K with 0 ≤ i < K (e.g. 0/4 … 3/4)`);
  }
  return { index: i, count: k };
}

export function shardToys(nToys: number, shard: Shard | null): number[] {
  const out: number[] = [];
  for (let t = 0; t < nToys; t++) if (!shard || t % shard.count === shard.index) out.push(t);
  return out;
}

/** The fit's parameter names for a study's settings (what `--minos` may name), in the fit's order. */
export function toyParameterNames(nuisanceNames: readonly string[], extended: boolean): string[] {
  return [...(extended ? ['n_sig', 'n_bkg'] : ['mu']), ...nuisanceNames.map((n) => `nu_${n}`)];
}

/**
 * `--minos`: true (bare flag) → the first parameter (μ, or n_sig when extended); "all"; or a comma-separated
 * list of parameter names, each checked against the fit's parameters.
 */
export function resolveMinosParameters(spec: boolean | string | undefined, names: readonly string[]): string[] {
  if (spec === undefined || spec === false) return [];
  if (spec === true) return [names[0]];
  const text = spec.trim();
  if (text === 'all') return [...names];
  const wanted = text.split(',').map((t) => t.trim());
  for (const w of wanted) {
    if (!names.includes(w)) {
      throw new Error(
        `--minos: unknown parameter '${w}'; expected 'all' or a comma-separated list of ${names.join(', ')}`,
      );
    }
  }
  return names.filter((n) => wanted.includes(n));
}

/** The true value of each fit parameter at the study's truth. */
export function trueValues(names: readonly string[], meta: ToyStudyMeta): number[] {
  return names.map((n) => {
    if (n === 'mu') return meta.truth.mu;
    if (n === 'n_sig') return meta.truth.mu * meta.events;
    if (n === 'n_bkg') return (1 - meta.truth.mu) * meta.events;
    const k = meta.nuisance_names.findIndex((x) => `nu_${x}` === n);
    if (k < 0) throw new Error(`toys: no true value for parameter ${n}`);
    return meta.truth.nu[k];
  });
}

export interface ToyRunOptions {
  models: FitModels;
  settings: LikelihoodSettings;
  meta: ToyStudyMeta;
  shard: Shard | null;
  /** Called after each toy (progress). */
  onToy?: (rec: ToyRecord, done: number, total: number, seconds: Record<string, number>) => void;
}

export function runToy(index: number, o: ToyRunOptions): { rec: ToyRecord; seconds: Record<string, number> } {
  const { meta, models } = o;
  const rng = Rng.fromSeed(meta.seed).fork(index);
  const globalObs = meta.truth.nu.map((v) => v + rng.normal());
  const ev =
    meta.generator === 'flow'
      ? drawFlowToy(rng, meta.events, meta.truth.mu, models, meta.truth.nu)
      : drawToy(rng, meta.events, meta.truth.mu, requireTruth(models, 'a toy study')(meta.truth.nu));
  const fits: ToyRecord['fits'] = {};
  const seconds: Record<string, number> = {};
  for (const name of meta.models) {
    const t0 = performance.now();
    try {
      const lik = likelihoodFor(name, models, ev, o.settings, globalObs);
      const f = fitLikelihood(lik, { minos: meta.minos });
      fits[name] = {
        names: f.json.parameters.map((p) => p.name),
        values: f.json.parameters.map((p) => p.value),
        errors: f.json.parameters.map((p) => p.error),
        minos: f.json.parameters.map((p) => p.minos),
        valid: f.json.valid,
        edm: f.json.edm,
        nfcn: f.json.nfcn,
        message: f.message,
        dominated: f.dominated,
      };
    } catch (e) {
      fits[name] = { failed: e instanceof Error ? e.message : String(e) };
    }
    seconds[name] = (performance.now() - t0) / 1000;
  }
  return { rec: { index, global_obs: globalObs, fits }, seconds };
}

export function runToys(o: ToyRunOptions): ToyFile {
  const idx = shardToys(o.meta.n_toys, o.shard);
  const toys: ToyRecord[] = [];
  for (const t of idx) {
    const { rec, seconds } = runToy(t, o);
    toys.push(rec);
    o.onToy?.(rec, toys.length, idx.length, seconds);
  }
  return finishToyFile(o.meta, o.shard, toys);
}

export function finishToyFile(meta: ToyStudyMeta, shard: Shard | null, toys: ToyRecord[]): ToyFile {
  const sorted = [...toys].sort((a, b) => a.index - b.index);
  return {
    meta,
    shard: shard ? `${shard.index}/${shard.count}` : null,
    toys: sorted,
    summary: shard && shard.count > 1 ? null : summarizeToys(meta, sorted),
  };
}

/** Merge shard files (or full files) of one study: same meta, every toy exactly once. */
export function mergeToyFiles(files: { name: string; file: ToyFile }[]): ToyFile {
  if (files.length === 0) throw new Error('toys merge: no files given');
  const ref = files[0];
  const metaText = JSON.stringify(ref.file.meta);
  const byIndex = new Map<number, { rec: ToyRecord; from: string }>();
  for (const { name, file } of files) {
    if (JSON.stringify(file.meta) !== metaText) {
      throw new Error(`toys merge: ${name} belongs to another study than ${ref.name} (their "meta" sections differ)`);
    }
    for (const rec of file.toys) {
      const seen = byIndex.get(rec.index);
      if (seen) throw new Error(`toys merge: toy ${rec.index} is in both ${seen.from} and ${name}`);
      byIndex.set(rec.index, { rec, from: name });
    }
  }
  const missing: number[] = [];
  for (let t = 0; t < ref.file.meta.n_toys; t++) if (!byIndex.has(t)) missing.push(t);
  if (missing.length > 0) {
    const list = missing.slice(0, 10).join(', ') + (missing.length > 10 ? ', …' : '');
    throw new Error(
      `toys merge: ${missing.length} of ${ref.file.meta.n_toys} toys missing (${list}); a shard file is absent?`,
    );
  }
  return finishToyFile(
    ref.file.meta,
    null,
    [...byIndex.values()].map((v) => v.rec),
  );
}

/** The JSON text of a toy file (one formatting, so merged and single runs match byte for byte). */
export function toyFileText(f: ToyFile): string {
  return `${JSON.stringify(f, null, 1)}\n`;
}

/**
 * A toys.json or shard file's text, checked enough that merging it cannot go wrong silently: the meta
 * fields the merge and the summary read, and every toy record's shape. A file that is not JSON (a figure
 * given by mistake) is named without echoing its bytes.
 */
export function parseToyFile(text: string, name: string): ToyFile {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch {
    throw new Error(`${name}: not a toys shard (not JSON)`);
  }
  const problem = toyFileProblem(j);
  if (problem) throw new Error(`${name}: not a toys shard of fnf toys: ${problem}`);
  return j as ToyFile;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isList = (v: unknown, item: (x: unknown) => boolean): boolean => Array.isArray(v) && v.every(item);
const isString = (x: unknown) => typeof x === 'string';
/** JSON writes a NaN or an infinite value as null. */
const isNumberOrNull = (x: unknown) => x === null || typeof x === 'number';
/** A value as it stood in the file, cut short (a whole record would flood the message). */
const brief = (v: unknown): string => {
  const text = JSON.stringify(v) ?? String(v);
  return text.length <= 40 ? text : `${text.slice(0, 37)}…`;
};

/** What is wrong with a parsed toy file, or null. */
function toyFileProblem(j: unknown): string | null {
  if (!isObject(j) || !isObject(j.meta) || !Array.isArray(j.toys)) return 'expected an object with "meta" and "toys"';
  const meta = j.meta;
  const nToys = meta.n_toys;
  if (!(typeof nToys === 'number' && Number.isSafeInteger(nToys) && nToys >= 1)) {
    return `meta.n_toys is ${brief(nToys)}, expected a positive integer`;
  }
  if (!isList(meta.models, isString) || !isList(meta.nuisance_names, isString)) {
    return 'meta.models and meta.nuisance_names must be lists of names';
  }
  if (!isObject(meta.truth) || typeof meta.truth.mu !== 'number' || !isList(meta.truth.nu, isNumberOrNull)) {
    return 'meta.truth must be { mu, nu } with numbers';
  }
  for (let t = 0; t < j.toys.length; t++) {
    const problem = toyRecordProblem(j.toys[t], nToys);
    if (problem) return `toys[${t}] ${problem}`;
  }
  return null;
}

/** What is wrong with one toy record of a study of `nToys` toys, or null. */
function toyRecordProblem(rec: unknown, nToys: number): string | null {
  if (!isObject(rec)) return `is ${brief(rec)}, expected a record { index, global_obs, fits }`;
  const i = rec.index;
  if (!(typeof i === 'number' && Number.isInteger(i) && i >= 0 && i < nToys)) {
    return `has index ${brief(i)}, expected an integer in [0, ${nToys})`;
  }
  if (!isList(rec.global_obs, isNumberOrNull)) return 'has no list of numbers global_obs';
  if (!isObject(rec.fits)) return 'has no object fits';
  for (const [model, f] of Object.entries(rec.fits)) {
    if (isObject(f) && typeof f.failed === 'string') continue;
    const ok =
      isObject(f) &&
      isList(f.names, isString) &&
      isList(f.values, isNumberOrNull) &&
      isList(f.errors, isNumberOrNull) &&
      Array.isArray(f.minos) &&
      typeof f.valid === 'boolean';
    if (!ok) return `fits.${model} is neither a fit { names, values, errors, minos, valid } nor { failed }`;
  }
  return null;
}

/** What a worker of runToysInWorkers (toy-worker.ts) is given: the configs' paths, to open its own models. */
export interface ToyWorkerData {
  cfg: string;
  sysCfg: string;
  backend: Exclude<BackendChoice, 'auto' | 'gpu'>;
  observables: Observables;
  settings: LikelihoodSettings;
  meta: ToyStudyMeta;
}

export interface ParallelToyOptions extends Omit<ToyRunOptions, 'models'> {
  /** What each worker needs to open its own models (toy-worker.ts). */
  worker: Omit<ToyWorkerData, 'settings' | 'meta'>;
  jobs: number;
  signal?: AbortSignal;
}

/**
 * The toys of a study (or shard) in `jobs` worker threads, one single-thread device each: the same records
 * as runToys (each toy depends on its index alone), gathered in completion order and sorted by the file.
 */
export async function runToysInWorkers(o: ParallelToyOptions): Promise<ToyFile> {
  const idx = shardToys(o.meta.n_toys, o.shard);
  const toys: ToyRecord[] = [];
  const data: ToyWorkerData = { ...o.worker, settings: o.settings, meta: o.meta };
  await runInWorkers<{ rec: ToyRecord; seconds: Record<string, number> }>({
    workerUrl: new URL('./toy-worker.js', import.meta.url),
    workerData: data,
    indices: idx,
    jobs: o.jobs,
    signal: o.signal,
    onResult: (_index, { rec, seconds }) => {
      toys.push(rec);
      o.onToy?.(rec, toys.length, idx.length, seconds);
    },
  });
  return finishToyFile(o.meta, o.shard, toys);
}
