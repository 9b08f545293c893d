/**
 * The kernel pool over browser Web Workers: the same control block and job loop as the Node
 * pool (src/backend/wasm/pool/pool-core.ts, worker-loop.ts), started with `new Worker` instead of
 * worker_threads. Shared memory needs cross-origin isolation (COOP/COEP headers); without it the
 * page runs on one thread and never gets here. The caller must be a dedicated worker (the
 * engine worker), since the page's main thread may not block in Atomics.wait.
 */
import { KernelPoolCore, poolStart, type PoolOptions } from '../pool/pool-core.js';
import { workerError } from './worker-error.js';

export class WebKernelPool extends KernelPoolCore {
  private constructor(
    private readonly workers: Worker[],
    control: SharedArrayBuffer,
    opts: PoolOptions,
  ) {
    super(workers.length, control, opts);
    workers.forEach((w, i) => {
      w.addEventListener('error', (e) => {
        e.preventDefault(); // reported here; uncancelled, it would reach the caller's global scope too
        this.markBroken(`web worker ${i} failed: ${workerError(e, '')}`);
      });
    });
  }

  /** Start `opts.workers` Web Workers from `scriptUrl` on `module` over `memory`. */
  static async start(
    scriptUrl: string | URL,
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    opts: PoolOptions,
  ): Promise<WebKernelPool> {
    const { count, control, init } = poolStart('web kernel pool', module, memory, opts);
    const workers: Worker[] = [];
    const ready: Promise<void>[] = [];
    for (let index = 0; index < count; index++) {
      const w = new Worker(scriptUrl, { name: `fnflow-kernels-${index}` });
      workers.push(w);
      ready.push(
        new Promise<void>((resolve, reject) => {
          w.addEventListener(
            'error',
            (e) => {
              // Handled: the rejection names the script. Uncancelled, the error would also reach the
              // caller's (the engine worker's) global scope and be reported a second time as its own.
              e.preventDefault();
              const why = workerError(e, String(scriptUrl));
              const what = (e as ErrorEvent).message ? `${String(scriptUrl)}: ${why}` : why;
              reject(new Error(`web kernel pool: worker ${index}: ${what}`));
            },
            { once: true },
          );
          w.addEventListener(
            'message',
            (m: MessageEvent) =>
              m.data === 'ready'
                ? resolve()
                : reject(new Error(`web kernel pool: worker ${index} sent ${String(m.data)} instead of 'ready'`)),
            { once: true },
          );
        }),
      );
      w.postMessage(init(index));
    }
    try {
      await Promise.all(ready);
    } catch (e) {
      for (const w of workers) w.terminate();
      throw e;
    }
    return new WebKernelPool(workers, control, opts);
  }

  terminateWorker(index: number): Promise<number> {
    this.workers[index].terminate();
    this.markBroken(`web worker ${index} was terminated`);
    return Promise.resolve(1);
  }
}
