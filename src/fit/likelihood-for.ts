/**
 * The likelihood of one model ('flow', 'truth' or 'base') over one sample, with the fit's
 * settings: what `fnf fit`, `scan` and `toys` build (session.ts re-exports it). No file system,
 * so a web page fits with it too ('fnflow/browser').
 */
import type { ModelName } from './density-source.js';
import type { FitEvents } from './events.js';
import { MixtureLikelihood } from './likelihood.js';
import { makeSource, type FitModels, type Observables } from './sources.js';

/** Which observables, μ or yields (extended), and μ held fixed or started at a value. */
export interface LikelihoodSettings {
  observables: Observables;
  extended: boolean;
  /** μ held fixed at this value. */
  fixMu?: number;
  /** μ's starting value (default: its best value at the starting ν). */
  startMu?: number;
}

/** The mixture likelihood of model `name` over `events` (globalObs: the constraints' ν̃, default 0). */
export function likelihoodFor(
  name: ModelName,
  models: FitModels,
  events: FitEvents,
  s: LikelihoodSettings,
  globalObs?: readonly number[],
): MixtureLikelihood {
  return new MixtureLikelihood(makeSource(name, models, events), events, {
    nuisanceNames: models.nuisanceNames,
    globalObs,
    extended: s.extended,
    fixedMu: s.fixMu,
    startMu: s.startMu,
  });
}
