/**
 * The kernel module itself, with nothing that needs Node: its exports, the relaxed-SIMD probe,
 * compiling from bytes and instantiating over a memory. The Node loader (loader.ts) finds the
 * files on disk; the browser page (web/) fetches the same bytes and calls these.
 */
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
  sparse_rows_scratch_bytes(K: number, N: number): number;
  matmul_sparse_rows(
    out: number,
    a: number,
    b: number,
    transB: number,
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
  sparse_tn_scratch_bytes(R: number, N: number, blocks: number, M: number, ranges: number): number;
  matmul_tn_sparse(
    out: number,
    partials: number,
    a: number,
    b: number,
    M: number,
    R: number,
    N: number,
    blocks: number,
    c0: number,
    c1: number,
    scratch: number,
    ranges: number,
  ): void;
  gather(out: number, src: number, index: number, scale: number, e0: number, e1: number, limit: number): number;
  gather_rows(out: number, src: number, rows: number, N: number, r0: number, r1: number, limit: number): number;
  unary(op: number, out: number, x: number, e0: number, e1: number): void;
  fill(out: number, value: number, e0: number, e1: number): void;
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
export const RELAXED_PROBE = new Uint8Array([
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

/** Whether this runtime validates relaxed SIMD as it is now (no flags switched). */
export function relaxedProbeValidates(): boolean {
  return WebAssembly.validate(RELAXED_PROBE);
}

export interface LoadedModule {
  build: WasmBuild;
  /** Compiled module, shareable with worker threads (postMessage). */
  module: WebAssembly.Module;
}

/** Compile kernel bytes known to be `build`. */
export async function compileKernelModule(
  bytes: Uint8Array<ArrayBuffer> | ArrayBuffer,
  build: WasmBuild,
): Promise<LoadedModule> {
  return { build, module: await WebAssembly.compile(bytes) };
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
