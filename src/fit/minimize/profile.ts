/**
 * Profile scans: f minimized over the other parameters with one (or two) held on a grid, relative to the
 * global minimum. Each point is warm-started from its grid neighbour: the 1D scan walks outward from the
 * point nearest the best value, the 2D scan snakes row by row, so every fit starts next to its answer.
 */
import type { Fcn, FitResult, ParameterSpec, Profile2dResult, ProfileOptions, ProfileResult } from './types.js';
import { ConditionalFitter } from './conditional.js';
import { migrad } from './migrad.js';

function checkGrid(what: string, p: ParameterSpec, grid: number[]): void {
  if (!Array.isArray(grid) || grid.length === 0) throw new Error(`${what}: the grid of "${p.name}" is empty`);
  for (const v of grid) {
    if (!Number.isFinite(v)) throw new Error(`${what}: grid value ${v} of "${p.name}" is not finite`);
    if (v < (p.lower ?? -Infinity) || v > (p.upper ?? Infinity))
      throw new Error(`${what}: grid value ${v} of "${p.name}" lies outside [${p.lower}, ${p.upper}]`);
  }
}

function globalMinimum(fcn: Fcn, params: ParameterSpec[], opts: ProfileOptions): FitResult {
  return opts.minimum ?? migrad(fcn, params, opts);
}

export function profile(
  fcn: Fcn,
  params: ParameterSpec[],
  index: number,
  grid: number[],
  opts: ProfileOptions = {},
): ProfileResult {
  if (!Number.isInteger(index) || index < 0 || index >= params.length)
    throw new Error(`profile: parameter index ${index} is outside 0..${params.length - 1}`);
  checkGrid('profile', params[index], grid);
  const minimum = globalMinimum(fcn, params, opts);
  const fitter = new ConditionalFitter(fcn, params, [index], minimum, { ...opts, hesse: opts.hesse ?? false });
  const best = minimum.values[index];
  const order = grid.map((v, a) => a).sort((a, b) => grid[a] - grid[b]);
  let pivot = 0;
  for (let o = 1; o < order.length; o++)
    if (Math.abs(grid[order[o]] - best) < Math.abs(grid[order[pivot]] - best)) pivot = o;
  const fits = new Array<FitResult>(grid.length);
  let warm = minimum.values;
  for (let o = pivot; o < order.length; o++) warm = (fits[order[o]] = fitter.fit([grid[order[o]]], warm)).values;
  warm = minimum.values;
  for (let o = pivot - 1; o >= 0; o--) warm = (fits[order[o]] = fitter.fit([grid[order[o]]], warm)).values;
  return { grid: grid.slice(), deltaNll: fits.map((f) => f.fval - minimum.fval), fits, fmin: minimum.fval };
}

export function profile2d(
  fcn: Fcn,
  params: ParameterSpec[],
  i: number,
  j: number,
  gridI: number[],
  gridJ: number[],
  opts: ProfileOptions = {},
): Profile2dResult {
  for (const k of [i, j])
    if (!Number.isInteger(k) || k < 0 || k >= params.length)
      throw new Error(`profile2d: parameter index ${k} is outside 0..${params.length - 1}`);
  if (i === j) throw new Error(`profile2d: the two parameters must differ (both are "${params[i].name}")`);
  checkGrid('profile2d', params[i], gridI);
  checkGrid('profile2d', params[j], gridJ);
  const minimum = globalMinimum(fcn, params, opts);
  const fitter = new ConditionalFitter(fcn, params, [i, j], minimum, { ...opts, hesse: false });
  const deltaNll = gridI.map(() => new Float64Array(gridJ.length));
  const valid = gridI.map(() => new Array<boolean>(gridJ.length).fill(false));
  let warm = minimum.values;
  for (let a = 0; a < gridI.length; a++) {
    for (let step = 0; step < gridJ.length; step++) {
      const b = a % 2 === 0 ? step : gridJ.length - 1 - step;
      const fit = fitter.fit([gridI[a], gridJ[b]], warm);
      deltaNll[a][b] = fit.fval - minimum.fval;
      valid[a][b] = fit.valid;
      warm = fit.values;
    }
  }
  return { gridI: gridI.slice(), gridJ: gridJ.slice(), deltaNll, valid, fmin: minimum.fval, nfcn: fitter.nfcn };
}
