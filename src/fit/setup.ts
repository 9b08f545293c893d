/**
 * From the configs to the fit's models: load the residual models a systematics config names (kin,
 * and score unless the fit uses x only) and the truth generator at ν from its templates; the
 * DensitySource of each model over a sample, and the FitModels type, are sources.ts (no file system).
 *
 * Any number of nuisances: their names come from the config (samples.nuisances; else the toy's
 * shift, squeeze for two; else 1, 2, …). The exact truth exists only for the toy: two nuisances
 * and generator templates (kin_systematics); models trained on a user's files have none, and the
 * fit then offers flow and base.
 *
 * The base source uses the frozen base flows under the residual models, so no flow is loaded twice;
 * session.ts openModels first makes sure they are the base config's flows (./base-check.ts).
 */
import type { Device } from '../backend/device.js';
import type { SystematicsConfig } from '../config/load.js';
import { nuisanceGenerator } from '../validate/nuisance.js';
import type { GeneratorConfig } from '../toy/index.js';
import { residualNuisances } from './model-adapter.js';
import { TOY_NUISANCE_NAMES, type FitModels, type Observables } from './sources.js';
import { loadResidualModel } from '../models/load.js';
import { readCheckpoint, type Checkpoint } from '../io/checkpoint.js';
import { checkTruthGenerator } from './truth-grad.js';

/** The names of ν's components for a systematics config (see the file header). */
export function fitNuisanceNames(sys: SystematicsConfig): string[] {
  const K = sys.kin.residual.numNuisances;
  if (sys.samples?.nuisances) return [...sys.samples.nuisances];
  if (K === TOY_NUISANCE_NAMES.length) return [...TOY_NUISANCE_NAMES];
  return Array.from({ length: K }, (_, k) => String(k + 1));
}

/** The toy's exact generator at ν for this config, or why there is none (from the config alone). */
export function toyTruth(
  sys: SystematicsConfig,
): { truthAt: (nu: readonly number[]) => GeneratorConfig } | { noTruth: string } {
  const K = sys.kin.residual.numNuisances;
  if (K !== TOY_NUISANCE_NAMES.length) {
    return {
      noTruth: `the models have ${K} nuisance${K === 1 ? '' : 's'}, the toy generator ${TOY_NUISANCE_NAMES.length}`,
    };
  }
  if (sys.kin.templates.length === 0) {
    return { noTruth: `${sys.source} has no generator templates (kin_systematics): its templates come from files` };
  }
  const truthAt = nuisanceGenerator(sys.kin.templates, 'kin_systematics');
  checkTruthGenerator(truthAt([0, 0]), 'kin_systematics generators');
  return { truthAt };
}

/** The residual checkpoints a fit reads: kin, and score unless it uses x only. */
export interface ResidualCheckpoints {
  kin: Checkpoint;
  score: Checkpoint | null;
}

export function readResidualCheckpoints(sys: SystematicsConfig, observables: Observables): ResidualCheckpoints {
  return {
    kin: readCheckpoint(sys.kin.paths.residual),
    score: observables === 'xy' ? readCheckpoint(sys.score.paths.residual) : null,
  };
}

/** The fit's models from a systematics config (`residuals`: its checkpoints, when already read). */
export function loadFitModels(
  dev: Device,
  sys: SystematicsConfig,
  observables: Observables,
  residuals: ResidualCheckpoints = readResidualCheckpoints(sys, observables),
): FitModels {
  const kin = loadResidualModel(dev, residuals.kin, sys.kin, 'residual_kin_model');
  const score = residuals.score && loadResidualModel(dev, residuals.score, sys.score, 'residual_score_model');
  const names = fitNuisanceNames(sys);
  for (const [m, key] of [
    [kin, 'kin'],
    [score, 'score'],
  ] as const) {
    if (m && residualNuisances(m) !== names.length) {
      throw new Error(
        `fit: the ${key} residual model ${sys[key].paths.residual} has ${residualNuisances(m)} nuisances; ` +
          `${sys.source} names ${names.length} (${names.join(', ')})`,
      );
    }
  }
  const truth = toyTruth(sys);
  return 'truthAt' in truth
    ? { kin, score, truthAt: truth.truthAt, nuisanceNames: names, observables }
    : { kin, score, truthAt: null, noTruth: truth.noTruth, nuisanceNames: names, observables };
}
