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
import { Worker } from 'node:worker_threads';
import { deviceFor } from '../device.js';
import { DeferredSaves } from '../../plot/index.js';
import type { VisualizeWorkerMessage } from '../visualize-worker.js';
import { reportValidation, validateConfigs, validateOn, VALIDATE_DEFAULT_N, type ValidateOptions } from './validate.js';
import { renderVisualization, visualizeConfigs, VISUALIZE_DEFAULT_N, type VisualizeOptions } from './visualize.js';

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
  const validateOpts: ValidateOptions = { ...globals, cfg, sysCfg, outDir: validationDir, n: opts.n };
  const visualizeOpts: VisualizeOptions = {
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
  };
  const validateConfigsChecked = validateConfigs(validateOpts);
  const visualizeConfigsChecked = visualizeConfigs(visualizeOpts);
  // One device for the whole job (one GPU probe, one kernel pool).
  const dev = await deviceFor(opts);
  const saves = new DeferredSaves();
  // On wasm the showcase runs in a worker thread once the closure is done, beside the validation
  // figures (mostly single-threaded drawing), instead of after them.
  let showcase: Promise<WorkerOutcome> | null = null;
  const res = validateOn(dev, validateOpts, validateConfigsChecked, {
    saveFigure: saves.save,
    onClosure: dev.backend === 'wasm' ? () => (showcase = visualizeInWorker(visualizeOpts)) : undefined,
  });
  await saves.settle();
  reportValidation(validateOpts, res, t0);
  const tVis = performance.now();
  let nVis: number;
  if (showcase) {
    const outcome: WorkerOutcome = await showcase;
    for (const line of outcome.lines) log(line);
    nVis = outcome.files.length;
  } else {
    nVis = renderVisualization(dev, visualizeOpts, visualizeConfigsChecked, log, saves.save).length;
    await saves.settle();
  }
  log(`visualize: ${nVis} figures (${((performance.now() - tVis) / 1000).toFixed(1)} s after the validation)`);
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

const log = (line: string) => process.stderr.write(`${line}\n`);

interface WorkerOutcome {
  files: string[];
  /** The worker's progress lines, printed after the validation's. */
  lines: string[];
}

/** `fnf visualize` with these options in a worker thread (src/cli/visualize-worker.ts). */
function visualizeInWorker(opts: VisualizeOptions): Promise<WorkerOutcome> {
  return new Promise((resolveOutcome, reject) => {
    const lines: string[] = [];
    let settled = false;
    const worker = new Worker(new URL('../visualize-worker.js', import.meta.url), { workerData: opts });
    worker.on('message', (m: VisualizeWorkerMessage) => {
      if (m.kind === 'log') lines.push(m.line);
      else if (m.kind === 'done') {
        settled = true;
        lines.push(`visualize: ${m.files.length} figures in ${m.seconds.toFixed(1)} s (worker thread)`);
        resolveOutcome({ files: m.files, lines });
      } else {
        settled = true;
        reject(
          m.exitCode === null ? new Error(`visualize (worker): ${m.message}`) : new UserError(m.message, m.exitCode),
        );
      }
    });
    worker.on('error', (e) => {
      settled = true;
      reject(new Error(`visualize (worker): ${e.message}`, { cause: e }));
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`visualize (worker): the thread exited (code ${code}) before finishing`));
    });
  });
}
