/**
 * Models from a checkpoint: a base NSF or a residual model from a `.pt` (reference) or
 * `.safetensors` (ours) checkpoint, decided by content, checked against the architecture the
 * config expects (a mismatch names both shapes). No file system here: load.ts adds paths for
 * Node, src/browser.ts loads from bytes.
 */
import type { Device } from '../backend/device.js';
import { architectureOf, parseCheckpoint, type Checkpoint } from '../io/checkpoint-codec.js';
import { CheckpointError } from '../io/state-dict.js';
import { checkArchitecture } from '../config/architecture.js';
import type { FlowArchitecture, ResidualArchitecture } from '../config/schema.js';
import { inferNsfConfig, nsfFromStateDict } from '../flows/nsf-state.js';
import type { NSF } from '../flows/nsf.js';
import { inferResidualConfig, residualExtraFromArchitecture, residualFromStateDict } from '../systematics/state.js';
import type { SystematicCorrectedModel } from '../systematics/corrected-model.js';

/**
 * A file path, or a checkpoint's bytes with a name for error messages (no file system needed),
 * or a checkpoint already read.
 */
export type CheckpointSource = string | { bytes: Uint8Array | ArrayBuffer; name?: string } | Checkpoint;

/**
 * The checkpoint a source names, read or parsed by content (.pt or safetensors). A path is read
 * by `readPath`; without one (the browser) a path is an error that says to pass the bytes.
 */
export function resolveCheckpoint(
  source: CheckpointSource,
  readPath: ((path: string) => Checkpoint) | null,
): Checkpoint {
  if (typeof source === 'string') {
    if (readPath) return readPath(source);
    throw new Error(
      `checkpoint source '${source}': no file system here (the browser): fetch the file and pass { bytes, name }`,
    );
  }
  if (source && typeof source === 'object') {
    if ('dict' in source && source.dict instanceof Map) return source;
    if ('bytes' in source && source.bytes instanceof Uint8Array) {
      return parseCheckpoint(source.bytes, source.name ?? 'checkpoint bytes');
    }
    // What fetch(…).arrayBuffer() and FileReader give: taken as it is, not refused as "no bytes".
    if ('bytes' in source && source.bytes instanceof ArrayBuffer) {
      return parseCheckpoint(new Uint8Array(source.bytes), source.name ?? 'checkpoint bytes');
    }
    if ('bytes' in source) {
      const b = source.bytes as unknown;
      const got = b === null ? 'null' : typeof b === 'object' ? (b.constructor?.name ?? 'an object') : typeof b;
      throw new Error(`checkpoint source { bytes }: bytes must be a Uint8Array or an ArrayBuffer, got ${got}`);
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
  // A path or bytes (from JavaScript) failed reading 'keys' of undefined: say what to pass instead
  if (!ck || typeof ck !== 'object' || !(ck.dict instanceof Map)) {
    const got = ck === null ? 'null' : typeof ck === 'object' ? 'an object that is not a checkpoint' : typeof ck;
    throw new Error(
      `isResidualCheckpoint(checkpoint): expected a checkpoint already read ` +
        `(checkpointOf(path or { bytes })), got ${got}`,
    );
  }
  for (const k of ck.dict.keys()) if (k.startsWith('base_model.')) return true;
  return false;
}

/**
 * An error unless `dev` is a device (from JavaScript anything can arrive: `loadModel(null, path)`
 * failed reading 'persistent' of null deep inside the model's construction).
 */
export function checkDevice(where: string, dev: unknown): void {
  if (dev && typeof dev === 'object' && typeof (dev as Device).persistent === 'function') return;
  const got = dev === null ? 'null' : typeof dev === 'object' ? (dev.constructor?.name ?? 'an object') : typeof dev;
  throw new Error(`${where}: dev must be a device (await createDevice(…)), got ${got}`);
}

/** A base NSF from a checkpoint, optionally checked against an expected architecture. */
export function flowFromCheckpoint(dev: Device, ck: Checkpoint, expected?: FlowArchitecture, what = 'flow'): NSF {
  const path = ck.path;
  // Said up front: the shape check below would only report a key missing at the top level.
  if (isResidualCheckpoint(ck)) {
    throw new CheckpointError(
      `${path}: holds a residual model (a base flow under 'base_model.' with nuisance nets), not a base ` +
        `flow: load it with loadResidualModel (or loadModel, which takes either)`,
    );
  }
  const meta = architectureOf(ck);
  const slope = typeof meta?.slope === 'number' ? meta.slope : expected?.slope;
  const bound = typeof meta?.bound === 'number' ? meta.bound : expected?.bound;
  const found = inferNsfConfig(ck.dict, '', path, { slope, bound });
  if (expected) checkArchitecture(expected, found, `${path} vs config ${what}`);
  return nsfFromStateDict(dev, ck.dict, { where: path, config: found });
}

/** A residual model (with its base) from a checkpoint, optionally checked against the config. */
export function residualFromCheckpoint(
  dev: Device,
  ck: Checkpoint,
  expected?: { flow?: FlowArchitecture; residual?: ResidualArchitecture },
  what = 'residual model',
): SystematicCorrectedModel {
  const path = ck.path;
  if (!isResidualCheckpoint(ck)) {
    throw new CheckpointError(
      `${path}: holds a base flow (no 'base_model.' keys), not a residual model: load it with ` +
        `loadBaseFlow (or loadModel, which takes either)`,
    );
  }
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
export function modelFromCheckpoint(dev: Device, ck: Checkpoint): NSF | SystematicCorrectedModel {
  return isResidualCheckpoint(ck) ? residualFromCheckpoint(dev, ck) : flowFromCheckpoint(dev, ck);
}
