/**
 * Argument checks of the three matmul kernels, shared by the wasm and gpu backends: shapes, the
 * activation code and block ranges. Errors read `<backend> <kernel>: <operands>: <what is wrong>`;
 * the operand text is built only when a check fails (these run on every call of the hot path).
 */
import { Act } from './kernels.js';
import { checkRanges, checkTnRanges } from './ranges.js';
import { shapeStr, type Tensor } from '../tensor/tensor.js';

type Fail = (detail: string) => never;
const failer =
  (backend: string, kernel: string): Fail =>
  (detail) => {
    throw new Error(`${backend} ${kernel}: ${detail}`);
  };

/** out[M,N] = act(x[M,K] · w[N,K]ᵀ + bias[N]), ranges per row of w. */
export function checkMatmulNT(
  backend: string,
  out: Tensor,
  x: Tensor,
  w: Tensor,
  bias: Tensor | null,
  act: Act,
  ranges: Tensor | null,
): void {
  const M = x.rows,
    K = x.cols,
    N = w.rows;
  const fail = failer(backend, 'matmulNT');
  const what = () => `x ${shapeStr(x.shape)} · w ${shapeStr(w.shape)}ᵀ → out ${shapeStr(out.shape)}`;
  if (w.cols !== K) fail(`${what()}: x has ${K} columns, w has ${w.cols}`);
  if (out.rows !== M || out.cols !== N) fail(`${what()}: out must be [${M}, ${N}]`);
  if (bias && bias.size !== N) fail(`${what()}: bias ${shapeStr(bias.shape)} must have ${N} elements`);
  if (act < Act.None || act > Act.Tanh) fail(`unknown activation code ${act}`);
  if (ranges) checkRanges(`${backend} matmulNT`, ranges, N, K, 'row of w');
}

/** out[M,N] (+)= a[M,K] · b[K,N], ranges per column of b. */
export function checkMatmulNN(backend: string, out: Tensor, a: Tensor, b: Tensor, ranges: Tensor | null): void {
  const M = a.rows,
    K = a.cols,
    N = b.cols;
  const fail = failer(backend, 'matmulNN');
  const what = () => `a ${shapeStr(a.shape)} · b ${shapeStr(b.shape)} → out ${shapeStr(out.shape)}`;
  if (b.rows !== K) fail(`${what()}: a has ${K} columns, b has ${b.rows} rows`);
  if (out.rows !== M || out.cols !== N) fail(`${what()}: out must be [${M}, ${N}]`);
  if (ranges) checkRanges(`${backend} matmulNN`, ranges, N, K, 'column of b');
}

/** out[M,N] (+)= a[R,M]ᵀ · b[R,N], ranges per output row (not with accumulate). */
export function checkMatmulTN(
  backend: string,
  out: Tensor,
  a: Tensor,
  b: Tensor,
  accumulate: boolean,
  ranges: Tensor | null,
): void {
  const R = a.rows,
    M = a.cols,
    N = b.cols;
  const fail = failer(backend, 'matmulTN');
  const what = () => `a ${shapeStr(a.shape)}ᵀ · b ${shapeStr(b.shape)} → out ${shapeStr(out.shape)}`;
  if (b.rows !== R) fail(`${what()}: a has ${R} rows, b has ${b.rows}`);
  if (out.rows !== M || out.cols !== N) fail(`${what()}: out must be [${M}, ${N}]`);
  if (ranges) checkTnRanges(`${backend} matmulTN`, ranges, accumulate, M, N);
}
