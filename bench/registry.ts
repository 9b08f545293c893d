/**
 * The benchmark families `bench/run.ts` runs. Each family lives in its own `*.bench.ts` file
 * and calls `register` when imported; run.ts imports every `*.bench.js` next to it, so a new
 * family is one new file.
 */
import type { Memory } from '../src/tensor/memory.js';
import { Tensor } from '../src/tensor/tensor.js';
import type { Heap } from '../src/tensor/allocator.js';
import type { Kernels } from '../src/backend/kernels.js';
import type { WasmBuild } from '../src/backend/wasm/index.js';

/** One figure of bench/results/latest.json. */
export interface BenchResult {
  name: string;
  shape: number[];
  /** "wasm", "ts", "js-loop", … */
  backend: string;
  /** For wasm results: which module ran. */
  build?: WasmBuild;
  threads: number;
  value: number;
  unit: string;
}

/** A backend a family can time: the wasm builds that load here, and the ts reference. */
export interface BenchBackend {
  backend: string;
  build?: WasmBuild;
  kernels: Kernels;
}

export interface BenchContext {
  memory: Memory;
  heap: Heap;
  /** wasm (each build that loads; the default one first), then ts. */
  backends: BenchBackend[];
  /** The build `loadWasmKernels` picks by default on this runtime. */
  wasmBuild: WasmBuild;
  /** Median milliseconds per call of `fn` (see run.ts for the protocol). */
  time(fn: () => void): number;
}

export interface BenchFamily {
  /** Prefix of every result name it produces (`--only` matches on it). */
  name: string;
  run(ctx: BenchContext): BenchResult[] | Promise<BenchResult[]>;
}

export const families: BenchFamily[] = [];

export function register(family: BenchFamily): void {
  if (families.some((f) => f.name === family.name)) {
    throw new Error(`bench registry: family "${family.name}" registered twice`);
  }
  families.push(family);
}

/**
 * A heap tensor of the bench context filled with fixed pseudo-random values in [lo, hi)
 * (a small LCG: benchmarks need repeatable inputs, not good randomness).
 */
export function benchTensor(ctx: BenchContext, shape: number[], seed: number, lo = -1, hi = 1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const t = new Tensor(ctx.memory, ctx.heap.alloc(n * 4), shape);
  const d = t.data;
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    d[i] = lo + (s / 2 ** 32) * (hi - lo);
  }
  return t;
}
