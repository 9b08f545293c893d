/**
 * "Fit a toy" in the page: n events at the view's ν (and a fixed μ) drawn from the exact
 * generator, fitted as `fnf fit --toy` does (MIGRAD + HESSE, no MINOS) with the chosen residual
 * model, or with the frozen base alone when "base only" is on (ν then has no effect: the fit shows
 * what ignoring the systematic does to μ̂). The same fit as the CLI's and the browser entry's.
 */
import type { SystematicCorrectedModel } from '../../../src/systematics/corrected-model.js';
import type { GeneratorConfig } from '../../../src/toy/index.js';
import { Rng } from '../../../src/random/rng.js';
import { drawToy } from '../../../src/fit/toy-data.js';
import { likelihoodFor } from '../../../src/fit/likelihood-for.js';
import { fitLikelihood } from '../../../src/fit/run-fit.js';
import { TOY_NUISANCE_NAMES } from '../../../src/fit/sources.js';
import type { ResidualKind } from './setup.js';

export interface ToyFitRequest {
  nu: [number, number];
  residual: ResidualKind;
  baseOnly: boolean;
  n: number;
  mu: number;
  seed: number;
}

export interface ToyFitResult {
  model: 'flow' | 'base';
  valid: boolean;
  /** μ, ν_shift, ν_squeeze: value and HESSE error. */
  parameters: { name: string; value: number; error: number }[];
  ms: number;
}

export function fitToy(
  models: { kin: SystematicCorrectedModel; score: SystematicCorrectedModel },
  truthAt: (nu: readonly number[]) => GeneratorConfig,
  req: ToyFitRequest,
): ToyFitResult {
  const t0 = performance.now();
  const events = drawToy(Rng.fromSeed(req.seed), req.n, req.mu, truthAt(req.nu));
  const fitModels = { ...models, truthAt, nuisanceNames: [...TOY_NUISANCE_NAMES], observables: 'xy' as const };
  const model = req.baseOnly ? 'base' : 'flow';
  const fit = fitLikelihood(likelihoodFor(model, fitModels, events, { observables: 'xy', extended: false })).json;
  return {
    model,
    valid: fit.valid,
    parameters: fit.parameters.map((p) => ({ name: p.name, value: p.value, error: p.error })),
    ms: performance.now() - t0,
  };
}
