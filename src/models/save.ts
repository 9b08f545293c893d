/** A model written as our safetensors checkpoint file, atomically (its bytes: to-bytes.ts). */
import { writeFileAtomic } from '../io/atomic.js';
import type { NSF } from '../flows/nsf.js';
import type { SystematicCorrectedModel } from '../systematics/corrected-model.js';
import { describeArg, liveModel, modelToBytes } from './to-bytes.js';

export { modelToBytes } from './to-bytes.js';

/** Write the model's checkpoint to `path` (atomically: a reader never sees half a file). */
export function writeModel(path: string, model: NSF | SystematicCorrectedModel): void {
  const where = 'writeModel(path, model)';
  // The arguments the other way round is an easy slip (modelToBytes takes the model first)
  if (typeof path !== 'string' && typeof model === 'string') {
    throw new Error(`${where}: the path comes first, then the model (got ${describeArg(path)}, then a path)`);
  }
  if (typeof path !== 'string' || path === '') {
    throw new Error(`${where}: path must be a file path, got ${path === '' ? 'an empty string' : describeArg(path)}`);
  }
  writeFileAtomic(path, modelToBytes(liveModel(where, model)));
}
