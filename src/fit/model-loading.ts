/** The fit's residual models from the files a systematics config names (Node only; model-adapter.ts evaluates them). */
import type { Device } from '../backend/device.js';
import type { FlowArchitecture, ResidualArchitecture } from '../config/load.js';
import { loadResidualModel } from '../models/load.js';
import type { SystematicCorrectedModel } from '../systematics/corrected-model.js';

export function loadResidual(
  dev: Device,
  path: string,
  expected: { flow?: FlowArchitecture; residual?: ResidualArchitecture },
  what: string,
): SystematicCorrectedModel {
  return loadResidualModel(dev, path, expected, what);
}
