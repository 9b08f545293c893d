/**
 * MIGRAD: the variable-metric minimization, HESSE at the end, and one retry when the first attempt fails.
 *
 * The run (MINUIT's sequence, our own code):
 *   1. seed the metric (strategy 0: from the steps; 1: forward-difference Hessian of the exact gradient;
 *      2: central differences), descend until EDM < 0.002 · tol · errordef;
 *   2. HESSE in external coordinates; the internal Hessian follows by the chain rule
 *      H_int = J H_ext J + diag(g_ext · d²ext/dint²), and EDM is recomputed with its inverse. If EDM is then
 *      above the goal the descent continues from that better metric (at most twice);
 *   3. when the attempt fails (call limit, no descent, covariance unusable), retry once from the best point
 *      with strategy 2 and a fresh budget. The result says so in its message.
 */
import type { Fcn, FitResult, MinimizeOptions, ParameterSpec } from './types.js';
import { FitProblem } from './problem.js';
import { BoundKind, dExtDInt, toInternal } from './transform.js';
import { type DescentStatus, VariableMetric } from './variable-metric.js';
import { covarianceFromHessian, externalHessian } from './hesse.js';
import { invertSpd } from './linalg.js';
import { assembleResult, type CovarianceState } from './result.js';

export interface ResolvedOptions {
  errordef: number;
  tol: number;
  maxfcn: number;
  strategy: number;
  precision: number;
  /** HESSE's step as a fraction of the conditional error; undefined: the strategy's default. */
  hesseStep: number | undefined;
}

export function resolveOptions(opts: MinimizeOptions | undefined, nFree: number): ResolvedOptions {
  const errordef = opts?.errordef ?? 0.5;
  const tol = opts?.tol ?? 0.1;
  const strategy = opts?.strategy ?? 1;
  const maxfcn = opts?.maxfcn ?? 200 + 100 * nFree + 5 * nFree * nFree;
  if (!(errordef > 0) || !Number.isFinite(errordef))
    throw new Error(`minimize: errordef must be a positive number, got ${errordef}`);
  if (!(tol > 0) || !Number.isFinite(tol)) throw new Error(`minimize: tol must be a positive number, got ${tol}`);
  if (!(maxfcn >= 1)) throw new Error(`minimize: maxfcn must be at least 1, got ${maxfcn}`);
  if (![0, 1, 2].includes(strategy)) throw new Error(`minimize: strategy must be 0, 1 or 2, got ${strategy}`);
  const precision = opts?.precision ?? 1e-13;
  if (!(precision > 0 && precision < 1)) throw new Error(`minimize: precision must lie in (0, 1), got ${precision}`);
  const hesseStep = opts?.hesseStep;
  if (hesseStep !== undefined && !(hesseStep > 0 && hesseStep <= 2)) {
    throw new Error(`minimize: hesseStep must lie in (0, 2] (a fraction of the error), got ${hesseStep}`);
  }
  return { errordef, tol, maxfcn, strategy, precision, hesseStep };
}

export interface MigradControl {
  /** run HESSE at the end (profiles and MINOS's inner fits skip it: the metric's covariance suffices). */
  hesse: boolean;
  /** an external Hessian of the free parameters (row-major, in the problem's free order) to seed the metric. */
  seedHessian?: Float64Array;
}

export function migrad(fcn: Fcn, params: ParameterSpec[], opts?: MinimizeOptions): FitResult {
  return runMigrad(new FitProblem(fcn, params), opts, { hesse: true });
}

export function runMigrad(problem: FitProblem, opts: MinimizeOptions | undefined, control: MigradControl): FitResult {
  const o = resolveOptions(opts, problem.nf);
  const first = attempt(problem, o, o.strategy, control);
  // A retry cannot help when f was unusable at the start or is resolved no finer than where it stopped.
  const hopeless = first.status === 'not-finite-start' || first.status === 'precision-limit';
  if (first.result.valid || problem.nf === 0 || hopeless) return first.result;
  const retry = attempt(problem, o, 2, { hesse: control.hesse }, first.bestTheta);
  const why = first.result.message;
  retry.result.retried = true;
  retry.result.message = retry.result.valid
    ? `recovered by a retry with strategy 2; first attempt: ${why}`
    : `${retry.result.message} (after a retry with strategy 2; first attempt: ${why})`;
  return retry.result;
}

interface Attempt {
  result: FitResult;
  status: DescentStatus | 'not-finite-start';
  bestTheta: Float64Array;
}

function attempt(
  problem: FitProblem,
  o: ResolvedOptions,
  strategy: number,
  control: MigradControl,
  startTheta?: Float64Array,
): Attempt {
  const { nf } = problem;
  const edmGoal = 0.002 * o.tol * o.errordef;
  const settings = { errordef: o.errordef, edmGoal, maxfcn: o.maxfcn, strategy, precision: o.precision };
  const vm = new VariableMetric(problem, settings);
  const startNfcn = problem.nfcn;
  if (startTheta) problem.theta.set(startTheta);
  problem.internalOf(problem.theta, vm.x);
  nudgeOffStationaryBounds(problem, vm.x);
  if (!vm.evaluateHere()) {
    problem.setInternal(vm.x);
    const cov: CovarianceState = { kind: 'none' };
    const message = `f or its gradient is not finite at the start (f = ${vm.f})`;
    const result = assembleResult(problem, vm, cov, { converged: false, callLimit: false, edmGoal, message });
    return { result, status: 'not-finite-start', bestTheta: Float64Array.from(problem.theta) };
  }
  if (control.seedHessian && nf > 0) {
    const gExt = Float64Array.from(problem.free, (i) => problem.gradExt[i]); // evaluateHere just filled it
    vm.seedFromMatrix(internalHessian(problem, vm, control.seedHessian, gExt));
  } else vm.seed(strategy);

  let status: DescentStatus = 'converged';
  let cov: CovarianceState = { kind: 'none' };
  for (let round = 0; round < 3; round++) {
    status = nf === 0 ? 'converged' : vm.descend(startNfcn);
    problem.setInternal(vm.x);
    const stopped = status === 'converged' || status === 'precision-limit';
    if (!stopped || !control.hesse || nf === 0) break;
    cov = runHesse(problem, vm, o, strategy);
    if (cov.kind !== 'hesse') break;
    vm.seedFromMatrix(internalHessian(problem, vm, cov.hessian, cov.gradient));
    vm.recomputeEdm();
    if (vm.edm < edmGoal || status === 'precision-limit' || problem.nfcn - startNfcn >= o.maxfcn) break;
  }
  problem.setInternal(vm.x);
  if (cov.kind === 'none' && nf > 0) cov = { kind: 'metric' };
  const callLimit = status === 'call-limit';
  const message = describe(status, cov, vm, o);
  const converged = status === 'converged' || status === 'precision-limit';
  const result = assembleResult(problem, vm, cov, { converged, callLimit, edmGoal, message });
  return { result, status, bestTheta: Float64Array.from(problem.theta) };
}

function describe(status: DescentStatus, cov: CovarianceState, vm: VariableMetric, o: ResolvedOptions): string {
  if (status === 'precision-limit' && !(vm.edm < vm.settings.edmGoal)) {
    const resolution = o.precision * Math.max(1, Math.abs(vm.f));
    return (
      `EDM ${vm.edm.toExponential(3)} above its goal ${vm.settings.edmGoal.toExponential(3)}, but f is resolved ` +
      `only to ~${resolution.toExponential(1)} (precision ${o.precision}): no better point can be told apart`
    );
  }
  if (status === 'call-limit') return 'call limit reached before EDM fell below its goal';
  if (status === 'no-descent') return 'no descent found along the Newton direction twice (f too noisy or flat?)';
  if (cov.kind === 'hesse-failed') return cov.message;
  return '';
}

/** HESSE at problem.theta with steps from the descent's metric; the covariance state for the result. */
export function runHesse(
  problem: FitProblem,
  vm: VariableMetric,
  o: ResolvedOptions,
  strategy: number,
): CovarianceState {
  const { nf } = problem;
  const jac = new Float64Array(nf);
  const curv = new Float64Array(nf);
  problem.jacobian(vm.x, jac);
  problem.curvature(vm.x, curv);
  // The step scale of each parameter is its conditional error √(2·errordef / H_kk) (the curvature along the
  // axis being differenced, H = V⁻¹), not the marginal one: in a strongly correlated valley the marginal
  // error is far larger than the distance over which the gradient stays linear. Taken through the transform
  // to second order, since the first order vanishes at a bound.
  const hInt = new Float64Array(nf * nf);
  const invertible = invertSpd(vm.v, nf, hInt, new Float64Array(nf * nf));
  const sigma = new Float64Array(nf);
  for (let k = 0; k < nf; k++) {
    const curvature = invertible ? hInt[k * nf + k] : 1 / vm.v[k * nf + k];
    const si = Math.sqrt(Math.max(0, (2 * o.errordef) / curvature));
    sigma[k] = Math.max(Math.abs(jac[k]) * si, 0.5 * Math.abs(curv[k]) * si * si);
  }
  return hesseWithSteps(problem, sigma, o.errordef, strategy, o.hesseStep);
}

/** HESSE at problem.theta with steps from an external error estimate per free parameter. */
export function hesseWithSteps(
  problem: FitProblem,
  sigma: Float64Array,
  errordef: number,
  strategy: number,
  stepFraction?: number,
): CovarianceState {
  const { nf } = problem;
  const hessian = new Float64Array(nf * nf);
  const outcome = externalHessian(problem, sigma, strategy, hessian, stepFraction);
  if (!outcome.ok) return { kind: 'hesse-failed', message: outcome.message };
  const fallback = Float64Array.from(problem.free, (i) => problem.steps[i]);
  const c = covarianceFromHessian(hessian, nf, errordef, fallback);
  if (!c.ok) return { kind: 'hesse-failed', message: 'HESSE: the Hessian could not be inverted' };
  return {
    kind: 'hesse',
    hessian,
    gradient: outcome.gradient,
    covariance: c.covariance,
    posdef: c.posdef,
    forced: c.forced,
    asymmetry: outcome.asymmetry,
    stepFraction,
  };
}

/** H_int = J·H_ext·J + diag(g_ext · d²ext/dint²) at the descent's point (gExt: free parameters, external). */
export function internalHessian(
  problem: FitProblem,
  vm: VariableMetric,
  hessExt: Float64Array,
  gExt: Float64Array,
): Float64Array {
  const { nf } = problem;
  const jac = new Float64Array(nf);
  const curv = new Float64Array(nf);
  problem.jacobian(vm.x, jac);
  problem.curvature(vm.x, curv);
  const h = new Float64Array(nf * nf);
  for (let a = 0; a < nf; a++) {
    for (let b = 0; b < nf; b++) h[a * nf + b] = jac[a] * hessExt[a * nf + b] * jac[b];
    h[a * nf + a] += gExt[a] * curv[a];
  }
  return h;
}

/**
 * A start exactly on a bound puts the internal coordinate where dext/dint = 0: the gradient there is zero
 * whatever f does, and the descent could never leave. Move such a start a tenth of a step inside.
 */
function nudgeOffStationaryBounds(problem: FitProblem, x: Float64Array): void {
  for (let k = 0; k < problem.nf; k++) {
    const i = problem.free[k];
    const b = problem.bounds[i];
    if (b.kind === BoundKind.None) continue;
    const full = b.kind === BoundKind.Both ? 0.5 * (b.upper - b.lower) : 1;
    if (Math.abs(dExtDInt(b, x[k])) > 1e-3 * full) continue;
    const ext = problem.theta[i];
    const inward = ext - b.lower <= b.upper - ext ? 1 : -1;
    const room = b.kind === BoundKind.Both ? 0.25 * (b.upper - b.lower) : Infinity;
    problem.theta[i] = ext + inward * Math.min(0.1 * problem.steps[i], room);
    x[k] = toInternal(b, problem.theta[i]);
  }
}
