/**
 * A wasm device in the browser: the kernel bytes come from a URL instead of the file system,
 * and the worker pool is made of Web Workers (web-pool.ts) when more than one thread is asked
 * for (the page cross-origin isolated, the caller a Web Worker); otherwise every kernel runs on
 * the calling thread. Used by the page (web/) and exported by the browser entry (src/browser.ts).
 */
import { Device } from '../../device.js';
import { Heap } from '../../../tensor/allocator.js';
import { Memory } from '../../../tensor/memory.js';
import { WasmKernels } from '../wasm-kernels.js';
import { DEFAULT_THRESHOLDS } from '../pool/split.js';
import { compileKernelModule, instantiateKernels, relaxedProbeValidates, type WasmBuild } from '../kernel-module.js';
import { WebKernelPool } from './web-pool.js';

export interface BrowserDeviceOptions {
  /**
   * Where build `b`'s kernel file is served: the package's build/kernels-simd.wasm and
   * build/kernels-relaxed.wasm (the relaxed one is fetched where the browser validates relaxed SIMD).
   */
  wasmUrl: (b: WasmBuild) => string | URL;
  /** Threads per kernel call (default 1); more need `poolWorkerUrl`, cross-origin isolation, a worker caller. */
  threads?: number;
  /** URL of the pool worker script ('fnflow/browser/pool-worker', bundled); only for threads > 1. */
  poolWorkerUrl?: string | URL;
}

export async function fetchBytes(url: string | URL): Promise<ArrayBuffer> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`fetch ${String(url)}: HTTP ${r.status} ${r.statusText}`);
  return r.arrayBuffer();
}

/** Why `threads` cannot run here (null: it can): said before any worker starts. */
function threadsRefusal(o: BrowserDeviceOptions, threads: number): string | null {
  if (!Number.isInteger(threads) || threads < 1) return `threads must be a whole number ≥ 1, got ${String(o.threads)}`;
  if (threads === 1) return null;
  if (!o.poolWorkerUrl) return `threads ${threads} needs poolWorkerUrl (the bundled pool-worker script)`;
  if (globalThis.crossOriginIsolated !== true) {
    return `threads ${threads} needs a cross-origin isolated page (COOP/COEP headers) for shared memory`;
  }
  // Atomics.wait, which a split kernel call uses, is not allowed on a page's main thread.
  if (typeof (globalThis as { document?: unknown }).document !== 'undefined') {
    return `threads ${threads} needs the device in a Web Worker (the main thread may not block in Atomics.wait)`;
  }
  return null;
}

export async function createBrowserDevice(o: BrowserDeviceOptions): Promise<Device> {
  const threads = o.threads ?? 1;
  const refusal = threadsRefusal(o, threads);
  if (refusal) throw new Error(`createBrowserDevice: ${refusal}`);
  const build: WasmBuild = relaxedProbeValidates() ? 'relaxed' : 'simd';
  const url = o.wasmUrl(build);
  let module: WebAssembly.Module;
  try {
    ({ module } = await compileKernelModule(await fetchBytes(url), build));
  } catch (e) {
    // a wrong URL (an HTML page, a 404) or a browser without 128-bit SIMD: say which file and what it needs
    throw new Error(
      `createBrowserDevice: the ${build} kernels from ${String(url)} did not load (${(e as Error).message}); ` +
        `expected fnflow's build/kernels-${build}.wasm, on a browser with WebAssembly 128-bit SIMD ` +
        '(Chrome 91+, Firefox 89+, Safari 16.4+)',
    );
  }
  const memory = new Memory();
  const heap = new Heap(memory);
  const exports = instantiateKernels(module, memory.wasm);
  const pool =
    threads > 1 ? await WebKernelPool.start(o.poolWorkerUrl!, module, memory.wasm, { workers: threads - 1 }) : null;
  return new Device(memory, new WasmKernels(memory, heap, exports, build, module, pool, DEFAULT_THRESHOLDS), heap);
}
