/** Sums and means over all elements, over rows (axis 0) or over columns (axis 1). */
import { Broadcast } from '../backend/kernels.js';
import type { Var } from '../autodiff/tape.js';
import { expandTo, scaleT } from './raw.js';

/** Σ of all elements → [1];  the gradient is g repeated everywhere. */
export function sum(a: Var): Var {
  const dev = a.device;
  const out = dev.empty([1]);
  dev.kernels.sumAll(out, a.value);
  return a.tape.record('sum', out, [a], (g) => [expandTo(dev, g, a.shape, Broadcast.Scalar)]);
}

/** Σ over the rows of [M,N] → [N];  the gradient repeats g for every row. */
export function sumRows(a: Var): Var {
  const dev = a.device;
  const out = dev.empty([a.value.cols]);
  dev.kernels.sumRows(out, a.value);
  return a.tape.record('sumRows', out, [a], (g) => [expandTo(dev, g, a.shape, Broadcast.Row)]);
}

/** Σ over the columns of [M,N] → [M];  the gradient repeats g[i] along row i. */
export function sumCols(a: Var): Var {
  const dev = a.device;
  const out = dev.empty([a.value.rows]);
  dev.kernels.sumCols(out, a.value);
  return a.tape.record('sumCols', out, [a], (g) => [expandTo(dev, g, a.shape, Broadcast.Col)]);
}

/** Mean of all elements → [1]. */
export function mean(a: Var): Var {
  const dev = a.device;
  const out = dev.empty([1]);
  dev.kernels.sumAll(out, a.value);
  const n = a.value.size;
  out.data[0] = out.data[0] / n;
  return a.tape.record('mean', out, [a], (g) => [expandTo(dev, scaleT(dev, g, 1 / n), a.shape, Broadcast.Scalar)]);
}

/** Mean over rows of [M,N] → [N]. */
export function meanRows(a: Var): Var {
  const dev = a.device;
  const s = dev.empty([a.value.cols]);
  dev.kernels.sumRows(s, a.value);
  const out = scaleT(dev, s, 1 / a.value.rows);
  return a.tape.record('meanRows', out, [a], (g) => [
    expandTo(dev, scaleT(dev, g, 1 / a.value.rows), a.shape, Broadcast.Row),
  ]);
}
