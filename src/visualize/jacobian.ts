/**
 * The residual stack T as a map with its Jacobian, by reverse-mode autodiff (not the
 * reference's one-sided float32 finite differences, whose ε = 1e-3 steps show up as staircases
 * and noise; figures.md §C.6).
 *
 * Forward (observed → nominal): the stack runs on a tape with x as a leaf. Rows are
 * independent (every layer is a per-row MLP), so one backward pass gives all F Jacobian rows:
 * the batch is repeated F times and block d is seeded with the one-hot e_d, making block d's
 * input gradient ∂T_d/∂x for every point.
 * Inverse (nominal → observed): the stack's exact inverse gives x = T⁻¹(p); its Jacobian is
 * J_T(x)⁻¹ (inverse function theorem), with J_T(x) from the forward pass above.
 */
import type { SystematicCorrectedModel } from '../systematics/corrected-model.js';
import { Tape } from '../autodiff/tape.js';
import { chunked } from '../flows/chunked.js';
import { invertMatrix } from './pure.js';

export type Direction = 'forward' | 'inverse';

export interface MappedPoints {
  /** T(p) for every point, [n·F]. */
  mapped: Float32Array;
  /** Full Jacobian per point, [n·F·F]: jac[(i·F + d)·F + e] = ∂T_d/∂p_e at point i. */
  jac: Float64Array;
}

/** Rows per tape pass (the batch is repeated F times inside). */
const JAC_CHUNK_ROWS = 2048;

/** Repeats each of the `rows` rows of width w, F times as whole blocks: [block 0 | block 1 | …]. */
function repeatBlocks(src: Float32Array, rows: number, w: number, F: number): Float32Array {
  const out = new Float32Array(rows * w * F);
  for (let d = 0; d < F; d++) out.set(src.subarray(0, rows * w), d * rows * w);
  return out;
}

/** The stack forward (observed → nominal) and its Jacobian at each point. */
export function forwardWithJacobian(
  model: SystematicCorrectedModel,
  x: Float32Array,
  context: Float32Array | null,
  nu: Float32Array,
): MappedPoints {
  const dev = model.device;
  const F = model.features;
  const C = model.config.contextDim;
  const N = model.numNuisances;
  const n = x.length / F;
  if (!Number.isInteger(n) || nu.length !== n * N || (context && context.length !== n * C)) {
    throw new Error(
      `visualize/jacobian forwardWithJacobian: x ${x.length} values (F = ${F})` +
        `, context ${context?.length ?? 'none'} (C = ${C}), ` +
        `ν ${nu.length} (N = ${N}) do not describe the same number of rows`,
    );
  }
  const [mapped, jac32] = chunked(
    dev,
    n,
    [
      { data: x, width: F },
      { data: context, width: C },
      { data: nu, width: N },
    ],
    [F, F * F],
    ([xt, ct, nt], rows) => {
      const tape = new Tape(dev);
      const xv = tape.leaf(dev.tensor(repeatBlocks(xt!.data, rows, F, F), [rows * F, F]));
      const cv = ct ? tape.constant(dev.tensor(repeatBlocks(ct.data, rows, C, F), [rows * F, C])) : null;
      const nv = tape.constant(dev.tensor(repeatBlocks(nt!.data, rows, N, F), [rows * F, N]));
      const { y: xNom } = model.residual.forwardVar(tape, xv, { context: cv, nu: nv });
      const seed = dev.zeros([rows * F, F]);
      const S = seed.data;
      for (let d = 0; d < F; d++) for (let i = 0; i < rows; i++) S[(d * rows + i) * F + d] = 1;
      tape.backward(xNom, seed);
      if (!xv.grad)
        throw new Error('visualize/jacobian: the residual stack does not depend on its input (no gradient)');
      const out = dev.empty([rows, F]);
      const jac = dev.empty([rows, F * F]);
      // Views are taken only now: every allocation above may have grown the memory.
      const X = xNom.value.data,
        G = xv.grad.data,
        O = out.data,
        J = jac.data;
      O.set(X.subarray(0, rows * F));
      for (let i = 0; i < rows; i++) {
        for (let d = 0; d < F; d++) {
          for (let e = 0; e < F; e++) J[(i * F + d) * F + e] = G[(d * rows + i) * F + e];
        }
      }
      return [out, jac];
    },
    JAC_CHUNK_ROWS,
  );
  return { mapped, jac: Float64Array.from(jac32) };
}

/** T in the requested direction at points p, with its Jacobian. */
export function mapWithJacobian(
  model: SystematicCorrectedModel,
  p: Float32Array,
  context: Float32Array | null,
  nu: Float32Array,
  direction: Direction,
): MappedPoints {
  if (direction === 'forward') return forwardWithJacobian(model, p, context, nu);
  const F = model.features;
  const x = model.inverse(p, { context, nu }).x;
  const { jac } = forwardWithJacobian(model, x, context, nu);
  const inv = new Float64Array(jac.length);
  for (let i = 0; i < jac.length / (F * F); i++)
    inv.set(invertMatrix(jac.subarray(i * F * F, (i + 1) * F * F), F), i * F * F);
  return { mapped: x, jac: inv };
}

/** Just the points moved by T (no Jacobian), for the arrow fields. */
export function mapPoints(
  model: SystematicCorrectedModel,
  p: Float32Array,
  context: Float32Array | null,
  nu: Float32Array,
  direction: Direction,
): Float32Array {
  return direction === 'forward' ? model.forward(p, { context, nu }).xNom : model.inverse(p, { context, nu }).x;
}

/** diag of each point's Jacobian, [n·F]. */
export function jacobianDiagonal(jac: Float64Array, F: number): Float64Array {
  const n = jac.length / (F * F);
  const out = new Float64Array(n * F);
  for (let i = 0; i < n; i++) for (let d = 0; d < F; d++) out[i * F + d] = jac[(i * F + d) * F + d];
  return out;
}
