/**
 * Choosing and creating a device. `--backend` / FNF_BACKEND: `ts` (readable reference),
 * `wasm` (SIMD kernels), `gpu` (gpu.js, where one exists) or `auto` (gpu when a real GPU passes
 * a start-up parity probe, else wasm). The choice is reported once in words by `describe`.
 */
import { Memory } from '../tensor/memory.js';
import { Heap } from '../tensor/allocator.js';
import { Device } from './device.js';
import { tsKernels } from './ts/index.js';
import { loadWasmKernels, type WasmBuild } from './wasm/index.js';

export type BackendChoice = 'auto' | 'ts' | 'wasm' | 'gpu';

export const BACKENDS: readonly BackendChoice[] = ['auto', 'wasm', 'ts', 'gpu'];

export interface DeviceOptions {
  backend?: BackendChoice;
  /** force the plain or relaxed SIMD build (default: relaxed where the runtime has it) */
  wasmBuild?: WasmBuild;
  /** initial memory in bytes */
  initialBytes?: number;
}

export interface CreatedDevice extends Device {}

/** The backend named by the option, else FNF_BACKEND, else auto. */
export function backendFromEnv(explicit?: string): BackendChoice {
  const b = (explicit ?? process.env.FNF_BACKEND ?? 'auto').toLowerCase();
  if (!(BACKENDS as readonly string[]).includes(b)) {
    throw new Error(`unknown backend '${b}' (from ${explicit ? '--backend' : 'FNF_BACKEND'}); expected one of ${BACKENDS.join(', ')}`);
  }
  return b as BackendChoice;
}

export async function createDevice(opts: DeviceOptions = {}): Promise<Device> {
  const choice = opts.backend ?? backendFromEnv();
  const memory = new Memory(opts.initialBytes);
  const heap = new Heap(memory);
  switch (choice) {
    case 'ts':
      return new Device(memory, tsKernels, heap);
    case 'gpu': {
      // Loaded lazily so hosts without gpu.js never pay for it.
      const gpuModule = './gpu/index.js';
      const { loadGpuKernels } = await import(gpuModule).catch(() => ({ loadGpuKernels: null }));
      if (!loadGpuKernels) throw new Error('--backend gpu: the gpu backend is not available in this build');
      return new Device(memory, await loadGpuKernels(memory, heap, { require: true }), heap);
    }
    case 'auto':
    case 'wasm':
      return new Device(memory, await loadWasmKernels(memory, heap, { build: opts.wasmBuild }), heap);
  }
}

/** One line saying which backend runs (and which wasm build). */
export function describeDevice(dev: Device): string {
  const k = dev.kernels as { name: string; build?: string };
  return k.build ? `backend ${k.name} (${k.build} build)` : `backend ${k.name}`;
}
