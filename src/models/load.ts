/**
 * Loading models: a base NSF or a residual model from a `.pt` (reference) or `.safetensors`
 * (ours) checkpoint, decided by content, checked against the architecture the config expects
 * (a mismatch names both shapes). A checkpoint comes from a file path or from bytes already in
 * memory (no file system: the browser page).
 */
import type { Device } from '../backend/device.js';
import { architectureOf, parseCheckpoint, readCheckpoint, type Checkpoint } from '../io/checkpoint.js';
import { checkArchitecture } from '../config/load.js';
import type { FlowArchitecture, ResidualArchitecture } from '../config/load.js';
import { inferNsfConfig, nsfFromStateDict } from '../flows/nsf-state.js';
import type { NSF } from '../flows/nsf.js';
import { inferResidualConfig, residualExtraFromArchitecture, residualFromStateDict } from '../systematics/state.js';
import type { SystematicCorrectedModel } from '../systematics/corrected-model.js';

/**
 * A file path, or a checkpoint's bytes with a name for error messages (no file system needed),
 * or a checkpoint already read.
 */
export type CheckpointSource = string | { bytes: Uint8Array; name?: string } | Checkpoint;

/** The checkpoint a source names, read or parsed by content (.pt or safetensors). */
export function checkpointOf(source: CheckpointSource): Checkpoint {
  if (typeof source === 'string') return readCheckpoint(source);
  if (source && typeof source === 'object') {
    if ('dict' in source && source.dict instanceof Map) return source;
    if ('bytes' in source && source.bytes instanceof Uint8Array) {
      return parseCheckpoint(source.bytes, source.name ?? 'checkpoint bytes');
    }
  }
  // From JavaScript anything can arrive here: say what a source is instead of failing inside.
  throw new Error(
    `checkpoint source: expected a file path, { bytes: Uint8Array, name? } or a checkpoint already read, ` +
      `got ${source === null ? 'null' : typeof source === 'object' ? 'an object without either' : typeof source}`,
  );
}

/** Whether a checkpoint holds a residual model (a base flow under `base_model.`) rather than a flow. */
export function isResidualCheckpoint(ck: Checkpoint): boolean {
  for (const k of ck.dict.keys()) if (k.startsWith('base_model.')) return true;
  return false;
}

export function loadBaseFlow(dev: Device, source: CheckpointSource, expected?: FlowArchitecture, what = 'flow'): NSF {
  const ck = checkpointOf(source);
  const path = ck.path;
  const meta = architectureOf(ck);
  const slope = typeof meta?.slope === 'number' ? meta.slope : expected?.slope;
  const bound = typeof meta?.bound === 'number' ? meta.bound : expected?.bound;
  const found = inferNsfConfig(ck.dict, '', path, { slope, bound });
  if (expected) checkArchitecture(expected, found, `${path} vs config ${what}`);
  return nsfFromStateDict(dev, ck.dict, { where: path, config: found });
}

export function loadResidualModel(
  dev: Device,
  source: CheckpointSource,
  expected?: { flow?: FlowArchitecture; residual?: ResidualArchitecture },
  what = 'residual model',
): SystematicCorrectedModel {
  const ck = checkpointOf(source);
  const path = ck.path;
  const meta = architectureOf(ck);
  // Settings a state dict cannot hold: from our metadata, else from the config.
  const extra = meta
    ? residualExtraFromArchitecture(meta)
    : expected?.residual
      ? {
          quadraticDamping: expected.residual.quadraticDamping,
          crossDamping: expected.residual.crossDamping,
          type: expected.residual.type,
          ladjSign: expected.residual.ladjSign,
        }
      : {};
  const baseFound = inferNsfConfig(ck.dict, 'base_model.', path, {
    slope: expected?.flow?.slope,
    bound: expected?.flow?.bound,
  });
  if (expected?.flow) checkArchitecture(expected.flow, baseFound, `${path} (base_model) vs config ${what}`);
  const found = inferResidualConfig(ck.dict, path, extra);
  if (expected?.residual) {
    const { featuresDim, contextDim, numNuisances, numResidualLayers, hiddenFeatures, crossTermPairs } =
      expected.residual;
    checkArchitecture(
      { featuresDim, contextDim, numNuisances, numResidualLayers, hiddenFeatures, crossTermPairs },
      found,
      `${path} vs config ${what}`,
    );
  }
  return residualFromStateDict(dev, ck.dict, { where: path, extra, baseConfig: baseFound });
}

/** A flow or a residual model, whichever the checkpoint holds (a residual model has `base_model.` keys). */
export function loadModel(dev: Device, source: CheckpointSource): NSF | SystematicCorrectedModel {
  const ck = checkpointOf(source);
  return isResidualCheckpoint(ck) ? loadResidualModel(dev, ck) : loadBaseFlow(dev, ck);
}
