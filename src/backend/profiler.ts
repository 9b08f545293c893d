/**
 * Where a step's time goes: a profiled view of a device (`profile(dev)`) that times every kernel
 * call by name, every op's forward and backward by op name, and — on a wasm device with worker
 * threads — how long each thread ran chunks. For `npm run bench -- --profile`.
 *
 * Nothing changes on an unprofiled device: kernels are wrapped only in the profiled view, and the
 * tape's hook is a null check. Attribution rules:
 * - a kernel's time is the wall time of its call on the calling thread (chunks on other threads
 *   included, since the caller waits for them);
 * - an op's forward time is the wall time since the previous op was recorded (or since `reset`):
 *   everything a model does between two recorded ops belongs to the second (its kernels and its
 *   JavaScript). An op that records nothing (no-grad) is still seen;
 * - an op's backward time is its backward rule plus the accumulation of its input gradients.
 * The time outside kernels is the step's wall time minus the summed kernel time: tape, arena,
 * model code and everything else in JavaScript. With a pool, kernel time splits into the pooled
 * part (chunks cut over the threads) and the rest, which the calling thread runs alone while the
 * workers idle: calls below the split thresholds and a split call's serial set-up.
 */
import type { Device, OpObserver } from './device.js';
import type { Kernels } from './kernels.js';
import type { PoolTimes } from './wasm/pool/pool-core.js';

export interface TimeStat {
  calls: number;
  ms: number;
}

/** The part of the wasm kernel pool the profiler reads (see pool.ts). */
interface ProfiledPool {
  threads: number;
  setProfiling(on: boolean): void;
  threadTimes(): PoolTimes;
}

export interface ThreadTimes {
  /** 0: the calling thread, w + 1: worker w. */
  thread: number;
  /** ms running kernel chunks. */
  busyMs: number;
  /** ms inside pooled kernel calls not running a chunk (waiting for the others, or for work). */
  waitMs: number;
}

export interface ProfileReport {
  wallMs: number;
  kernelMs: number;
  /** share of the wall time outside kernels (tape, arena, JavaScript). */
  outsideKernels: number;
  kernels: Record<string, TimeStat>;
  forward: Record<string, TimeStat>;
  backward: Record<string, TimeStat>;
  /** Per thread of the kernel pool; empty without one. */
  threads: ThreadTimes[];
  /** Kernel time inside the pool's chunked jobs, and outside them (on the calling thread alone). */
  splitMs: number;
  unsplitMs: number;
  /** Split calls (0 without a pool). */
  pooledCalls: number;
  /**
   * Split calls whose every chunk the caller ran itself, no worker having claimed one in time
   * (descheduled by the host, or still waking up): each costs the call its other halves.
   */
  callerAloneCalls: number;
  /** Their summed wall time, ms (part of splitMs). */
  callerAloneMs: number;
  /** Times a worker had gone to sleep between calls and a call had to wake it (tens of µs each). */
  workerWakeups: number;
}

const add = (m: Map<string, TimeStat>, key: string, ms: number) => {
  const s = m.get(key);
  if (s) {
    s.calls++;
    s.ms += ms;
  } else m.set(key, { calls: 1, ms });
};

const record = (m: Map<string, TimeStat>): Record<string, TimeStat> =>
  Object.fromEntries([...m].sort((a, b) => b[1].ms - a[1].ms));

export class Profiler implements OpObserver {
  private readonly kernelTimes = new Map<string, TimeStat>();
  private readonly forwardTimes = new Map<string, TimeStat>();
  private readonly backwardTimes = new Map<string, TimeStat>();
  private mark = 0;
  private started = 0;
  /** The profiled view: same memory and allocators, timed kernels, this profiler on its tapes. */
  readonly device: Device;
  private readonly pool: ProfiledPool | null;

  constructor(inner: Device) {
    this.device = inner.instrumented(timedKernels(inner.kernels, this.kernelTimes), this);
    const pool = (inner.kernels as { pool?: ProfiledPool | null }).pool;
    this.pool = pool && typeof pool.setProfiling === 'function' ? pool : null;
  }

  /** Forget what was measured and start the clock (call before the measured work). */
  reset(): void {
    for (const m of [this.kernelTimes, this.forwardTimes, this.backwardTimes]) m.clear();
    this.pool?.setProfiling(true);
    this.started = this.mark = performance.now();
  }

  opRecorded(op: string): void {
    const now = performance.now();
    add(this.forwardTimes, op, now - this.mark);
    this.mark = now;
  }

  opBackward(op: string, ms: number): void {
    add(this.backwardTimes, op, ms);
    // The next forward op's time starts after the backward pass, not before it.
    this.mark = performance.now();
  }

  /** What was measured since `reset`; stops the pool's thread timing. */
  report(): ProfileReport {
    const wallMs = performance.now() - this.started;
    let kernelMs = 0;
    for (const s of this.kernelTimes.values()) kernelMs += s.ms;
    const pool = this.pool?.threadTimes() ?? null;
    this.pool?.setProfiling(false);
    const splitMs = pool?.callMs ?? 0;
    const threads: ThreadTimes[] = (pool?.busyMs ?? []).map((b, t) => ({
      thread: t,
      busyMs: b,
      waitMs: Math.max(0, splitMs - b),
    }));
    return {
      wallMs,
      kernelMs,
      outsideKernels: wallMs > 0 ? Math.max(0, 1 - kernelMs / wallMs) : 0,
      kernels: record(this.kernelTimes),
      forward: record(this.forwardTimes),
      backward: record(this.backwardTimes),
      threads,
      splitMs,
      unsplitMs: Math.max(0, kernelMs - splitMs),
      pooledCalls: pool?.calls ?? 0,
      callerAloneCalls: pool?.aloneCalls ?? 0,
      callerAloneMs: pool?.aloneMs ?? 0,
      workerWakeups: pool?.wakeups ?? 0,
    };
  }
}

/** `inner` with every kernel call timed into `times` under the kernel's name. */
function timedKernels(inner: Kernels, times: Map<string, TimeStat>): Kernels {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function' || typeof prop !== 'string') return v;
      const fn = v as (...args: unknown[]) => unknown;
      return (...args: unknown[]) => {
        const t0 = performance.now();
        try {
          return fn.apply(target, args);
        } finally {
          add(times, prop, performance.now() - t0);
        }
      };
    },
  });
}
