/**
 * safetensors files: reading and (atomically) writing the project's own checkpoint format. The
 * format itself, its validation and why it is hand-written are in safetensors-codec.ts.
 */
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from './atomic.js';
import type { StateDict } from './state-dict.js';
import { decodeSafetensors, encodeSafetensors } from './safetensors-codec.js';

export { decodeSafetensors, encodeSafetensors } from './safetensors-codec.js';

/** Writes `dict` to `path` atomically (temp file + fsync + rename). */
export function writeSafetensors(path: string, dict: StateDict, metadata: Record<string, string> = {}): void {
  writeFileAtomic(path, encodeSafetensors(dict, metadata));
}

/**
 * Reads a safetensors file (path or bytes; `name` labels errors, else the path as given: a bare file
 * name left the user to guess which of several runs' files was bad). Tensors are owned copies.
 */
export function readSafetensors(
  source: string | Uint8Array,
  name?: string,
): { dict: StateDict; metadata: Record<string, string> } {
  const file = name ?? (typeof source === 'string' ? source : '<buffer>');
  return decodeSafetensors(typeof source === 'string' ? readFileSync(source) : source, file);
}
