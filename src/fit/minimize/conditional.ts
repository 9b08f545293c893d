/**
 * Conditional fits: the objective minimized with some parameters held at given values, the others free.
 * MINOS and the profile scans are sequences of them, each warm-started from its neighbour's values and with
 * the metric seeded from the global fit's covariance (H = 2·errordef·V⁻¹ restricted to the parameters left
 * free), so a conditional fit near the minimum takes a few gradient calls. They skip HESSE: only f matters.
 */
import type { Fcn, FitResult, MinimizeOptions, ParameterSpec } from './types.js';
import { FitProblem } from './problem.js';
import { runMigrad } from './migrad.js';
import { invertSpd } from './linalg.js';

export class ConditionalFitter {
  private readonly seed: Float64Array | undefined;
  private readonly specs: ParameterSpec[];
  nfcn = 0;
  ngrad = 0;

  constructor(
    private readonly fcn: Fcn,
    params: ParameterSpec[],
    private readonly held: number[],
    minimum: FitResult | undefined,
    private readonly opts: MinimizeOptions & { hesse?: boolean },
  ) {
    for (const k of held) {
      if (!Number.isInteger(k) || k < 0 || k >= params.length)
        throw new Error(`conditional fit: parameter index ${k} is outside 0..${params.length - 1}`);
      if (params[k].fixed) throw new Error(`conditional fit: parameter "${params[k].name}" is fixed already`);
    }
    this.specs = params.map((p, i) => (held.includes(i) ? { ...p, fixed: true } : { ...p }));
    this.seed = minimum ? seedHessian(params, held, minimum, opts.errordef ?? 0.5) : undefined;
  }

  /** The fit with the held parameters at heldValues, starting the others from start (external, all n). */
  fit(heldValues: number[], start: Float64Array): FitResult {
    const specs = this.specs.map((p, i) => {
      const h = this.held.indexOf(i);
      const value = h >= 0 ? heldValues[h] : clamp(start[i], p.lower, p.upper);
      return { ...p, value };
    });
    const problem = new FitProblem(this.fcn, specs);
    const result = runMigrad(problem, this.opts, { hesse: !!this.opts.hesse, seedHessian: this.seed });
    this.nfcn += result.nfcn;
    this.ngrad += result.ngrad;
    return result;
  }
}

function clamp(v: number, lo: number | undefined, hi: number | undefined): number {
  return Math.min(hi ?? Infinity, Math.max(lo ?? -Infinity, v));
}

/**
 * The external Hessian of the parameters left free, 2·errordef·V⁻¹ of the global fit's free block, with
 * the held rows and columns dropped (the Hessian of the conditional problem at the global minimum).
 */
function seedHessian(params: ParameterSpec[], held: number[], minimum: FitResult, errordef: number) {
  const free = params.map((p, i) => i).filter((i) => !params[i].fixed);
  const nf = free.length;
  const v = new Float64Array(nf * nf);
  for (let a = 0; a < nf; a++) for (let b = 0; b < nf; b++) v[a * nf + b] = minimum.covariance[free[a]][free[b]];
  const h = new Float64Array(nf * nf);
  if (!invertSpd(v, nf, h, new Float64Array(nf * nf))) return undefined;
  const keep = free.map((i, a) => (held.includes(i) ? -1 : a)).filter((a) => a >= 0);
  const m = keep.length;
  const out = new Float64Array(m * m);
  for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) out[a * m + b] = 2 * errordef * h[keep[a] * nf + keep[b]];
  return out;
}
