/**
 * What `fnf fit`, `fnf scan` and `fnf toys` share: their common settings, checked before any
 * model is loaded or any file written, and the likelihood of one model over one sample.
 */
import type { Device } from '../backend/device.js';
import type { BaseFlowsConfig, SystematicsConfig } from '../config/load.js';
import { checkBaseFlowsMatch } from '../config/load.js';
import { MODEL_NAMES, type ModelName } from './density-source.js';
import { loadFitModels, readResidualCheckpoints } from './setup.js';
import { checkFrozenBases } from './base-check.js';
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

/**
 * The fit's models for a base and a systematics config: the configs' flows must agree in architecture
 * (checkBaseFlowsMatch) and the base config's flow files must be the very weights frozen in the residual
 * models (checkFrozenBases) — when the fit uses them: `fitted` names the models that will be fitted
 * (default all), and a truth-only fit reads none of -c's flow files, so a -c whose flows differ does not
 * stop it.
 */
export function openModels(
  dev: Device,
  base: BaseFlowsConfig,
  sys: SystematicsConfig,
  obs: Observables,
  fitted: readonly ModelName[] = MODEL_NAMES,
): FitModels {
  checkOpenArguments(base, sys, obs, fitted);
  checkBaseFlowsMatch(base, sys);
  const residuals = readResidualCheckpoints(sys, obs);
  // The residual models first: a residual file that is not what --sys-cfg says is refused as such, not
  // blamed on -c's flows.
  const models = loadFitModels(dev, sys, obs, residuals);
  if (fitted.includes('base') || fitted.includes('flow')) {
    checkFrozenBases(base, [
      { sector: 'kin', checkpoint: residuals.kin },
      ...(residuals.score ? [{ sector: 'score' as const, checkpoint: residuals.score }] : []),
    ]);
  }
  return models;
}

const OBSERVABLES: readonly Observables[] = ['xy', 'x'];

/** From JavaScript the configs may come swapped or the observables misspelt: say so before any file is read. */
function checkOpenArguments(base: unknown, sys: unknown, obs: unknown, fitted: readonly unknown[]): void {
  const kindOf = (c: unknown) => (c !== null && typeof c === 'object' ? (c as { kind?: unknown }).kind : undefined);
  for (const [arg, c, kind] of [
    ['base', base, 'base'],
    ['sys', sys, 'systematics'],
  ] as const) {
    if (kindOf(c) !== kind) {
      const got = kindOf(c) === undefined ? (c === null ? 'null' : typeof c) : `a ${String(kindOf(c))} config`;
      throw new Error(
        `openFitModels(dev, base, sys, observables): ${arg} must be a ${kind} config ` +
          `(loadConfig(path, '${kind}')), got ${got}`,
      );
    }
  }
  if (!(OBSERVABLES as readonly unknown[]).includes(obs)) {
    throw new Error(
      `openFitModels(dev, base, sys, observables): observables must be 'xy' (kinematics and score) or 'x' ` +
        `(kinematics only), got ${JSON.stringify(obs)}`,
    );
  }
  const unknown = fitted.find((m) => !(MODEL_NAMES as readonly unknown[]).includes(m));
  if (unknown !== undefined) {
    throw new Error(`openFitModels: unknown model ${JSON.stringify(unknown)}; expected ${MODEL_NAMES.join(', ')}`);
  }
}
