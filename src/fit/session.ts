/**
 * What `fnf fit`, `fnf scan` and `fnf toys` share: their common settings, checked before any
 * model is loaded or any file written, and the likelihood of one model over one sample.
 */
import type { Device } from '../backend/device.js';
import type { BaseFlowsConfig, SystematicsConfig } from '../config/load.js';
import { checkBaseFlowsMatch } from '../config/load.js';
import { MODEL_NAMES } from './density-source.js';
import { loadFitModels } from './setup.js';
import type { FitModels, Observables } from './sources.js';
import type { LikelihoodSettings } from './likelihood-for.js';

export { likelihoodFor, type LikelihoodSettings } from './likelihood-for.js';

/** Refuses settings that cannot work, naming the flag (before anything is loaded or written). */
export function checkSettings(s: LikelihoodSettings, models: readonly string[]): void {
  for (const m of models) {
    if (!(MODEL_NAMES as readonly string[]).includes(m)) {
      throw new Error(`--model: unknown model '${m}'; expected a comma-separated list of ${MODEL_NAMES.join(', ')}`);
    }
  }
  for (const [flag, v] of [
    ['--fix-mu', s.fixMu],
    ['--start-mu', s.startMu],
  ] as const) {
    if (v !== undefined && !(v >= 0 && v <= 1)) throw new Error(`${flag}: μ = ${v} lies outside its bounds [0, 1]`);
  }
  if (s.extended && s.fixMu !== undefined) throw new Error('--fix-mu and --extended do not go together (yields)');
}

export function openModels(dev: Device, base: BaseFlowsConfig, sys: SystematicsConfig, obs: Observables): FitModels {
  checkBaseFlowsMatch(base, sys);
  return loadFitModels(dev, sys, obs);
}
