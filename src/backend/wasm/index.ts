/** The wasm backend: load the kernel module on a memory and get a `Kernels` table. */
import type { Memory } from '../../tensor/memory.js';
import type { Heap } from '../../tensor/allocator.js';
import { instantiateKernels, loadKernelModule, type WasmBuild } from './loader.js';
import { WasmKernels } from './wasm-kernels.js';
import { KernelPool, type PoolOptions } from './pool/pool.js';
import { DEFAULT_THRESHOLDS, type SplitThresholds } from './pool/split.js';
import { hostThresholds } from './pool/calibration-cache.js';

export { WasmKernels } from './wasm-kernels.js';
export { KernelPool, type PoolOptions } from './pool/pool.js';
export { DEFAULT_THRESHOLDS, type SplitThresholds } from './pool/split.js';
export { describeThresholds, hostThresholds, type HostThresholds } from './pool/calibration-cache.js';
export { calibrateThresholds, type Calibration } from './pool/calibrate.js';
export {
  resolveThreads,
  defaultThreads,
  availableCpus,
  oversubscription,
  MAX_DEFAULT_THREADS,
} from './pool/thread-count.js';
export { MAX_THREADS } from './pool/protocol.js';
export {
  wasmBuildInfo,
  relaxedSimdSupported,
  packageRoot,
  wasmPath,
  loadKernelModule,
  instantiateKernels,
  type WasmBuild,
  type WasmBuildInfo,
  type KernelExports,
  type LoadedModule,
} from './loader.js';

export interface WasmLoadOptions {
  /** Force a build; by default the relaxed one where the runtime supports it. */
  build?: WasmBuild;
  /**
   * Threads that run a kernel call together (default 1: no workers). With n > 1, n − 1 worker
   * threads start here, each instantiating the same module over the same memory.
   */
  threads?: number;
  /** Least work per chunk before a call is split (default: DEFAULT_THRESHOLDS). */
  thresholds?: Partial<SplitThresholds>;
  /** Wake-up and wait settings of the pool (see `PoolOptions`). */
  pool?: Omit<PoolOptions, 'workers'>;
  /**
   * With 2+ threads and no `thresholds` given: this host's calibrated thresholds (cached per
   * host; pool/calibration-cache.ts) unless FNF_NO_CALIBRATE=1. Default false: the built-in ones.
   */
  calibrate?: boolean;
}

/**
 * Compile (relaxed SIMD where supported) and instantiate the kernels on `memory`, with a pool of
 * `threads − 1` workers when `threads` > 1 (`dispose()` stops it; idle workers never keep the
 * process alive).
 */
export async function loadWasmKernels(memory: Memory, heap: Heap, options: WasmLoadOptions = {}): Promise<WasmKernels> {
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) {
    throw new Error(`loadWasmKernels: threads must be a positive integer, got ${threads}`);
  }
  const { build, module } = await loadKernelModule(options.build);
  const exports = instantiateKernels(module, memory.wasm);
  const pool =
    threads > 1 ? await KernelPool.start(module, memory.wasm, { ...options.pool, workers: threads - 1 }) : null;
  const kernels = new WasmKernels(memory, heap, exports, build, module, pool, {
    ...DEFAULT_THRESHOLDS,
    ...options.thresholds,
  });
  if (pool && options.calibrate && !options.thresholds) kernels.thresholdSource = hostThresholds(kernels);
  return kernels;
}
