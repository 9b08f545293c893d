/**
 * Where this package's shipped models and configs are, for a program that installed fnflow from
 * npm: `models/` and `configs/` sit beside `build/` in the package root, wherever node_modules
 * put it. A path relative to the caller's working directory ('models/…') works only inside a
 * clone of the repository.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../backend/wasm/loader.js';

/** The models in `models/` (README "Shipped models"); `_cross` adds the ν_shift·ν_squeeze cross-term. */
const MODELS = [
  'kin_density',
  'score_density',
  'kin_density_residuals',
  'score_density_residuals',
  'kin_density_residuals_cross',
  'score_density_residuals_cross',
] as const;
export type ShippedModelName = (typeof MODELS)[number];

/** The configs in `configs/` (the reference schema; their paths name the shipped models). */
const CONFIGS = ['base_flows', 'systematics', 'systematics_crossterms', 'dataset'] as const;
export type ShippedConfigName = (typeof CONFIGS)[number];

function shippedFile(noun: 'model' | 'config', known: readonly string[], name: string, file: string): string {
  // JavaScript callers get no type check: an unknown name is refused with the list, not a missing file later.
  if (!known.includes(name)) {
    throw new Error(`shipped ${noun} "${name}": not one this package ships (known: ${known.join(', ')})`);
  }
  const path = join(packageRoot(), file);
  if (!existsSync(path)) throw new Error(`shipped ${noun} "${name}": ${path} is missing from this installation`);
  return path;
}

/** Absolute path of a shipped model's safetensors file, e.g. `shippedModelPath('kin_density_residuals')`. */
export function shippedModelPath(name: ShippedModelName): string {
  return shippedFile('model', MODELS, name, join('models', name + '.safetensors'));
}

/** Absolute path of a shipped YAML config, e.g. `loadConfig(shippedConfigPath('base_flows'), 'base')`. */
export function shippedConfigPath(name: ShippedConfigName): string {
  return shippedFile('config', CONFIGS, name, join('configs', name + '.yaml'));
}
