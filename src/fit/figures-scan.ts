/** Placeholder, filled below. */
import type { ModelScan } from './scan.js';
import type { TruthPoint } from './truth-spec.js';
export function scanFigures(_dir: string, _s: ModelScan[], _t?: TruthPoint): string[] {
  return [];
}
