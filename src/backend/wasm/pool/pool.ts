/**
 * A persistent pool of Node worker threads running kernel calls over the shared wasm memory
 * (what runs a job is in pool-core.ts, shared with the browser's Web Worker pool).
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
import { KernelPoolCore, poolStart, type PoolOptions } from './pool-core.js';

export type { PoolOptions } from './pool-core.js';

/** Options about the parent's own entry script, which a worker started from a file rejects. */
const ENTRY_FLAGS = ['-e', '--eval', '-p', '--print', '--input-type'];
const isEntryFlag = (a: string) => ENTRY_FLAGS.includes(a) || ENTRY_FLAGS.some((f) => a.startsWith(`${f}=`));

/**
 * The workers' execArgv, or undefined to let them inherit the parent's options. Inheriting is
 * Node's own way and leaves out the V8 and per-process options a worker cannot take
 * (--max-old-space-size, --expose-gc, --title, …): given explicitly, those make `new Worker`
 * throw. Only a parent started from an inline script (-e, -p, --input-type) needs an explicit
 * list: its options without those and their values.
 */
function workerExecArgv(): string[] | undefined {
  const argv = process.execArgv;
  if (!argv.some(isEntryFlag)) return undefined;
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (ENTRY_FLAGS.includes(a)) i++;
    else if (!isEntryFlag(a)) out.push(a);
  }
  return out;
}

/**
 * A worker on `url`. With an explicit list Node may still refuse some options (V8's, the
 * process's; it has no API that says which a worker takes): the worker then starts with none,
 * which the kernels do not need.
 */
function startWorker(url: URL, execArgv: string[] | undefined): Worker {
  if (!execArgv) return new Worker(url);
  try {
    return new Worker(url, { execArgv });
  } catch (e) {
    if ((e as { code?: unknown }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw e;
    return new Worker(url, { execArgv: [] });
  }
}

export class KernelPool extends KernelPoolCore {
  private constructor(
    private readonly workers: Worker[],
    control: SharedArrayBuffer,
    opts: PoolOptions,
  ) {
    super(workers.length, control, opts);
    workers.forEach((w, i) => {
      w.on('exit', (code) => this.markBroken(`worker thread ${i} exited (code ${code})`));
      // An uncaught error also ends the thread ('exit' follows); keep it from crashing the caller.
      w.on('error', (e) => this.markBroken(`worker thread ${i} failed: ${e instanceof Error ? e.message : String(e)}`));
    });
  }

  /** Start `opts.workers` threads on `module` over `memory`; resolves once all are ready. */
  static async start(module: WebAssembly.Module, memory: WebAssembly.Memory, opts: PoolOptions): Promise<KernelPool> {
    const { count, control, init } = poolStart('kernel pool', module, memory, opts);
    const url = new URL('./worker.js', import.meta.url);
    const execArgv = workerExecArgv();
    const workers: Worker[] = [];
    const ready: Promise<void>[] = [];
    for (let index = 0; index < count; index++) {
      const w = startWorker(url, execArgv);
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
      w.postMessage(init(index));
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

  /** Stop one worker abruptly (tests: a worker that dies). */
  terminateWorker(index: number): Promise<number> {
    return this.workers[index].terminate();
  }
}
