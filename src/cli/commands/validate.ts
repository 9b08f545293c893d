/**
 * `fnf validate`: the validation figures (family A of spec/figures.md) and closure numbers.
 * Flags as validate_flows.py: `-c/--cfg` (base flows), `--sys-cfg`, `--out-dir`, `--n`.
 */
import { Option, type Command } from 'commander';
import { requireGeneratorTemplates } from './generator-templates.js';
import { checkBaseFlowsMatch, loadConfig, type BaseFlowsConfig, type SystematicsConfig } from '../../config/load.js';
import type { Device } from '../../backend/device.js';
import { DeferredSaves } from '../../plot/index.js';
import { deviceFor } from '../device.js';
import {
  closureText,
  runValidation,
  VALIDATE_DEFAULT_SEED,
  VALIDATE_MIN_N,
  type ValidationOptions,
  type ValidationResult,
} from '../../validate/pipeline.js';
import { cfgOption, existingFileParser, intParser, outputDirParser, type GlobalOptions } from '../options.js';
import { MAX_EVENTS } from '../../toy/sample.js';

export interface ValidateOptions extends GlobalOptions {
  /** base_flows.yaml path, as given. */
  cfg: string;
  /** systematics.yaml path; undefined = base-flow figures only. */
  sysCfg: string | undefined;
  outDir: string;
  /** Events per sample set. */
  n: number;
}

export const VALIDATE_DEFAULT_N = 100_000;
export const VALIDATE_DEFAULT_OUT_DIR = 'validation';

export function register(program: Command): Command {
  return program
    .command('validate')
    .description('compare the trained flows with the toy generator: validation figures and numbers')
    .addOption(cfgOption('base flows config (generator + base flows), e.g. configs/base_flows.yaml'))
    .addOption(
      new Option(
        '--sys-cfg <file>',
        'systematics config; also validates the residual models (default: none, base flows only)',
      ).argParser(existingFileParser(['.yaml', '.yml'])),
    )
    .addOption(
      new Option('--out-dir <dir>', 'directory for the figures, created if missing')
        .argParser(outputDirParser)
        .default(VALIDATE_DEFAULT_OUT_DIR),
    )
    .addOption(
      new Option('--n <count>', `events in every truth and model sample set (at least ${VALIDATE_MIN_N})`)
        .argParser(intParser(VALIDATE_MIN_N, MAX_EVENTS)) // every sample set is held in memory
        .default(VALIDATE_DEFAULT_N),
    )
    .action(async (_opts: unknown, cmd: Command) => run(cmd.optsWithGlobals<ValidateOptions>()));
}

export async function run(opts: ValidateOptions): Promise<void> {
  const t0 = performance.now();
  const configs = validateConfigs(opts);
  const dev = await deviceFor(opts);
  const saves = new DeferredSaves();
  const res = validateOn(dev, opts, configs, { saveFigure: saves.save });
  await saves.settle();
  reportValidation(opts, res, t0);
}

/** The configs of a validate run, checked (before any device exists). */
export function validateConfigs(opts: ValidateOptions): { base: BaseFlowsConfig; sys?: SystematicsConfig } {
  const base = loadConfig(opts.cfg, 'base');
  const sys = opts.sysCfg !== undefined ? loadConfig(opts.sysCfg, 'systematics') : undefined;
  if (sys) requireGeneratorTemplates(sys, 'validate compares the residual models with the toy generator’s exact truth');
  if (sys) checkBaseFlowsMatch(base, sys);
  return { base, sys };
}

/**
 * The validation on `dev`: progress on stderr, the closure table on stdout. `extra` passes
 * runValidation's saveFigure / onClosure through (fnf start overlaps work with the figures).
 */
export function validateOn(
  dev: Device,
  opts: ValidateOptions,
  { base, sys }: { base: BaseFlowsConfig; sys?: SystematicsConfig },
  extra: Pick<ValidationOptions, 'saveFigure' | 'onClosure' | 'closureSharing' | 'figureSharing'> = {},
): ValidationResult {
  // Reproducible by default: --seed, else the config's seed, else a fixed one.
  const seed = opts.seed ?? base.seed ?? VALIDATE_DEFAULT_SEED;
  log(`fnf validate: n = ${opts.n}, seed ${seed}, output ${opts.outDir}`);
  const res = runValidation(dev, { base, sys, n: opts.n, seed, outDir: opts.outDir, log, ...extra });
  process.stdout.write(closureText(res.report));
  return res;
}

/**
 * The last line: what was written, in how long, per stage (once every figure file is written);
 * `elsewhere`: figures another thread drew (fnf start).
 */
export function reportValidation(opts: ValidateOptions, res: ValidationResult, t0: number, elsewhere = 0): void {
  const stages = Object.entries(res.timings)
    .map(([k, v]) => `${k} ${v.toFixed(1)} s`)
    .join(', ');
  log(
    `wrote closure.json, closure.md and ${res.files.length + elsewhere} figures to ${opts.outDir}` +
      ` in ${((performance.now() - t0) / 1000).toFixed(1)} s (${stages})`,
  );
}

const log = (line: string) => process.stderr.write(`${line}\n`);
