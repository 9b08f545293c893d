/**
 * How many threads a Node process runs kernels on: `--threads`, else FNF_THREADS, else the
 * cores it may use (at most 8). Apart from split.ts so the cutting rules carry no Node import
 * (the browser page decides its thread count from navigator.hardwareConcurrency).
 */
import os from 'node:os';
import { MAX_THREADS } from './protocol.js';

/** Default thread count: the cores this process may use, at most 8. */
export const MAX_DEFAULT_THREADS = 8;

/** The CPUs this process may use. */
export function availableCpus(): number {
  return Math.max(1, typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
}

export function defaultThreads(): number {
  return Math.min(MAX_DEFAULT_THREADS, availableCpus());
}

/**
 * A warning when `threads` kernel threads are more than the `cpus` this process may use, else
 * null. A split call waits for its slowest thread, and a thread without a CPU of its own waits
 * for one: on a 2-CPU host a kin training step took 8.1 ms on 2 threads, 12.3 on 4 and 15.9 on 8.
 */
export function oversubscription(threads: number, cpus: number = availableCpus()): string | null {
  if (threads <= cpus) return null;
  return (
    `${threads} kernel threads on ${cpus} CPU${cpus === 1 ? '' : 's'}: the extra threads wait for a CPU ` +
    `and every split call waits for them, so this runs slower than --threads ${cpus}`
  );
}

/**
 * The thread count: the option (`--threads`) when given, else FNF_THREADS, else the default.
 * Errors name where the bad value came from (`optionName`: what the caller calls the option).
 */
export function resolveThreads(
  explicit?: number | string,
  env: string | undefined = process.env.FNF_THREADS,
  optionName = '--threads',
): number {
  const from = explicit !== undefined ? optionName : 'FNF_THREADS';
  const raw = explicit ?? (env !== undefined && env.trim() !== '' ? env : undefined);
  if (raw === undefined) return defaultThreads();
  const n = typeof raw === 'number' ? raw : Number(raw.trim());
  if (!Number.isInteger(n) || n < 1 || n > MAX_THREADS) {
    throw new Error(`${from}: expected an integer thread count in [1, ${MAX_THREADS}], got '${raw}'`);
  }
  return n;
}
