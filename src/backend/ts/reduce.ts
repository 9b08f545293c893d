/** Reference reductions (float64 accumulation). */
import type { Tensor } from '../../tensor/tensor.js';

export function sumRows(out: Tensor, x: Tensor): void {
  const X = x.data,
    O = out.data,
    M = x.rows,
    N = x.cols;
  for (let j = 0; j < N; j++) {
    let s = 0;
    for (let i = 0; i < M; i++) s += X[i * N + j];
    O[j] = s;
  }
}

export function sumCols(out: Tensor, x: Tensor): void {
  const X = x.data,
    O = out.data,
    M = x.rows,
    N = x.cols;
  for (let i = 0; i < M; i++) {
    let s = 0;
    for (let j = 0; j < N; j++) s += X[i * N + j];
    O[i] = s;
  }
}

export function sumAll(out: Tensor, x: Tensor): void {
  const X = x.data;
  let s = 0;
  for (let i = 0; i < X.length; i++) s += X[i];
  out.data[0] = s;
}
