/**
 * Any checkpoint we accept — a reference PyTorch `.pt` or one of our safetensors files — from
 * its bytes, deciding by content, not by extension. No file system (the browser entry uses it);
 * checkpoint.ts reads one from a path.
 */
import { decodePt } from './pt-codec.js';
import { decodeSafetensors } from './safetensors-codec.js';
import { sniffCheckpoint } from './sniff.js';
import { CheckpointError, type StateDict } from './state-dict.js';

export interface Checkpoint {
  path: string;
  format: 'pt' | 'safetensors';
  dict: StateDict;
  /** safetensors metadata (our files carry `architecture` as JSON); empty for .pt. */
  metadata: Record<string, string>;
}

/** A checkpoint already in memory (a fetched file, an upload); `path` names it in errors. */
export function parseCheckpoint(bytes: Uint8Array, path: string): Checkpoint {
  const kind = sniffCheckpoint(bytes);
  if (kind === 'pt') return { path, format: 'pt', dict: decodePt(bytes, path), metadata: {} };
  if (kind === 'safetensors') return safetensorsCheckpoint(bytes, path);
  throw new CheckpointError(`${path}: neither a PyTorch zip checkpoint nor a safetensors file`);
}

/**
 * One of our safetensors files in memory, without the .pt reader: a page that loads only our
 * files (web/) bundles neither the pickle VM nor the zip reader when it calls this alone.
 */
export function safetensorsCheckpoint(bytes: Uint8Array, path: string): Checkpoint {
  const { dict, metadata } = decodeSafetensors(bytes, path);
  return { path, format: 'safetensors', dict, metadata };
}

/** The architecture JSON our safetensors files carry, or null. */
export function architectureOf(ck: Checkpoint): Record<string, unknown> | null {
  const a = ck.metadata['architecture'];
  if (!a) return null;
  try {
    return JSON.parse(a) as Record<string, unknown>;
  } catch {
    throw new CheckpointError(`${ck.path}: metadata 'architecture' is not valid JSON`);
  }
}
