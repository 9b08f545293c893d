/**
 * Finds, picks and instantiates the kernel module (build/kernels-{simd,relaxed}.wasm).
 *
 * Two builds exist because relaxed SIMD (fused multiply-add) is faster but not yet on by
 * default everywhere: on Node 20 it sits behind a V8 flag, which we switch on before the first
 * compile, then ask `WebAssembly.validate` whether a one-instruction relaxed module is
 * accepted. The plain SIMD build is the fallback.
 */
import v8 from 'node:v8';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type WasmBuild = 'simd' | 'relaxed';

/** The raw exports of the kernel module; every pointer is a byte offset (see assembly/*.ts). */
export interface KernelExports {
  matmul_scratch_bytes(N: number, K: number): number;
  matmul_nt(
    out: number,
    x: number,
    w: number,
    bias: number,
    M: number,
    K: number,
    N: number,
    act: number,
    r0: number,
    r1: number,
    scratch: number,
    ranges: number,
  ): void;
  matmul_nn(
    out: number,
    a: number,
    b: number,
    M: number,
    K: number,
    N: number,
    accumulate: number,
    r0: number,
    r1: number,
    scratch: number,
    ranges: number,
  ): void;
  matmul_tn(
    out: number,
    a: number,
    b: number,
    M: number,
    R: number,
    N: number,
    accumulate: number,
    r0: number,
    r1: number,
    scratch: number,
    ranges: number,
  ): void;
  matmul_tn_blocks(
    out: number,
    partials: number,
    a: number,
    b: number,
    M: number,
    R: number,
    N: number,
    accumulate: number,
    blocks: number,
    c0: number,
    c1: number,
    scratch: number,
    ranges: number,
  ): void;
  gather(out: number, src: number, index: number, scale: number, e0: number, e1: number, limit: number): number;
  unary(op: number, out: number, x: number, e0: number, e1: number): void;
  binary(
    op: number,
    mode: number,
    out: number,
    a: number,
    b: number,
    M: number,
    N: number,
    e0: number,
    e1: number,
  ): void;
  act_backward(act: number, dx: number, dy: number, y: number, e0: number, e1: number): void;
  sum_rows(out: number, x: number, M: number, N: number, c0: number, c1: number): void;
  sum_rows_blocks(partials: number, x: number, M: number, N: number, blocks: number, b0: number, b1: number): void;
  sum_cols(out: number, x: number, M: number, N: number, r0: number, r1: number): void;
  sum_all_f64(x: number, e0: number, e1: number): number;
  adamw(
    p: number,
    g: number,
    m: number,
    v: number,
    e0: number,
    e1: number,
    decay: number,
    beta1: number,
    oneMinusBeta1: number,
    beta2: number,
    oneMinusBeta2: number,
    stepSize: number,
    bc2Sqrt: number,
    eps: number,
  ): void;
  /** Written by the spline kernel file; absent from builds that predate it. */
  spline_scratch_bytes?(K: number): number;
  spline_forward?(
    y: number,
    ladj: number,
    x: number,
    params: number,
    e0: number,
    e1: number,
    K: number,
    bound: number,
    logSlope: number,
    scratch: number,
    saved: number,
  ): void;
  spline_inverse?(
    x: number,
    ladj: number,
    y: number,
    params: number,
    e0: number,
    e1: number,
    K: number,
    bound: number,
    logSlope: number,
    scratch: number,
  ): void;
  spline_backward?(
    dx: number,
    dparams: number,
    gy: number,
    gl: number,
    x: number,
    params: number,
    e0: number,
    e1: number,
    K: number,
    bound: number,
    logSlope: number,
    saved: number,
  ): void;
}

/**
 * (module (func (result v128) i32.const 0 i8x16.splat ×3 f32x4.relaxed_madd)):
 * validates only where the runtime accepts relaxed SIMD.
 */
const RELAXED_PROBE = new Uint8Array([
  0x00,
  0x61,
  0x73,
  0x6d,
  0x01,
  0x00,
  0x00,
  0x00, // magic, version
  0x01,
  0x05,
  0x01,
  0x60,
  0x00,
  0x01,
  0x7b, // type section: () -> v128
  0x03,
  0x02,
  0x01,
  0x00, // function section: one function of type 0
  0x0a,
  0x13,
  0x01,
  0x11,
  0x00, // code section: one body of 17 bytes, no locals
  0x41,
  0x00,
  0xfd,
  0x0f, // i32.const 0; i8x16.splat
  0x41,
  0x00,
  0xfd,
  0x0f,
  0x41,
  0x00,
  0xfd,
  0x0f,
  0xfd,
  0x85,
  0x02, // f32x4.relaxed_madd (0xfd 0x105)
  0x0b, // end
]);

/** Whether this runtime runs relaxed SIMD (switching on Node 20's flag first). */
export function relaxedSimdSupported(): boolean {
  if (WebAssembly.validate(RELAXED_PROBE)) return true;
  // Flags only take effect for modules compiled afterwards; harmless when already on or unknown.
  v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  return WebAssembly.validate(RELAXED_PROBE);
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

export interface LoadedModule {
  build: WasmBuild;
  /** Compiled module, shareable with worker threads (postMessage). */
  module: WebAssembly.Module;
}

/** Compile the kernel module: `build` forces one, otherwise the best this runtime runs. */
export async function loadKernelModule(build?: WasmBuild): Promise<LoadedModule> {
  const info = wasmBuildInfo();
  const pick = build ?? info.chosen;
  if (pick === 'relaxed' && !info.relaxedSupported) {
    throw new Error('wasm loader: the relaxed build was asked for but this runtime lacks relaxed SIMD');
  }
  const bytes = readFileSync(wasmPath(pick));
  const module = await WebAssembly.compile(bytes);
  return { build: pick, module };
}

/** Instantiate against the shared memory; `abort` reports AssemblyScript assertion failures. */
export function instantiateKernels(module: WebAssembly.Module, memory: WebAssembly.Memory): KernelExports {
  const readString = (ptr: number): string => {
    if (!ptr) return '';
    const bytes = new Uint32Array(memory.buffer)[(ptr - 4) >>> 2];
    const units = new Uint16Array(memory.buffer, ptr, bytes >>> 1);
    return String.fromCharCode(...units);
  };
  const imports = {
    env: {
      memory,
      abort(msg: number, file: number, line: number, col: number): never {
        throw new Error(`wasm kernel abort: ${readString(msg)} at ${readString(file)}:${line}:${col}`);
      },
    },
  };
  const instance = new WebAssembly.Instance(module, imports);
  return instance.exports as unknown as KernelExports;
}
