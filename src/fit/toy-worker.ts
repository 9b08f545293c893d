/**
 * One worker of `fnf toys --jobs N` (toy-pool.ts says the protocol): loads the configs and models once on
 * its own single-thread device, then runs the toy indices it is sent with runToy, exactly what the
 * single process runs for them. N workers on N cores beat one process with N kernel threads for toys:
 * a 2 000-event toy's kernels are too small to split well, and the minimizer's JavaScript does not split.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createDevice } from '../backend/index.js';
import { loadConfig } from '../config/load.js';
import { openModels } from './session.js';
import { runToy, type ToyWorkerData } from './toys.js';
import type { PoolMessage } from './toy-pool.js';

const port = parentPort;
if (!port) throw new Error('toy-worker: run as a worker thread of fnf toys --jobs');
const d = workerData as ToyWorkerData;
const dev = await createDevice({ backend: d.backend, threads: 1 });
const models = openModels(
  dev,
  loadConfig(d.cfg, 'base'),
  loadConfig(d.sysCfg, 'systematics'),
  d.observables,
  d.meta.models,
);
const post = (m: PoolMessage) => port.postMessage(m);
port.on('message', ({ index }: { index: number }) => {
  try {
    post({ kind: 'done', index, result: runToy(index, { models, settings: d.settings, meta: d.meta, shard: null }) });
  } catch (e) {
    post({ kind: 'failed', index, message: e instanceof Error ? e.message : String(e) });
  }
});
post({ kind: 'ready' });
