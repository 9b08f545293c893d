/** A model written as our safetensors checkpoint file, atomically (its bytes: to-bytes.ts). */
import { writeFileAtomic } from '../io/atomic.js';
import type { NSF } from '../flows/nsf.js';
import type { SystematicCorrectedModel } from '../systematics/corrected-model.js';
import { modelToBytes } from './to-bytes.js';

export { modelToBytes } from './to-bytes.js';

/** Write the model's checkpoint to `path` (atomically: a reader never sees half a file). */
export function writeModel(path: string, model: NSF | SystematicCorrectedModel): void {
  writeFileAtomic(path, modelToBytes(model));
}
