/**
 * The second lane of `fnf start`, a worker thread with its own device (wasm) and its own copies
 * of the models: it takes closure rows beside the main thread (closure-sharing.ts), then draws
 * the residual-transform showcase (`fnf visualize`) while the main thread draws the validation
 * figures, then takes validation figure steps from the same counter as the main thread until
 * none is left. Progress lines go back as messages, printed by the caller after its own; every
 * figure is byte for byte what `fnf validate` / `fnf visualize` draw.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { createDevice, describeDevice } from '../backend/index.js';
import { loadConfig } from '../config/load.js';
import { DeferredSaves } from '../plot/index.js';
import { closureJobs, evaluateClosureJob } from '../validate/closure.js';
import { closureSetup, figureSteps, loadClosureModels, validationContext } from '../validate/pipeline.js';
import { FigureSink } from '../validate/style.js';
import { Streams } from '../validate/sampling.js';
import { figureClaims, laneClosureRows, receiveEvaluations } from './closure-sharing.js';
import { renderVisualization, visualizeConfigs, type VisualizeOptions } from './commands/visualize.js';
import { UserError } from './errors.js';

export interface StartLaneData {
  threads: number;
  closure: {
    cfg: string;
    sysCfg: string;
    n: number;
    seed: number;
    /** Where the validation figures go (the main thread's --out-dir of validate). */
    validationDir: string;
    control: Int32Array;
    port: MessagePort;
  };
  visualize: VisualizeOptions;
}

/** Lane → caller, on parentPort. */
export type StartLaneMessage =
  | { kind: 'log'; line: string }
  | { kind: 'done'; files: string[]; validationFiles: string[]; rows: number; seconds: number }
  | { kind: 'failed'; message: string; exitCode: number | null };

async function main(data: StartLaneData): Promise<void> {
  const send = (m: StartLaneMessage) => parentPort!.postMessage(m);
  const log = (line: string) => send({ kind: 'log', line });
  try {
    const dev = await createDevice({ backend: 'wasm', threads: data.threads });
    const { closure } = data;
    const base = loadConfig(closure.cfg, 'base');
    const sys = loadConfig(closure.sysCfg, 'systematics');
    const models = loadClosureModels(dev, base, sys);
    const jobs = closureJobs(models, closureSetup(base, sys));
    const streams = new Streams(closure.seed);
    const rows = laneClosureRows(closure.control, jobs, closure.port, (i) =>
      evaluateClosureJob(models, jobs[i], closure.n, streams),
    );
    const t0 = performance.now();
    log(`fnf: ${describeDevice(dev)} in a worker thread, beside the validation figures`);
    const configs = visualizeConfigs(data.visualize);
    const saves = new DeferredSaves();
    const files = renderVisualization(dev, data.visualize, configs, log, saves.save);
    const showcaseSeconds = (performance.now() - t0) / 1000;
    // Then validation figures, taken from the same counter as the main thread's.
    const evaluations = receiveEvaluations(closure.control, closure.port);
    const sink = new FigureSink(closure.validationDir, log, saves.save);
    const ctx = validationContext({ base, sys, n: closure.n, seed: closure.seed }, models, streams, evaluations, sink);
    const steps = figureSteps(ctx);
    const figures = figureClaims(closure.control);
    for (let k = figures.claim(); k < steps.length; k = figures.claim()) steps[k].draw(ctx);
    await saves.settle();
    send({
      kind: 'done',
      files,
      validationFiles: sink.written.map((w) => w.file),
      rows,
      seconds: showcaseSeconds,
    });
  } catch (e) {
    send({ kind: 'failed', message: (e as Error).message, exitCode: e instanceof UserError ? e.exitCode : null });
  }
}

await main(workerData as StartLaneData);
