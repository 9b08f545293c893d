/** Reads a PyTorch state_dict file from a path or from bytes; the format itself is pt-codec.ts. */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { decodePt } from './pt-codec.js';
import type { StateDict } from './state-dict.js';

export { decodePt } from './pt-codec.js';

/** Reads a .pt state_dict from a path or from the file's bytes (`name` labels errors). */
export function readPt(source: string | Uint8Array, name?: string): StateDict {
  const file = name ?? (typeof source === 'string' ? basename(source) : '<buffer>');
  return decodePt(typeof source === 'string' ? readFileSync(source) : source, file);
}
