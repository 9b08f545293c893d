/**
 * A kernel pool worker: one instance of the kernel module over the shared memory, running its
 * part of each job the caller writes into the control block (see protocol.ts).
 *
 * Wake-up policy: after a job the worker spins on the generation word for `spinMicros` (a
 * training step issues kernels back to back, and a sleeping thread takes tens of µs to wake),
 * then sleeps in Atomics.wait, so an idle pool costs no CPU. Imports only the protocol.
 */
import { parentPort } from 'node:worker_threads';
import {
  DONE, GEN, MAIN_WAITING, SHUTDOWN, SLEEPERS, STATE, STATE_GONE, STATE_READY,
  partsOf, reportFailure, runPart, type WorkerInit,
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

function serve(init: WorkerInit): void {
  const ctl = new Int32Array(init.control);
  const f64 = new Float64Array(init.control);
  const part = init.index + 1;
  // However the thread ends (an uncaught error, process.exit), tell a waiting caller.
  process.on('exit', () => {
    Atomics.store(ctl, STATE + init.index, STATE_GONE);
    Atomics.notify(ctl, DONE);
  });
  const exports = instantiate(init.module, init.memory);
  const spinMs = init.spinMicros / 1000;
  const args: number[] = [];
  let seen = Atomics.load(ctl, GEN);
  Atomics.store(ctl, STATE + init.index, STATE_READY);
  parentPort!.postMessage('ready');

  for (;;) {
    // Spin a little, then sleep until the generation moves.
    let gen = Atomics.load(ctl, GEN);
    if (gen === seen) {
      const t0 = performance.now();
      for (let i = 1; ; i++) {
        gen = Atomics.load(ctl, GEN);
        if (gen !== seen) break;
        if ((i & 255) === 0 && performance.now() - t0 > spinMs) {
          Atomics.add(ctl, SLEEPERS, 1);
          Atomics.wait(ctl, GEN, seen);
          Atomics.sub(ctl, SLEEPERS, 1);
          gen = Atomics.load(ctl, GEN);
          if (gen !== seen) break;
        }
      }
    }
    seen = gen;
    if (Atomics.load(ctl, SHUTDOWN)) return;
    if (part < partsOf(gen)) {
      try {
        runPart(exports, ctl, f64, part, args);
      } catch (e) {
        reportFailure(ctl, part, e instanceof Error ? `${e.name}: ${e.message}` : String(e));
      }
      Atomics.add(ctl, DONE, 1);
      if (Atomics.load(ctl, MAIN_WAITING)) Atomics.notify(ctl, DONE);
    }
  }
}

parentPort!.once('message', (init: WorkerInit) => serve(init));
