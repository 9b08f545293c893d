/**
 * Reference matmuls: the three layouts of a linear layer as plain triple loops.
 * Sums run in float64 and round once, so they are the accurate side of every parity test.
 * Block ranges (../ranges.ts) are honoured literally: the sums skip exactly the promised zeros,
 * and matmulTN writes 0 outside its ranges.
 */
import { Act } from '../kernels.js';
import type { Tensor } from '../../tensor/tensor.js';
import { applyAct } from './activations.js';
import { checkRanges, checkTnRanges } from '../ranges.js';

/** out[M,N] = act(x[M,K] · w[N,K]ᵀ + bias[N]). */
export function matmulNT(
  out: Tensor,
  x: Tensor,
  w: Tensor,
  bias: Tensor | null,
  act: Act,
  ranges?: Tensor | null,
): void {
  const [M, K] = [x.rows, x.cols];
  const N = w.rows;
  if (ranges) checkRanges('ts matmulNT', ranges, N, K, 'row of w');
  const X = x.data,
    W = w.data,
    B = bias?.data,
    O = out.data,
    Rg = ranges?.data;
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = B ? B[j] : 0;
      const [k0, k1] = Rg ? [Rg[2 * j], Rg[2 * j + 1]] : [0, K];
      for (let k = k0; k < k1; k++) s += X[i * K + k] * W[j * K + k];
      O[i * N + j] = applyAct(act, s);
    }
  }
}

/** out[M,N] (+)= a[M,K] · b[K,N]. */
export function matmulNN(out: Tensor, a: Tensor, b: Tensor, accumulate: boolean, ranges?: Tensor | null): void {
  const [M, K] = [a.rows, a.cols];
  const N = b.cols;
  if (ranges) checkRanges('ts matmulNN', ranges, N, K, 'column of b');
  const A = a.data,
    Bm = b.data,
    O = out.data,
    Rg = ranges?.data;
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = accumulate ? O[i * N + j] : 0;
      const [k0, k1] = Rg ? [Rg[2 * j], Rg[2 * j + 1]] : [0, K];
      for (let k = k0; k < k1; k++) s += A[i * K + k] * Bm[k * N + j];
      O[i * N + j] = s;
    }
  }
}

/** out[M,N] (+)= a[R,M]ᵀ · b[R,N]. */
export function matmulTN(out: Tensor, a: Tensor, b: Tensor, accumulate: boolean, ranges?: Tensor | null): void {
  const [R, M] = [a.rows, a.cols];
  const N = b.cols;
  if (ranges) checkTnRanges('ts matmulTN', ranges, accumulate, M, N);
  const A = a.data,
    Bm = b.data,
    O = out.data,
    Rg = ranges?.data;
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = accumulate ? O[i * N + j] : 0;
      if (Rg && !(j >= Rg[2 * i] && j < Rg[2 * i + 1])) {
        O[i * N + j] = 0;
        continue;
      }
      for (let r = 0; r < R; r++) s += A[r * M + i] * Bm[r * N + j];
      O[i * N + j] = s;
    }
  }
}
