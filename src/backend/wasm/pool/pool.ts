/**
 * A persistent pool of worker threads running kernel calls over the shared wasm memory.
 *
 * Each worker instantiates the SAME compiled module over the SAME memory (both posted once at
 * start-up); afterwards a call goes through the control block (protocol.ts), not a message.
 * The calling thread claims chunks like the workers, then waits for the chunks still running
 * elsewhere: it spins on the done counter for a short while (they started together, so they
 * end close together), then sleeps in Atomics.wait in slices, checking between slices whether
 * a worker has gone.
 *
 * Hand-written rather than a pool library (piscina, workerpool): those dispatch by message,
 * which costs more than the kernels here take.
 */
import { Worker } from 'node:worker_threads';
import {
  ARGS_F64,
  BLOCK,
  BOUNDS,
  BUSY_F64,
  CONTROL_BYTES,
  DONE,
  ERR_CHUNK,
  ERR_LEN,
  ERR_THREAD,
  JOB,
  KERNEL,
  KERNELS,
  MAIN_WAITING,
  MAX_ARGS,
  MAX_CHUNKS,
  MAX_THREADS,
  N,
  NARGS,
  PROFILE,
  RAN,
  SCRATCH,
  SHUTDOWN,
  SLEEPERS,
  STATE,
  STATE_GONE,
  claimChunks,
  failureText,
  jobWord,
  openChunks,
  type WorkerInit,
} from './protocol.js';

export interface PoolOptions {
  /** Worker threads to start (the caller is one more thread). */
  workers: number;
  /** How long a worker spins for the next job before it sleeps (default 200 µs). */
  spinMicros?: number;
  /** How long the caller spins for the workers' last chunks before it sleeps (default 300 µs). */
  waitSpinMicros?: number;
  /** Give up (and mark the pool unusable) when workers make no progress this long (default 60 s). */
  stallMs?: number;
  /**
   * Whether the calling thread claims chunks too (default true). Tests turn it off so that
   * every chunk provably runs on a worker.
   */
  callerClaims?: boolean;
}

/**
 * The parent's Node options minus those about its own entry script (`--input-type`, `-e`,
 * `-p` and their values), which a worker started from a file rejects.
 */
function workerExecArgv(): string[] {
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-e' || a === '--eval' || a === '-p' || a === '--print' || a === '--input-type') i++;
    else if (!a.startsWith('--input-type=') && !a.startsWith('--eval=') && !a.startsWith('--print=')) out.push(a);
  }
  return out;
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
  private readonly callerClaims: boolean;

  private constructor(
    private readonly workers: Worker[],
    control: SharedArrayBuffer,
    opts: PoolOptions,
  ) {
    this.ctl = new Int32Array(control);
    this.f64 = new Float64Array(control);
    this.waitSpinMs = (opts.waitSpinMicros ?? 300) / 1000;
    this.stallMs = opts.stallMs ?? 60_000;
    this.callerClaims = opts.callerClaims ?? true;
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
    if (!Number.isInteger(count) || count < 1 || count + 1 > MAX_THREADS) {
      throw new Error(`kernel pool: workers must be an integer in [1, ${MAX_THREADS - 1}], got ${count}`);
    }
    const control = new SharedArrayBuffer(CONTROL_BYTES);
    const url = new URL('./worker.js', import.meta.url);
    const execArgv = workerExecArgv();
    const workers: Worker[] = [];
    const ready: Promise<void>[] = [];
    for (let index = 0; index < count; index++) {
      const w = new Worker(url, { execArgv });
      workers.push(w);
      ready.push(
        new Promise<void>((resolve, reject) => {
          const onExit = (code: number) =>
            reject(new Error(`kernel pool: worker thread ${index} exited during start-up (code ${code})`));
          w.once('error', (e) =>
            reject(new Error(`kernel pool: worker thread ${index} failed to start: ${e.message}`)),
          );
          w.once('exit', onExit);
          w.once('message', (m) => {
            w.off('exit', onExit);
            if (m === 'ready') resolve();
            else reject(new Error(`kernel pool: worker thread ${index} sent ${String(m)} instead of 'ready'`));
          });
        }),
      );
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

  /** Chunks each thread has run since start-up (0: the caller, w + 1: worker w). */
  chunksRun(): number[] {
    return Array.from({ length: this.threads }, (_, t) => Atomics.load(this.ctl, RAN + t));
  }

  /**
   * Thread timing for the bench's profile mode: while on, every thread adds the time it spends in
   * chunks to its busy counter, and `run` adds each call's wall time (caller's view). Turning it
   * on clears the counters.
   */
  setProfiling(on: boolean): void {
    this.ctl[PROFILE] = on ? 1 : 0;
    if (on) {
      for (let t = 0; t < this.threads; t++) this.f64[BUSY_F64 + t] = 0;
      this.callMs = 0;
    }
  }

  /** Busy ms per thread (0: the caller) and the summed wall time of the calls, since profiling began. */
  threadTimes(): { busyMs: number[]; callMs: number } {
    return { busyMs: Array.from({ length: this.threads }, (_, t) => this.f64[BUSY_F64 + t]), callMs: this.callMs };
  }

  private callMs = 0;

  /** Why the pool can no longer run jobs, or null. */
  get failure(): string | null {
    return this.broken;
  }

  /**
   * Run one kernel cut into chunks: chunk c covers [bounds[c], bounds[c+1]) of the kernel's range
   * argument (matmul: rows; the blocked sum: blocks). Every thread, this one included, claims
   * chunks until none is left; thread t packs into scratch[t] (one per thread, `threads` long).
   * `label` names the kernel in errors (the Kernels method). The blocked sum passes `sum`
   * (element count and block size; args = [x, 0, 0]) and finds its partials in `f64` at
   * PARTIALS_F64.
   */
  run(
    label: string,
    kernel: number,
    args: ArrayLike<number>,
    bounds: ArrayLike<number>,
    scratch: ArrayLike<number> | null,
    exports: Record<string, unknown>,
    sum?: { n: number; block: number },
  ): void {
    const k = KERNELS[kernel];
    const chunks = bounds.length - 1;
    if (this.broken) throw new Error(`wasm ${label}: the kernel pool is unusable: ${this.broken}`);
    if (chunks < 1 || chunks > MAX_CHUNKS)
      throw new Error(`wasm ${label}: ${chunks} chunks, expected 1 to ${MAX_CHUNKS}`);
    if (args.length > MAX_ARGS) throw new Error(`wasm ${label}: ${args.length} arguments, at most ${MAX_ARGS}`);
    const ctl = this.ctl,
      f64 = this.f64;
    for (let w = 0; w < this.workers.length; w++) {
      if (Atomics.load(ctl, STATE + w) === STATE_GONE) {
        this.broken = `worker thread ${w} has exited`;
        throw new Error(`wasm ${label}: the kernel pool is unusable: ${this.broken}`);
      }
    }
    ctl[KERNEL] = kernel;
    ctl[NARGS] = args.length;
    for (let i = 0; i < args.length; i++) f64[ARGS_F64 + i] = args[i];
    for (let c = 0; c <= chunks; c++) ctl[BOUNDS + c] = bounds[c];
    if (scratch) for (let t = 0; t < this.threads; t++) ctl[SCRATCH + t] = scratch[t];
    if (sum) {
      ctl[N] = sum.n;
      ctl[BLOCK] = sum.block;
    }
    ctl[ERR_CHUNK] = 0;
    ctl[ERR_THREAD] = 0;
    ctl[ERR_LEN] = 0;
    Atomics.store(ctl, DONE, 0);
    this.seq = (this.seq + 1) & 0xfff;
    openChunks(ctl, this.seq, chunks);
    // This store publishes everything written above (Atomics are sequentially consistent).
    const job = jobWord(this.seq, chunks);
    Atomics.store(ctl, JOB, job);
    if (Atomics.load(ctl, SLEEPERS) > 0) Atomics.notify(ctl, JOB);

    const t0 = ctl[PROFILE] ? performance.now() : 0;
    if (this.callerClaims) claimChunks(exports, ctl, f64, 0, this.args, job);
    this.waitDone(label, chunks);
    if (t0) this.callMs += performance.now() - t0;
    const failed = Atomics.load(ctl, ERR_CHUNK);
    if (failed) {
      const t = ctl[ERR_THREAD] - 1;
      const where = t === 0 ? 'the calling thread' : `worker thread ${t - 1}`;
      throw new Error(
        `wasm ${label} (export ${k.name}) failed on chunk ${failed - 1} of ${chunks}, in ${where}: ${failureText(ctl)}`,
      );
    }
  }

  /** Wait until all `count` chunks are done (or a worker has gone). */
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
        for (let w = 0; w < this.workers.length; w++) {
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
    this.seq = (this.seq + 1) & 0xfff;
    Atomics.store(this.ctl, JOB, jobWord(this.seq, 0));
    Atomics.notify(this.ctl, JOB);
  }

  /** Stop one worker abruptly (tests: a worker that dies). */
  terminateWorker(index: number): Promise<number> {
    return this.workers[index].terminate();
  }
}
