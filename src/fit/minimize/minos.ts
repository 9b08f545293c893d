/**
 * MINOS: the asymmetric interval of one parameter from the profile of f.
 *
 * On each side the parameter is moved to where the profiled f (the others re-minimized) has risen by
 * errordef · sigmas² above the minimum. The root is found on r(δ) = √(Δf(δ)/errordef) − sigmas, which is
 * linear in δ for a quadratic f (so the secant step is exact there) and close to linear for a likelihood:
 * secant steps from the minimum (r = −sigmas at δ = 0) and the HESSE guess δ = ±sigmas·σ, then regula falsi
 * (Illinois variant) once bracketed. The crossing is accepted when Δf is within 1e-4·errordef of its target,
 * i.e. δ to ~1e-4 σ. A bound met before the rise: the interval is open on that side (atLimit, not valid).
 */
import type { Fcn, FitResult, MinosOptions, MinosResult, ParameterSpec } from './types.js';
import { ConditionalFitter } from './conditional.js';

const MAX_FITS_PER_SIDE = 30;

export function minos(
  fcn: Fcn,
  result: FitResult,
  params: ParameterSpec[],
  index: number,
  opts: MinosOptions = {},
): MinosResult {
  if (!Number.isInteger(index) || index < 0 || index >= params.length)
    throw new Error(`minos: parameter index ${index} is outside 0..${params.length - 1}`);
  if (params[index].fixed) throw new Error(`minos: parameter "${params[index].name}" is fixed`);
  if (result.values.length !== params.length)
    throw new Error(`minos: result has ${result.values.length} parameters, params lists ${params.length}`);
  const sigmas = opts.sigmas ?? 1;
  if (!(sigmas > 0)) throw new Error(`minos: sigmas must be positive, got ${sigmas}`);
  const errordef = opts.errordef ?? 0.5;
  // The inner fits converge tighter than the global goal: their f differences are what MINOS measures.
  const inner = { ...opts, tol: (opts.tol ?? 0.1) * 0.01, hesse: false };
  const fitter = new ConditionalFitter(fcn, params, [index], result, inner);
  const best = result.values[index];
  const sigma = result.errors[index] > 0 ? result.errors[index] : (params[index].step ?? 0.1);
  const target = errordef * sigmas * sigmas;
  const lo = params[index].lower ?? -Infinity;
  const hi = params[index].upper ?? Infinity;

  let newMinimum = false;
  const side = (dir: 1 | -1) => {
    const bound = dir > 0 ? hi : lo;
    const room = Math.abs(bound - best);
    const r = (fit: FitResult) => Math.sqrt(Math.max(0, fit.fval - result.fval) / errordef) - sigmas;
    // Bracket ends: (δ, r) with r < 0 (inside) and r > 0 (outside); δ ≥ 0 measured along dir.
    let inD = 0;
    let inR = -sigmas;
    let outD = NaN;
    let outR = NaN;
    let d = Math.min(sigmas * sigma, room);
    let warm = result.values;
    let lastSide = 0;
    for (let it = 0; it < MAX_FITS_PER_SIDE; it++) {
      const fit = fitter.fit([best + dir * d], warm);
      if (fit.fval < result.fval - 1e-3 * errordef) newMinimum = true;
      const rd = r(fit);
      if (Math.abs(fit.fval - result.fval - target) < 1e-4 * errordef)
        return { delta: dir * d, valid: fit.valid, atLimit: false };
      warm = fit.values;
      if (rd < 0) {
        if (d >= room) return { delta: dir * room, valid: false, atLimit: true };
        if (lastSide < 0 && Number.isFinite(outR)) outR /= 2; // Illinois: the stale end's weight halves
        inD = d;
        inR = rd;
        lastSide = -1;
      } else {
        if (lastSide > 0) inR /= 2;
        outD = d;
        outR = rd;
        lastSide = 1;
      }
      // A bracket narrower than 1e-6 σ: f is flat to its resolution there; the crossing is as found as it gets.
      if (Number.isFinite(outD) && outD - inD < 1e-6 * sigma)
        return { delta: dir * 0.5 * (inD + outD), valid: fit.valid, atLimit: false };
      let next: number;
      if (Number.isFinite(outD)) next = inD - (inR * (outD - inD)) / (outR - inR);
      else {
        // Not bracketed yet: secant through the minimum (r = −sigmas at δ = 0) and this point, at most
        // doubling the reach.
        const slope = (rd + sigmas) / Math.max(d, 1e-300);
        next = slope > 0 ? Math.min(2 * d, d - rd / slope) : 2 * d;
      }
      d = Math.min(room, Math.max(next, 0));
      if (!(d > 0)) d = Math.min(room, 0.5 * (inD + (Number.isFinite(outD) ? outD : 2 * inD)));
    }
    return { delta: dir * d, valid: false, atLimit: false };
  };

  const up = side(1);
  const down = side(-1);
  const validLower = down.valid && !newMinimum;
  const validUpper = up.valid && !newMinimum;
  const why: string[] = [];
  if (newMinimum) why.push('a conditional fit went below the minimum: refit first');
  if (down.atLimit) why.push('lower side reaches the parameter bound');
  if (up.atLimit) why.push('upper side reaches the parameter bound');
  if (!validLower && !down.atLimit && !newMinimum) why.push('lower crossing not found reliably');
  if (!validUpper && !up.atLimit && !newMinimum) why.push('upper crossing not found reliably');
  return {
    lower: down.delta,
    upper: up.delta,
    validLower,
    validUpper,
    atLimitLower: down.atLimit,
    atLimitUpper: up.atLimit,
    newMinimum,
    nfcn: fitter.nfcn,
    ngrad: fitter.ngrad,
    message: why.join('; '),
  };
}
