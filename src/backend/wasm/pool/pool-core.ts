/**
 * The part of the kernel pool that does not care how its threads were started: the control
 * block, running one kernel cut into chunks, and waiting for the chunks. The calling thread
 * must be allowed to block (Atomics.wait): Node's main thread, a worker thread, or a browser's
 * dedicated Web Worker (never a page's main thread). pool.ts starts Node worker threads;
 * browser/web-pool.ts starts Web Workers. Both run the same worker loop (worker-loop.ts).
 */
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
  WAKES,
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

/** What `threadTimes` reports (bench --profile; src/backend/profiler.ts). */
export interface PoolTimes {
  busyMs: number[];
  callMs: number;
  calls: number;
  aloneCalls: number;
  aloneMs: number;
  wakeups: number;
}

/**
 * What both pools do before starting threads (pool.ts, browser/web-pool.ts): check the worker
 * count (`what` names the pool in the error), make the control block, and the start-up message
 * worker `index` gets.
 */
export function poolStart(what: string, module: WebAssembly.Module, memory: WebAssembly.Memory, opts: PoolOptions) {
  const count = opts.workers;
  if (!Number.isInteger(count) || count < 1 || count + 1 > MAX_THREADS) {
    throw new Error(`${what}: workers must be an integer in [1, ${MAX_THREADS - 1}], got ${count}`);
  }
  const control = new SharedArrayBuffer(CONTROL_BYTES);
  const init = (index: number): WorkerInit => ({
    module,
    memory,
    control,
    index,
    spinMicros: opts.spinMicros ?? 200,
  });
  return { count, control, init };
}

/** Between Atomics.wait slices the caller checks for workers that have gone. */
const WAIT_SLICE_MS = 20;

export abstract class KernelPoolCore {
  private readonly ctl: Int32Array;
  /** f64 overlay of the control block: arguments and the blocked-sum partials. */
  readonly f64: Float64Array;
  private seq = 0;
  private broken: string | null = null;
  private readonly args: number[] = [];
  private readonly waitSpinMs: number;
  private readonly stallMs: number;
  private readonly callerClaims: boolean;

  /** `workerCount` threads already started over `control`; the caller is one more thread. */
  protected constructor(
    private readonly workerCount: number,
    control: SharedArrayBuffer,
    opts: PoolOptions,
  ) {
    this.ctl = new Int32Array(control);
    this.f64 = new Float64Array(control);
    this.waitSpinMs = (opts.waitSpinMicros ?? 300) / 1000;
    this.stallMs = opts.stallMs ?? 60_000;
    this.callerClaims = opts.callerClaims ?? true;
  }

  /** A thread has gone or failed: the pool runs no more jobs (the first reason is kept). */
  protected markBroken(reason: string): void {
    if (!this.broken) this.broken = reason;
  }

  /** Threads a job can use: the workers and the caller. */
  get threads(): number {
    return this.workerCount + 1;
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
      this.calls = 0;
      this.aloneCalls = 0;
      this.aloneMs = 0;
      this.wakesAtStart = this.wakes();
    }
  }

  /**
   * Since profiling began: busy ms per thread (0: the caller), the summed wall time of the calls,
   * how many calls there were, in how many of them (with 2+ chunks) the caller ran every chunk
   * because no worker claimed one in time (a worker descheduled, or still waking up) and their
   * summed wall time, and how often a worker had gone to sleep between calls and had to be woken.
   */
  threadTimes(): PoolTimes {
    return {
      busyMs: Array.from({ length: this.threads }, (_, t) => this.f64[BUSY_F64 + t]),
      callMs: this.callMs,
      calls: this.calls,
      aloneCalls: this.aloneCalls,
      aloneMs: this.aloneMs,
      wakeups: this.wakes() - this.wakesAtStart,
    };
  }

  private wakes(): number {
    let n = 0;
    for (let w = 0; w < this.workerCount; w++) n += Atomics.load(this.ctl, WAKES + w);
    return n;
  }

  private callMs = 0;
  private calls = 0;
  private aloneCalls = 0;
  private aloneMs = 0;
  private wakesAtStart = 0;

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
    for (let w = 0; w < this.workerCount; w++) {
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
    // Timed from before the job is published: no chunk can start earlier, so a thread's busy time
    // never exceeds the call's (a caller descheduled right after publishing would otherwise miss it).
    const t0 = ctl[PROFILE] ? performance.now() : 0;
    Atomics.store(ctl, JOB, job);
    if (Atomics.load(ctl, SLEEPERS) > 0) Atomics.notify(ctl, JOB);

    const ranBefore = ctl[RAN];
    if (this.callerClaims) claimChunks(exports, ctl, f64, 0, this.args, job);
    this.waitDone(label, chunks);
    if (t0) {
      const ms = performance.now() - t0;
      this.callMs += ms;
      this.calls++;
      if (chunks > 1 && ctl[RAN] - ranBefore === chunks) {
        this.aloneCalls++;
        this.aloneMs += ms;
      }
    }
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
        for (let w = 0; w < this.workerCount; w++) {
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
  abstract terminateWorker(index: number): Promise<number>;
}
