/**
 * Residual models from safetensors bytes, as `fnf` loads them from files (src/models/load.ts)
 * but with no config to check against: our files carry their architecture in the metadata.
 */
import type { Device } from '../../../src/backend/device.js';
import { decodeSafetensors } from '../../../src/io/safetensors-codec.js';
import { inferNsfConfig } from '../../../src/flows/nsf-state.js';
import { residualExtraFromArchitecture, residualFromStateDict } from '../../../src/systematics/state.js';
import type { SystematicCorrectedModel } from '../../../src/systematics/corrected-model.js';

function decode(bytes: ArrayBuffer, name: string) {
  const { dict, metadata } = decodeSafetensors(new Uint8Array(bytes), name);
  const raw = metadata['architecture'];
  if (!raw) throw new Error(`${name}: no 'architecture' metadata; the page loads fnflow's own safetensors files`);
  return { dict, arch: JSON.parse(raw) as Record<string, unknown> };
}

export function residualFromBytes(dev: Device, bytes: ArrayBuffer, name: string): SystematicCorrectedModel {
  const { dict, arch } = decode(bytes, name);
  const extra = residualExtraFromArchitecture(arch);
  const baseConfig = inferNsfConfig(dict, 'base_model.', name, {});
  return residualFromStateDict(dev, dict, { where: name, extra, baseConfig });
}
