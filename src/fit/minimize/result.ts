/**
 * Turns the end state of a descent (and HESSE's outcome) into the external FitResult with its flags.
 *
 *   valid        converged (EDM below goal, within budget) and a usable covariance (positive definite, or
 *                forced so), and HESSE did not fail when it was asked for;
 *   accurate     the covariance comes from HESSE, was positive definite without forcing, and the
 *                finite-difference Hessian was symmetric to 1 % (a larger asymmetry means an inconsistent
 *                gradient or a very noisy f) — to 10 % when HESSE stepped by ≥ 0.1 of each error (see
 *                asymmetryLimit);
 *   atLimit      a bounded parameter closer to its bound than 1e-3 of its error scale.
 */
import type { FitResult } from './types.js';
import type { FitProblem } from './problem.js';
import type { VariableMetric } from './variable-metric.js';
import { choleskyInPlace } from './linalg.js';

export type CovarianceState =
  | { kind: 'none' }
  | { kind: 'metric' }
  | { kind: 'hesse-failed'; message: string }
  | {
      kind: 'hesse';
      hessian: Float64Array;
      gradient: Float64Array;
      covariance: Float64Array;
      posdef: boolean;
      forced: boolean;
      asymmetry: number;
      /** HESSE's step as a fraction of each error, when the caller set one (MinimizeOptions.hesseStep). */
      stepFraction?: number;
    };

export interface EndState {
  converged: boolean;
  callLimit: boolean;
  edmGoal: number;
  message: string;
}

/**
 * How asymmetric the finite-difference Hessian may be before the covariance is not called accurate.
 * With small steps the two mixed differences H_ij, H_ji agree to rounding unless the gradient is wrong:
 * 1 %. With steps of a sizeable fraction of the error (the fit asks ±1σ for the flow's piecewise-smooth
 * NLL) they differ at third order by how far the NLL is from a parabola over the step: 1.5–4 % on the
 * flow fits of the fixtures, while HESSE agrees with MINOS there to a few per cent. An inconsistent
 * gradient (a wrong sign, a missing term) still shows as tens of per cent: 10 %.
 */
function asymmetryLimit(stepFraction: number | undefined): number {
  return stepFraction !== undefined && stepFraction >= 0.1 ? 0.1 : 0.01;
}

export function assembleResult(
  problem: FitProblem,
  vm: VariableMetric,
  cov: CovarianceState,
  end: EndState,
): FitResult {
  const { n, nf, free, theta, bounds } = problem;
  const errordef = vm.settings.errordef;
  const jac = new Float64Array(nf);
  const curv = new Float64Array(nf);
  problem.jacobian(vm.x, jac);
  problem.curvature(vm.x, curv);

  // The free-parameter covariance in external coordinates.
  let freeCov: Float64Array | null = null;
  let posdef = false;
  let forced = false;
  let accurate = false;
  if (cov.kind === 'hesse') {
    freeCov = cov.covariance;
    posdef = cov.posdef;
    forced = cov.forced;
    accurate = cov.posdef && !cov.forced && cov.asymmetry < asymmetryLimit(cov.stepFraction);
  } else if (cov.kind === 'metric' || cov.kind === 'hesse-failed') {
    // V_ext = J · (2·errordef · V_int) · J: the descent's metric through the transform.
    freeCov = new Float64Array(nf * nf);
    for (let a = 0; a < nf; a++)
      for (let b = 0; b < nf; b++) freeCov[a * nf + b] = 2 * errordef * jac[a] * vm.v[a * nf + b] * jac[b];
    const work = Float64Array.from(vm.v);
    posdef = choleskyInPlace(work, nf);
  }

  const covariance = Array.from({ length: n }, () => new Float64Array(n));
  const errors = new Float64Array(n);
  if (freeCov) {
    for (let a = 0; a < nf; a++) {
      for (let b = 0; b < nf; b++) covariance[free[a]][free[b]] = freeCov[a * nf + b];
      errors[free[a]] = Math.sqrt(Math.max(0, freeCov[a * nf + a]));
    }
  }

  const atLimit = new Array<boolean>(n).fill(false);
  for (let a = 0; a < nf; a++) {
    const i = free[a];
    const b = bounds[i];
    const dist = Math.min(theta[i] - b.lower, b.upper - theta[i]);
    if (!Number.isFinite(dist)) continue;
    // The external move of a one-sigma internal move to second order: the error scale even on the bound.
    const si = Math.sqrt(Math.max(0, 2 * errordef * vm.v[a * nf + a]));
    const scale = Math.max(errors[i], Math.abs(jac[a]) * si, 0.5 * Math.abs(curv[a]) * si * si);
    atLimit[i] = dist <= 1e-3 * (scale > 0 ? scale : problem.steps[i]);
  }

  const aboveMaxEdm = nf > 0 && !(vm.edm < end.edmGoal);
  const covUsable = nf === 0 || (freeCov !== null && (posdef || forced) && cov.kind !== 'hesse-failed');
  const valid = end.converged && !end.callLimit && !aboveMaxEdm && covUsable && Number.isFinite(vm.f);
  let message = end.message;
  if (!message && aboveMaxEdm)
    message = `EDM ${vm.edm.toExponential(3)} above its goal ${end.edmGoal.toExponential(3)}`;
  if (!message && forced) message = 'HESSE: the Hessian was not positive definite and was forced';
  if (!message && cov.kind === 'hesse' && cov.asymmetry >= asymmetryLimit(cov.stepFraction)) {
    message =
      `HESSE: finite-difference Hessian asymmetric by ${cov.asymmetry.toPrecision(3)}` +
      (cov.stepFraction !== undefined && cov.stepFraction >= 0.1
        ? ` over steps of ${cov.stepFraction}σ (the NLL far from a parabola there, or an inconsistent gradient)`
        : ' (gradient inconsistent?)');
  }

  return {
    names: problem.names.slice(),
    values: Float64Array.from(theta),
    errors,
    covariance,
    fixed: problem.fixed.slice(),
    fval: vm.f,
    edm: nf > 0 ? vm.edm : 0,
    valid,
    accurate,
    posdef: nf > 0 ? posdef && !forced : true,
    forcedPosdef: forced,
    atLimit,
    aboveMaxEdm,
    nfcn: problem.nfcn,
    ngrad: problem.ngrad,
    retried: false,
    message,
  };
}
