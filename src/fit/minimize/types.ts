/**
 * The minimizer's contract: what a caller hands in (parameters, objective, options) and what comes back.
 *
 * Everything is float64 and "external": θ as the caller names it, fixed parameters included, bounds
 * applied. The minimizer works internally on the free parameters only, through MINUIT's sin transform
 * for bounded ones; none of that shows here.
 *
 * Functions (src/fit/minimize/index.ts):
 *   migrad(fcn, params, opts?)                       → FitResult (HESSE run at the end)
 *   hesse(fcn, result, params, opts?)                → FitResult with the covariance from second derivatives
 *   minos(fcn, result, params, index, opts?)         → MinosResult
 *   profile(fcn, params, index, grid, opts?)         → ProfileResult (warm-started along the grid)
 *   profile2d(fcn, params, i, j, gridI, gridJ, opts?) → Profile2dResult
 */

export interface ParameterSpec {
  name: string;
  /** starting value (external); must lie within [lower, upper] when bounds are given. */
  value: number;
  /** initial step, the rough size of the parameter's uncertainty (default 0.1·max(1, |value|)). */
  step?: number;
  lower?: number;
  upper?: number;
  fixed?: boolean;
}

/**
 * The objective. Returns f(θ) for θ external (all parameters, fixed ones included, in the order of the
 * ParameterSpec list). When grad is non-null it must be filled with ∂f/∂θ (the exact gradient; entries of
 * fixed parameters are ignored). The minimizer reuses θ and grad between calls: do not keep them.
 * A non-finite return is treated as "worse than anything" by the line search.
 */
export type Fcn = (theta: Float64Array, grad: Float64Array | null) => number;

export interface MinimizeOptions {
  /** the rise in f that defines one standard error: 0.5 for a negative log-likelihood, 1 for a χ². */
  errordef?: number;
  /** convergence: EDM < 0.002 · tol · errordef (default tol 0.1, as MINUIT). */
  tol?: number;
  /** budget of function calls (f with or without gradient); default 200 + 100·n + 5·n². */
  maxfcn?: number;
  /** 0 fast, 1 default, 2 careful (more accurate Hessian, HESSE-quality start metric). */
  strategy?: 0 | 1 | 2;
  /**
   * Relative resolution of f (default 1e-13). When the line search finds no decrease and the predicted one
   * (the EDM) is below 10 · precision · |f|, the descent stops at once: f cannot show a better point. The
   * result then carries aboveMaxEdm and a message saying so, instead of spending the call budget on noise.
   */
  precision?: number;
  /**
   * HESSE's finite-difference step as a fraction of each parameter's conditional error (default 0.02, 0.05
   * with strategy 2's Richardson extrapolation): the local second derivative of a smooth f. A larger step
   * (up to 2) gives the mean curvature over ±step·σ instead, the scale an interval depends on: right for an
   * objective that is smooth only piecewise, such as an NLL of spline flows, whose gradient jumps wherever an
   * event's spline input crosses a knot, so that its local second derivative is noise (src/fit/run-fit.ts).
   * For a quadratic f every step gives the same matrix.
   */
  hesseStep?: number;
}

export interface FitResult {
  names: string[];
  /** external values at the minimum. */
  values: Float64Array;
  /** √diag(covariance); 0 for fixed parameters. */
  errors: Float64Array;
  /** n×n external covariance (inverse Hessian · 2·errordef); rows and columns of fixed parameters are 0. */
  covariance: Float64Array[];
  fixed: boolean[];
  fval: number;
  /** estimated distance to minimum, ½ gᵀVg in internal coordinates. */
  edm: number;
  /**
   * converged (EDM below the goal, within the call budget) with a usable covariance: positive
   * definite, or made so by a diagonal shift (`forcedPosdef`), as MINUIT counts it. Read
   * `accurate` for a covariance from HESSE that needed no forcing (a flat objective, or one whose
   * gradient stays 0, converges at once with forced, meaningless errors: valid, not accurate).
   */
  valid: boolean;
  /** covariance from a full second-derivative evaluation, positive definite without forcing. */
  accurate: boolean;
  posdef: boolean;
  /** the Hessian was not positive definite and a diagonal shift was added to make it so. */
  forcedPosdef: boolean;
  /** per parameter: a bound is active (value within ~1e-3·step-equivalent of lower or upper). */
  atLimit: boolean[];
  aboveMaxEdm: boolean;
  /** calls of fcn without / with gradient (nfcn counts all calls, ngrad those that asked for the gradient). */
  nfcn: number;
  ngrad: number;
  /** the first attempt failed and MIGRAD retried from its best point with strategy 2. */
  retried: boolean;
  /** "" when nothing notable happened; otherwise what went wrong (or was recovered by the retry), in words. */
  message: string;
}

export interface MinosOptions extends MinimizeOptions {
  /** number of standard errors: the crossing is at fmin + errordef · sigmas² (default 1). */
  sigmas?: number;
}

export interface MinosResult {
  /** signed distances from the best value: lower ≤ 0 ≤ upper (external units). */
  lower: number;
  upper: number;
  validLower: boolean;
  validUpper: boolean;
  /** the parameter's bound was reached before f rose enough: the interval is open on that side. */
  atLimitLower: boolean;
  atLimitUpper: boolean;
  /** a conditional fit found f below the minimum it started from: the fit was not at its minimum. */
  newMinimum: boolean;
  nfcn: number;
  ngrad: number;
  /** "" when both sides are valid; otherwise why not. */
  message: string;
}

export interface ProfileOptions extends MinimizeOptions {
  /** the global minimum, when already known (otherwise profile runs migrad first). */
  minimum?: FitResult;
  /** run HESSE in each conditional fit of a 1D profile (default false: only f matters for the scan). */
  hesse?: boolean;
}

export interface ProfileResult {
  grid: number[];
  /** f(profiled) − fmin at each grid point; for an NLL, −2 ln λ = 2 · deltaNll. */
  deltaNll: number[];
  /** the conditional fit at each grid point (the profiled parameter fixed). */
  fits: FitResult[];
  /** the global minimum the differences refer to. */
  fmin: number;
}

export interface Profile2dResult {
  gridI: number[];
  gridJ: number[];
  /** deltaNll[a][b] = f(profiled at θ_i = gridI[a], θ_j = gridJ[b]) − fmin; −2 ln λ = 2 · deltaNll. */
  deltaNll: Float64Array[];
  /** conditional fits valid at each point. */
  valid: boolean[][];
  fmin: number;
  nfcn: number;
}
