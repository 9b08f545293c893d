/** The wasm backend: load the kernel module on a memory and get a `Kernels` table. */
import type { Memory } from '../../tensor/memory.js';
import type { Heap } from '../../tensor/allocator.js';
import { instantiateKernels, loadKernelModule, type WasmBuild } from './loader.js';
import { WasmKernels } from './wasm-kernels.js';

export { WasmKernels } from './wasm-kernels.js';
export {
  wasmBuildInfo, relaxedSimdSupported, packageRoot, wasmPath, loadKernelModule, instantiateKernels,
  type WasmBuild, type WasmBuildInfo, type KernelExports, type LoadedModule,
} from './loader.js';

export interface WasmLoadOptions {
  /** Force a build; by default the relaxed one where the runtime supports it. */
  build?: WasmBuild;
}

/** Compile (relaxed SIMD where supported) and instantiate the kernels on `memory`. */
export async function loadWasmKernels(memory: Memory, heap: Heap, options: WasmLoadOptions = {}): Promise<WasmKernels> {
  const { build, module } = await loadKernelModule(options.build);
  return new WasmKernels(memory, heap, instantiateKernels(module, memory.wasm), build, module);
}
