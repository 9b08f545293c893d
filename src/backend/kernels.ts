/**
 * The kernel table: everything a backend must compute, by name.
 *
 * Ops (src/ops) are written once against this interface and never ask which backend runs;
 * backends (ts, wasm, gpu) register an implementation of each kernel. Kernels write into
 * outputs the caller allocated (from the step arena), so a kernel never allocates.
 *
 * Conventions: row-major f32; `[M,K]` means M rows of K; "x·Wᵀ" means W is stored (N,K) as in a
 * PyTorch Linear. Every kernel reads its sizes from the tensors' shapes.
 */
import type { Tensor } from '../tensor/tensor.js';

/** Activation fused into a matmul (its finishing pass); the code is the same number in the wasm ABI. */
export const enum Act {
  None = 0,
  Relu = 1,
  Elu = 2,
  Tanh = 3,
}

/** Elementwise maps y = f(x). Codes are shared with the wasm ABI. */
export const enum Unary {
  Neg = 0,
  Exp = 1,
  Log = 2,
  Square = 3,
  Sqrt = 4,
  Softplus = 5,
  Sigmoid = 6,
  Tanh = 7,
  Relu = 8,
  Elu = 9,
  /** 1 − x², the tanh derivative written in terms of its output. */
  OneMinusSquare = 10,
  /** x > 0 ? 1 : 0, the relu derivative. */
  Step = 11,
  Abs = 12,
  Reciprocal = 13,
}

/** Elementwise a ∘ b with b broadcast (see `Broadcast`). Codes shared with the wasm ABI. */
export const enum Binary {
  Add = 0,
  Sub = 1,
  Mul = 2,
  Div = 3,
}

/**
 * How the second operand of a binary kernel spans the first, an `[M,N]` tensor:
 * Same: also `[M,N]`; Row: one row `[N]` repeated for every row; Col: one value per row `[M]`;
 * Scalar: a single value.
 */
export const enum Broadcast {
  Same = 0,
  Row = 1,
  Col = 2,
  Scalar = 3,
}

/** Spline shape shared by the three spline kernels. */
export interface SplineSpec {
  /** bins K; each element has P = 3K − 1 raw parameters, contiguous. */
  bins: number;
  /** half-width B of the spline domain [−B, B]; identity outside. */
  bound: number;
  /** minimum derivative σ (Zuko's `slope`); the soft clamps use ln σ. */
  slope: number;
}

export interface AdamWHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** 1-based step count, for the bias corrections. */
  step: number;
}

export interface Kernels {
  readonly name: string;

  /**
   * out[M,N] = act(x[M,K] · w[N,K]ᵀ + bias[N]); bias may be null. `ranges` ([N,2], optional):
   * per row of w, the columns outside [lo, hi) are zero and may be skipped (./ranges.ts).
   * `sparse`: a hint that x holds many exact zeros (a relu layer's output); a backend may skip
   * them, with the same result.
   */
  matmulNT(
    out: Tensor,
    x: Tensor,
    w: Tensor,
    bias: Tensor | null,
    act: Act,
    ranges?: Tensor | null,
    sparse?: boolean,
  ): void;
  /**
   * out[M,N] (+)= a[M,K] · b[K,N]  (the input gradient dY·W of a linear layer). `ranges` ([N,2]):
   * per column of b, the rows outside [lo, hi) are zero and may be skipped; an empty range may
   * also mark a column the caller does not read (its content is then unspecified). `sparse`:
   * a hint that a holds many exact zeros (a gradient through relu′), as matmulNT's.
   */
  matmulNN(out: Tensor, a: Tensor, b: Tensor, accumulate: boolean, ranges?: Tensor | null, sparse?: boolean): void;
  /**
   * out[M,N] (+)= a[R,M]ᵀ · b[R,N]  (the weight gradient dYᵀ·X of a linear layer). `ranges`
   * ([M,2]): per output row, only columns [lo, hi) are computed; the rest are written 0 (not
   * with accumulate). `sparse`: a hint that a holds many exact zeros, as matmulNN's.
   */
  matmulTN(out: Tensor, a: Tensor, b: Tensor, accumulate: boolean, ranges?: Tensor | null, sparse?: boolean): void;

  /**
   * Indexed gather (the block layout of masked layers): out[e] = src[index[e]] · scale[e];
   * index holds integers as f32, and a value outside src is an error naming it.
   */
  gather(out: Tensor, src: Tensor, index: Tensor, scale: Tensor): void;

  /**
   * Whole rows by index: out[r, :] = src[rows[r], :] for out [R,N], src [M,N], rows [R] (integers
   * as f32, like gather's index; a value outside src's rows is an error naming it). A network's
   * outputs on distinct rows copied back to every row (ops/rows.ts).
   */
  gatherRows(out: Tensor, src: Tensor, rows: Tensor): void;

  unary(op: Unary, out: Tensor, x: Tensor): void;
  /** out[e] = value for every element (zeroing gradients: one kernel, not a loop in JavaScript). */
  fill(out: Tensor, value: number): void;
  binary(op: Binary, out: Tensor, a: Tensor, b: Tensor, mode: Broadcast): void;
  /** dx = dy ⊙ act′, with act′ computed from the activation's output y. */
  actBackward(act: Act, dx: Tensor, dy: Tensor, y: Tensor): void;

  /** out[N] = Σ_rows x[M,N]. */
  sumRows(out: Tensor, x: Tensor): void;
  /** out[M] = Σ_cols x[M,N]. */
  sumCols(out: Tensor, x: Tensor): void;
  /** out[1] = Σ x, accumulated in float64 for a stable loss. */
  sumAll(out: Tensor, x: Tensor): void;

  /** One AdamW step (PyTorch semantics) over flat buffers of equal size, in place. */
  adamw(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, h: AdamWHyper): void;

  /**
   * Rational-quadratic spline, per element: x[n], params[n, 3K−1] (raw widths, heights,
   * interior derivatives, as the hyper-network emits them) → y[n], ladj[n] = ln|dy/dx|.
   * `saved` ([n, 2K], optional): room for what this backend's splineBackward can reuse (the
   * wasm kernels keep the softmax masses there); a backend may leave it untouched.
   */
  splineForward(y: Tensor, ladj: Tensor, x: Tensor, params: Tensor, spec: SplineSpec, saved?: Tensor | null): void;
  /** Inverse: y → x, and ladj[n] = ln|dx/dy| (minus the forward ladj at x). */
  splineInverse(x: Tensor, ladj: Tensor, y: Tensor, params: Tensor, spec: SplineSpec): void;
  /**
   * Backward of splineForward: given gy = ∂L/∂y and gl = ∂L/∂ladj (each [n]), write
   * dx = ∂L/∂x [n] and dparams = ∂L/∂params [n, 3K−1]. `saved`: null, or the tensor the same
   * backend's splineForward got for these x and params (same results either way).
   */
  splineBackward(
    dx: Tensor,
    dparams: Tensor,
    gy: Tensor,
    gl: Tensor,
    x: Tensor,
    params: Tensor,
    spec: SplineSpec,
    saved?: Tensor | null,
  ): void;
}
