/**
 * Row plumbing: gatherRows(a, rows) picks whole rows of an [M,N] tensor by index (an index may
 * repeat or be left out). With it a network runs once per distinct input row and its outputs are
 * spread back to the batch (../nn/distinct-rows.ts), or on the rows where its output is used
 * and scatterRows puts the result back among zeros (../systematics/polynomial-residual.ts).
 * Memory copies, not arithmetic: small ones in a JavaScript loop, large ones in the gatherRows
 * kernel (bits are copied either way, so every backend gives the same values).
 * gatherRows' backward: the scatter-add, ga[rows[r], :] += g[r, :] (rows that picked the same
 * source sum).
 */
import type { Var } from '../autodiff/tape.js';
import type { Device } from '../backend/device.js';
import { shapeStr, type Tensor } from '../tensor/tensor.js';

/**
 * Below this many elements a JavaScript loop beats the kernel call (whose row index must first be
 * written to the memory as f32). Above it the gatherRows kernel copies whole rows (memory.copy in
 * wasm, split over the pool's threads): on the page's grid, 16 388 rows of 118 floats per class,
 * ~2.5× faster than copyWithin calls on one thread, and no longer a serial span of JavaScript.
 */
const KERNEL_ELEMENTS = 1 << 14;

function copyRows(dev: Device, dst: Tensor, src: Tensor, rows: Int32Array): void {
  const N = src.cols;
  if (rows.length * N >= KERNEL_ELEMENTS) {
    dev.scoped(() => dev.kernels.gatherRows(dst, src, dev.tensor(Float32Array.from(rows), [rows.length])));
    return;
  }
  const mem = dst.memory.f32(); // one view of the whole memory for both tensors
  const d0 = dst.ptr >>> 2,
    s0 = src.ptr >>> 2;
  for (let r = 0; r < rows.length; r++) {
    const d = d0 + r * N,
      s = s0 + rows[r] * N;
    for (let j = 0; j < N; j++) mem[d + j] = mem[s + j];
  }
}

/** out[r, :] = a[rows[r], :] for an [M,N] tensor a; out is [rows.length, N]. */
export function gatherRows(a: Var, rows: Int32Array): Var {
  if (a.shape.length !== 2) throw new Error(`gatherRows: expected an [M,N] tensor, got ${shapeStr(a.shape)}`);
  const [M, N] = [a.value.rows, a.value.cols];
  for (let r = 0; r < rows.length; r++) {
    const i = rows[r];
    if (!(i >= 0 && i < M))
      throw new Error(`gatherRows: row index ${i} (at ${r}) out of range for ${shapeStr(a.shape)}`);
  }
  const dev = a.device;
  const out = dev.empty([rows.length, N]);
  copyRows(dev, out, a.value, rows);
  return a.tape.record('gatherRows', out, [a], (g) => {
    const ga = dev.zeros(a.shape);
    const G = g.data,
      A = ga.data;
    for (let r = 0; r < rows.length; r++) {
      const d = rows[r] * N,
        s = r * N;
      for (let j = 0; j < N; j++) A[d + j] += G[s + j];
    }
    return [ga];
  });
}

/**
 * out[rows[r], :] = a[r, :] in an [M,N] tensor of zeros: the inverse plumbing of gatherRows, for a
 * result computed on some rows only (the others being exactly zero). `rows` must be distinct.
 * Backward: ga[r, :] = g[rows[r], :], a gather.
 */
export function scatterRows(a: Var, rows: Int32Array, M: number): Var {
  if (a.shape.length !== 2) throw new Error(`scatterRows: expected an [R,N] tensor, got ${shapeStr(a.shape)}`);
  const [R, N] = [a.value.rows, a.value.cols];
  if (rows.length !== R) throw new Error(`scatterRows: ${rows.length} row indices for ${shapeStr(a.shape)}`);
  const seen = new Uint8Array(M);
  for (let r = 0; r < R; r++) {
    const i = rows[r];
    if (!(i >= 0 && i < M)) throw new Error(`scatterRows: row index ${i} (at ${r}) out of range for ${M} rows`);
    if (seen[i]++) throw new Error(`scatterRows: row index ${i} (at ${r}) repeats`);
  }
  const dev = a.device;
  const out = dev.zeros([M, N]);
  const O = out.data,
    A = a.value.data;
  for (let r = 0; r < R; r++) {
    const d = rows[r] * N,
      s = r * N;
    for (let j = 0; j < N; j++) O[d + j] = A[s + j];
  }
  return a.tape.record('scatterRows', out, [a], (g) => {
    const ga = dev.empty([R, N]);
    copyRows(dev, ga, g, rows);
    return [ga];
  });
}
