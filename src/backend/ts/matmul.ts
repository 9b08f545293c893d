/**
 * Reference matmuls: the three layouts of a linear layer as plain triple loops.
 * Sums run in float64 and round once, so they are the accurate side of every parity test.
 */
import { Act } from '../kernels.js';
import type { Tensor } from '../../tensor/tensor.js';
import { applyAct } from './activations.js';

/** out[M,N] = act(x[M,K] · w[N,K]ᵀ + bias[N]). */
export function matmulNT(out: Tensor, x: Tensor, w: Tensor, bias: Tensor | null, act: Act): void {
  const [M, K] = [x.rows, x.cols];
  const N = w.rows;
  const X = x.data, W = w.data, B = bias?.data, O = out.data;
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = B ? B[j] : 0;
      for (let k = 0; k < K; k++) s += X[i * K + k] * W[j * K + k];
      O[i * N + j] = applyAct(act, s);
    }
  }
}

/** out[M,N] (+)= a[M,K] · b[K,N]. */
export function matmulNN(out: Tensor, a: Tensor, b: Tensor, accumulate: boolean): void {
  const [M, K] = [a.rows, a.cols];
  const N = b.cols;
  const A = a.data, Bm = b.data, O = out.data;
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = accumulate ? O[i * N + j] : 0;
      for (let k = 0; k < K; k++) s += A[i * K + k] * Bm[k * N + j];
      O[i * N + j] = s;
    }
  }
}

/** out[M,N] (+)= a[R,M]ᵀ · b[R,N]. */
export function matmulTN(out: Tensor, a: Tensor, b: Tensor, accumulate: boolean): void {
  const [R, M] = [a.rows, a.cols];
  const N = b.cols;
  const A = a.data, Bm = b.data, O = out.data;
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = accumulate ? O[i * N + j] : 0;
      for (let r = 0; r < R; r++) s += A[r * M + i] * Bm[r * N + j];
      O[i * N + j] = s;
    }
  }
}
