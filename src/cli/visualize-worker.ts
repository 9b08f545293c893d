/**
 * The worker thread of `fnf start` that draws the residual-transform showcase (`fnf visualize`)
 * while the main thread draws the validation figures: its own device (wasm, one thread: the main
 * thread's pool has the other core when it needs it), its own copy of the residual models.
 * Progress lines go back as messages, so the caller prints them in order after its own; the
 * figures are byte for byte those of `fnf visualize` (no kernel result depends on the threads).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createDevice, describeDevice } from '../backend/index.js';
import { DeferredSaves } from '../plot/index.js';
import { renderVisualization, visualizeConfigs, type VisualizeOptions } from './commands/visualize.js';
import { UserError } from './errors.js';

/** Worker → caller. */
export type VisualizeWorkerMessage =
  | { kind: 'log'; line: string }
  | { kind: 'done'; files: string[]; seconds: number }
  | { kind: 'failed'; message: string; exitCode: number | null };

async function main(opts: VisualizeOptions): Promise<void> {
  const port = parentPort!;
  const send = (m: VisualizeWorkerMessage) => port.postMessage(m);
  const log = (line: string) => send({ kind: 'log', line });
  try {
    const t0 = performance.now();
    const configs = visualizeConfigs(opts);
    const dev = await createDevice({ backend: 'wasm', threads: 1 });
    log(`fnf: ${describeDevice(dev)} (worker thread, beside the validation figures)`);
    const saves = new DeferredSaves();
    renderVisualization(dev, opts, configs, log, saves.save);
    const files = await saves.settle();
    send({ kind: 'done', files, seconds: (performance.now() - t0) / 1000 });
  } catch (e) {
    send({ kind: 'failed', message: (e as Error).message, exitCode: e instanceof UserError ? e.exitCode : null });
  }
}

await main(workerData as VisualizeOptions);
