/** Reads a checkpoint (.pt or safetensors, by content) from a path; parsing is checkpoint-codec.ts. */
import { readFileSync } from 'node:fs';
import { parseCheckpoint, type Checkpoint } from './checkpoint-codec.js';
import { CheckpointError } from './state-dict.js';

export { parseCheckpoint, architectureOf, type Checkpoint } from './checkpoint-codec.js';

export function readCheckpoint(path: string): Checkpoint {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new CheckpointError(`${path}: cannot read checkpoint (${(e as Error).message})`);
  }
  return parseCheckpoint(bytes, path);
}
