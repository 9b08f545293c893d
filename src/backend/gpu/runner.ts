/**
 * Running the gpu.js kernels of kernel-sources.ts: build each kernel once per instance, set
 * the output size per call, return the result as rows of float32.
 *
 * `KernelRunner` is synchronous because the `Kernels` interface is. Two implementations:
 * `InThreadRunner` (this file) for the synchronous gpu.js modes (headless-gl, webgl*, webasm,
 * cpu), and `WorkerRunner` (worker-runner.ts) which makes the async-only webgpu mode look
 * synchronous by running it in a worker thread.
 */
import { HELPERS, KERNEL_SOURCES, type GpuKernelName } from './kernel-sources.js';
import type { GpuJsInstance, GpuJsKernel, GpuJsKernelSettings, KernelMode } from './gpujs-module.js';

/** A kernel argument: an array (uploaded) or a number (a uniform). */
export type KernelArg = Float32Array | number;

export interface KernelRunner {
  /** The gpu.js kernel mode that runs (see gpujs-module.ts). */
  readonly mode: KernelMode;
  /**
   * Run kernel `name` over output [width] or [width, height]; returns `height` rows of `width`
   * values (one row for a 1-D output). Rows may be views that the next call overwrites.
   */
  run(name: GpuKernelName, output: [number] | [number, number], args: KernelArg[]): Float32Array[];
  dispose(): void;
}

/** Loops with a runtime bound compile (GL, WGSL) to a fixed bound plus `break`: make it roomy. */
export const LOOP_MAX = 1 << 24;

export function kernelSettings(asyncMode: boolean): GpuJsKernelSettings {
  return {
    output: [1],
    dynamicOutput: true,
    dynamicArguments: true,
    loopMaxIterations: LOOP_MAX,
    precision: 'single',
    // GL: highp float everywhere (the default 'balanced' uses mediump for some values).
    tactic: 'precision',
    functions: HELPERS as unknown as ((...a: number[]) => number)[],
    ...(asyncMode ? { asyncMode: true } : {}),
  };
}

/** A gpu.js result (a flat array, or rows of arrays) as rows of Float32Array. */
export function asRows(result: unknown, what: string): Float32Array[] {
  if (result instanceof Float32Array) return [result];
  if (Array.isArray(result)) {
    return result.map((r) => (r instanceof Float32Array ? r : Float32Array.from(r as ArrayLike<number>)));
  }
  throw new Error(
    `gpu ${what}: gpu.js returned ${Object.prototype.toString.call(result)}, expected a Float32Array or rows of them`,
  );
}

/** One gpu.js instance, its kernels built lazily, called on this thread. */
export class InThreadRunner implements KernelRunner {
  private readonly kernels = new Map<GpuKernelName, GpuJsKernel>();

  constructor(
    private readonly gpu: GpuJsInstance,
    readonly mode: KernelMode,
  ) {}

  run(name: GpuKernelName, output: [number] | [number, number], args: KernelArg[]): Float32Array[] {
    let k = this.kernels.get(name);
    if (!k) {
      k = this.gpu.createKernel(KERNEL_SOURCES[name] as (...a: never[]) => number, kernelSettings(false));
      this.kernels.set(name, k);
    }
    k.setOutput(output);
    return asRows(k(...args), name);
  }

  dispose(): void {
    this.kernels.clear();
    this.gpu.destroy();
  }
}
