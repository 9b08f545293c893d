/** The minimizer's public surface (MINUIT-style MIGRAD, HESSE, MINOS, profiles). Implementation in progress. */
export type * from './types.js';
import type {
  Fcn,
  FitResult,
  MinimizeOptions,
  MinosOptions,
  MinosResult,
  ParameterSpec,
  Profile2dResult,
  ProfileOptions,
  ProfileResult,
} from './types.js';

const notYet = (what: string): never => {
  throw new Error(`src/fit/minimize: ${what} is not implemented yet`);
};

export function migrad(_fcn: Fcn, _params: ParameterSpec[], _opts?: MinimizeOptions): FitResult {
  return notYet('migrad');
}
export function hesse(_fcn: Fcn, _result: FitResult, _params: ParameterSpec[], _opts?: MinimizeOptions): FitResult {
  return notYet('hesse');
}
export function minos(
  _fcn: Fcn,
  _result: FitResult,
  _params: ParameterSpec[],
  _index: number,
  _opts?: MinosOptions,
): MinosResult {
  return notYet('minos');
}
export function profile(
  _fcn: Fcn,
  _params: ParameterSpec[],
  _index: number,
  _grid: number[],
  _opts?: ProfileOptions,
): ProfileResult {
  return notYet('profile');
}
export function profile2d(
  _fcn: Fcn,
  _params: ParameterSpec[],
  _i: number,
  _j: number,
  _gridI: number[],
  _gridJ: number[],
  _opts?: ProfileOptions,
): Profile2dResult {
  return notYet('profile2d');
}
