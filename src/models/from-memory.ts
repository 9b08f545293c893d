/**
 * The loaders of load.ts without a file system (the browser entry): the same names and checks,
 * from a checkpoint's bytes or a checkpoint already parsed; a path is refused with what to do.
 */
import type { Device } from '../backend/device.js';
import type { Checkpoint } from '../io/checkpoint-codec.js';
import type { FlowArchitecture, ResidualArchitecture } from '../config/schema.js';
import type { NSF } from '../flows/nsf.js';
import type { SystematicCorrectedModel } from '../systematics/corrected-model.js';
import {
  checkDevice,
  flowFromCheckpoint,
  modelFromCheckpoint,
  residualFromCheckpoint,
  resolveCheckpoint,
} from './from-checkpoint.js';

/** A checkpoint's bytes (`name` labels errors: the URL or file name), or a checkpoint already parsed. */
export type MemorySource = { bytes: Uint8Array; name?: string } | Checkpoint;

/** The checkpoint parsed by content (.pt or safetensors). */
export function checkpointOf(source: MemorySource): Checkpoint {
  return resolveCheckpoint(source, null);
}

export function loadBaseFlow(dev: Device, source: MemorySource, expected?: FlowArchitecture, what = 'flow'): NSF {
  checkDevice('loadBaseFlow(dev, source)', dev);
  return flowFromCheckpoint(dev, checkpointOf(source), expected, what);
}

export function loadResidualModel(
  dev: Device,
  source: MemorySource,
  expected?: { flow?: FlowArchitecture; residual?: ResidualArchitecture },
  what = 'residual model',
): SystematicCorrectedModel {
  checkDevice('loadResidualModel(dev, source)', dev);
  return residualFromCheckpoint(dev, checkpointOf(source), expected, what);
}

/** A flow or a residual model, whichever the checkpoint holds. */
export function loadModel(dev: Device, source: MemorySource): NSF | SystematicCorrectedModel {
  checkDevice('loadModel(dev, source)', dev);
  return modelFromCheckpoint(dev, checkpointOf(source));
}
