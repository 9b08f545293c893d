/**
 * The variable-metric descent at the heart of MIGRAD, in internal coordinates.
 *
 * Each iteration steps along −V·g (V ≈ inverse Hessian, g the exact gradient), finds an acceptable point on
 * that line, and updates V by the BFGS rule from the change in position and gradient. It stops when the
 * estimated distance to the minimum EDM = ½ gᵀVg falls below the goal 0.002 · tol · errordef (MINUIT's
 * rule), when the call budget is spent, or when no descent is found twice in a row (after the first failure
 * the metric is re-seeded from a finite-difference Hessian of the exact gradient), or when the decrease it
 * predicts is below the resolution of f (precision-limit).
 *
 * Line search: the full quasi-Newton step α = 1 is tried first, with the gradient (it is accepted in almost
 * every iteration near the minimum, and the gradient is then needed anyway); when f did not drop enough
 * (Armijo, c = 1e-4; close to the minimum judged by the exact gradient, see acceptFullStep) the step is
 * shortened by a parabola through f(0), f′(0), f(α), evaluating f alone; when
 * the slope at α = 1 is still steep (the metric under-steps, as early on) one secant extrapolation is tried.
 *
 * All buffers are allocated once per run; the iteration loop allocates nothing.
 */
import type { FitProblem } from './problem.js';
import { dot, invertSpd, matVec, quadraticForm } from './linalg.js';

export interface DescentSettings {
  errordef: number;
  edmGoal: number;
  /** calls this descent may spend (counted on problem.nfcn). */
  maxfcn: number;
  strategy: number;
  /** relative resolution of f. */
  precision: number;
}

export type DescentStatus = 'converged' | 'precision-limit' | 'call-limit' | 'no-descent';

export class VariableMetric {
  readonly nf: number;
  /** internal position, gradient, metric (nf×nf), current f and EDM. */
  readonly x: Float64Array;
  readonly g: Float64Array;
  readonly v: Float64Array;
  f = NaN;
  edm = NaN;
  private readonly step: Float64Array;
  private readonly xNew: Float64Array;
  private readonly gNew: Float64Array;
  private readonly s: Float64Array;
  private readonly y: Float64Array;
  private readonly vy: Float64Array;
  private readonly hess: Float64Array;
  private readonly work: Float64Array;
  private readonly gPlus: Float64Array;
  private readonly xPlus: Float64Array;

  constructor(
    readonly problem: FitProblem,
    readonly settings: DescentSettings,
  ) {
    const nf = (this.nf = problem.nf);
    this.x = new Float64Array(nf);
    this.g = new Float64Array(nf);
    this.v = new Float64Array(nf * nf);
    this.step = new Float64Array(nf);
    this.xNew = new Float64Array(nf);
    this.gNew = new Float64Array(nf);
    this.s = new Float64Array(nf);
    this.y = new Float64Array(nf);
    this.vy = new Float64Array(nf);
    this.hess = new Float64Array(nf * nf);
    this.work = new Float64Array(nf * nf);
    this.gPlus = new Float64Array(nf);
    this.xPlus = new Float64Array(nf);
  }

  /** Evaluates f and g at this.x; false when either is not finite. */
  evaluateHere(): boolean {
    this.f = this.problem.evalInternal(this.x, this.g);
    return Number.isFinite(this.f) && this.g.every(Number.isFinite);
  }

  recomputeEdm(): void {
    this.edm = 0.5 * quadraticForm(this.v, this.nf, this.g);
  }

  /** V = diag(step²/(2·errordef)): f rises by errordef over one initial step. */
  seedFromSteps(): void {
    const { nf, v } = this;
    v.fill(0);
    for (let k = 0; k < nf; k++) {
      const h = this.problem.internalStep(k, this.x);
      v[k * nf + k] = (h * h) / (2 * this.settings.errordef);
    }
  }

  /**
   * V = H⁻¹ with H from finite differences of the exact gradient (forward, or central when central is set);
   * falls back to the diagonal, then to the steps, when H is not positive definite. Needs this.g current.
   */
  seedFromHessian(central: boolean): boolean {
    const { nf, hess, x, xPlus, gPlus, g, problem } = this;
    for (let k = 0; k < nf; k++) {
      const h = 0.1 * problem.internalStep(k, x);
      xPlus.set(x);
      xPlus[k] = x[k] + h;
      const fp = problem.evalInternal(xPlus, gPlus);
      if (!Number.isFinite(fp) || !gPlus.every(Number.isFinite)) {
        this.seedFromSteps();
        return false;
      }
      if (central) {
        for (let m = 0; m < nf; m++) hess[m * nf + k] = gPlus[m];
        xPlus[k] = x[k] - h;
        const fm = problem.evalInternal(xPlus, gPlus);
        if (!Number.isFinite(fm) || !gPlus.every(Number.isFinite)) {
          this.seedFromSteps();
          return false;
        }
        for (let m = 0; m < nf; m++) hess[m * nf + k] = (hess[m * nf + k] - gPlus[m]) / (2 * h);
      } else {
        for (let m = 0; m < nf; m++) hess[m * nf + k] = (gPlus[m] - g[m]) / h;
      }
    }
    return this.seedFromMatrix(hess);
  }

  /** V = H⁻¹ for a given internal Hessian (symmetrized); diagonal or step fallback when not PD. */
  seedFromMatrix(h: Float64Array): boolean {
    const { nf, v, work, hess } = this;
    if (h !== hess) hess.set(h);
    for (let a = 0; a < nf; a++) {
      for (let b = a + 1; b < nf; b++) {
        const m = 0.5 * (hess[a * nf + b] + hess[b * nf + a]);
        hess[a * nf + b] = hess[b * nf + a] = m;
      }
    }
    if (invertSpd(hess, nf, v, work)) return true;
    // Not positive definite here (far from the minimum, or a saddle): keep only the positive curvatures.
    this.seedFromSteps();
    for (let k = 0; k < nf; k++) {
      const d = hess[k * nf + k];
      if (d > 0 && Number.isFinite(d)) v[k * nf + k] = 1 / d;
    }
    return false;
  }

  seed(strategy: number): void {
    if (strategy <= 0) this.seedFromSteps();
    else this.seedFromHessian(strategy >= 2);
  }

  /**
   * Iterates from the current (x, f, g, V) until converged or stopped. Requires f and g current at x.
   * startNfcn: problem.nfcn when this run's budget started.
   */
  descend(startNfcn: number): DescentStatus {
    const { nf, x, g, v, step, problem, settings } = this;
    let failures = 0;
    this.recomputeEdm();
    for (;;) {
      if (!(this.edm >= 0)) {
        // A metric that lost positive definiteness (rounding in the updates): start it afresh.
        this.seedFromHessian(true);
        this.recomputeEdm();
        if (!(this.edm >= 0)) return 'no-descent';
      }
      if (this.edm < settings.edmGoal) return 'converged';
      // The decrease a Newton step promises is the EDM; below f's resolution no search can see it.
      const resolution = settings.precision * Math.max(1, Math.abs(this.f));
      if (this.edm < 10 * resolution) return 'precision-limit';
      if (problem.nfcn - startNfcn >= settings.maxfcn) return 'call-limit';
      matVec(v, nf, g, step);
      for (let k = 0; k < nf; k++) step[k] = -step[k];
      const gdel = dot(g, step, nf);
      const moved = gdel < 0 && this.lineSearch(gdel);
      if (!moved) {
        if (++failures >= 2) return 'no-descent';
        this.seedFromHessian(true);
        this.recomputeEdm();
        continue;
      }
      failures = 0;
      this.updateMetric();
      x.set(this.xNew);
      g.set(this.gNew);
      this.recomputeEdm();
    }
  }

  /** Finds α along this.step; on success xNew, gNew and f hold the new point. */
  private lineSearch(gdel: number): boolean {
    const { nf, step, xNew, gNew } = this;
    const f0 = this.f;
    const at = this.pointAt;
    const armijo = 1e-4;
    let alpha = 1;
    let f1 = at(1, true);
    if (Number.isFinite(f1) && gNew.every(Number.isFinite) && this.acceptFullStep(f0, f1, gdel)) {
      // The slope at α = 1 still more than half the initial one: the line minimum lies well beyond; try the
      // secant estimate of where the slope vanishes, keep it only if it is lower.
      const slope1 = dot(gNew, step, nf);
      if (slope1 < 0.5 * gdel) {
        const alphaFar = Math.min(10, gdel / (gdel - slope1));
        const saveF = f1;
        this.s.set(xNew);
        this.y.set(gNew);
        const fFar = at(alphaFar, true);
        if (Number.isFinite(fFar) && fFar < saveF && gNew.every(Number.isFinite)) {
          this.f = fFar;
          return true;
        }
        xNew.set(this.s);
        gNew.set(this.y);
        f1 = saveF;
      }
      this.f = f1;
      return true;
    }
    for (let tries = 0; tries < 12; tries++) {
      if (!Number.isFinite(f1)) {
        alpha *= 0.1;
      } else {
        // Minimum of the parabola through f(0), f′(0) = gdel and f(α), kept within [0.1α, 0.5α].
        const curvature = f1 - f0 - gdel * alpha;
        const next = curvature > 0 ? (-gdel * alpha * alpha) / (2 * curvature) : 0.5 * alpha;
        alpha = Math.min(0.5 * alpha, Math.max(0.1 * alpha, next));
      }
      f1 = at(alpha, false);
      if (Number.isFinite(f1) && f1 <= f0 + armijo * alpha * gdel) {
        const f = at(alpha, true);
        if (!Number.isFinite(f) || !gNew.every(Number.isFinite)) return false;
        this.f = f;
        return true;
      }
    }
    return false;
  }

  /**
   * Whether the full step (gradient gNew at its end) made enough progress: Armijo on f, or, within a tenth of
   * a standard error of the minimum (predicted decrease 2·EDM = −gdel below 1 % of errordef), the trapezoid
   * estimate Δf ≈ ½(g(0) + g(1))·step. There an NLL is quadratic to high accuracy, and integrating its exact
   * gradient measures Δf far better than the difference of two large sums, which float32 terms leave noisy
   * at the 1e-5 level: on such sums the f test alone rejects good steps and the search thrashes.
   */
  private acceptFullStep(f0: number, f1: number, gdel: number): boolean {
    const armijo = 1e-4;
    if (f1 <= f0 + armijo * gdel) return true;
    if (!(-gdel < 0.01 * this.settings.errordef)) return false;
    const slope1 = dot(this.gNew, this.step, this.nf);
    return 0.5 * (gdel + slope1) <= armijo * gdel;
  }

  /** f at x + α·step into xNew (and gNew when grad); a bound method so the line search allocates nothing. */
  private readonly pointAt = (alpha: number, grad: boolean): number => {
    const { nf, x, step, xNew, gNew } = this;
    for (let k = 0; k < nf; k++) xNew[k] = x[k] + alpha * step[k];
    return this.problem.evalInternal(xNew, grad ? gNew : null);
  };

  /** BFGS update of the inverse Hessian from s = Δx, y = Δg; skipped when the curvature sᵀy is not positive. */
  private updateMetric(): void {
    const { nf, x, g, xNew, gNew, s, y, vy, v } = this;
    for (let k = 0; k < nf; k++) {
      s[k] = xNew[k] - x[k];
      y[k] = gNew[k] - g[k];
    }
    const sy = dot(s, y, nf);
    if (!(sy > 1e-300) || !(sy > 1e-12 * Math.sqrt(dot(s, s, nf) * dot(y, y, nf)))) return;
    matVec(v, nf, y, vy);
    const yvy = dot(y, vy, nf);
    const a = (sy + yvy) / (sy * sy);
    const b = 1 / sy;
    // V ← V + (sy + yᵀVy)/(sy)² · s sᵀ − (V y sᵀ + s yᵀ V)/sy
    for (let i = 0; i < nf; i++) {
      for (let j = 0; j < nf; j++) {
        v[i * nf + j] += a * s[i] * s[j] - b * (vy[i] * s[j] + s[i] * vy[j]);
      }
    }
  }
}
