/**
 * Loading gpu.js, and the slice of its API the gpu backend uses.
 *
 * gpu.js is loaded with a dynamic import so that a host without it (it is a dependency, but
 * an install can lack it) still runs every other backend; the types below are written here
 * rather than imported so that the build does not need gpu.js either.
 *
 * Facts about gpu.js 2.24 this file relies on (read from its source):
 *  - `new GPU({ mode })` picks a kernel class. `gpu.mode` echoes the *requested* mode ('gpu'
 *    stays 'gpu' even when it fell back to the wasm kernel), so the real answer is the class
 *    in `gpu.Kernel`, compared against the exported classes.
 *  - mode 'gpu' tries headless-gl → webgl2 → webgl → webasm; headless-gl needs the optional
 *    native `gl` package. 'webgpu' is never auto-selected; it needs `navigator.gpu` (in Node:
 *    the `webgpu` package, Dawn) and its kernels are async only.
 *  - 'cpu' compiles kernels to plain JS (float64 arithmetic): the mode the tests run in.
 */

/** A compiled kernel: call it like the kernel function (minus `this`). */
export interface GpuJsKernel {
  (...args: unknown[]): unknown;
  setOutput(output: number[]): GpuJsKernel;
  destroy?(removeCanvasReferences?: boolean): void;
}

export interface GpuJsKernelSettings {
  output: number[];
  dynamicOutput?: boolean;
  dynamicArguments?: boolean;
  loopMaxIterations?: number;
  precision?: 'single' | 'unsigned';
  tactic?: 'speed' | 'balanced' | 'precision';
  functions?: ((...args: number[]) => number)[];
  asyncMode?: boolean;
}

export interface GpuJsInstance {
  mode: string;
  Kernel: unknown;
  createKernel(fn: (...args: never[]) => number, settings: GpuJsKernelSettings): GpuJsKernel;
  destroy(): unknown;
}

export interface GpuJsModule {
  GPU: {
    new (settings?: { mode?: string }): GpuJsInstance;
    isWebGPUAvailable?(): Promise<boolean>;
  };
  CPUKernel: unknown;
  HeadlessGLKernel: unknown;
  WebGLKernel: unknown;
  WebGL2Kernel: unknown;
  WebGPUKernel?: unknown;
  WebAssemblyKernel?: unknown;
}

/** Real GPU kernel modes (the rest — 'webasm', 'cpu' — run on the CPU). */
export const GPU_MODES = ['headlessgl', 'webgl2', 'webgl', 'webgpu'] as const;
export type GpuMode = (typeof GPU_MODES)[number];
/** Every mode a gpu.js instance can end up in, as this backend names it. */
export type KernelMode = GpuMode | 'webasm' | 'cpu' | 'unknown';

export const isGpuMode = (m: string): m is GpuMode => (GPU_MODES as readonly string[]).includes(m);

export type GpuJsLoad = { ok: true; module: GpuJsModule } | { ok: false; reason: string };

/** Import gpu.js, or say why not ("gpu.js not installed" when the package is absent). */
export async function importGpuJs(): Promise<GpuJsLoad> {
  const name = 'gpu.js'; // a variable: tsc must not try to resolve the module
  try {
    const mod = (await import(name)) as { default?: GpuJsModule } & Partial<GpuJsModule>;
    const m = (mod.default ?? mod) as GpuJsModule;
    if (typeof m.GPU !== 'function') return { ok: false, reason: 'gpu.js loaded but exports no GPU class' };
    return { ok: true, module: m };
  } catch (e) {
    const err = e as { code?: string; message?: string };
    if (err.code === 'ERR_MODULE_NOT_FOUND' || /Cannot find (package|module) 'gpu\.js'/.test(err.message ?? '')) {
      return { ok: false, reason: 'gpu.js not installed (add the gpu.js dependency and npm install)' };
    }
    return { ok: false, reason: `gpu.js failed to load: ${err.message ?? String(e)}` };
  }
}

/** Which kernel class an instance really chose, by this backend's mode names. */
export function actualMode(m: GpuJsModule, gpu: GpuJsInstance): KernelMode {
  const k = gpu.Kernel;
  if (k === m.HeadlessGLKernel) return 'headlessgl';
  if (k === m.WebGL2Kernel) return 'webgl2';
  if (k === m.WebGLKernel) return 'webgl';
  if (m.WebGPUKernel && k === m.WebGPUKernel) return 'webgpu';
  if (m.WebAssemblyKernel && k === m.WebAssemblyKernel) return 'webasm';
  if (k === m.CPUKernel) return 'cpu';
  return 'unknown';
}

/**
 * Give `navigator.gpu` a Dawn instance from the `webgpu` package (gpu.js's webgpu mode looks
 * there). Resolves to a reason string when that is impossible: package missing, binary that
 * does not load on this system (its prebuilt Dawn needs a recent libstdc++), or no adapter.
 */
export async function installNodeWebGpu(): Promise<{ ok: true } | { ok: false; reason: string }> {
  const name = 'webgpu';
  let gpu: { requestAdapter(): Promise<unknown> };
  try {
    const mod = (await import(name)) as { create(flags: string[]): typeof gpu; globals: object };
    Object.assign(globalThis, mod.globals);
    gpu = mod.create([]);
  } catch (e) {
    const msg = (e as Error).message ?? String(e);
    return { ok: false, reason: `webgpu (Dawn) did not load: ${msg.split('\n')[0]}` };
  }
  const nav = (globalThis as { navigator?: object }).navigator;
  if (nav && !Object.isFrozen(nav)) {
    try {
      Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true, writable: true });
    } catch {
      Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
    }
  } else {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  }
  const adapter = await gpu.requestAdapter().catch(() => null);
  if (!adapter) return { ok: false, reason: 'webgpu (Dawn) loaded but found no GPU adapter' };
  return { ok: true };
}
