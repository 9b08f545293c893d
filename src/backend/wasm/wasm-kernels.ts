/**
 * The wasm backend: the `Kernels` table over the AssemblyScript SIMD module.
 *
 * Each method checks shapes (errors name the kernel and the shapes), then makes one export
 * call over the whole range; the exports also take row/element ranges so that a worker pool
 * can later split the same calls across threads.
 */
import type { AdamWHyper, Kernels, SplineSpec } from '../kernels.js';
import { Act, Binary, Broadcast, Unary } from '../kernels.js';
import type { Memory } from '../../tensor/memory.js';
import type { Heap } from '../../tensor/allocator.js';
import { shapeStr, type Tensor } from '../../tensor/tensor.js';
import type { KernelExports, WasmBuild } from './loader.js';

const BROADCAST_NAMES = ['same', 'row', 'col', 'scalar'];

function fail(kernel: string, detail: string): never {
  throw new Error(`wasm ${kernel}: ${detail}`);
}

export class WasmKernels implements Kernels {
  readonly name = 'wasm';
  private scratchPtr = 0;
  private scratchBytes = 0;

  constructor(
    readonly memory: Memory,
    readonly heap: Heap,
    readonly exports: KernelExports,
    /** Which module runs: plain SIMD or relaxed SIMD (fused multiply-add). */
    readonly build: WasmBuild,
    /** The compiled module, for worker threads to instantiate on the same memory. */
    readonly module: WebAssembly.Module,
  ) {
    // Enough for any layer up to 256 × 256 at once; grows on demand.
    this.scratch(exports.matmul_scratch_bytes(256, 256));
  }

  /** Gives the packing scratch back to the heap. */
  dispose(): void {
    if (this.scratchPtr) this.heap.release(this.scratchPtr);
    this.scratchPtr = 0;
    this.scratchBytes = 0;
  }

  /** The matmul packing area, at least `bytes` long; reallocated only when too small. */
  private scratch(bytes: number): number {
    if (bytes > this.scratchBytes) {
      if (this.scratchPtr) this.heap.release(this.scratchPtr);
      this.scratchPtr = this.heap.alloc(bytes);
      this.scratchBytes = bytes;
    }
    return this.scratchPtr;
  }

  private own(kernel: string, ...ts: (Tensor | null)[]): void {
    for (const t of ts) {
      if (t && t.memory !== this.memory) fail(kernel, `tensor ${shapeStr(t.shape)} lives in another memory`);
    }
  }

  matmulNT(out: Tensor, x: Tensor, w: Tensor, bias: Tensor | null, act: Act): void {
    const M = x.rows, K = x.cols, N = w.rows;
    const what = `x ${shapeStr(x.shape)} · w ${shapeStr(w.shape)}ᵀ → out ${shapeStr(out.shape)}`;
    if (w.cols !== K) fail('matmulNT', `${what}: x has ${K} columns, w has ${w.cols}`);
    if (out.rows !== M || out.cols !== N) fail('matmulNT', `${what}: out must be [${M}, ${N}]`);
    if (bias && bias.size !== N) fail('matmulNT', `${what}: bias ${shapeStr(bias.shape)} must have ${N} elements`);
    if (act < Act.None || act > Act.Tanh) fail('matmulNT', `unknown activation code ${act}`);
    this.own('matmulNT', out, x, w, bias);
    const s = this.scratch(this.exports.matmul_scratch_bytes(N, K));
    this.exports.matmul_nt(out.ptr, x.ptr, w.ptr, bias ? bias.ptr : 0, M, K, N, act, 0, M, s);
  }

  matmulNN(out: Tensor, a: Tensor, b: Tensor, accumulate: boolean): void {
    const M = a.rows, K = a.cols, N = b.cols;
    const what = `a ${shapeStr(a.shape)} · b ${shapeStr(b.shape)} → out ${shapeStr(out.shape)}`;
    if (b.rows !== K) fail('matmulNN', `${what}: a has ${K} columns, b has ${b.rows} rows`);
    if (out.rows !== M || out.cols !== N) fail('matmulNN', `${what}: out must be [${M}, ${N}]`);
    this.own('matmulNN', out, a, b);
    const s = this.scratch(this.exports.matmul_scratch_bytes(N, K));
    this.exports.matmul_nn(out.ptr, a.ptr, b.ptr, M, K, N, accumulate ? 1 : 0, 0, M, s);
  }

  matmulTN(out: Tensor, a: Tensor, b: Tensor, accumulate: boolean): void {
    const R = a.rows, M = a.cols, N = b.cols;
    const what = `a ${shapeStr(a.shape)}ᵀ · b ${shapeStr(b.shape)} → out ${shapeStr(out.shape)}`;
    if (b.rows !== R) fail('matmulTN', `${what}: a has ${R} rows, b has ${b.rows}`);
    if (out.rows !== M || out.cols !== N) fail('matmulTN', `${what}: out must be [${M}, ${N}]`);
    this.own('matmulTN', out, a, b);
    const s = this.scratch(this.exports.matmul_scratch_bytes(N, R));
    this.exports.matmul_tn(out.ptr, a.ptr, b.ptr, M, R, N, accumulate ? 1 : 0, 0, M, s);
  }

  unary(op: Unary, out: Tensor, x: Tensor): void {
    if (out.size !== x.size) fail('unary', `op ${op}: out ${shapeStr(out.shape)} and x ${shapeStr(x.shape)} differ in size`);
    if (op < Unary.Neg || op > Unary.Reciprocal) fail('unary', `unknown op code ${op}`);
    this.own('unary', out, x);
    this.exports.unary(op, out.ptr, x.ptr, 0, x.size);
  }

  binary(op: Binary, out: Tensor, a: Tensor, b: Tensor, mode: Broadcast): void {
    const M = a.rows, N = a.cols;
    const what = `op ${op}, a ${shapeStr(a.shape)}, b ${shapeStr(b.shape)}, mode ${BROADCAST_NAMES[mode] ?? mode}`;
    if (op < Binary.Add || op > Binary.Div) fail('binary', `${what}: unknown op code`);
    if (out.size !== a.size) fail('binary', `${what}: out ${shapeStr(out.shape)} must have a's size ${a.size}`);
    const want = mode === Broadcast.Same ? a.size : mode === Broadcast.Row ? N : mode === Broadcast.Col ? M
      : mode === Broadcast.Scalar ? 1 : -1;
    if (want < 0) fail('binary', `${what}: unknown broadcast mode`);
    if (b.size !== want) fail('binary', `${what}: b must have ${want} elements`);
    this.own('binary', out, a, b);
    this.exports.binary(op, mode, out.ptr, a.ptr, b.ptr, M, N, 0, a.size);
  }

  actBackward(act: Act, dx: Tensor, dy: Tensor, y: Tensor): void {
    if (dx.size !== dy.size || y.size !== dy.size) {
      fail('actBackward', `dx ${shapeStr(dx.shape)}, dy ${shapeStr(dy.shape)}, y ${shapeStr(y.shape)} must have one size`);
    }
    if (act < Act.None || act > Act.Tanh) fail('actBackward', `unknown activation code ${act}`);
    this.own('actBackward', dx, dy, y);
    this.exports.act_backward(act, dx.ptr, dy.ptr, y.ptr, 0, dy.size);
  }

  sumRows(out: Tensor, x: Tensor): void {
    if (out.size !== x.cols) fail('sumRows', `x ${shapeStr(x.shape)} → out ${shapeStr(out.shape)}: out must have ${x.cols} elements`);
    this.own('sumRows', out, x);
    this.exports.sum_rows(out.ptr, x.ptr, x.rows, x.cols, 0, x.cols);
  }

  sumCols(out: Tensor, x: Tensor): void {
    if (out.size !== x.rows) fail('sumCols', `x ${shapeStr(x.shape)} → out ${shapeStr(out.shape)}: out must have ${x.rows} elements`);
    this.own('sumCols', out, x);
    this.exports.sum_cols(out.ptr, x.ptr, x.rows, x.cols, 0, x.rows);
  }

  sumAll(out: Tensor, x: Tensor): void {
    if (out.size !== 1) fail('sumAll', `out ${shapeStr(out.shape)} must have one element`);
    this.own('sumAll', out, x);
    out.data[0] = this.exports.sum_all_f64(x.ptr, 0, x.size);
  }

  adamw(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, h: AdamWHyper): void {
    const n = param.size;
    if (grad.size !== n || m.size !== n || v.size !== n) {
      fail('adamw', `param ${shapeStr(param.shape)}, grad ${shapeStr(grad.shape)}, m ${shapeStr(m.shape)}, v ${shapeStr(v.shape)} must have one size`);
    }
    if (!(h.step >= 1)) fail('adamw', `step must be ≥ 1 (1-based), got ${h.step}`);
    this.own('adamw', param, grad, m, v);
    // Bias corrections in float64, as PyTorch computes them in Python floats.
    const bc1 = 1 - Math.pow(h.beta1, h.step);
    const bc2 = 1 - Math.pow(h.beta2, h.step);
    this.exports.adamw(
      param.ptr, grad.ptr, m.ptr, v.ptr, 0, n,
      1 - h.lr * h.weightDecay, h.beta1, 1 - h.beta1, h.beta2, 1 - h.beta2,
      h.lr / bc1, Math.sqrt(bc2), h.eps,
    );
  }

  private splineChecks(kernel: string, n: number, params: Tensor, spec: SplineSpec, ...per: Tensor[]): void {
    const P = 3 * spec.bins - 1;
    if (!(spec.bins >= 1) || !Number.isInteger(spec.bins)) fail(kernel, `bins must be a positive integer, got ${spec.bins}`);
    if (params.size !== n * P) {
      fail(kernel, `params ${shapeStr(params.shape)} must hold ${n} × ${P} (3·${spec.bins} − 1) values`);
    }
    for (const t of per) {
      if (t.size !== n) fail(kernel, `tensor ${shapeStr(t.shape)} must have ${n} elements like x`);
    }
    if (!(spec.slope > 0)) fail(kernel, `slope must be > 0, got ${spec.slope}`);
    this.own(kernel, params, ...per);
  }

  private splineExport<K extends 'spline_forward' | 'spline_inverse' | 'spline_backward'>(
    name: K,
  ): NonNullable<KernelExports[K]> {
    const f = this.exports[name];
    if (typeof f !== 'function') {
      throw new Error(`wasm ${name}: spline kernels missing from the wasm build (assembly/spline.ts); run \`npm run build:wasm\``);
    }
    return f as NonNullable<KernelExports[K]>;
  }

  splineForward(y: Tensor, ladj: Tensor, x: Tensor, params: Tensor, spec: SplineSpec): void {
    const f = this.splineExport('spline_forward');
    this.splineChecks('splineForward', x.size, params, spec, y, ladj, x);
    f(y.ptr, ladj.ptr, x.ptr, params.ptr, 0, x.size, spec.bins, spec.bound, Math.log(spec.slope));
  }

  splineInverse(x: Tensor, ladj: Tensor, y: Tensor, params: Tensor, spec: SplineSpec): void {
    const f = this.splineExport('spline_inverse');
    this.splineChecks('splineInverse', y.size, params, spec, x, ladj, y);
    f(x.ptr, ladj.ptr, y.ptr, params.ptr, 0, y.size, spec.bins, spec.bound, Math.log(spec.slope));
  }

  splineBackward(
    dx: Tensor, dparams: Tensor, gy: Tensor, gl: Tensor, x: Tensor, params: Tensor, spec: SplineSpec,
  ): void {
    const f = this.splineExport('spline_backward');
    this.splineChecks('splineBackward', x.size, params, spec, dx, gy, gl, x);
    if (dparams.size !== params.size) {
      fail('splineBackward', `dparams ${shapeStr(dparams.shape)} must match params ${shapeStr(params.shape)}`);
    }
    this.own('splineBackward', dparams);
    f(dx.ptr, dparams.ptr, gy.ptr, gl.ptr, x.ptr, params.ptr, 0, x.size, spec.bins, spec.bound, Math.log(spec.slope));
  }
}
