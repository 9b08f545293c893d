/**
 * Choosing and creating a device. `--backend` / FNF_BACKEND: `ts` (readable reference),
 * `wasm` (SIMD kernels), `gpu` (gpu.js, where one exists) or `auto` (gpu when a real GPU passes
 * a start-up parity probe, else wasm). Nothing here prints: `describeDevice` says which backend
 * runs, and `onAutoChoice` hands the caller auto's decision and the GPU probe's reason.
 */
import { MAX_PAGES, Memory, PAGE_BYTES } from '../tensor/memory.js';
import { Heap } from '../tensor/allocator.js';
import { Device } from './device.js';
import { tsKernels } from './ts/index.js';
import {
  describeThresholds,
  loadWasmKernels,
  resolveThreads,
  type HostThresholds,
  type WasmBuild,
} from './wasm/index.js';

export type BackendChoice = 'auto' | 'ts' | 'wasm' | 'gpu';

export const BACKENDS: readonly BackendChoice[] = ['auto', 'wasm', 'ts', 'gpu'];

export interface DeviceOptions {
  backend?: BackendChoice;
  /** force the plain or relaxed SIMD build (default: relaxed where the runtime has it) */
  wasmBuild?: WasmBuild;
  /** initial memory in bytes */
  initialBytes?: number;
  /**
   * wasm: threads per kernel call (`--threads`); else FNF_THREADS; default the core count, at
   * most 8. 1 starts no worker threads. Checked on every backend (an integer in [1, 64]), though
   * only wasm and the gpu backend's wasm fallback run threads: `ts` runs on the calling thread.
   */
  threads?: number;
  /**
   * wasm with 2+ threads: split thresholds calibrated for this host at first use and cached in
   * the user's cache directory (default true; FNF_NO_CALIBRATE=1 or false: the built-in ones).
   * Thresholds change speed, never results.
   */
  calibrate?: boolean;
  /** backend auto: called once with the backend picked and the GPU probe's reason. */
  onAutoChoice?: (choice: AutoChoice) => void;
}

/** How `--backend auto` decided. */
export interface AutoChoice {
  backend: 'gpu' | 'wasm';
  /** The GPU probe's reason, in full (why the GPU is used, or why not). */
  probeReason: string;
}

export type CreatedDevice = Device;

/** The backend named by the option, else FNF_BACKEND, else auto. */
export function backendFromEnv(explicit?: string): BackendChoice {
  return checkBackend(explicit ?? process.env.FNF_BACKEND ?? 'auto', explicit ? '--backend' : 'FNF_BACKEND');
}

function checkBackend(name: unknown, from: string): BackendChoice {
  const b = String(name).toLowerCase();
  if (!(BACKENDS as readonly string[]).includes(b)) {
    throw new Error(`unknown backend '${String(name)}' (from ${from}); expected one of ${BACKENDS.join(', ')}`);
  }
  return b as BackendChoice;
}

const WASM_BUILDS: readonly WasmBuild[] = ['simd', 'relaxed'];
const DEVICE_OPTION_KEYS: readonly (keyof DeviceOptions)[] = [
  'backend',
  'wasmBuild',
  'initialBytes',
  'threads',
  'calibrate',
  'onAutoChoice',
];

/**
 * The options a JavaScript caller may get wrong, checked before anything starts: each error
 * names `createDevice options.<key>` and what was expected.
 */
function checkDeviceOptions(opts: DeviceOptions): void {
  const where = (key: string) => `createDevice options.${key}`;
  if (opts === null || typeof opts !== 'object')
    throw new Error(`createDevice: options must be an object, got ${String(opts)}`);
  // A misspelt key (`thread: 2`, `build: 'simd'`) would otherwise be ignored without a word.
  for (const key of Object.keys(opts)) {
    if (!DEVICE_OPTION_KEYS.includes(key as keyof DeviceOptions)) {
      throw new Error(`createDevice: unknown option '${key}'; the options are ${DEVICE_OPTION_KEYS.join(', ')}`);
    }
  }
  if (opts.wasmBuild !== undefined && !WASM_BUILDS.includes(opts.wasmBuild)) {
    throw new Error(
      `${where('wasmBuild')}: expected one of ${WASM_BUILDS.join(', ')}, got '${String(opts.wasmBuild)}'`,
    );
  }
  const bytes = opts.initialBytes;
  if (bytes !== undefined && !(Number.isInteger(bytes) && bytes > 0 && bytes <= MAX_PAGES * PAGE_BYTES)) {
    throw new Error(`${where('initialBytes')}: expected a whole number of bytes in [1, 4 GiB], got ${String(bytes)}`);
  }
  // The same range as wasm's: a value wasm refuses was accepted silently by ts, so a program
  // that works on one backend could fail on the other for an option it passed all along.
  if (opts.threads !== undefined) resolveThreads(opts.threads, undefined, where('threads'));
  if (opts.calibrate !== undefined && typeof opts.calibrate !== 'boolean') {
    throw new Error(`${where('calibrate')}: expected true or false, got ${String(opts.calibrate)}`);
  }
  if (opts.onAutoChoice !== undefined && typeof opts.onAutoChoice !== 'function') {
    throw new Error(`${where('onAutoChoice')}: expected a function`);
  }
}

export async function createDevice(opts: DeviceOptions = {}): Promise<Device> {
  // Checked here too: a JavaScript caller's typo would otherwise fall through every case.
  const choice =
    opts.backend !== undefined ? checkBackend(opts.backend, 'createDevice options.backend') : backendFromEnv();
  checkDeviceOptions(opts);
  const wasmOptions = () => ({
    build: opts.wasmBuild,
    threads: resolveThreads(opts.threads, process.env.FNF_THREADS, 'createDevice options.threads'),
    calibrate: opts.calibrate ?? true,
  });
  const memory = new Memory(opts.initialBytes);
  const heap = new Heap(memory);
  switch (choice) {
    case 'ts':
      return new Device(memory, tsKernels, heap);
    case 'gpu':
    case 'auto': {
      // Loaded lazily (gpu.js itself is imported only inside it, and only if installed).
      const gpuModule = './gpu/index.js';
      const gpu = (await import(gpuModule).catch(() => null)) as typeof import('./gpu/index.js') | null;
      // The elementwise kernels the gpu backend delegates run on wasm, with these threads.
      const fallback = () => loadWasmKernels(memory, heap, wasmOptions());
      if (choice === 'gpu') {
        if (!gpu) throw new Error('--backend gpu: the gpu backend is not available in this build');
        return new Device(memory, await gpu.loadGpuKernels(memory, heap, { require: true, fallback }), heap);
      }
      // auto: gpu only where gpu.js finds a real GPU and the parity probe agrees with ts.
      const probe = gpu
        ? await gpu.probeGpu()
        : { available: false, reason: 'the gpu backend is not available in this build' };
      if (gpu && probe.available) {
        opts.onAutoChoice?.({ backend: 'gpu', probeReason: probe.reason });
        return new Device(memory, await gpu.loadGpuKernels(memory, heap, { require: true, fallback }), heap);
      }
      opts.onAutoChoice?.({ backend: 'wasm', probeReason: probe.reason });
      return new Device(memory, await fallback(), heap);
    }
    case 'wasm':
      return new Device(memory, await loadWasmKernels(memory, heap, wasmOptions()), heap);
  }
}

export { describeDevice } from './describe.js';

/** A wasm pool's split thresholds and where they came from (calibrated, cached, built-in); null elsewhere. */
export function describeSplitThresholds(dev: Device): string | null {
  const k = dev.kernels as { threads?: number; thresholdSource?: HostThresholds | null };
  if (!(k.threads && k.threads > 1) || k.thresholdSource === undefined) return null;
  return describeThresholds(k.thresholdSource);
}
