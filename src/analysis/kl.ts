/**
 * KL(truth ‖ model) three ways: the Monte-Carlo estimate from log-densities at truth events
 * (the closure report), the same restricted to one class, and the sum over a density grid.
 *
 * Hand-written: each is a few lines, and the conventions (float64 accumulation, sample std for
 * the standard error, the grid's two normalisations) are what the report and figures document.
 */
import { gridCellArea, type Grid2D } from '../plot/grid.js';

export interface KlEstimate {
  /** Mean −log p_model over the truth events. */
  nllModel: number;
  /** Mean −log p_truth over the truth events. */
  nllTruth: number;
  /** KL(truth‖model) ≈ mean(log p_truth − log p_model). */
  kl: number;
  /** Standard error of `kl`: std of the per-event difference / √n (n − 1 in the std). */
  klSe: number;
  n: number;
}

/**
 * KL(truth‖model) = E_truth[log p_truth − log p_model] from per-event log-densities at truth
 * samples. Non-finite model values make the estimate infinite (a model that gives 0 density to
 * a truth event has infinite KL), which is reported as such rather than dropped.
 */
export function klEstimate(logTruth: ArrayLike<number>, logModel: ArrayLike<number>): KlEstimate {
  const n = logTruth.length;
  if (logModel.length !== n)
    throw new Error(`analysis/kl klEstimate: ${n} truth log-densities but ${logModel.length} model ones`);
  if (n < 2) throw new Error(`analysis/kl klEstimate: need at least 2 events, got ${n}`);
  let sT = 0;
  let sM = 0;
  let sD = 0;
  for (let i = 0; i < n; i++) {
    sT += logTruth[i];
    sM += logModel[i];
  }
  const mT = sT / n;
  const mM = sM / n;
  const kl = mT - mM;
  // Second pass about the mean: the differences are tiny next to the log-densities themselves.
  for (let i = 0; i < n; i++) {
    const d = logTruth[i] - logModel[i] - kl;
    sD += d * d;
  }
  const klSe = Number.isFinite(kl) ? Math.sqrt(sD / (n - 1) / n) : NaN;
  return { nllModel: -mM, nllTruth: -mT, kl, klSe, n };
}

/** KL(truth‖model) and its standard error over the events of class c only. */
export function classKl(
  logTruth: ArrayLike<number>,
  logModel: ArrayLike<number>,
  classes: ArrayLike<number>,
  c: number,
): { kl: number; se: number } {
  const t: number[] = [];
  const m: number[] = [];
  for (let i = 0; i < classes.length; i++)
    if (classes[i] === c) {
      t.push(logTruth[i]);
      m.push(logModel[i]);
    }
  const e = klEstimate(t, m);
  return { kl: e.kl, se: e.klSe };
}

/**
 * How a grid KL turns densities into cell probabilities:
 *  - 'window': each density divided by its sum over the grid, so the KL is that of the plotted
 *    window (validation figures; robust to mass outside the window);
 *  - 'plane': density × cell area, both densities normalised over the whole plane (the residual
 *    figures; the truncation makes it a slight under-estimate, the same for every panel).
 */
export type GridKlNorm = 'window' | 'plane';

/**
 * KL(T‖M) = Σ t·log(t/m) over the cells of two density grids of the same shape, with t and m
 * the cell probabilities of `norm`. Infinite if m = 0 where t > 0.
 */
export function gridKl(truth: Grid2D, model: Grid2D, norm: GridKlNorm = 'window'): number {
  const n = truth.values.length;
  if (model.values.length !== n)
    throw new Error(`analysis/kl gridKl: grids differ in size (${n} and ${model.values.length} values)`);
  let kl = 0;
  if (norm === 'window') {
    let st = 0;
    let sm = 0;
    for (let i = 0; i < n; i++) {
      st += truth.values[i];
      sm += model.values[i];
    }
    for (let i = 0; i < n; i++) kl += klTerm(truth.values[i] / st, model.values[i] / sm);
  } else {
    const area = gridCellArea(truth);
    for (let i = 0; i < n; i++) kl += klTerm(truth.values[i] * area, model.values[i] * area);
  }
  return kl;
}

function klTerm(t: number, m: number): number {
  if (t <= 0) return 0;
  return m > 0 ? t * Math.log(t / m) : Infinity;
}
