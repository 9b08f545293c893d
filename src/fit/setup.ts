/**
 * From the configs to the fit's density sources: load the residual models a systematics config
 * names (kin, and score unless the fit uses x only), the truth generator at ν from its templates,
 * and build one DensitySource per requested model over a sample.
 *
 * The base source uses the frozen base flows under the residual models (checkBaseFlowsMatch has
 * made sure they are the base config's flows), so no flow is loaded twice.
 */
import type { Device } from '../backend/device.js';
import type { SystematicsConfig } from '../config/load.js';
import { nuisanceGenerator } from '../validate/nuisance.js';
import type { GeneratorConfig } from '../toy/index.js';
import { BaseSource, FlowSource, TruthSource, type DensitySource, type ModelName } from './density-source.js';
import type { FitEvents } from './events.js';
import { baseOf, loadResidual, residualNuisances, type SystematicCorrectedModel } from './model-adapter.js';
import { checkTruthGenerator } from './truth-grad.js';

export type Observables = 'xy' | 'x';

/** The toy's nuisances, in the order of the templates' m vectors (validate/nuisance.ts checks it). */
export const TOY_NUISANCE_NAMES = ['shift', 'squeeze'] as const;

export interface FitModels {
  kin: SystematicCorrectedModel;
  score: SystematicCorrectedModel | null;
  /** ν → the exact generator. */
  truthAt: (nu: readonly number[]) => GeneratorConfig;
  nuisanceNames: string[];
  observables: Observables;
}

export function loadFitModels(dev: Device, sys: SystematicsConfig, observables: Observables): FitModels {
  const kin = loadResidual(dev, sys.kin.paths.residual, sys.kin, 'residual_kin_model');
  const score =
    observables === 'xy' ? loadResidual(dev, sys.score.paths.residual, sys.score, 'residual_score_model') : null;
  const K = residualNuisances(kin);
  if (K !== TOY_NUISANCE_NAMES.length) {
    throw new Error(
      `fit: the kin residual model has ${K} nuisances; the toy generator's fit knows ${TOY_NUISANCE_NAMES.length} ` +
        `(${TOY_NUISANCE_NAMES.join(', ')})`,
    );
  }
  const truthAt = nuisanceGenerator(sys.kin.templates, 'kin_systematics');
  checkTruthGenerator(truthAt([0, 0]), 'kin_systematics generators');
  return { kin, score, truthAt, nuisanceNames: [...TOY_NUISANCE_NAMES], observables };
}

export function makeSource(name: ModelName, m: FitModels, events: FitEvents): DensitySource {
  const useY = m.observables === 'xy';
  if (useY && !events.y) throw new Error(`fit: the ${name} model uses y, the data have x only (use --observables x)`);
  switch (name) {
    case 'flow':
      return new FlowSource({ kin: m.kin, score: useY ? m.score : null }, events);
    case 'truth':
      return new TruthSource(m.truthAt([0, 0]), useY, events);
    case 'base':
      return new BaseSource(
        { kin: baseOf(m.kin), score: useY && m.score ? baseOf(m.score) : null },
        m.nuisanceNames.length,
        events,
      );
  }
}
