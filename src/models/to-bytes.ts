/**
 * A model as our safetensors checkpoint bytes (a Zuko state dict plus the architecture in the
 * metadata, as training writes it). No file system (the browser entry has it); save.ts writes a file.
 */
import { encodeSafetensors } from '../io/safetensors-codec.js';
import { NSF } from '../flows/nsf.js';
import { nsfArchitecture, nsfToStateDict } from '../flows/nsf-state.js';
import { SystematicCorrectedModel } from '../systematics/corrected-model.js';
import { residualArchitecture, residualToStateDict } from '../systematics/state.js';
import type { StateDict } from '../io/state-dict.js';

/** What a JavaScript caller passed instead of a model, for the messages below. */
export function describeArg(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'string') return `the string '${v.length > 60 ? v.slice(0, 57) + '…' : v}'`;
  if (typeof v !== 'object') return typeof v;
  const name = v.constructor?.name;
  if (!name || name === 'Object') return 'a plain object';
  return `${/^[AEIOU]/.test(name) ? 'an' : 'a'} ${name}`;
}

/**
 * `model` checked as a live flow or residual model for `where`: anything else from JavaScript is
 * named (not a TypeError inside), and a freed model (params.free()) is refused like logProb
 * refuses it, since its parameters' memory may hold another model's weights by now.
 */
export function liveModel(where: string, model: unknown): NSF | SystematicCorrectedModel {
  if (model instanceof NSF) {
    model.params.assertLive(where);
    return model;
  }
  if (model instanceof SystematicCorrectedModel) {
    model.params.assertLive(where);
    model.base.params.assertLive(where);
    return model;
  }
  throw new Error(`${where}: model must be a flow or a residual model (from loadModel), got ${describeArg(model)}`);
}

function contentOf(model: NSF | SystematicCorrectedModel): { dict: StateDict; metadata: Record<string, string> } {
  const isFlow = model instanceof NSF;
  const dict = isFlow ? nsfToStateDict(model) : residualToStateDict(model);
  const architecture = isFlow ? nsfArchitecture(model.config) : residualArchitecture(model);
  return { dict, metadata: { format: 'fnflow', architecture: JSON.stringify(architecture) } };
}

/** The model's checkpoint bytes (loadModel reads them back). */
export function modelToBytes(model: NSF | SystematicCorrectedModel): Uint8Array {
  const { dict, metadata } = contentOf(liveModel('modelToBytes(model)', model));
  return encodeSafetensors(dict, metadata);
}
