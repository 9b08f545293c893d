/**
 * The gpu backend's `Kernels` table: the hot kernels through gpu.js, the rest delegated.
 *
 * On the GPU: the three matmul layouts (bias + activation fused into the NT store), the spline
 * forward / inverse / backward, the per-event log-det sum (sumCols) and AdamW. Delegated to the
 * fallback table (wasm where it loads, else ts): gather, unary, fill, binary, actBackward, sumRows, sumAll —
 * memory-bound single passes where the upload and readback would cost more than the kernel.
 *
 * Data residency. Every call uploads its inputs and reads its outputs back into the output
 * tensor's `.data`, because all backends share one WebAssembly.Memory and the next consumer
 * of a result may be a delegated (wasm/ts) kernel or the tape itself. gpu.js pipeline outputs
 * (textures, GPU buffers) cannot alias that memory, so keeping a result on the device across
 * calls would need the ops layer to know which tensors are device-resident — not possible
 * behind this interface. What does stay on the device: all outputs of one call share one
 * dispatch and one readback (spline value + ladj, spline dx + dparams, AdamW param + m + v).
 * The cost is one host→device copy of each input and one device→host copy of each output per
 * call (for a 1024×128·128ᵀ layer ≈ 0.6 MB up, 0.5 MB down), plus, in webgpu mode, a copy
 * into the worker message and a thread hand-off (see worker-runner.ts).
 */
import type { AdamWHyper, Kernels, SplineSpec } from '../kernels.js';
import { Act, Binary, Broadcast, Unary } from '../kernels.js';
import { zeroOutsideRowRanges } from '../ranges.js';
import { checkMatmulNN, checkMatmulNT, checkMatmulTN } from '../matmul-checks.js';
import { shapeStr, type Tensor } from '../../tensor/tensor.js';
import type { KernelMode } from './gpujs-module.js';
import type { KernelArg, KernelRunner } from './runner.js';

function fail(kernel: string, detail: string): never {
  throw new Error(`gpu ${kernel}: ${detail}`);
}

/** Placeholder for an absent optional array argument (gpu.js needs an array in that slot). */
const DUMMY = new Float32Array(1);

export class GpuKernels implements Kernels {
  readonly name = 'gpu';

  constructor(
    private readonly runner: KernelRunner,
    /** Table for the kernels not worth a round trip to the device. */
    readonly fallback: Kernels,
  ) {}

  /** The gpu.js mode running the kernels ('webgpu', 'headlessgl', … or 'cpu' in tests). */
  get mode(): KernelMode {
    return this.runner.mode;
  }

  /** One line: where the kernels run. */
  describe(): string {
    return `gpu (gpu.js ${this.mode}; elementwise kernels on ${this.fallback.name})`;
  }

  dispose(): void {
    this.runner.dispose();
  }

  private run(
    name: Parameters<KernelRunner['run']>[0],
    output: [number] | [number, number],
    args: KernelArg[],
  ): Float32Array[] {
    return this.runner.run(name, output, args);
  }

  // ------------------------------------------------------------------------ matmuls

  // Block ranges: NT and NN compute the full product (equal, given the promised zeros); TN
  // computes every entry and then writes the zeros its ranges ask for (../ranges.ts).

  matmulNT(out: Tensor, x: Tensor, w: Tensor, bias: Tensor | null, act: Act, ranges: Tensor | null = null): void {
    const M = x.rows,
      K = x.cols,
      N = w.rows;
    checkMatmulNT('gpu', out, x, w, bias, act, ranges);
    if (M === 0 || N === 0) return;
    const rows = this.run('matmulNT', [N, M], [x.data, w.data, bias ? bias.data : DUMMY, bias ? 1 : 0, act, K]);
    storeRows(out, rows, N);
  }

  matmulNN(out: Tensor, a: Tensor, b: Tensor, accumulate: boolean, ranges: Tensor | null = null): void {
    const M = a.rows,
      K = a.cols,
      N = b.cols;
    checkMatmulNN('gpu', out, a, b, ranges);
    if (M === 0 || N === 0) return;
    const rows = this.run(
      'matmulNN',
      [N, M],
      [a.data, b.data, accumulate ? out.data : DUMMY, accumulate ? 1 : 0, K, N],
    );
    storeRows(out, rows, N);
  }

  matmulTN(out: Tensor, a: Tensor, b: Tensor, accumulate: boolean, ranges: Tensor | null = null): void {
    const R = a.rows,
      M = a.cols,
      N = b.cols;
    checkMatmulTN('gpu', out, a, b, accumulate, ranges);
    if (M === 0 || N === 0) return;
    const rows = this.run(
      'matmulTN',
      [N, M],
      [a.data, b.data, accumulate ? out.data : DUMMY, accumulate ? 1 : 0, R, M, N],
    );
    storeRows(out, rows, N);
    if (ranges) zeroOutsideRowRanges(out, ranges);
  }

  // ------------------------------------------------------------- delegated elementwise

  gather(out: Tensor, src: Tensor, index: Tensor, scale: Tensor): void {
    this.fallback.gather(out, src, index, scale);
  }

  gatherRows(out: Tensor, src: Tensor, rows: Tensor): void {
    this.fallback.gatherRows(out, src, rows);
  }

  unary(op: Unary, out: Tensor, x: Tensor): void {
    this.fallback.unary(op, out, x);
  }

  binary(op: Binary, out: Tensor, a: Tensor, b: Tensor, mode: Broadcast): void {
    this.fallback.binary(op, out, a, b, mode);
  }

  fill(out: Tensor, value: number): void {
    this.fallback.fill(out, value);
  }

  actBackward(act: Act, dx: Tensor, dy: Tensor, y: Tensor): void {
    this.fallback.actBackward(act, dx, dy, y);
  }

  sumRows(out: Tensor, x: Tensor): void {
    this.fallback.sumRows(out, x);
  }

  sumAll(out: Tensor, x: Tensor): void {
    this.fallback.sumAll(out, x);
  }

  // ------------------------------------------------------------------ sumCols, AdamW

  sumCols(out: Tensor, x: Tensor): void {
    const M = x.rows,
      N = x.cols;
    if (out.size !== M)
      fail('sumCols', `x ${shapeStr(x.shape)} → out ${shapeStr(out.shape)}: out must have ${M} elements`);
    if (M === 0) return;
    if (N === 0) {
      out.data.fill(0);
      return;
    }
    const [row] = this.run('sumCols', [M], [x.data, N]);
    out.data.set(row.subarray(0, M));
  }

  adamw(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, h: AdamWHyper): void {
    const n = param.size;
    for (const [name, t] of [
      ['grad', grad],
      ['m', m],
      ['v', v],
    ] as const) {
      if (t.size !== n)
        fail(
          'adamw',
          `${name} ${shapeStr(t.shape)} must have as many elements as param ${shapeStr(param.shape)} (${n})`,
        );
    }
    if (!(h.step >= 1)) fail('adamw', `step must be ≥ 1 (1-based), got ${h.step}`);
    if (n === 0) return;
    // Host-side scalars in float64, as the ts reference computes them.
    const stepSize = h.lr / (1 - Math.pow(h.beta1, h.step));
    const bc2Sqrt = Math.sqrt(1 - Math.pow(h.beta2, h.step));
    const decay = Math.fround(1 - h.lr * h.weightDecay);
    const rows = this.run(
      'adamw',
      [n, 3],
      [
        param.data,
        grad.data,
        m.data,
        v.data,
        decay,
        h.beta1,
        1 - h.beta1,
        h.beta2,
        1 - h.beta2,
        h.eps,
        stepSize,
        bc2Sqrt,
      ],
    );
    param.data.set(rows[0].subarray(0, n));
    m.data.set(rows[1].subarray(0, n));
    v.data.set(rows[2].subarray(0, n));
  }

  // ------------------------------------------------------------------------ splines

  // `saved` is the wasm kernels' cache of the forward's masses; the gpu kernel recomputes them.
  splineForward(
    y: Tensor,
    ladj: Tensor,
    x: Tensor,
    params: Tensor,
    spec: SplineSpec,
    _saved: Tensor | null = null,
  ): void {
    this.spline('splineForward', 0, y, ladj, x, params, spec);
  }

  splineInverse(x: Tensor, ladj: Tensor, y: Tensor, params: Tensor, spec: SplineSpec): void {
    this.spline('splineInverse', 1, x, ladj, y, params, spec);
  }

  private spline(
    op: string,
    inverse: number,
    value: Tensor,
    ladj: Tensor,
    input: Tensor,
    params: Tensor,
    spec: SplineSpec,
  ): void {
    const n = input.size;
    const P = checkSpline(op, spec, n, [
      ['out', value, n],
      ['ladj', ladj, n],
      ['params', params, n * (3 * spec.bins - 1)],
    ]);
    if (n === 0) return;
    const rows = this.run(
      'spline',
      [n, 2],
      [input.data, params.data, inverse, spec.bins, P, Math.fround(spec.bound), Math.fround(Math.log(spec.slope))],
    );
    value.data.set(rows[0].subarray(0, n));
    ladj.data.set(rows[1].subarray(0, n));
  }

  splineBackward(
    dx: Tensor,
    dparams: Tensor,
    gy: Tensor,
    gl: Tensor,
    x: Tensor,
    params: Tensor,
    spec: SplineSpec,
    _saved: Tensor | null = null,
  ): void {
    const n = x.size;
    const P = checkSpline('splineBackward', spec, n, [
      ['dx', dx, n],
      ['dparams', dparams, n * (3 * spec.bins - 1)],
      ['gy', gy, n],
      ['gl', gl, n],
      ['params', params, n * (3 * spec.bins - 1)],
    ]);
    if (n === 0) return;
    const rows = this.run(
      'splineBackward',
      [n, P + 1],
      [gy.data, gl.data, x.data, params.data, spec.bins, P, Math.fround(spec.bound), Math.fround(Math.log(spec.slope))],
    );
    dx.data.set(rows[0].subarray(0, n));
    // Rows are per parameter (structure of arrays); the tensor is [n, P] (array of structures).
    const d = dparams.data;
    for (let p = 0; p < P; p++) {
      const row = rows[p + 1];
      for (let e = 0; e < n; e++) d[e * P + p] = row[e];
    }
  }
}

/** out[i, :] = rows[i] for an [M, N] output. */
function storeRows(out: Tensor, rows: Float32Array[], N: number): void {
  const d = out.data;
  for (let i = 0; i < rows.length; i++) d.set(rows[i].subarray(0, N), i * N);
}

/** Spec and shape checks shared by the spline kernels; returns P = 3K − 1. */
function checkSpline(op: string, spec: SplineSpec, n: number, tensors: [string, Tensor, number][]): number {
  if (!Number.isInteger(spec.bins) || spec.bins < 1) fail(op, `spec.bins must be an integer ≥ 1, got ${spec.bins}`);
  if (!(spec.bound > 0)) fail(op, `spec.bound must be > 0, got ${spec.bound}`);
  if (!(spec.slope > 0 && spec.slope < 1)) fail(op, `spec.slope must lie in (0, 1), got ${spec.slope}`);
  for (const [name, t, want] of tensors) {
    if (t.size !== want) {
      fail(
        op,
        `${name} has ${t.size} elements (shape ${shapeStr(t.shape)}), expected ${want}` +
          ` (n = ${n} elements, K = ${spec.bins} bins)`,
      );
    }
  }
  return 3 * spec.bins - 1;
}
