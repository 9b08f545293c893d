/**
 * Toys in parallel: a pool of worker threads, each running one toy index at a time from a shared queue,
 * so a slow toy never holds up the others' workers. The toys' results do not depend on which worker runs
 * them (each toy draws from its own seeded stream and gets a fresh likelihood, as shards in separate
 * processes do), so the caller sorts what comes back and writes the single run's file bit for bit.
 *
 * The pool knows nothing of fits: `workerUrl` names a module that answers the protocol below (toy-worker.ts
 * for `fnf toys`), which lets a test drive the pool with a worker that fails on purpose.
 *   worker → main  { kind: 'ready' }                       after its set-up (models loaded)
 *   main → worker  { index }                               run toy `index`
 *   worker → main  { kind: 'done', index, result }         its result (anything structured clone copies)
 *   worker → main  { kind: 'failed', index, message }      the toy threw: the whole run stops
 * A worker that throws outside a toy, exits, or dies is reported with the toy it was running (or "while
 * starting"); the other workers are terminated and nothing is returned. An abort (Ctrl-C) does the same.
 */
import { Worker } from 'node:worker_threads';

export type PoolMessage =
  | { kind: 'ready' }
  | { kind: 'done'; index: number; result: unknown }
  | { kind: 'failed'; index: number; message: string };

export interface PoolOptions<R> {
  workerUrl: URL;
  /** Passed to every worker as `workerData` (structured clone). */
  workerData: unknown;
  /** Toy indices to run (each exactly once). */
  indices: readonly number[];
  /** Number of workers (at most one per index). */
  jobs: number;
  /** Called in completion order. */
  onResult?: (index: number, result: R) => void;
  signal?: AbortSignal;
}

/** A run stopped by a failing worker: which worker, which toy (null while it started), why. */
export class ToyWorkerError extends Error {
  constructor(
    readonly worker: number,
    readonly toy: number | null,
    readonly reason: string,
  ) {
    super(`worker ${worker} failed ${toy === null ? 'while starting' : `on toy ${toy}`}: ${reason}`);
    this.name = 'ToyWorkerError';
  }
}

/** Runs every index in the workers; resolves to the results by index, or rejects on the first failure. */
export function runInWorkers<R>(o: PoolOptions<R>): Promise<Map<number, R>> {
  const queue = [...o.indices];
  const results = new Map<number, R>();
  const jobs = Math.max(1, Math.min(o.jobs, queue.length));
  if (queue.length === 0) return Promise.resolve(results);
  return new Promise((resolve, reject) => {
    const workers: Worker[] = [];
    let settled = false;
    const stop = (err: Error | null): void => {
      if (settled) return;
      settled = true;
      o.signal?.removeEventListener('abort', onAbort);
      for (const w of workers) void w.terminate();
      if (err) reject(err);
      else resolve(results);
    };
    const onAbort = (): void => stop(new DOMException('toys interrupted', 'AbortError'));
    if (o.signal?.aborted) return onAbort();
    o.signal?.addEventListener('abort', onAbort, { once: true });

    for (let id = 0; id < jobs; id++) {
      const w = new Worker(o.workerUrl, { workerData: o.workerData });
      workers.push(w);
      let current: number | null = null;
      let retired = false;
      const next = (): void => {
        const index = queue.shift();
        if (index === undefined) {
          current = null;
          retired = true;
          void w.terminate();
          if (results.size === o.indices.length) stop(null);
          return;
        }
        current = index;
        w.postMessage({ index });
      };
      w.on('message', (m: PoolMessage) => {
        if (settled) return;
        if (m.kind === 'ready') next();
        else if (m.kind === 'done') {
          results.set(m.index, m.result as R);
          o.onResult?.(m.index, m.result as R);
          next();
        } else stop(new ToyWorkerError(id, m.index, m.message));
      });
      w.on('error', (e) => stop(new ToyWorkerError(id, current, e instanceof Error ? e.message : String(e))));
      w.on('exit', (code) => {
        if (!settled && !retired) {
          stop(new ToyWorkerError(id, current, `the worker exited (code ${code})`));
        }
      });
    }
  });
}
