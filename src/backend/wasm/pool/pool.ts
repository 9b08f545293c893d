/**
 * A persistent pool of worker threads running kernel calls over the shared wasm memory.
 *
 * Each worker instantiates the SAME compiled module over the SAME memory (both posted once at
 * start-up); afterwards a call goes through the control block (protocol.ts), not a message.
 * The calling thread runs part 0 of every job itself, then waits for the workers: it spins on
 * the done counter for a short while (the parts are equal, so they end close together), then
 * sleeps in Atomics.wait in slices, checking between slices whether a worker has gone.
 *
 * Hand-written rather than a pool library (piscina, workerpool): those dispatch by message,
 * which costs more than the kernels here take.
 */
import { Worker } from 'node:worker_threads';
import {
  ARGS_F64, BOUNDS, CONTROL_BYTES, DONE, ERR_LEN, ERR_PART, GEN, GEN_STEP, KERNEL, KERNELS, MAIN_WAITING,
  MAX_ARGS, MAX_PARTS, NARGS, SCRATCH, SHUTDOWN, SLEEPERS, STATE, STATE_GONE, BLOCK, N,
  failureText, runPart, type WorkerInit,
} from './protocol.js';

export interface PoolOptions {
  /** Worker threads to start (the caller is one more thread). */
  workers: number;
  /** How long a worker spins for the next job before it sleeps (default 200 µs). */
  spinMicros?: number;
  /** How long the caller spins for the workers to finish before it sleeps (default 1000 µs). */
  waitSpinMicros?: number;
  /** Give up (and mark the pool unusable) when workers make no progress this long (default 60 s). */
  stallMs?: number;
}

/** Between Atomics.wait slices the caller checks for workers that have gone. */
const WAIT_SLICE_MS = 20;

export class KernelPool {
  private readonly ctl: Int32Array;
  /** f64 overlay of the control block: arguments and the blocked-sum partials. */
  readonly f64: Float64Array;
  private seq = 0;
  private broken: string | null = null;
  private readonly args: number[] = [];
  private readonly waitSpinMs: number;
  private readonly stallMs: number;

  private constructor(
    private readonly workers: Worker[],
    control: SharedArrayBuffer,
    opts: PoolOptions,
  ) {
    this.ctl = new Int32Array(control);
    this.f64 = new Float64Array(control);
    this.waitSpinMs = (opts.waitSpinMicros ?? 1000) / 1000;
    this.stallMs = opts.stallMs ?? 60_000;
    workers.forEach((w, i) => {
      w.on('exit', (code) => {
        if (!this.broken) this.broken = `worker thread ${i} exited (code ${code})`;
      });
      // An uncaught error also ends the thread ('exit' follows); keep it from crashing the caller.
      w.on('error', (e) => {
        if (!this.broken) this.broken = `worker thread ${i} failed: ${e instanceof Error ? e.message : String(e)}`;
      });
    });
  }

  /** Start `opts.workers` threads on `module` over `memory`; resolves once all are ready. */
  static async start(module: WebAssembly.Module, memory: WebAssembly.Memory, opts: PoolOptions): Promise<KernelPool> {
    const count = opts.workers;
    if (!Number.isInteger(count) || count < 1 || count + 1 > MAX_PARTS) {
      throw new Error(`kernel pool: workers must be an integer in [1, ${MAX_PARTS - 1}], got ${count}`);
    }
    const control = new SharedArrayBuffer(CONTROL_BYTES);
    const url = new URL('./worker.js', import.meta.url);
    const workers: Worker[] = [];
    const ready: Promise<void>[] = [];
    for (let index = 0; index < count; index++) {
      const w = new Worker(url);
      workers.push(w);
      ready.push(new Promise<void>((resolve, reject) => {
        const onExit = (code: number) => reject(new Error(`kernel pool: worker thread ${index} exited during start-up (code ${code})`));
        w.once('error', (e) => reject(new Error(`kernel pool: worker thread ${index} failed to start: ${e.message}`)));
        w.once('exit', onExit);
        w.once('message', (m) => {
          w.off('exit', onExit);
          if (m === 'ready') resolve();
          else reject(new Error(`kernel pool: worker thread ${index} sent ${String(m)} instead of 'ready'`));
        });
      }));
      const init: WorkerInit = { module, memory, control, index, spinMicros: opts.spinMicros ?? 200 };
      w.postMessage(init);
    }
    try {
      await Promise.all(ready);
    } catch (e) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw e;
    }
    // Only now: while starting, the pending start-up must keep the process alive.
    for (const w of workers) w.unref();
    return new KernelPool(workers, control, opts);
  }

  /** Threads a job can use: the workers and the caller. */
  get threads(): number {
    return this.workers.length + 1;
  }

  /** Why the pool can no longer run jobs, or null. */
  get failure(): string | null {
    return this.broken;
  }

  /**
   * Run one kernel split into parts: part p covers [bounds[p], bounds[p+1]) of the kernel's range
   * argument (matmul: rows; the blocked sum: blocks), with scratch[p] as its packing area.
   * Part 0 runs here on `exports`, the others on the first bounds.length − 2 workers.
   * `label` names the kernel in errors (the Kernels method).
   */
  run(
    label: string, kernel: number, args: ArrayLike<number>, bounds: ArrayLike<number>,
    scratch: ArrayLike<number> | null, exports: Record<string, unknown>,
    sum?: { x: number; n: number; block: number },
  ): void {
    const k = KERNELS[kernel];
    const parts = bounds.length - 1;
    if (this.broken) throw new Error(`wasm ${label}: the kernel pool is unusable: ${this.broken}`);
    if (parts < 1 || parts > this.threads) throw new Error(`wasm ${label}: ${parts} parts for ${this.threads} threads`);
    if (args.length > MAX_ARGS) throw new Error(`wasm ${label}: ${args.length} arguments, at most ${MAX_ARGS}`);
    const ctl = this.ctl, f64 = this.f64;
    for (let w = 0; w < parts - 1; w++) {
      if (Atomics.load(ctl, STATE + w) === STATE_GONE) {
        this.broken = `worker thread ${w} has exited`;
        throw new Error(`wasm ${label}: the kernel pool is unusable: ${this.broken}`);
      }
    }
    ctl[KERNEL] = kernel;
    ctl[NARGS] = args.length;
    for (let i = 0; i < args.length; i++) f64[ARGS_F64 + i] = args[i];
    for (let p = 0; p <= parts; p++) ctl[BOUNDS + p] = bounds[p];
    if (scratch) for (let p = 0; p < parts; p++) ctl[SCRATCH + p] = scratch[p];
    if (sum) {
      f64[ARGS_F64] = sum.x;
      ctl[N] = sum.n;
      ctl[BLOCK] = sum.block;
    }
    ctl[ERR_PART] = 0;
    ctl[ERR_LEN] = 0;
    Atomics.store(ctl, DONE, 0);
    this.seq = (this.seq + 1) % (1 << 23);
    // The generation store publishes everything written above (Atomics are sequentially consistent).
    Atomics.store(ctl, GEN, this.seq * GEN_STEP + parts);
    if (Atomics.load(ctl, SLEEPERS) > 0) Atomics.notify(ctl, GEN);

    let own: unknown = null;
    try {
      runPart(exports, ctl, f64, 0, this.args);
    } catch (e) {
      own = e;
    }
    this.waitDone(label, parts - 1);
    if (own !== null) {
      const msg = own instanceof Error ? `${own.name}: ${own.message}` : String(own);
      throw new Error(`wasm ${label} (export ${k.name}) failed in the calling thread (part 0 of ${parts}): ${msg}`, { cause: own });
    }
    const failed = Atomics.load(ctl, ERR_PART);
    if (failed) {
      throw new Error(`wasm ${label} (export ${k.name}) failed in worker thread ${failed - 2} (part ${failed - 1} of ${parts}): ${failureText(ctl)}`);
    }
  }

  /** Wait until `count` workers have finished the current job (or one has gone). */
  private waitDone(label: string, count: number): void {
    const ctl = this.ctl;
    if (Atomics.load(ctl, DONE) >= count) return;
    const t0 = performance.now();
    for (let i = 1; Atomics.load(ctl, DONE) < count; i++) {
      if ((i & 255) === 0 && performance.now() - t0 > this.waitSpinMs) break;
    }
    Atomics.store(ctl, MAIN_WAITING, 1);
    try {
      let last = Atomics.load(ctl, DONE);
      let progress = performance.now();
      while (last < count) {
        Atomics.wait(ctl, DONE, last, WAIT_SLICE_MS);
        const now = Atomics.load(ctl, DONE);
        if (now !== last) {
          last = now;
          progress = performance.now();
          continue;
        }
        for (let w = 0; w < count; w++) {
          if (Atomics.load(ctl, STATE + w) === STATE_GONE) {
            this.broken = `worker thread ${w} exited while running ${KERNELS[ctl[KERNEL]].name}`;
            throw new Error(`wasm ${label}: ${this.broken}`);
          }
        }
        if (performance.now() - progress > this.stallMs) {
          this.broken = `workers made no progress on ${KERNELS[ctl[KERNEL]].name} for ${this.stallMs} ms`;
          throw new Error(`wasm ${label}: ${this.broken}`);
        }
      }
    } finally {
      Atomics.store(ctl, MAIN_WAITING, 0);
    }
  }

  /** Ask the workers to return; the pool runs no more jobs. */
  close(): void {
    if (this.broken === 'closed') return;
    this.broken = 'closed';
    Atomics.store(this.ctl, SHUTDOWN, 1);
    Atomics.add(this.ctl, GEN, GEN_STEP);
    Atomics.notify(this.ctl, GEN);
  }

  /** Stop one worker abruptly (tests: a worker that dies). */
  terminateWorker(index: number): Promise<number> {
    return this.workers[index].terminate();
  }
}
