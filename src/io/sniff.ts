/**
 * Tells a checkpoint's format from its first bytes, so loaders decide by content, not by the
 * file extension (a `.pt` renamed to `.safetensors` still loads, or fails with the right error).
 */

export type CheckpointKind = 'pt' | 'safetensors' | 'unknown';

/** Header lengths above this are not plausible (the safetensors reference reader uses 100 MB too). */
export const MAX_SAFETENSORS_HEADER = 100_000_000;

/**
 * 'pt' for a ZIP archive (torch.save's zip format starts with a local file header 'PK\x03\x04');
 * 'safetensors' when the first 8 bytes are a little-endian length N that fits the file and the N
 * header bytes look like a JSON object ('{' first, '}' last before any space padding).
 */
export function sniffCheckpoint(bytes: Uint8Array): CheckpointKind {
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04)
    return 'pt';
  if (bytes.length < 10) return 'unknown';
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n < 2n || n > BigInt(Math.min(MAX_SAFETENSORS_HEADER, bytes.length - 8))) return 'unknown';
  let end = 8 + Number(n) - 1;
  while (end > 8 && bytes[end] === 0x20) end--;
  return bytes[8] === 0x7b && bytes[end] === 0x7d ? 'safetensors' : 'unknown';
}
