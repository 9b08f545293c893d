/**
 * HESSE on its own: recompute the covariance of a finished fit (e.g. after a strategy-0 MIGRAD, or with
 * strategy 2 for a more careful matrix). The result is the input's with covariance, errors, EDM and flags
 * replaced; the call counts continue from the input's.
 */
import type { Fcn, FitResult, MinimizeOptions, ParameterSpec } from './types.js';
import { FitProblem } from './problem.js';
import { VariableMetric } from './variable-metric.js';
import { invertSpd } from './linalg.js';
import { assembleResult } from './result.js';
import { hesseWithSteps, internalHessian, resolveOptions } from './migrad.js';

export function hesse(fcn: Fcn, result: FitResult, params: ParameterSpec[], opts?: MinimizeOptions): FitResult {
  if (result.values.length !== params.length)
    throw new Error(`hesse: result has ${result.values.length} parameters, params lists ${params.length}`);
  const at = params.map((p, i) => ({ ...p, value: result.values[i] }));
  const problem = new FitProblem(fcn, at);
  problem.nfcn = result.nfcn;
  problem.ngrad = result.ngrad;
  const o = resolveOptions(opts, problem.nf);
  const edmGoal = 0.002 * o.tol * o.errordef;
  const settings = { errordef: o.errordef, edmGoal, maxfcn: o.maxfcn, strategy: o.strategy, precision: o.precision };
  const vm = new VariableMetric(problem, settings);
  problem.internalOf(problem.theta, vm.x);
  if (!vm.evaluateHere()) {
    const message = `hesse: f or its gradient is not finite at the given point (f = ${vm.f})`;
    return assembleResult(problem, vm, { kind: 'none' }, { converged: false, callLimit: false, edmGoal, message });
  }
  vm.seedFromSteps();
  const sigma = conditionalErrors(problem, result);
  const cov =
    problem.nf > 0 ? hesseWithSteps(problem, sigma, o.errordef, o.strategy, o.hesseStep) : { kind: 'none' as const };
  if (cov.kind === 'hesse') vm.seedFromMatrix(internalHessian(problem, vm, cov.hessian, cov.gradient));
  vm.recomputeEdm();
  problem.setInternal(vm.x);
  const message = cov.kind === 'hesse-failed' ? cov.message : '';
  const converged = problem.nf === 0 || vm.edm < edmGoal;
  return assembleResult(problem, vm, cov, { converged, callLimit: false, edmGoal, message });
}

/**
 * Step scales for HESSE from the input's covariance: the conditional errors 1/√((V⁻¹)_kk) (the curvature
 * along each axis), the marginal errors when V is not invertible, the initial steps where V has nothing.
 */
function conditionalErrors(problem: FitProblem, result: FitResult): Float64Array {
  const { nf, free } = problem;
  const v = new Float64Array(nf * nf);
  for (let a = 0; a < nf; a++) for (let b = 0; b < nf; b++) v[a * nf + b] = result.covariance[free[a]][free[b]];
  const h = new Float64Array(nf * nf);
  const invertible = invertSpd(v, nf, h, new Float64Array(nf * nf));
  return Float64Array.from(free, (i, a) => {
    const s = invertible ? 1 / Math.sqrt(h[a * nf + a]) : result.errors[i];
    return s > 0 && Number.isFinite(s) ? s : problem.steps[i];
  });
}
