/**
 * A kernel pool worker in a Node worker thread: the shared loop (worker-loop.ts) behind
 * `parentPort`, and the exit hook that tells a waiting caller this thread has gone.
 */
import { parentPort } from 'node:worker_threads';
import type { WorkerInit } from './protocol.js';
import { markWorkerGone, serveKernelJobs } from './worker-loop.js';

parentPort!.once('message', (init: WorkerInit) => {
  // However the thread ends (an uncaught error, process.exit), tell a waiting caller.
  process.on('exit', () => markWorkerGone(init));
  serveKernelJobs(init, () => parentPort!.postMessage('ready'));
});
