/** Placeholder, filled below. */
import type { FitEvents } from './events.js';
import type { FitModels } from './setup.js';
import type { ModelFit } from './run-fit.js';
import type { LikelihoodSettings } from './session.js';
import type { TruthPoint } from './truth-spec.js';

export interface FitFigureInput {
  models: FitModels;
  events: FitEvents;
  fits: Record<string, ModelFit>;
  settings: LikelihoodSettings;
  truth?: TruthPoint;
}

export function fitFigures(_dir: string, _in: FitFigureInput): string[] {
  return [];
}
