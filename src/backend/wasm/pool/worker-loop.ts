/**
 * What a kernel pool worker does, wherever it runs (a Node worker thread: worker.ts; a browser
 * Web Worker: src/backend/wasm/browser/pool-worker.ts): one instance of the kernel module over the shared
 * memory, claiming chunks of each job the caller writes into the control block (protocol.ts).
 *
 * Wake-up policy: after its last chunk the worker spins on the JOB word for `spinMicros` (a
 * training step issues kernels back to back, and a sleeping thread takes tens of µs to wake),
 * then sleeps in Atomics.wait, so an idle pool costs no CPU. Imports only the protocol.
 */
import {
  DONE,
  JOB,
  SHUTDOWN,
  SLEEPERS,
  STATE,
  STATE_GONE,
  STATE_READY,
  WAKES,
  claimChunks,
  type WorkerInit,
} from './protocol.js';

function instantiate(module: WebAssembly.Module, memory: WebAssembly.Memory): Record<string, unknown> {
  const imports = {
    env: {
      memory,
      abort(_msg: number, _file: number, line: number, col: number): never {
        throw new Error(`wasm kernel abort at line ${line}:${col}`);
      },
    },
  };
  return new WebAssembly.Instance(module, imports).exports as Record<string, unknown>;
}

/** Tell a waiting caller that this worker has gone (however it ends). */
export function markWorkerGone(init: WorkerInit): void {
  const ctl = new Int32Array(init.control);
  Atomics.store(ctl, STATE + init.index, STATE_GONE);
  Atomics.notify(ctl, DONE);
}

/** Run jobs until the pool shuts down; `ready` is called once the module is instantiated. */
export function serveKernelJobs(init: WorkerInit, ready: () => void): void {
  const ctl = new Int32Array(init.control);
  const f64 = new Float64Array(init.control);
  const thread = init.index + 1;
  const exports = instantiate(init.module, init.memory);
  const spinMs = init.spinMicros / 1000;
  const args: number[] = [];
  Atomics.store(ctl, STATE + init.index, STATE_READY);
  ready();

  let job = Atomics.load(ctl, JOB);
  for (;;) {
    if (Atomics.load(ctl, SHUTDOWN)) return;
    claimChunks(exports, ctl, f64, thread, args, job);
    // Nothing left to claim in `job`: spin a little for the next one, then sleep until JOB changes.
    const t0 = performance.now();
    for (let i = 1; ; i++) {
      const now = Atomics.load(ctl, JOB);
      if (now !== job) {
        job = now;
        break;
      }
      if ((i & 255) === 0 && performance.now() - t0 > spinMs) {
        Atomics.add(ctl, SLEEPERS, 1);
        Atomics.wait(ctl, JOB, job);
        Atomics.sub(ctl, SLEEPERS, 1);
        job = Atomics.load(ctl, JOB);
        Atomics.add(ctl, WAKES + init.index, 1);
        break;
      }
    }
  }
}
