/**
 * Finds, picks and instantiates the kernel module (build/kernels-{simd,relaxed}.wasm).
 *
 * Two builds exist because relaxed SIMD (fused multiply-add) is faster but not yet on by
 * default everywhere: on Node 20 it sits behind a V8 flag, which we switch on before the first
 * compile, then ask `WebAssembly.validate` whether a one-instruction relaxed module is
 * accepted. The plain SIMD build is the fallback. What needs no Node (the exports, compiling
 * from bytes, instantiating) is in kernel-module.ts, which the browser page uses too.
 */
import v8 from 'node:v8';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileKernelModule, relaxedProbeValidates, type LoadedModule, type WasmBuild } from './kernel-module.js';

export {
  RELAXED_PROBE,
  compileKernelModule,
  instantiateKernels,
  relaxedProbeValidates,
  type KernelExports,
  type LoadedModule,
  type WasmBuild,
} from './kernel-module.js';

/** Whether this runtime runs relaxed SIMD (switching on Node 20's flag first). */
export function relaxedSimdSupported(): boolean {
  if (relaxedProbeValidates()) return true;
  // Flags only take effect for modules compiled afterwards; harmless when already on or unknown.
  v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  return relaxedProbeValidates();
}

/**
 * The package root: the nearest folder above this file holding build/kernels-simd.wasm.
 * Walking up (rather than a fixed `../../../..`) works from src/ under a TS runner and from
 * dist/src/ after compilation alike.
 */
export function packageRoot(): string {
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ;) {
    if (existsSync(join(dir, 'build', 'kernels-simd.wasm'))) return dir;
    const up = dirname(dir);
    if (up === dir) {
      throw new Error(
        `wasm loader: build/kernels-simd.wasm not found in any folder above ${start}; run \`npm run build:wasm\``,
      );
    }
    dir = up;
  }
}

export interface WasmBuildInfo {
  /** The build that loads when none is asked for. */
  chosen: WasmBuild;
  relaxedSupported: boolean;
  /** Absolute path of the chosen .wasm file. */
  path: string;
}

export function wasmPath(build: WasmBuild): string {
  return join(packageRoot(), 'build', `kernels-${build}.wasm`);
}

/** Which build `loadKernelModule()` picks on this runtime, and why. */
export function wasmBuildInfo(): WasmBuildInfo {
  const relaxedSupported = relaxedSimdSupported();
  const chosen: WasmBuild = relaxedSupported && existsSync(wasmPath('relaxed')) ? 'relaxed' : 'simd';
  return { chosen, relaxedSupported, path: wasmPath(chosen) };
}

/** Compile the kernel module: `build` forces one, otherwise the best this runtime runs. */
export async function loadKernelModule(build?: WasmBuild): Promise<LoadedModule> {
  const info = wasmBuildInfo();
  const pick = build ?? info.chosen;
  if (pick === 'relaxed' && !info.relaxedSupported) {
    throw new Error('wasm loader: the relaxed build was asked for but this runtime lacks relaxed SIMD');
  }
  return compileKernelModule(readFileSync(wasmPath(pick)), pick);
}
