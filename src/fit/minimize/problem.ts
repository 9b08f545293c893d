/**
 * One minimization problem: the objective seen through the free parameters' internal coordinates.
 *
 * Holds the preallocated external buffers (θ and ∂f/∂θ) so the inner loop allocates nothing, applies the
 * transform and its chain rule, and counts calls: nfcn every call, ngrad those that asked for the gradient.
 */
import type { Fcn, ParameterSpec } from './types.js';
import { type Bounds, BoundKind, boundsOf, d2ExtDInt2, dExtDInt, toExternal, toInternal } from './transform.js';

export class FitProblem {
  readonly n: number;
  /** indices (into the external list) of the free parameters, in internal order. */
  readonly free: number[];
  readonly nf: number;
  readonly bounds: Bounds[];
  readonly names: string[];
  readonly fixed: boolean[];
  /** initial external step per parameter (rough error scale). */
  readonly steps: Float64Array;
  readonly theta: Float64Array;
  readonly gradExt: Float64Array;
  nfcn = 0;
  ngrad = 0;
  /** Whether the objective has been seen to write its gradient (checked on the first call that asks). */
  private gradChecked = false;

  constructor(
    readonly fcn: Fcn,
    params: ParameterSpec[],
  ) {
    validateParameters(params);
    this.n = params.length;
    this.names = params.map((p) => p.name);
    this.fixed = params.map((p) => !!p.fixed);
    this.bounds = params.map((p) => boundsOf(p.lower, p.upper));
    this.steps = Float64Array.from(params, (p) => p.step ?? 0.1 * Math.max(1, Math.abs(p.value)));
    this.theta = Float64Array.from(params, (p) => p.value);
    this.gradExt = new Float64Array(this.n);
    this.free = [];
    for (let i = 0; i < this.n; i++) if (!this.fixed[i]) this.free.push(i);
    this.nf = this.free.length;
  }

  /** The internal coordinates of the current external θ. */
  internalOf(theta: Float64Array, out: Float64Array): void {
    for (let k = 0; k < this.nf; k++) {
      const i = this.free[k];
      out[k] = toInternal(this.bounds[i], theta[i]);
    }
  }

  /** Writes the external values of internal x into this.theta (fixed parameters keep their values). */
  setInternal(x: Float64Array): void {
    for (let k = 0; k < this.nf; k++) {
      const i = this.free[k];
      this.theta[i] = toExternal(this.bounds[i], x[k]);
    }
  }

  /** f at internal x; when gInt is given, fills it with ∂f/∂x (chain rule through the transform). */
  evalInternal(x: Float64Array, gInt: Float64Array | null): number {
    this.setInternal(x);
    const f = this.evalTheta(gInt !== null);
    if (gInt) {
      for (let k = 0; k < this.nf; k++) {
        const i = this.free[k];
        gInt[k] = this.gradExt[i] * dExtDInt(this.bounds[i], x[k]);
      }
    }
    return f;
  }

  /** f at this.theta (external); with wantGrad fills this.gradExt. */
  evalTheta(wantGrad: boolean): number {
    this.nfcn++;
    if (wantGrad) {
      this.ngrad++;
      if (!this.gradChecked) return this.evalCheckingGrad();
      this.gradExt.fill(0);
      return this.fcn(this.theta, this.gradExt);
    }
    return this.fcn(this.theta, null);
  }

  /**
   * The first gradient call: an objective that returns f but never writes grad (an f-only function handed to
   * migrad) left the zero-filled buffer as it was, and the minimizer took θ₀ for a stationary point and
   * reported a "valid" minimum there. So grad starts as NaN; an entry still NaN is either unwritten or a
   * gradient that is really not finite, told apart by a second call on zeros (deterministic f: a real NaN
   * comes back NaN, an unwritten entry stays 0). Only the first call, so a fit costs at most one more call.
   */
  private evalCheckingGrad(): number {
    this.gradExt.fill(0); // fixed parameters' entries are ignored: they keep the zeros of every other call
    for (const i of this.free) this.gradExt[i] = NaN;
    const f = this.fcn(this.theta, this.gradExt);
    // f not finite: the start is reported as such (attempt), whatever grad holds; the check waits.
    if (!Number.isFinite(f)) return f;
    const unset = this.free.filter((i) => Number.isNaN(this.gradExt[i]));
    if (unset.length === 0) {
      this.gradChecked = true;
      return f;
    }
    this.gradExt.fill(0);
    const f2 = this.fcn(this.theta, this.gradExt);
    const unwritten = unset.filter((i) => this.gradExt[i] === 0);
    if (unwritten.length > 0) {
      const names = unwritten.map((i) => `"${this.names[i]}"`).join(', ');
      throw new Error(
        `minimize: the objective did not write its gradient for ${names}: ` +
          'fcn(theta, grad) must fill grad with ∂f/∂θ whenever grad is not null (migrad, hesse, minos and profile ' +
          'use the exact gradient)',
      );
    }
    this.gradChecked = true;
    return f2;
  }

  /** dext/dint of each free parameter at internal x. */
  jacobian(x: Float64Array, out: Float64Array): void {
    for (let k = 0; k < this.nf; k++) out[k] = dExtDInt(this.bounds[this.free[k]], x[k]);
  }

  /** d²ext/dint² of each free parameter at internal x. */
  curvature(x: Float64Array, out: Float64Array): void {
    for (let k = 0; k < this.nf; k++) out[k] = d2ExtDInt2(this.bounds[this.free[k]], x[k]);
  }

  /** A rough internal step for free parameter k at internal x (the external step through the transform). */
  internalStep(k: number, x: Float64Array): number {
    const i = this.free[k];
    const slope = Math.abs(dExtDInt(this.bounds[i], x[k]));
    const s = this.steps[i] / Math.max(slope, 1e-3 * this.steps[i], 1e-12);
    // One bounded side or both: the internal scale is O(1) radians / O(1) units; a larger step only wraps around.
    return this.bounds[i].kind === BoundKind.None ? s : Math.min(s, 1);
  }
}

/** Refuses a parameter list the minimizer cannot start from, naming the parameter and what was expected. */
export function validateParameters(params: ParameterSpec[]): void {
  if (!Array.isArray(params) || params.length === 0) throw new Error('minimize: params must be a non-empty list');
  const seen = new Set<string>();
  for (const p of params) {
    const where = `minimize: parameter "${p.name}"`;
    if (typeof p.name !== 'string' || p.name === '') throw new Error('minimize: every parameter needs a name');
    if (seen.has(p.name)) throw new Error(`${where} appears twice`);
    seen.add(p.name);
    if (!Number.isFinite(p.value)) throw new Error(`${where}: value must be a finite number, got ${p.value}`);
    if (p.step !== undefined && !(p.step > 0 && Number.isFinite(p.step)))
      throw new Error(`${where}: step must be a positive finite number, got ${p.step}`);
    if (p.lower !== undefined && Number.isNaN(p.lower)) throw new Error(`${where}: lower bound is NaN`);
    if (p.upper !== undefined && Number.isNaN(p.upper)) throw new Error(`${where}: upper bound is NaN`);
    const lo = p.lower ?? -Infinity;
    const hi = p.upper ?? Infinity;
    if (!(lo < hi)) throw new Error(`${where}: lower bound ${lo} must be below upper bound ${hi}`);
    if (p.value < lo || p.value > hi)
      throw new Error(`${where}: start value ${p.value} lies outside its bounds [${lo}, ${hi}]`);
  }
}
