/**
 * `fnf start` (what `npm start` runs): the main job on the shipped models — validation against
 * the exact truth (closure table + validation figures) and the residual-transform figures —
 * into out/, ending with the closure table and the list of figures.
 */
import { Option, type Command } from 'commander';
import { existsSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { packageRoot } from '../../backend/wasm/index.js';
import { loadConfig } from '../../config/load.js';
import { UserError } from '../errors.js';
import { outputDirParser, positiveIntParser, type GlobalOptions } from '../options.js';
import { run as runValidate, VALIDATE_DEFAULT_N } from './validate.js';
import { run as runVisualize, VISUALIZE_DEFAULT_N } from './visualize.js';

export interface StartOptions extends GlobalOptions {
  outDir: string;
  n: number;
}

export function register(program: Command): Command {
  return program
    .command('start')
    .description('the main job: validate the shipped models against the exact truth and draw every figure into out/')
    .addOption(
      new Option('--out-dir <dir>', 'output directory (validation/ and transform/ inside it)')
        .argParser(outputDirParser)
        .default('out'),
    )
    .addOption(
      new Option('--n <count>', 'events per validation sample set')
        .argParser(positiveIntParser)
        .default(VALIDATE_DEFAULT_N),
    )
    .action(async (_opts: unknown, cmd: Command) => run(cmd.optsWithGlobals<StartOptions>()));
}

export async function run(opts: StartOptions): Promise<void> {
  const t0 = performance.now();
  const root = packageRoot();
  const cfg = join(root, 'configs/base_flows.yaml');
  const sysCfg = join(root, 'configs/systematics.yaml');
  const sys = loadConfig(sysCfg, 'systematics');
  const base = loadConfig(cfg, 'base');
  const missing = [
    base.kin.paths.model,
    base.score.paths.model,
    sys.kin.paths.residual,
    sys.score.paths.residual,
  ].filter((p) => !existsSync(p));
  if (missing.length > 0) {
    throw new UserError(
      `the shipped models are missing: ${missing.map((p) => relative(root, p)).join(', ')}` +
        ` (train them with fnf train-base / fnf train-systematics, see README)`,
    );
  }
  const out = resolve(opts.outDir);
  const validationDir = join(out, 'validation');
  const transformDir = join(out, 'transform');
  const globals = { backend: opts.backend, seed: opts.seed, threads: opts.threads, verbose: opts.verbose };
  await runValidate({ ...globals, cfg, sysCfg, outDir: validationDir, n: opts.n });
  await runVisualize({
    ...globals,
    cfg,
    sysCfg,
    outDir: transformDir,
    direction: 'forward',
    mValue: 1,
    which: 'both',
    scoreX: [
      [0, 0],
      [1.5, 0],
    ],
    responseDims: undefined,
    crossterm: true,
    crosstermX: [1.0, 0.5],
    crosstermY: [0, 0],
    n: VISUALIZE_DEFAULT_N,
  } as Parameters<typeof runVisualize>[0]);
  const list = (dir: string) =>
    readdirSync(dir)
      .filter((f) => f.endsWith('.png'))
      .sort()
      .map((f) => relative(process.cwd(), join(dir, f)));
  const figures = [...list(validationDir), ...list(transformDir)];
  process.stdout.write(`\nfigures (${figures.length}):\n${figures.map((f) => `  ${f}`).join('\n')}\n`);
  process.stdout.write(`closure table: ${relative(process.cwd(), join(validationDir, 'closure.md'))}\n`);
  process.stdout.write(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}
