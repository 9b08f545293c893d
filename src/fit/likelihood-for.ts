/**
 * The likelihood of one model ('flow', 'truth' or 'base') over one sample, with the fit's
 * settings: what `fnf fit`, `scan` and `toys` build (session.ts re-exports it). No file system,
 * so a web page fits with it too ('fnflow/browser').
 */
import { MODEL_NAMES, type ModelName } from './density-source.js';
import { checkEvents, checkFinite, type FitEvents } from './events.js';
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
  checkArguments(name, models, s);
  // Before the source is built: it reads the arrays by n (a wrong n fits part of the sample or reads past it).
  checkEvents(events, 'likelihoodFor: events');
  checkFinite(events, 'likelihoodFor: events');
  return new MixtureLikelihood(makeSource(name, models, events), events, {
    nuisanceNames: models.nuisanceNames,
    globalObs,
    extended: s.extended,
    fixedMu: s.fixMu,
    startMu: s.startMu,
  });
}

/** From JavaScript any argument may be missing or misspelt: name it rather than fail deep inside a source. */
function checkArguments(name: unknown, models: FitModels, s: LikelihoodSettings): void {
  if (!(MODEL_NAMES as readonly unknown[]).includes(name)) {
    throw new Error(`likelihoodFor: unknown model ${JSON.stringify(name)}; expected one of ${MODEL_NAMES.join(', ')}`);
  }
  if (models === null || typeof models !== 'object' || !models.kin || !Array.isArray(models.nuisanceNames)) {
    throw new Error('likelihoodFor: models must be the FitModels of openFitModels (kin, score, truthAt, ...)');
  }
  if (s === null || typeof s !== 'object') {
    throw new Error(
      'likelihoodFor: settings must be { observables, extended, fixMu?, startMu? }, e.g. ' +
        `{ observables: '${models.observables}', extended: false }; got ${s === null ? 'null' : typeof s}`,
    );
  }
  if (s.observables !== models.observables) {
    throw new Error(
      `likelihoodFor: settings.observables is ${JSON.stringify(s.observables)}, but the models were opened ` +
        `for '${models.observables}' (openFitModels' observables); give '${models.observables}' or reopen them`,
    );
  }
  if (typeof s.extended !== 'boolean') {
    throw new Error(`likelihoodFor: settings.extended must be true or false, got ${String(s.extended)}`);
  }
}
