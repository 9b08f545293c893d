/**
 * One fit of one density model: MIGRAD (with HESSE at its end), MINOS for the chosen parameters,
 * and the record `fit.json` and the toy files keep. The JSON shape is the issue's:
 *   { parameters: [{ name, value, error, minos: [lo, hi] | null, at_limit }], covariance, correlation,
 *     nll, edm, valid, nfcn, ngrad, wall_s }
 * where `minos` is the interval itself (value + lower error, value + upper error), null when MINOS
 * was not run for the parameter or did not close on either side.
 */
import { minos } from './minimize/index.js';
import { runMigrad } from './minimize/migrad.js';
import { FitProblem } from './minimize/problem.js';
import type { FitResult, MinosResult, ParameterSpec } from './minimize/types.js';
import type { MixtureLikelihood } from './likelihood.js';
import {
  type Outliers,
  DOMINANT_EVENT_SHARE,
  largestEventShares,
  outlierEvents,
  outlierNote,
} from './event-influence.js';

export interface ParameterJson {
  name: string;
  value: number;
  error: number;
  minos: [number, number] | null;
  at_limit: boolean;
  /**
   * Nuisances: the event with the largest share of this parameter's NLL curvature at the minimum, and
   * that share (./event-influence.ts); above DOMINANT_EVENT_SHARE the error rests on one event.
   */
  largest_event?: { event: number; share: number };
}

export interface ModelFitJson {
  parameters: ParameterJson[];
  covariance: number[][];
  correlation: number[][];
  nll: number;
  edm: number;
  valid: boolean;
  nfcn: number;
  ngrad: number;
  wall_s: number;
  /** Events the model gives no support at the result (./event-influence.ts); absent when none. */
  outlier_events?: Outliers;
  /** Present when the covariance and errors are the sandwich estimate for weighted events. */
  weighted_errors?: 'sandwich';
}

export interface ModelFit {
  json: ModelFitJson;
  result: FitResult;
  params: ParameterSpec[];
  minos: (MinosResult | null)[];
  /** The flags a careful user checks, for the table. */
  flags: Record<string, boolean>;
  /** Parameters whose curvature one event carries (largest_event share above DOMINANT_EVENT_SHARE). */
  dominated: string[];
  message: string;
}

export interface FitOptions {
  /** Parameters to run MINOS for (by name); default none. */
  minos?: readonly string[];
  strategy?: 0 | 1 | 2;
  /** HESSE's step as a fraction of each conditional error (default FIT_HESSE_STEP). */
  hesseStep?: number;
  /**
   * The events carry weights that are not expected counts (a weighted Monte Carlo or a reweighted
   * sample, not an Asimov set): report the sandwich covariance H⁻¹ V H⁻¹ instead of H⁻¹, and no MINOS.
   */
  weightedEvents?: boolean;
}

/**
 * HESSE's step in a likelihood fit: one conditional error, so the covariance is the secant curvature over
 * ±1σ, the scale the 1σ interval depends on. The flow's NLL is smooth only piecewise: its rational-quadratic
 * splines are C¹, so log|dy/dx| has a kink wherever an event's spline input crosses a knot, and the NLL's
 * ν-gradient jumps by small amounts at hundreds of ν values within ±1σ. A difference of the gradient over
 * 2 % of σ (the minimizer's default, for smooth f) catches a handful of those jumps and returns noise: on
 * 2 000-event flow fits its errors on ν scattered by ±30 % around MINOS's and were sometimes not positive
 * definite (issue 16); over ±1σ the jumps average out and HESSE agrees with MINOS within a few per cent.
 * The truth and base NLLs are parabolic to ~3 % at 2σ at 2 000 events, so for them the step changes nothing.
 */
export const FIT_HESSE_STEP = 1;

export function correlationOf(cov: readonly ArrayLike<number>[]): number[][] {
  const n = cov.length;
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => {
      const d = Math.sqrt(cov[i][i] * cov[j][j]);
      return d > 0 ? cov[i][j] / d : i === j ? 1 : 0;
    }),
  );
}

/**
 * For a fit to weighted events, the covariance H⁻¹ V H⁻¹ over the free parameters, written into `cov`
 * (which holds HESSE's H⁻¹): V = Σ_i w_i² s_i s_iᵀ (+ the constraints' 1/σ²), s_i the per-event score.
 * Why: with weights w the NLL's curvature H = Σ w (…) scales like Σ w while the variance of the estimate
 * scales like Σ w², so H⁻¹ alone is too small for weights above 1 and too large below (all weights 2:
 * half the variance it should be). The sandwich is the asymptotically correct estimate for a weighted
 * unbinned fit; with unit weights V ≈ H (in expectation) and it is HESSE's covariance.
 * False when V cannot be formed (densities not finite at the minimum).
 */
function sandwichCovariance(
  lik: MixtureLikelihood,
  theta: readonly number[],
  params: readonly ParameterSpec[],
  cov: number[][],
): boolean {
  const free = params.flatMap((p, i) => (p.fixed ? [] : [i]));
  const v = lik.outerProductHessian(theta, free, true);
  if (!v) return false;
  const n = free.length;
  const c = free.map((i) => free.map((j) => cov[i][j]));
  const cv = c.map((row) => Array.from({ length: n }, (_, k) => row.reduce((a, x, j) => a + x * v[j * n + k], 0)));
  for (let r = 0; r < n; r++) {
    for (let k = 0; k < n; k++) cov[free[r]][free[k]] = cv[r].reduce((a, x, j) => a + x * c[j][k], 0);
  }
  return true;
}

/** A misspelt MINOS name would otherwise just leave that parameter without an interval, silently. */
function checkMinosNames(minos: unknown, names: readonly string[]): void {
  if (minos === undefined) return;
  if (!Array.isArray(minos)) {
    throw new Error(`fitLikelihood: options.minos must be a list of parameter names (${names.join(', ')})`);
  }
  const unknown = minos.filter((m) => !names.includes(m as string));
  if (unknown.length > 0) {
    throw new Error(
      `fitLikelihood: options.minos names ${unknown.map((m) => JSON.stringify(m)).join(', ')}, not a parameter ` +
        `of this likelihood; its parameters are ${names.join(', ')}`,
    );
  }
}

export function fitLikelihood(lik: MixtureLikelihood, opts: FitOptions = {}): ModelFit {
  const t0 = performance.now();
  checkMinosNames(opts.minos, lik.names);
  const params = lik.parameters();
  const nfcn0 = lik.nfcn;
  const ngrad0 = lik.ngrad;
  // With the default strategy the metric starts from the outer-product Hessian at the start (no model
  // evaluation: the start's densities are cached) instead of finite differences of the gradient in each ν
  // (one model evaluation per nuisance, the dearest part of a flow fit's start). HESSE at the end is unchanged.
  const free = params.flatMap((p, i) => (p.fixed ? [] : [i]));
  const seedHessian =
    (opts.strategy ?? 1) === 1
      ? (lik.outerProductHessian(
          params.map((p) => p.value),
          free,
        ) ?? undefined)
      : undefined;
  const problem = new FitProblem(lik.fcn, params);
  const result = runMigrad(
    problem,
    { errordef: 0.5, strategy: opts.strategy, hesseStep: opts.hesseStep ?? FIT_HESSE_STEP },
    { hesse: true, seedHessian },
  );
  // With weighted events the NLL's rise by ½ does not mark 1σ, so MINOS would report wrong intervals.
  const weighted = !!opts.weightedEvents && lik.events.weights !== null;
  const wanted = new Set(weighted ? [] : (opts.minos ?? []));
  const mres = params.map((p, i) => {
    if (!wanted.has(p.name) || p.fixed || !result.valid) return null;
    try {
      return minos(lik.fcn, result, params, i, { errordef: 0.5 });
    } catch {
      return null;
    }
  });
  // Does the data hold events the model gives no support? (one density evaluation, no gradients) Judged on
  // −log p alone: a large weight makes an event count more, not the model support it less.
  const values = Array.from(result.values);
  const negLogP = values.every(Number.isFinite) ? lik.eventNegLogP(values) : null;
  const outliers = negLogP ? outlierEvents(negLogP, lik.events.weights) : { count: 0, worst: [] };
  const terms = negLogP && lik.weighTerms(negLogP);
  // Does one event carry a nuisance's curvature? (two density evaluations per nuisance, no gradients)
  const shares = result.valid && terms ? largestEventShares(lik, values, Array.from(result.errors), terms) : [];
  const dominated = shares.filter((s) => s.share > DOMINANT_EVENT_SHARE);
  const dominanceNote = dominated
    .map(
      (s) =>
        `${params[s.param].name}: event ${s.event} alone gives ${(100 * s.share).toFixed(0)} % of the NLL's ` +
        'curvature at the minimum (its density changes sharply with ν there), so this error is not reliable',
    )
    .join('; ');
  const covariance = result.covariance.map((r) => Array.from(r));
  const sandwiched = weighted && result.valid && sandwichCovariance(lik, values, params, covariance);
  const errors = sandwiched ? covariance.map((r, i) => Math.sqrt(Math.max(0, r[i]))) : Array.from(result.errors);
  const weightNote = !weighted
    ? ''
    : sandwiched
      ? 'errors: HESSE corrected for the event weights (sandwich H⁻¹ (Σ w² s sᵀ) H⁻¹); MINOS not run with weights'
      : 'event weights: no corrected errors (the fit is not valid or the densities are not finite); MINOS not run';
  const json: ModelFitJson = {
    parameters: params.map((p, i) => {
      const m = mres[i];
      const v = result.values[i];
      const share = shares.find((s) => s.param === i);
      return {
        name: p.name,
        value: v,
        error: errors[i],
        minos:
          m && (m.validLower || m.atLimitLower) && (m.validUpper || m.atLimitUpper) ? [v + m.lower, v + m.upper] : null,
        at_limit: result.atLimit[i],
        ...(share ? { largest_event: { event: share.event, share: share.share } } : {}),
      };
    }),
    ...(outliers.count > 0 ? { outlier_events: outliers } : {}),
    ...(sandwiched ? { weighted_errors: 'sandwich' as const } : {}),
    covariance,
    correlation: correlationOf(covariance),
    nll: result.fval,
    edm: result.edm,
    valid: result.valid,
    nfcn: lik.nfcn - nfcn0,
    ngrad: lik.ngrad - ngrad0,
    wall_s: (performance.now() - t0) / 1000,
  };
  return {
    json,
    result,
    params,
    minos: mres,
    flags: {
      valid: result.valid,
      accurate: result.accurate,
      posdef: result.posdef,
      forced_posdef: result.forcedPosdef,
      above_max_edm: result.aboveMaxEdm,
      at_limit: result.atLimit.some((a) => a),
      single_event: dominated.length > 0,
    },
    dominated: dominated.map((s) => params[s.param].name),
    message: [result.message, dominanceNote, outliers.count > 0 ? outlierNote(outliers) : '', weightNote]
      .filter((m) => m)
      .join('; '),
  };
}
