/**
 * A model as our safetensors checkpoint bytes (a Zuko state dict plus the architecture in the
 * metadata, as training writes it). No file system (the browser entry has it); save.ts writes a file.
 */
import { encodeSafetensors } from '../io/safetensors-codec.js';
import { NSF } from '../flows/nsf.js';
import { nsfArchitecture, nsfToStateDict } from '../flows/nsf-state.js';
import type { SystematicCorrectedModel } from '../systematics/corrected-model.js';
import { residualArchitecture, residualToStateDict } from '../systematics/state.js';
import type { StateDict } from '../io/state-dict.js';

function contentOf(model: NSF | SystematicCorrectedModel): { dict: StateDict; metadata: Record<string, string> } {
  const isFlow = model instanceof NSF;
  const dict = isFlow ? nsfToStateDict(model) : residualToStateDict(model);
  const architecture = isFlow ? nsfArchitecture(model.config) : residualArchitecture(model);
  return { dict, metadata: { format: 'fnflow', architecture: JSON.stringify(architecture) } };
}

/** The model's checkpoint bytes (loadModel reads them back). */
export function modelToBytes(model: NSF | SystematicCorrectedModel): Uint8Array {
  const { dict, metadata } = contentOf(model);
  return encodeSafetensors(dict, metadata);
}
