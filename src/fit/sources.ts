/**
 * The fit's density sources over a sample, from models already loaded: the flow (the residual
 * models), the exact truth, the frozen base. No file system (setup.ts loads the models from a
 * config; a web page passes its own through 'fnflow/browser').
 */
import type { GeneratorConfig } from '../toy/index.js';
import { BaseSource, FlowSource, TruthSource, type DensitySource, type ModelName } from './density-source.js';
import type { FitEvents } from './events.js';
import { baseOf, type SystematicCorrectedModel } from './model-adapter.js';

export type Observables = 'xy' | 'x';

/** The toy's nuisances, in the order of the templates' m vectors (validate/nuisance.ts checks it). */
export const TOY_NUISANCE_NAMES = ['shift', 'squeeze'] as const;

/** The models a fit uses: the residual models (score null for x only), the truth at ν if any, ν's names. */
export interface FitModels {
  kin: SystematicCorrectedModel;
  score: SystematicCorrectedModel | null;
  /** ν → the exact generator; null when the models are not the toy's (`noTruth` says why). */
  truthAt: ((nu: readonly number[]) => GeneratorConfig) | null;
  noTruth?: string;
  nuisanceNames: string[];
  observables: Observables;
}

/** The truth generator, or an error saying why there is none and what to fit with instead. */
export function requireTruth(m: FitModels, what: string): (nu: readonly number[]) => GeneratorConfig {
  if (m.truthAt) return m.truthAt;
  throw new Error(`${what} needs the exact truth, which these models do not have (${m.noTruth}); use flow and base`);
}

export function makeSource(name: ModelName, m: FitModels, events: FitEvents): DensitySource {
  const useY = m.observables === 'xy';
  if (useY && !events.y) throw new Error(`fit: the ${name} model uses y, the data have x only (use --observables x)`);
  switch (name) {
    case 'flow':
      return new FlowSource({ kin: m.kin, score: useY ? m.score : null }, events);
    case 'truth':
      return new TruthSource(requireTruth(m, 'the truth model')([0, 0]), useY, events);
    case 'base':
      return new BaseSource(
        { kin: baseOf(m.kin), score: useY && m.score ? baseOf(m.score) : null },
        m.nuisanceNames.length,
        events,
      );
  }
}
