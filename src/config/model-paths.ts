/**
 * Training writes every model a config names under `paths`, so each must be its own file. Two
 * keys naming one (or one name as .pt and as .safetensors, which share the card NAME.card.json)
 * made one training overwrite the other's model, and a residual named like its base replaced the
 * frozen base it trains over. Checked by the training commands only: reading one file twice
 * (validate, fit) harms nothing, and those commands report a wrong model themselves.
 */
import { ConfigError } from './error.js';
import type { BaseFlowsConfig, SystematicsConfig } from './schema.js';

/** The `paths` keys of a config with the files they name, in the order the file lists them. */
function modelPaths(cfg: BaseFlowsConfig | SystematicsConfig): [key: string, path: string][] {
  if (cfg.kind === 'base') {
    return [
      ['score_model', cfg.score.paths.model],
      ['kin_model', cfg.kin.paths.model],
    ];
  }
  return [
    ['score_base_model', cfg.score.paths.base],
    ['kin_base_model', cfg.kin.paths.base],
    ['score_residual_model', cfg.score.paths.residual],
    ['kin_residual_model', cfg.kin.paths.residual],
  ];
}

/** Throws a ConfigError naming the second key of a pair that names one model; `file` as the user gave it. */
export function checkDistinctModelPaths(cfg: BaseFlowsConfig | SystematicsConfig, file: string): void {
  const seen = new Map<string, [key: string, path: string]>();
  for (const [key, path] of modelPaths(cfg)) {
    const name = path.replace(/\.(pt|safetensors)$/, '');
    const first = seen.get(name);
    if (first !== undefined) {
      const same = first[1] === path ? 'the same file as' : 'the same model name (and card) as';
      throw new ConfigError(
        file,
        `paths.${key}`,
        `${path} is ${same} paths.${first[0]} (${first[1]}): each model needs its own file, ` +
          'or training one overwrites the other',
      );
    }
    seen.set(name, [key, path]);
  }
}
