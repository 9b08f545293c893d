/**
 * `fnf scan` per model: the profile −2 ln λ(μ) on a grid (nuisances re-minimized at each point,
 * warm-started from the neighbour), 2D profiles in (μ, ν_k) for the 68 % / 95 % contours, and the
 * asymptotic test statistics of Cowan, Cranmer, Gross and Vitells (src/fit/stats):
 *   t_μ on the grid; q₀ from the conditional fit at μ = 0 → the discovery significance Z = √q₀;
 *   q̃_μ and the 95 % CLs upper limit on μ, with σ of μ̂ from an Asimov data set: the unbinned
 *   Asimov sample is a large weighted sample of each class at the background-only hypothesis
 *   (μ′ = 0, ν at the data's conditional fit at μ = 0), weighted to the data's size; its
 *   −2 ln λ(μ_test) gives σ = μ_test/√q_{μ,A}, which sets the expected band and the observed limit
 *   (CLs solved on q̃_μ of the data's profile, σ held at the Asimov value).
 * μ is bounded to [0, 1], so μ̂ < 0 does not occur and q̃_μ = q_μ here.
 */
import { profile, profile2d, migrad } from './minimize/index.js';
import type { FitResult, Profile2dResult, ProfileResult } from './minimize/types.js';
import {
  clsQTilde,
  expectedClsBand,
  qTildeMu,
  qZero,
  sigmaFromAsimov,
  significance,
  solveUpperLimit,
  tMu,
  type ExpectedBand,
} from './stats/index.js';
import { Rng } from '../random/rng.js';
import type { ModelName } from './density-source.js';
import type { FitEvents } from './events.js';
import { likelihoodFor, type LikelihoodSettings } from './session.js';
import type { FitModels } from './sources.js';
import { asimovFromDraws, asimovSample } from './toy-data.js';
import { modelDraws } from './model-draws.js';

export interface ScanSettings {
  /** points of the μ profile, spread over μ̂ ± 4σ (within [0, 1]). */
  points: number;
  /** points per axis of the 2D profiles over μ̂ ± 3σ_μ, ν̂ ± 3σ_ν (< 2: no contours). */
  points2d: number;
  asimovPerClass: number;
  seed: number;
}

export interface ModelScan {
  model: ModelName;
  muHat: number;
  nllMin: number;
  profile: { mu: number[]; t_mu: number[]; valid: boolean[] };
  contours: { parameter: string; mu: number[]; nu: number[]; two_delta_nll: number[][] }[];
  q0: number;
  significance: number;
  sigma_asimov: number;
  upper_limit_95: number;
  expected_limit_95: ExpectedBand;
}

function linspace(lo: number, hi: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => (n === 1 ? lo : lo + ((hi - lo) * i) / (n - 1)));
}

export function defaultScanSettings(points: number, points2d: number, seed: number): ScanSettings {
  return { points, points2d, asimovPerClass: 20_000, seed };
}

/** n points over value ± width·σ, clipped to [lo, hi]. */
function around(value: number, sigma: number, width: number, n: number, lo = -Infinity, hi = Infinity): number[] {
  const s = sigma > 0 && Number.isFinite(sigma) ? sigma : 0.1;
  return linspace(Math.max(lo, value - width * s), Math.min(hi, value + width * s), n);
}

export function scanModel(
  name: ModelName,
  models: FitModels,
  events: FitEvents,
  settings: LikelihoodSettings,
  s: ScanSettings,
  log: (line: string) => void = () => {},
): ModelScan {
  if (settings.extended || settings.fixMu !== undefined) {
    throw new Error('scan: profiles in μ need the plain likelihood (no --extended, no --fix-mu)');
  }
  const lik = likelihoodFor(name, models, events, settings);
  const params = lik.parameters();
  const minimum = migrad(lik.fcn, params, { errordef: 0.5 });
  const muHat = minimum.values[0];
  const sMu = minimum.errors[0];
  log(`  ${name}: μ̂ = ${muHat.toFixed(4)} ± ${sMu.toFixed(4)}; profile over ${s.points} points`);
  const muGrid = around(muHat, sMu, 4, s.points, 0, 1);
  const prof: ProfileResult = profile(lik.fcn, params, 0, muGrid, { minimum, errordef: 0.5 });
  const contours = lik.names.slice(1).map((pname, k) => {
    if (s.points2d < 2) return null;
    log(`  ${name}: contour (μ, ${pname}) over ${s.points2d}×${s.points2d} points`);
    const gMu = around(muHat, sMu, 3, s.points2d, 0, 1);
    const gNu = around(minimum.values[1 + k], minimum.errors[1 + k], 3, s.points2d);
    const p2: Profile2dResult = profile2d(lik.fcn, params, 0, 1 + k, gMu, gNu, { minimum, errordef: 0.5 });
    return {
      parameter: pname,
      mu: p2.gridI,
      nu: p2.gridJ,
      two_delta_nll: p2.deltaNll.map((row) => Array.from(row, (v) => 2 * v)),
    };
  });
  // conditional fit at μ = 0 (for q₀ and the Asimov nuisances)
  const at0 = profile(lik.fcn, params, 0, [0], { minimum, errordef: 0.5 });
  const nll0 = at0.fmin + at0.deltaNll[0];
  const q0 = qZero(nll0, minimum.fval, muHat);
  const nu0 = Array.from(at0.fits[0].values.slice(1));
  const sigmaA = asimovSigma(name, models, events, settings, s, nu0, minimum);
  // q̃_μ from the data: a conditional fit per μ the limit solver asks about
  const qt = (mu: number) => {
    const p = profile(lik.fcn, params, 0, [mu], { minimum, errordef: 0.5 });
    return qTildeMu(p.fmin + p.deltaNll[0], nll0, minimum.fval, muHat, mu);
  };
  const cls = (mu: number) => clsQTilde(qt(mu), mu, sigmaA);
  let upper = NaN;
  const lo = Math.max(muHat, 1e-6);
  if (cls(lo) > 0.05 && cls(1) < 0.05) upper = solveUpperLimit(cls, lo, 1, 0.05, 1e-4);
  else if (cls(1) >= 0.05) upper = 1;
  return {
    model: name,
    muHat,
    nllMin: minimum.fval,
    profile: {
      mu: prof.grid,
      t_mu: prof.deltaNll.map((d) => tMu(d + prof.fmin, prof.fmin)),
      valid: prof.fits.map((f) => f.valid),
    },
    contours: contours.filter((c): c is NonNullable<typeof c> => c !== null),
    q0,
    significance: significance(q0),
    sigma_asimov: sigmaA,
    upper_limit_95: upper,
    expected_limit_95: expectedClsBand(sigmaA),
  };
}

/** σ of μ̂ from the background-only Asimov sample: fit it, then −2 ln λ at a test μ of about 2σ. */
function asimovSigma(
  name: ModelName,
  models: FitModels,
  events: FitEvents,
  settings: LikelihoodSettings,
  s: ScanSettings,
  nu: number[],
  dataFit: FitResult,
): number {
  const N = events.weights ? events.weights.reduce((a, b) => a + b, 0) : events.n;
  const rng = Rng.fromSeed(s.seed).fork(1);
  // The toy's exact generator when there is one; else draws of the model being fitted (its own
  // expectation under μ = 0, as a model without a truth defines it).
  const asimov = models.truthAt
    ? asimovSample(rng, s.asimovPerClass, N, 0, models.truthAt(nu))
    : asimovFromDraws(modelDraws(name, models, nu, rng, s.asimovPerClass), N, 0, models.score !== null);
  const lik = likelihoodFor(name, models, asimov, { ...settings, startMu: 0.05 }, nu);
  const params = lik.parameters();
  const min = migrad(lik.fcn, params, { errordef: 0.5 });
  const muTest = Math.min(1, Math.max(0.02, 2 * dataFit.errors[0]));
  const p = profile(lik.fcn, params, 0, [muTest], { minimum: min, errordef: 0.5 });
  const q = tMu(p.fmin + p.deltaNll[0], p.fmin);
  return sigmaFromAsimov(muTest, Math.max(0, min.values[0]), q);
}
