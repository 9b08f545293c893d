/**
 * `fnf visualize`: the residual-transform showcase (family B of spec/figures.md): response
 * curves, displacement fields and nuisance cross-term maps of the residual stacks.
 * Flags as visualize_residual_transform.py (`-c/--cfg`, `--sys-cfg`, `--out-dir`, `--direction`,
 * `--m-value`, `--n`, `--which`, `--score-x`), plus the cross-term and --response-dims extras.
 */
import { existsSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { requireGeneratorTemplates } from './generator-templates.js';
import { checkBaseFlowsMatch, loadConfig, type BaseFlowsConfig, type SystematicsConfig } from '../../config/load.js';
import type { Device } from '../../backend/device.js';
import { DeferredSaves, type SaveFigure } from '../../plot/index.js';
import { deviceFor } from '../device.js';
import { loadResidualModel } from '../../models/load.js';
import { renderShowcase, type ShowcaseModels } from '../../visualize/showcase.js';
import { UserError } from '../errors.js';
import { SECTORS } from '../../toy/sector.js';
import {
  cfgOption,
  existingFileParser,
  indexListParser,
  outputDirParser,
  pointListParser,
  pointParser,
  positiveIntParser,
  positiveNumberParser,
  type GlobalOptions,
} from '../options.js';

export const DIRECTIONS = ['forward', 'inverse'] as const;
export type Direction = (typeof DIRECTIONS)[number];
export const WHICH = ['both', 'kin', 'score'] as const;
export type Which = (typeof WHICH)[number];

export interface VisualizeOptions extends GlobalOptions {
  /** base_flows.yaml path (generator + base flows), as given. */
  cfg: string;
  /** systematics.yaml path (residual models), as given. */
  sysCfg: string;
  outDir: string;
  /** Map drawn by response curves, field arrows and cross-term maps (forward = observed → nominal). */
  direction: Direction;
  /** |ν| of the field figures (figures at ν = ±mValue). */
  mValue: number;
  which: Which;
  /** Score contexts x, one figure set per point. */
  scoreX: number[][];
  /** Feature dims shown in the response rows and given cross-term figures; undefined = all. */
  responseDims: number[] | undefined;
  /** false with --no-crossterm. */
  crossterm: boolean;
  /** Kin cross-term probe point x. */
  crosstermX: number[];
  /** Score cross-term probe point y (used at every score context). */
  crosstermY: number[];
  /** Size of the range-defining samples; the truth sample is min(n, 40000). */
  n: number;
}

export const VISUALIZE_DEFAULT_N = 80_000;
export const VISUALIZE_DEFAULT_OUT_DIR = 'validation_transform';

export function register(program: Command): Command {
  return program
    .command('visualize')
    .description('showcase the residual transforms: response curves, displacement fields, cross-term maps')
    .addOption(cfgOption('base flows config (generator + base flows), e.g. configs/base_flows.yaml'))
    .addOption(
      new Option('--sys-cfg <file>', 'systematics config with the residual models (required)')
        .argParser(existingFileParser(['.yaml', '.yml']))
        .makeOptionMandatory(),
    )
    .addOption(
      new Option('--out-dir <dir>', 'directory for the figures, created if missing')
        .argParser(outputDirParser)
        .default(VISUALIZE_DEFAULT_OUT_DIR),
    )
    .addOption(
      new Option(
        '--direction <dir>',
        'map for response curves, field arrows and cross-term maps: forward = observed → nominal (correction), ' +
          'inverse = nominal → observed (deformation)',
      )
        .choices(DIRECTIONS)
        .default('forward'),
    )
    .addOption(
      new Option(
        '--m-value <v>',
        '|ν| of the displacement-field figures (drawn at ν = +v and ν = −v), a positive number',
      )
        .argParser(positiveNumberParser)
        .default(1, '1.0'),
    )
    .addOption(new Option('--which <model>', 'which residual model to draw').choices(WHICH).default('both'))
    .addOption(
      new Option('--score-x <points>', 'score contexts x, "x1,x2" points separated by ";" (one figure set each)')
        .argParser(pointListParser(2))
        .default(
          [
            [0, 0],
            [1.5, 0],
          ],
          '"0,0;1.5,0"',
        ),
    )
    .addOption(
      new Option(
        '--response-dims <dims>',
        'feature dims (0-based, comma-separated) for the response rows and the cross-term figures (default: all)',
      ).argParser(indexListParser),
    )
    .option('--no-crossterm', 'skip the nuisance cross-term figures (default: draw them)')
    .addOption(
      new Option('--crossterm-x <x1,x2>', 'kin cross-term probe point x')
        .argParser(pointParser(2))
        .default([1.0, 0.5], '"1.0,0.5"'),
    )
    .addOption(
      new Option('--crossterm-y <y1,y2>', 'score cross-term probe point y (at every score context)')
        .argParser(pointParser(2))
        .default([0, 0], '"0,0"'),
    )
    .addOption(
      new Option(
        '--n <count>',
        "size of the reference's range-defining samples" +
          '; accepted for compatibility and unused: fnf draws exact densities on a grid, nothing is sampled',
      )
        .argParser(positiveIntParser)
        .default(VISUALIZE_DEFAULT_N),
    )
    .action(async (_opts: unknown, cmd: Command) => run(cmd.optsWithGlobals<VisualizeOptions>()));
}

export async function run(opts: VisualizeOptions): Promise<void> {
  const configs = visualizeConfigs(opts);
  const t0 = performance.now();
  const dev = await deviceFor(opts);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const saves = new DeferredSaves();
  const written = renderVisualization(dev, opts, configs, log, saves.save);
  await saves.settle();
  log(`visualize: ${written.length} figures in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

/** The configs of a visualize run, checked (before any device or model exists). */
export function visualizeConfigs(opts: VisualizeOptions): { base: BaseFlowsConfig; sys: SystematicsConfig } {
  const base = loadConfig(opts.cfg, 'base');
  const sys = loadConfig(opts.sysCfg, 'systematics');
  requireGeneratorTemplates(sys, 'visualize draws the residual models against the toy generator’s exact truth');
  checkBaseFlowsMatch(base, sys);
  if (opts.responseDims !== undefined) {
    const dims = Math.min(sys.kin.residual.featuresDim, sys.score.residual.featuresDim);
    const bad = opts.responseDims.filter((d) => d >= dims);
    if (bad.length > 0) {
      throw new UserError(
        `--response-dims: expected feature indices below ${dims}` +
          ` (features_dim of ${opts.sysCfg}), found ${bad.join(', ')}`,
      );
    }
  }
  return { base, sys };
}

/**
 * Loads the residual models on `dev` and draws the showcase; returns the files (with a deferred
 * `saveFigure`, the ones started). What `fnf visualize` and `fnf start` run.
 */
export function renderVisualization(
  dev: Device,
  opts: VisualizeOptions,
  { sys }: { sys: SystematicsConfig },
  log: (line: string) => void,
  saveFigure?: SaveFigure,
): string[] {
  const need = (path: string, what: string) => {
    if (!existsSync(path))
      throw new UserError(
        `${opts.sysCfg}: paths.${what} names ${path}, which does not exist` +
          ` (train it or point the config at a checkpoint)`,
      );
    return path;
  };
  const models: ShowcaseModels = {};
  for (const s of SECTORS) {
    if (opts.which !== 'both' && opts.which !== s) continue;
    const { flow, residual, templates, paths } = sys[s];
    const model = loadResidualModel(
      dev,
      need(paths.residual, `${s}_residual_model`),
      { flow, residual },
      `residual_${s}_model`,
    );
    model.params.freeze();
    models[s] = { model, templates };
  }
  log(`visualize: figures → ${opts.outDir}`);
  return renderShowcase(models, {
    outDir: opts.outDir,
    direction: opts.direction,
    mValue: opts.mValue,
    scoreX: opts.scoreX,
    responseDims: opts.responseDims,
    crossterm: opts.crossterm,
    crosstermX: opts.crosstermX,
    crosstermY: opts.crosstermY,
    log,
    saveFigure,
  });
}
