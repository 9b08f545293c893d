/**
 * The gpu backend: gpu.js kernels for the hot paths (see gpu-kernels.ts), on a real GPU where
 * gpu.js finds one, with no native build of our own.
 *
 * Where the kernels run, in order of preference:
 *  1. a synchronous gpu.js GPU mode on this thread — headless-gl (needs the optional native
 *     `gl` package), or webgl2/webgl where a context exists;
 *  2. gpu.js's webgpu mode (Dawn, from the `webgpu` package's prebuilt binary) in a worker
 *     thread behind a synchronous bridge (worker-runner.ts), since webgpu kernels are async;
 *  3. nothing: `require: true` (`--backend gpu`) fails with the reasons; otherwise gpu.js's own
 *     CPU fallback (its webasm or cpu mode) runs the same kernels.
 * Mode 'cpu' asks for gpu.js's cpu mode outright: the tests run every kernel through it.
 */
import { Memory } from '../../tensor/memory.js';
import { Heap } from '../../tensor/allocator.js';
import type { Kernels } from '../kernels.js';
import { tsKernels } from '../ts/index.js';
import { loadWasmKernels } from '../wasm/index.js';
import { GpuKernels } from './gpu-kernels.js';
import { actualMode, importGpuJs, isGpuMode, type GpuJsModule } from './gpujs-module.js';
import { InThreadRunner, type KernelRunner } from './runner.js';
import { WorkerRunner } from './worker-runner.js';
import { probeVerdict, type GpuProbe } from './parity-probe.js';

export { GpuKernels } from './gpu-kernels.js';
export {
  GPU_TOLERANCES,
  probeVerdict,
  runParityProbe,
  type GpuProbe,
  type GpuTolerances,
  type ProbeResult,
} from './parity-probe.js';
export { GPU_MODES, isGpuMode, importGpuJs, type GpuMode, type KernelMode } from './gpujs-module.js';

export interface GpuLoadOptions {
  /** Fail (with the reasons) unless a real GPU mode runs; `--backend gpu` sets it. */
  require?: boolean;
  /** 'gpu' (default): a real GPU mode if any; 'cpu': gpu.js's cpu mode (tests, CI). */
  mode?: 'cpu' | 'gpu';
  /**
   * Run gpu.js in a worker thread behind the synchronous bridge even for a synchronous mode
   * (always so for webgpu). For tests of the bridge; default false.
   */
  worker?: boolean;
  /**
   * Table for the delegated kernels, or a loader called once a GPU runner exists (so nothing
   * is started when loading fails); default the wasm kernels on the same memory, else ts.
   */
  fallback?: Kernels | (() => Promise<Kernels>);
}

/** gpu.js kernels on `memory`; see the file header for which mode runs. */
export async function loadGpuKernels(memory: Memory, heap: Heap, options: GpuLoadOptions = {}): Promise<GpuKernels> {
  const flag = options.require ? '--backend gpu' : 'gpu backend';
  const loaded = await importGpuJs();
  if (!loaded.ok) throw new Error(`${flag}: ${loaded.reason}`);
  const { module: gpujs } = loaded;
  let runner: KernelRunner;
  if (options.mode === 'cpu') {
    runner = options.worker ? startWorker('cpu', flag) : new InThreadRunner(new gpujs.GPU({ mode: 'cpu' }), 'cpu');
  } else {
    runner = pickGpuRunner(gpujs, options, flag);
  }
  try {
    const f = options.fallback;
    const fallback =
      typeof f === 'function' ? await f() : (f ?? (await loadWasmKernels(memory, heap).catch(() => tsKernels)));
    return new GpuKernels(runner, fallback);
  } catch (e) {
    runner.dispose();
    throw e;
  }
}

function startWorker(mode: string, flag: string): KernelRunner {
  const started = WorkerRunner.start(mode);
  if (!started.ok) throw new Error(`${flag}: ${started.reason}`);
  return started.runner;
}

/** The advice ending a refused gpu backend (the probe, which only reports, drops it). */
const USE_WASM = "Use the wasm backend (--backend wasm or auto; createDevice({ backend: 'wasm' }))";

function pickGpuRunner(gpujs: GpuJsModule, options: GpuLoadOptions, flag: string): KernelRunner {
  const reasons: string[] = [];
  // 1. A synchronous GPU mode on this thread.
  const best = new gpujs.GPU({ mode: 'gpu' });
  const bestMode = actualMode(gpujs, best);
  if (isGpuMode(bestMode)) {
    if (!options.worker) return new InThreadRunner(best, bestMode);
    best.destroy();
    return startWorker('gpu', flag);
  }
  reasons.push(
    `headless-gl/webgl: unavailable (gpu.js picked its ${bestMode} mode` +
      `; headless-gl needs the optional native 'gl' package)`,
  );
  // 2. webgpu in a worker.
  const web = WorkerRunner.start('webgpu');
  if (web.ok && web.runner.mode === 'webgpu') {
    best.destroy();
    return web.runner;
  }
  if (web.ok) web.runner.dispose();
  reasons.push(`webgpu: ${web.ok ? `gpu.js chose ${web.runner.mode}` : web.reason}`);
  // 3. No GPU.
  if (options.require) {
    best.destroy();
    throw new Error(`${flag}: no GPU usable through gpu.js on this host — ${reasons.join('; ')}. ${USE_WASM}`);
  }
  return new InThreadRunner(best, bestMode);
}

/**
 * Is there a GPU worth using? Loads gpu.js, finds a real GPU mode and runs the parity probe
 * on a small private memory. Never throws.
 */
export async function probeGpu(): Promise<GpuProbe> {
  const loaded = await importGpuJs();
  if (!loaded.ok) return { available: false, mode: 'none', reason: loaded.reason };
  const memory = new Memory(2 << 20);
  const heap = new Heap(memory);
  let kernels: GpuKernels;
  try {
    kernels = await loadGpuKernels(memory, heap, { require: true, fallback: tsKernels });
  } catch (e) {
    const reason = (e as Error).message.replace(/^--backend gpu: /, '').replace(`. ${USE_WASM}`, '');
    return { available: false, mode: 'none', reason };
  }
  try {
    return probeVerdict(kernels, kernels.mode, memory, heap);
  } finally {
    kernels.dispose();
  }
}
