/** A kernel pool Web Worker: the shared job loop (src/backend/wasm/pool/worker-loop.ts). */
import type { WorkerInit } from '../pool/protocol.js';
import { markWorkerGone, serveKernelJobs } from '../pool/worker-loop.js';

self.onmessage = (e: MessageEvent<WorkerInit>) => {
  const init = e.data;
  try {
    serveKernelJobs(init, () => self.postMessage('ready'));
  } catch (err) {
    markWorkerGone(init);
    throw err;
  }
};
