/**
 * Flag-value parsers shared by the `fnf` commands, and the global options.
 *
 * Each parser turns the flag's text into a typed value or throws commander's
 * InvalidArgumentError with what was expected; commander then prints
 * "option '--n <count>' argument 'abc' is invalid. expected a positive integer", which names the
 * flag, and the entry point exits with code 2.
 */
import { statSync } from 'node:fs';
import { extname } from 'node:path';
import { InvalidArgumentError, Option } from 'commander';
import { MAX_THREADS, defaultThreads } from '../backend/wasm/index.js';
import { outputDirProblem, outputFileProblem } from './output-path.js';
import { EVENTS_MEMORY, MAX_EVENTS } from '../toy/sample.js';

export const BACKENDS = ['auto', 'wasm', 'ts', 'gpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** Options every command receives (from the program level, or their environment variables). */
export interface GlobalOptions {
  backend: BackendName;
  /** Undefined: use the config's `seed`, else a random one. */
  seed: number | undefined;
  threads: number;
  /** Print details such as the GPU probe's reasons (`--verbose`). */
  verbose?: boolean;
}

/** Worker threads used when --threads / FNF_THREADS is not given: the cores, at most 8. */
export const DEFAULT_THREADS = defaultThreads();
/** The most threads a kernel pool takes (the caller and its workers). */
export { MAX_THREADS };

export function globalOptions(): Option[] {
  return [
    new Option('--backend <name>', 'compute backend: auto = gpu when a GPU is found, else wasm')
      .choices(BACKENDS)
      .default('auto')
      .env('FNF_BACKEND'),
    new Option(
      '--seed <n>',
      "random seed, an integer in [0, 4294967295] (default: the config's seed, else a fixed default, so runs repeat)",
    ).argParser(seedParser),
    new Option('--threads <n>', `worker threads for the wasm backend, 1–${MAX_THREADS}`)
      .argParser(intParser(1, MAX_THREADS))
      .default(DEFAULT_THREADS, `CPU cores up to 8, here ${DEFAULT_THREADS}`)
      .env('FNF_THREADS'),
    new Option('--verbose', "print details: the GPU probe's reasons behind --backend auto's choice").default(false),
  ];
}

// ---------------------------------------------------------------------------------------------
// Numbers

function toNumber(text: string): number | undefined {
  const t = text.trim();
  if (t === '' || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return undefined;
  const v = Number(t);
  return Number.isFinite(v) ? v : undefined;
}

/** Integer in [min, max] (scientific notation allowed when it is integral, e.g. 1e5). */
export function intParser(min: number, max = Number.MAX_SAFE_INTEGER): (text: string) => number {
  const expected =
    max === Number.MAX_SAFE_INTEGER
      ? min === 1
        ? 'expected a positive integer'
        : `expected an integer ≥ ${min}`
      : `expected an integer in [${min}, ${max}]`;
  return (text) => {
    const v = toNumber(text);
    if (v === undefined || !Number.isInteger(v) || v < min || v > max) throw new InvalidArgumentError(expected);
    return v;
  };
}

export const positiveIntParser = intParser(1);
export const seedParser = intParser(0, 4294967295);

/**
 * A number of events to draw (generate-dataset --n-events, toys --events): a positive integer up
 * to MAX_EVENTS, since all of them are held in memory at once (more failed deep inside as
 * "Invalid typed array length", or ran the machine out of memory).
 */
export function eventCountParser(text: string): number {
  const v = toNumber(text);
  if (v === undefined || !Number.isInteger(v) || v < 1) throw new InvalidArgumentError('expected a positive integer');
  if (v > MAX_EVENTS) throw new InvalidArgumentError(`expected at most ${MAX_EVENTS} (1e8): ${EVENTS_MEMORY}`);
  return v;
}

/** A finite decimal number (--fix-mu, --start-mu: their bounds are checked where they are used). */
export function finiteNumberParser(text: string): number {
  const v = toNumber(text);
  if (v === undefined) throw new InvalidArgumentError('expected a finite number such as 0.3');
  return v;
}

export function positiveNumberParser(text: string): number {
  const v = toNumber(text);
  if (v === undefined || v <= 0) throw new InvalidArgumentError('expected a positive number');
  return v;
}

/** "a,b" → [a, b]: exactly `dims` finite numbers separated by commas. */
export function pointParser(dims = 2): (text: string) => number[] {
  return (text) => {
    const parts = text.split(',');
    const values = parts.map(toNumber);
    if (parts.length !== dims || values.some((v) => v === undefined)) {
      throw new InvalidArgumentError(
        `expected ${dims} numbers separated by commas, e.g. "${new Array(dims).fill('0').join(',')}"`,
      );
    }
    return values as number[];
  };
}

/** "a,b;c,d" → [[a, b], [c, d]]: one or more points of `dims` numbers, separated by semicolons. */
export function pointListParser(dims = 2): (text: string) => number[][] {
  const one = pointParser(dims);
  return (text) => {
    const items = text.split(';').filter((s) => s.trim() !== '');
    if (items.length === 0) throw new InvalidArgumentError(`expected points like "0,0;1.5,0" (${dims} numbers each)`);
    return items.map((item, i) => {
      try {
        return one(item);
      } catch {
        throw new InvalidArgumentError(
          `expected points like "0,0;1.5,0" (${dims} numbers each, separated by ";"); point ${i + 1} is "${item}"`,
        );
      }
    });
  };
}

/** "0,1" → [0, 1]: distinct non-negative integers. */
export function indexListParser(text: string): number[] {
  const parse = intParser(0);
  const parts = text.split(',');
  let out: number[];
  try {
    out = parts.map((p) => parse(p));
  } catch {
    throw new InvalidArgumentError('expected non-negative integers separated by commas, e.g. "0" or "0,1"');
  }
  if (new Set(out).size !== out.length) throw new InvalidArgumentError(`expected distinct indices, found "${text}"`);
  return out;
}

/** "a,b" → ['a', 'b'] restricted to `allowed`, duplicates dropped, order kept. */
export function namesParser<const T extends string>(allowed: readonly T[]): (text: string) => T[] {
  return (text) => {
    const names = text
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    const bad = names.filter((n) => !(allowed as readonly string[]).includes(n));
    if (names.length === 0 || bad.length > 0) {
      const what = bad.length > 0 ? `unknown ${bad.map((b) => `"${b}"`).join(', ')}; ` : '';
      throw new InvalidArgumentError(`${what}expected a comma-separated list of ${allowed.join(', ')}`);
    }
    return [...new Set(names)] as T[];
  };
}

// ---------------------------------------------------------------------------------------------
// Files

/** An existing file, optionally with one of `extensions` (with the dot). Returns the text as given. */
export function existingFileParser(extensions?: readonly string[]): (text: string) => string {
  return (text) => {
    if (extensions && !extensions.includes(extname(text).toLowerCase())) {
      throw new InvalidArgumentError(`expected a file ending in ${extensions.join(' or ')}`);
    }
    let isFile = false;
    try {
      isFile = statSync(text).isFile();
    } catch {
      throw new InvalidArgumentError(`file not found: ${text}`);
    }
    if (!isFile) throw new InvalidArgumentError(`expected a file, found a directory: ${text}`);
    return text;
  };
}

/** A path that will be written, with one of `extensions`. */
export function outputFileParser(extensions: readonly string[]): (text: string) => string {
  return (text) => {
    if (!extensions.includes(extname(text).toLowerCase())) {
      throw new InvalidArgumentError(`expected a file name ending in ${extensions.join(' or ')}`);
    }
    const problem = outputFileProblem(text);
    if (problem) throw new InvalidArgumentError(`expected a file that can be written: ${problem}`);
    return text;
  };
}

/** An existing directory. */
export function existingDirParser(text: string): string {
  let isDir = false;
  try {
    isDir = statSync(text).isDirectory();
  } catch {
    throw new InvalidArgumentError(`directory not found: ${text}`);
  }
  if (!isDir) throw new InvalidArgumentError(`expected a directory, found a file: ${text}`);
  return text;
}

/** An output directory: a non-empty path where a directory exists or can be created (nothing is made here). */
export function outputDirParser(text: string): string {
  if (text.trim() === '') throw new InvalidArgumentError('expected a directory path');
  const problem = outputDirProblem(text);
  if (problem) throw new InvalidArgumentError(`expected a directory that can be written: ${problem}`);
  return text;
}

// ---------------------------------------------------------------------------------------------
// Options shared with the reference scripts' command lines (train_base_flows.py, …)

/** `-c, --cfg <file>`: the config flag of every reference script (always required there). */
export function cfgOption(description: string): Option {
  return new Option('-c, --cfg <file>', `${description} (required)`)
    .argParser(existingFileParser(['.yaml', '.yml']))
    .makeOptionMandatory();
}

/** Training steps of train_base_flows.py / train_systematics.py, in the order they run. */
export const TRAIN_STEPS = ['train_score', 'train_kin'] as const;
export type TrainStep = (typeof TRAIN_STEPS)[number];

/**
 * "train_kin,train_score" → the named steps in run order (score before kin, whatever the order
 * given, as the reference scripts do).
 */
export function trainStepsParser(text: string): TrainStep[] {
  const named = namesParser(TRAIN_STEPS)(text);
  return TRAIN_STEPS.filter((s) => named.includes(s));
}

/**
 * `-s, --steps <list>`: which models to train (reference flag; required there, here it defaults
 * to both).
 */
export function trainStepsOption(): Option {
  return new Option('-s, --steps <list>', 'comma-separated training steps: train_score, train_kin (run score first)')
    .argParser(trainStepsParser)
    .default([...TRAIN_STEPS], 'train_score,train_kin');
}

/** `--epochs <n>` (fnflow extra): overrides training.<model>.nepochs. */
export function epochsOption(): Option {
  return new Option(
    '--epochs <n>',
    "number of epochs, overriding the config's training.*.nepochs (default: from the config)",
  ).argParser(positiveIntParser);
}

/** `--steps-per-epoch <n>` (fnflow extra; `--steps` is the reference's step list). */
export function stepsPerEpochOption(): Option {
  return new Option(
    '--steps-per-epoch <n>',
    "optimizer steps per epoch, overriding the config's training.*.steps_per_epoch (default: from the config)",
  ).argParser(positiveIntParser);
}

/** `--resume` (fnflow extra). */
export function resumeOption(): Option {
  return new Option(
    '--resume',
    'continue each model from its last saved training state instead of starting fresh',
  ).default(false);
}
