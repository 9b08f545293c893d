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
import { eventCountParser, outputDirParser, type GlobalOptions } from '../options.js';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { resolveThreads } from '../../backend/wasm/index.js';
import type { ValidationResult } from '../../validate/pipeline.js';
import { VALIDATE_DEFAULT_SEED } from '../../validate/pipeline.js';
import { closureControl, figureClaims, MainClosureRows, postEvaluations } from '../closure-sharing.js';
import type { StartLaneData, StartLaneMessage } from '../start-lane.js';
import { deviceFor } from '../device.js';
import { DeferredSaves } from '../../plot/index.js';
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
        .argParser(eventCountParser)
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
  // Two lanes on wasm: the main thread and a worker thread with its own device share the
  // closure rows, then the worker draws the showcase while the main thread draws the validation
  // figures, and the worker takes figure steps too once it is done. The threads asked for are
  // split between them (an independent row per core needs no hand-over between threads, and the
  // figures' drawing is single-threaded). Other backends: one step after the other, one device.
  const threads = resolveThreads(opts.threads);
  const lanes = opts.backend !== 'ts' && opts.backend !== 'gpu' && threads >= 2;
  const mainThreads = lanes ? Math.ceil(threads / 2) : threads;
  const dev = await deviceFor({ ...opts, threads: mainThreads, threadsInAll: lanes ? threads : mainThreads });
  const saves = new DeferredSaves();
  let res: ValidationResult;
  let showcase: WorkerOutcome | null = null;
  if (lanes && dev.backend === 'wasm') {
    const seed = opts.seed ?? validateConfigsChecked.base.seed ?? VALIDATE_DEFAULT_SEED;
    const lane = startLane(validateOpts, visualizeOpts, seed, threads - mainThreads);
    try {
      res = validateOn(dev, validateOpts, validateConfigsChecked, {
        saveFigure: saves.save,
        closureSharing: lane.rows,
        onClosure: (_report, evaluations) => postEvaluations(lane.control, lane.rowsPort, evaluations),
        figureSharing: figureClaims(lane.control),
      });
      await saves.settle();
      showcase = await lane.outcome;
      reportValidation(validateOpts, res, t0, showcase.validationFiles.length);
    } finally {
      lane.rowsPort.close();
      // A failed validation leaves the lane running: stop it, so the process can end.
      if (!showcase) void lane.worker.terminate();
    }
    for (const line of showcase.lines) log(line);
  } else {
    res = validateOn(dev, validateOpts, validateConfigsChecked, { saveFigure: saves.save });
    await saves.settle();
    reportValidation(validateOpts, res, t0);
    const tVis = performance.now();
    const n = renderVisualization(dev, visualizeOpts, visualizeConfigsChecked, log, saves.save).length;
    await saves.settle();
    log(`visualize: ${n} figures in ${((performance.now() - tVis) / 1000).toFixed(1)} s`);
  }
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
  /** Validation figures the worker drew (steps it took from the shared counter). */
  validationFiles: string[];
  /** The worker's progress lines, printed after the validation's. */
  lines: string[];
}

/**
 * Starts the second lane (src/cli/start-lane.ts): `rows` is the main thread's side of the shared
 * closure rows, `control` holds the shared counters, `outcome` settles when the lane's showcase
 * and the validation figures it took are written (or rejects with the lane's error).
 */
function startLane(
  validateOpts: ValidateOptions,
  visualizeOpts: VisualizeOptions,
  seed: number,
  threads: number,
): {
  rows: MainClosureRows;
  rowsPort: MessagePort;
  control: Int32Array;
  worker: Worker;
  outcome: Promise<WorkerOutcome>;
} {
  const control = closureControl();
  const { port1, port2 } = new MessageChannel();
  const data: StartLaneData = {
    threads,
    closure: {
      cfg: validateOpts.cfg,
      sysCfg: validateOpts.sysCfg!,
      n: validateOpts.n,
      seed,
      validationDir: validateOpts.outDir,
      control,
      port: port2,
    },
    visualize: visualizeOpts,
  };
  const worker = new Worker(new URL('../start-lane.js', import.meta.url), { workerData: data, transferList: [port2] });
  const outcome = new Promise<WorkerOutcome>((resolveOutcome, reject) => {
    const lines: string[] = [];
    let settled = false;
    worker.on('message', (m: StartLaneMessage) => {
      if (m.kind === 'log') lines.push(m.line);
      else if (m.kind === 'done') {
        settled = true;
        lines.push(
          `visualize: ${m.files.length} figures in ${m.seconds.toFixed(1)} s` +
            ` (worker thread; it also took ${m.rows} closure rows and ${m.validationFiles.length} validation figures)`,
        );
        resolveOutcome({ files: m.files, validationFiles: m.validationFiles, lines });
      } else {
        settled = true;
        reject(
          m.exitCode === null
            ? new Error(`fnf start (worker thread): ${m.message}`)
            : new UserError(m.message, m.exitCode),
        );
      }
    });
    worker.on('error', (e) => {
      settled = true;
      reject(new Error(`fnf start (worker thread): ${e.message}`, { cause: e }));
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`fnf start (worker thread): exited (code ${code}) before finishing`));
    });
  });
  // The rejection is awaited after the validation; until then it must not count as unhandled.
  outcome.catch(() => {});
  return { rows: new MainClosureRows(control, port1), rowsPort: port1, control, worker, outcome };
}
