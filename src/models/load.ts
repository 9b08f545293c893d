/**
 * Loading models in Node: from a file path, bytes, or a checkpoint already read (the model
 * building and the architecture checks are from-checkpoint.ts, shared with the browser entry).
 */
import type { Device } from '../backend/device.js';
import { readCheckpoint, type Checkpoint } from '../io/checkpoint.js';
import type { FlowArchitecture, ResidualArchitecture } from '../config/schema.js';
import type { NSF } from '../flows/nsf.js';
import type { SystematicCorrectedModel } from '../systematics/corrected-model.js';
import {
  checkDevice,
  flowFromCheckpoint,
  modelFromCheckpoint,
  residualFromCheckpoint,
  resolveCheckpoint,
  type CheckpointSource,
} from './from-checkpoint.js';

export type { CheckpointSource } from './from-checkpoint.js';

/** The checkpoint a source names: a path read from disk, bytes parsed by content, or itself. */
export function checkpointOf(source: CheckpointSource): Checkpoint {
  return resolveCheckpoint(source, readCheckpoint);
}

export function loadBaseFlow(dev: Device, source: CheckpointSource, expected?: FlowArchitecture, what = 'flow'): NSF {
  checkDevice('loadBaseFlow(dev, source)', dev);
  return flowFromCheckpoint(dev, checkpointOf(source), expected, what);
}

export function loadResidualModel(
  dev: Device,
  source: CheckpointSource,
  expected?: { flow?: FlowArchitecture; residual?: ResidualArchitecture },
  what = 'residual model',
): SystematicCorrectedModel {
  checkDevice('loadResidualModel(dev, source)', dev);
  return residualFromCheckpoint(dev, checkpointOf(source), expected, what);
}

/** A flow or a residual model, whichever the checkpoint holds (a residual model has `base_model.` keys). */
export function loadModel(dev: Device, source: CheckpointSource): NSF | SystematicCorrectedModel {
  checkDevice('loadModel(dev, source)', dev);
  return modelFromCheckpoint(dev, checkpointOf(source));
}
