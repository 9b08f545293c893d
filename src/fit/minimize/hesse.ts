/**
 * HESSE: the covariance at the minimum from the second derivatives of f.
 *
 * With an exact gradient each Hessian column is one finite difference of the gradient, so the matrix costs
 * 2 gradient calls per free parameter (central), 4 with strategy 2 (two step sizes, Richardson-extrapolated
 * to O(h⁴)). It is taken in external coordinates: there the Hessian stays finite and meaningful for a
 * parameter sitting on its bound (the transform's slope vanishes there, which would send an internal-space
 * error to zero). A parameter at a bound gets a one-sided second-order difference stepping inward, so f is
 * never asked outside its domain; its error is then the local curvature's, the error it would have without
 * the bound, which is the sensible number to quote next to the at-limit flag.
 *
 * The steps are by default 2 % of each parameter's conditional error (5 % with Richardson): far above the
 * gradient's rounding noise (an objective summed from float32 per-event terms still resolves), small against
 * the scale on which an NLL departs from quadratic. A caller whose f is only piecewise smooth asks for larger
 * steps (MinimizeOptions.hesseStep): the difference quotient is then the mean curvature over the step.
 * The matrix is symmetrized (the asymmetry is reported), checked positive definite by Cholesky and, when it
 * is not, forced so by a diagonal shift in correlation form (forcedPosdef).
 */
import type { FitProblem } from './problem.js';
import { choleskyInPlace, invertSpd, relativeAsymmetry, symmetricEigenvalues, symmetrize } from './linalg.js';

export interface HessianOutcome {
  ok: boolean;
  /** relative asymmetry of the raw finite-difference matrix before symmetrizing. */
  asymmetry: number;
  /** ∂f/∂θ of the free parameters at the minimum (external). */
  gradient: Float64Array;
  message: string;
}

/**
 * Fills hess (nf×nf, external coordinates of the free parameters) at problem.theta, which must hold the
 * minimum. sigma: per free parameter, the external error estimate that sets the step; stepFraction: the step
 * as a fraction of it (default 0.02, 0.05 with Richardson). problem.theta is restored before returning.
 */
export function externalHessian(
  problem: FitProblem,
  sigma: Float64Array,
  strategy: number,
  hess: Float64Array,
  stepFraction?: number,
): HessianOutcome {
  const { nf, free, theta, gradExt, bounds } = problem;
  const center = Float64Array.from(theta);
  const g0 = new Float64Array(nf);
  const gp = new Float64Array(nf);
  const gm = new Float64Array(nf);
  const col = new Float64Array(nf);
  const colHalf = new Float64Array(nf);
  const gradAt = (k: number, offset: number, out: Float64Array): boolean => {
    theta.set(center);
    theta[free[k]] = center[free[k]] + offset;
    const f = problem.evalTheta(true);
    for (let m = 0; m < nf; m++) out[m] = gradExt[free[m]];
    return Number.isFinite(f) && out.every(Number.isFinite);
  };
  const fail = (message: string): HessianOutcome => {
    theta.set(center);
    return { ok: false, asymmetry: NaN, gradient: g0, message };
  };

  theta.set(center);
  problem.evalTheta(true);
  for (let m = 0; m < nf; m++) g0[m] = gradExt[free[m]];
  if (!g0.every(Number.isFinite)) return fail('HESSE: the gradient at the minimum is not finite');

  const richardson = strategy >= 2;
  const rel = stepFraction ?? (richardson ? 0.05 : 0.02);
  for (let k = 0; k < nf; k++) {
    const i = free[k];
    const b = bounds[i];
    const x = center[i];
    let h = rel * sigma[k];
    if (!(h > 0) || !Number.isFinite(h)) h = rel * problem.steps[i];
    h = Math.max(h, 1e-9 * Math.max(1, Math.abs(x)));
    const room = Math.min(b.upper - x, x - b.lower);
    const central = room >= h;
    const name = problem.names[i];
    if (central) {
      // (g(x+h) − g(x−h)) / 2h; strategy 2 also at h/2 and extrapolates: (4·D(h/2) − D(h)) / 3.
      if (!gradAt(k, h, gp) || !gradAt(k, -h, gm)) return fail(`HESSE: gradient not finite near ${name}`);
      for (let m = 0; m < nf; m++) col[m] = (gp[m] - gm[m]) / (2 * h);
      if (richardson) {
        if (!gradAt(k, h / 2, gp) || !gradAt(k, -h / 2, gm)) return fail(`HESSE: gradient not finite near ${name}`);
        for (let m = 0; m < nf; m++) colHalf[m] = (gp[m] - gm[m]) / h;
        for (let m = 0; m < nf; m++) col[m] = (4 * colHalf[m] - col[m]) / 3;
      }
    } else {
      // One-sided, second order, stepping away from the nearer bound: (−3g(x) + 4g(x+dh) − g(x+2dh)) / 2dh.
      const dir = b.upper - x >= x - b.lower ? 1 : -1;
      const span = dir > 0 ? b.upper - x : x - b.lower;
      h = Math.min(h, span / 4);
      if (!(h > 0)) return fail(`HESSE: no room inside the bounds of ${name} for a finite difference`);
      if (!gradAt(k, dir * h, gp) || !gradAt(k, dir * 2 * h, gm))
        return fail(`HESSE: gradient not finite near ${name}`);
      for (let m = 0; m < nf; m++) col[m] = (-3 * g0[m] + 4 * gp[m] - gm[m]) / (2 * dir * h);
    }
    for (let m = 0; m < nf; m++) hess[m * nf + k] = col[m];
  }
  theta.set(center);
  const asymmetry = relativeAsymmetry(hess, nf);
  symmetrize(hess, nf);
  return { ok: true, asymmetry, gradient: g0, message: '' };
}

export interface CovarianceOutcome {
  posdef: boolean;
  forced: boolean;
  /** nf×nf: 2·errordef·H⁻¹ (after forcing, when forced). */
  covariance: Float64Array;
  ok: boolean;
}

/**
 * The covariance 2·errordef·H⁻¹. When H is not positive definite it is forced: non-positive diagonal entries
 * are replaced by the curvature the initial step implies (2·errordef/step²) with their row and column cleared;
 * then, in correlation form, the diagonal is raised until the smallest eigenvalue is 1e-3 of the largest.
 * hess is modified in place to the matrix actually inverted.
 */
export function covarianceFromHessian(
  hess: Float64Array,
  nf: number,
  errordef: number,
  fallbackStep: Float64Array,
): CovarianceOutcome {
  const covariance = new Float64Array(nf * nf);
  const work = new Float64Array(nf * nf);
  work.set(hess);
  if (choleskyInPlace(work, nf)) {
    const ok = invertSpd(hess, nf, covariance, work);
    for (let m = 0; m < nf * nf; m++) covariance[m] *= 2 * errordef;
    return { posdef: ok, forced: false, covariance, ok };
  }
  for (let k = 0; k < nf; k++) {
    if (hess[k * nf + k] > 0 && Number.isFinite(hess[k * nf + k])) continue;
    for (let m = 0; m < nf; m++) hess[k * nf + m] = hess[m * nf + k] = 0;
    hess[k * nf + k] = (2 * errordef) / (fallbackStep[k] * fallbackStep[k]);
  }
  const scale = new Float64Array(nf);
  for (let k = 0; k < nf; k++) scale[k] = 1 / Math.sqrt(hess[k * nf + k]);
  const corr = new Float64Array(nf * nf);
  for (let a = 0; a < nf; a++) for (let b = 0; b < nf; b++) corr[a * nf + b] = hess[a * nf + b] * scale[a] * scale[b];
  const ev = symmetricEigenvalues(corr, nf);
  const lmax = Math.max(...ev);
  const lmin = Math.min(...ev);
  const shift = Math.max(0, 1e-3 * Math.max(lmax, 1) - lmin);
  for (let k = 0; k < nf; k++) hess[k * nf + k] *= 1 + shift;
  const ok = invertSpd(hess, nf, covariance, work);
  for (let m = 0; m < nf * nf; m++) covariance[m] *= 2 * errordef;
  return { posdef: false, forced: true, covariance, ok };
}
