/**
 * A wasm device in the browser: the kernel bytes come from a URL instead of the file system,
 * and the worker pool is made of Web Workers (web-pool.ts) when the page is cross-origin
 * isolated and more than one thread is asked for; otherwise every kernel runs on this thread.
 */
import { Device } from '../../../src/backend/device.js';
import { Heap } from '../../../src/tensor/allocator.js';
import { Memory } from '../../../src/tensor/memory.js';
import { WasmKernels } from '../../../src/backend/wasm/wasm-kernels.js';
import { DEFAULT_THRESHOLDS } from '../../../src/backend/wasm/pool/split.js';
import {
  compileKernelModule,
  instantiateKernels,
  relaxedProbeValidates,
  type WasmBuild,
} from '../../../src/backend/wasm/kernel-module.js';
import { WebKernelPool } from './web-pool.js';

export interface BrowserDeviceOptions {
  /** URL of build `b`'s kernel file. */
  wasmUrl: (b: WasmBuild) => string;
  /** URL of the pool worker script. */
  poolWorkerUrl: string;
  /** Threads per kernel call; more than 1 needs cross-origin isolation. */
  threads: number;
}

export async function fetchBytes(url: string): Promise<ArrayBuffer> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`fetch ${url}: HTTP ${r.status} ${r.statusText}`);
  return r.arrayBuffer();
}

export async function createBrowserDevice(o: BrowserDeviceOptions): Promise<Device> {
  const build: WasmBuild = relaxedProbeValidates() ? 'relaxed' : 'simd';
  const { module } = await compileKernelModule(await fetchBytes(o.wasmUrl(build)), build);
  const memory = new Memory();
  const heap = new Heap(memory);
  const exports = instantiateKernels(module, memory.wasm);
  const pool =
    o.threads > 1 ? await WebKernelPool.start(o.poolWorkerUrl, module, memory.wasm, { workers: o.threads - 1 }) : null;
  return new Device(memory, new WasmKernels(memory, heap, exports, build, module, pool, DEFAULT_THRESHOLDS), heap);
}
