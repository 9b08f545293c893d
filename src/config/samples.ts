/**
 * The optional `samples:` section of base_flows.yaml and systematics.yaml: train on events read
 * from files (Parquet, NumPy, CSV, ROOT) instead of the toy generator. Without it a config loads
 * and trains exactly as the reference schema says.
 *
 *   samples:
 *     holdout: 0.1                  # fraction held out for the validation NLL (default 0.1)
 *     placeholders: refuse          # refuse (default) or keep values that look like −999 / 1e30
 *                                   # far from their column's bulk (src/train/placeholders.ts)
 *     columns:                      # the column mapping (these are the defaults)
 *       features: [x1, x2]          # kinematics x
 *       scores: [y1, y2]            # scores y
 *       class: label                # 0 = class A, 1 = class B (omit when each file names its class)
 *       weight: weight              # optional per-event weight (negative weights allowed)
 *       tree: events                # ROOT only: the TTree (default: the file's only one)
 *     nominal: data/nominal.parquet # a file, a list of files, or {files, class} entries
 *     templates:                    # systematics only: one entry per template, with its ν
 *       - {files: data/shift_up.parquet, nu: [1, 0]}
 *     nuisances: [jes, jer]         # systematics only: names of ν's components, for the fit's
 *                                   # parameters nu_jes, nu_jer (default: the toy's shift, squeeze
 *                                   # for two, else 1, 2, …)
 *     kin: {...}                    # optional per-sector overrides of the keys above
 *     score: {...}
 */
import {
  at,
  fail,
  list,
  nonEmptyString,
  num,
  oneOf,
  optional,
  problem,
  section,
  anyNumber,
  type Check,
  type Where,
} from './kit.js';
import { isAbsolute, resolve as resolvePath } from 'node:path';

export interface SampleColumns {
  features: [string, string];
  scores: [string, string];
  /** The class column; undefined when every file names its class. */
  class?: string;
  weight?: string;
  tree?: string;
}

export interface SampleFile {
  path: string;
  /** Every event of this file is of this class (one file per class). */
  class?: 0 | 1;
}

export interface SampleSet {
  files: SampleFile[];
  /** The template's nuisance values ν (templates only). */
  nu?: number[];
}

/** What loading does with values that look like placeholders (src/train/placeholders.ts). */
export type PlaceholderPolicy = 'refuse' | 'keep';

export interface SectorSamples {
  holdout: number;
  placeholders: PlaceholderPolicy;
  columns: SampleColumns;
  nominal?: SampleSet;
  templates: SampleSet[];
}

export interface SamplesConfig {
  kin: SectorSamples;
  score: SectorSamples;
  /** Names of the nuisances (ν's components), shared by both sectors. */
  nuisances?: string[];
}

const DEFAULT_COLUMNS: SampleColumns = { features: ['x1', 'x2'], scores: ['y1', 'y2'], class: 'label' };

const columnPair = list(nonEmptyString, { length: 2 }) as Check<string[]> as Check<[string, string]>;

const columnsSection = section({
  features: optional(columnPair),
  scores: optional(columnPair),
  class: optional(nullableName),
  weight: optional(nonEmptyString),
  tree: optional(nonEmptyString),
});

function nullableName(v: unknown, where: Where): string | null {
  return v === null ? null : nonEmptyString(v, where);
}

const classValue: Check<0 | 1> = (v, where) => {
  if (v === 0 || v === 'A') return 0;
  if (v === 1 || v === 'B') return 1;
  return fail(where, '0 or "A" (class A), 1 or "B" (class B)', v);
};

/** A path relative to the config file (any extension: the reader goes by content). */
const samplePath: Check<string> = (v, where) => {
  const raw = nonEmptyString(v, where);
  return isAbsolute(raw) ? raw : resolvePath(where.baseDir, raw);
};

const fileList: Check<string[]> = (v, where) =>
  Array.isArray(v) ? list(samplePath, { minLength: 1 })(v, where) : [samplePath(v, where)];

const entrySection = section({
  files: optional(fileList),
  file: optional(fileList),
  class: optional(classValue),
  nu: optional(list(anyNumber, { minLength: 1 })),
});

/** One entry: a path, or {files | file, class?, nu?}. */
function entry(v: unknown, where: Where): SampleSet {
  if (typeof v === 'string') return { files: [{ path: samplePath(v, where) }] };
  const e = entrySection(v, where);
  const paths = e.files ?? e.file;
  if (!paths) problem(where, 'missing key files (a file or a list of files)');
  if (e.files && e.file) problem(where, 'give files or file, not both');
  return { files: paths!.map((path) => ({ path, class: e.class })), nu: e.nu };
}

/** The nominal sample: a path, a list of paths and/or entries (concatenated), or one entry. */
const nominalSample: Check<SampleSet> = (v, where) => {
  if (!Array.isArray(v)) {
    const set = entry(v, where);
    if (set.nu) problem(at(where, 'nu'), 'the nominal sample has no ν (templates have)');
    return set;
  }
  if (v.length === 0) return fail(where, 'a file or a non-empty list of files', v);
  const sets = v.map((item, i) => entry(item, at(where, i)));
  return { files: sets.flatMap((s) => s.files) };
};

const templateSample: Check<SampleSet> = (v, where) => {
  const set = entry(v, where);
  if (!set.nu) problem(at(where, 'nu'), "missing required key (expected the template's nuisance values, e.g. [1, 0])");
  return set;
};

const holdoutFraction = num({ min: 0, max: 0.9 });

const sectorFields = {
  holdout: optional(holdoutFraction),
  placeholders: optional(oneOf(['refuse', 'keep'] as const)),
  columns: optional(columnsSection),
  nominal: optional(nominalSample),
  templates: optional(list(templateSample, { minLength: 1 })),
};
const sectorSection = section(sectorFields);
/** A nuisance name: it becomes the fit parameter nu_<name>, so an identifier. */
const nuisanceName: Check<string> = (v, where) => {
  const name = nonEmptyString(v, where);
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name)) fail(where, 'a name of letters, digits and _ (starting with a letter)', v);
  return name;
};

const nuisanceNames: Check<string[]> = (v, where) => {
  const names = list(nuisanceName, { minLength: 1 })(v, where);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) problem(where, `"${twice}" is named twice`);
  return names;
};

const samplesTop = section({
  ...sectorFields,
  nuisances: optional(nuisanceNames),
  kin: optional(sectorSection),
  score: optional(sectorSection),
});

type SectorInput = ReturnType<typeof sectorSection>;

/** Validates `samples:` (where = its place in the config file). */
export function samplesSection(v: unknown, where: Where): SamplesConfig {
  const top = samplesTop(v, where);
  const sector = (name: 'kin' | 'score'): SectorSamples => {
    const own: Partial<SectorInput> = top[name] ?? {};
    const cols = { ...top.columns, ...stripUndefined(own.columns ?? {}) };
    const columns: SampleColumns = {
      features: cols.features ?? DEFAULT_COLUMNS.features,
      scores: cols.scores ?? DEFAULT_COLUMNS.scores,
      class: cols.class === null ? undefined : (cols.class ?? DEFAULT_COLUMNS.class),
      weight: cols.weight,
      tree: cols.tree,
    };
    const out: SectorSamples = {
      holdout: own.holdout ?? top.holdout ?? 0.1,
      placeholders: own.placeholders ?? top.placeholders ?? 'refuse',
      columns,
      nominal: own.nominal ?? top.nominal,
      templates: own.templates ?? top.templates ?? [],
    };
    const w = top[name] ? at(where, name) : where;
    for (const set of [out.nominal, ...out.templates]) {
      if (set && !columns.class && set.files.some((f) => f.class === undefined))
        problem(at(w, 'columns'), 'class: null needs every file to name its class ({files: …, class: 0 or 1})');
    }
    return out;
  };
  return { kin: sector('kin'), score: sector('score'), ...(top.nuisances ? { nuisances: top.nuisances } : {}) };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
