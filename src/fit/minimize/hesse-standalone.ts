/**
 * HESSE on its own: recompute the covariance of a finished fit (e.g. after a strategy-0 MIGRAD, or with
 * strategy 2 for a more careful matrix). The result is the input's with covariance, errors, EDM and flags
 * replaced; the call counts continue from the input's.
 */
import type { Fcn, FitResult, MinimizeOptions, ParameterSpec } from './types.js';
import { FitProblem } from './problem.js';
import { VariableMetric } from './variable-metric.js';
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
  const vm = new VariableMetric(problem, { errordef: o.errordef, edmGoal, maxfcn: o.maxfcn, strategy: o.strategy });
  problem.internalOf(problem.theta, vm.x);
  if (!vm.evaluateHere()) {
    const message = `hesse: f or its gradient is not finite at the given point (f = ${vm.f})`;
    return assembleResult(problem, vm, { kind: 'none' }, { converged: false, callLimit: false, edmGoal, message });
  }
  vm.seedFromSteps();
  const sigma = Float64Array.from(problem.free, (i) => (result.errors[i] > 0 ? result.errors[i] : problem.steps[i]));
  const cov = problem.nf > 0 ? hesseWithSteps(problem, sigma, o.errordef, o.strategy) : { kind: 'none' as const };
  if (cov.kind === 'hesse') vm.seedFromMatrix(internalHessian(problem, vm, cov.hessian, cov.gradient));
  vm.recomputeEdm();
  problem.setInternal(vm.x);
  const message = cov.kind === 'hesse-failed' ? cov.message : '';
  const converged = problem.nf === 0 || vm.edm < edmGoal;
  return assembleResult(problem, vm, cov, { converged, callLimit: false, edmGoal, message });
}
