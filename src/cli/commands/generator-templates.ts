/**
 * `validate` and `visualize` measure residual models against the toy generator's exact truth, which
 * a systematics config gives through its generator templates (kin_systematics, score_systematics).
 * A config whose templates come only from files (samples:) has none: say so, and what to run instead,
 * rather than fail deep inside the closure code.
 */
import type { SystematicsConfig } from '../../config/load.js';
import { UserError } from '../errors.js';

export function requireGeneratorTemplates(sys: SystematicsConfig, what: string): void {
  for (const s of ['kin', 'score'] as const) {
    if (sys[s].residual.numNuisances > 0 && sys[s].templates.length === 0) {
      throw new UserError(
        `${what}, and ${sys.source} has no generator templates (${s}_systematics): its templates come from ` +
          'files. For models trained on files, fnf validate-files measures them on held-out events',
      );
    }
  }
}
