/**
 * Minimal ZIP reader for PyTorch checkpoints (stored entries only).
 *
 * Hand-written on purpose: torch.save writes every entry *stored* (no compression) with payloads
 * padded to 64-byte boundaries, so reading the central directory (about 60 lines) is all it takes
 * to get zero-copy views of each entry, with no dependency and full control over bound checks.
 * Compressed, encrypted or ZIP64-sized entries are rejected with a clear error instead.
 *
 * Sizes and offsets come from the central directory, because torch sets the data-descriptor flag
 * and leaves CRC/size zero in the local headers. Each payload's CRC-32 is verified on request
 * (readPt does), which catches corrupted bytes that bound checks alone cannot.
 */
import { CheckpointError } from './state-dict.js';

export interface ZipEntry {
  name: string;
  /** Byte offset of the payload (past the local header) in the archive. */
  offset: number;
  /** Payload size in bytes. */
  size: number;
  crc32: number;
}

const EOCD_SIG = 0x06054b50;
const CDH_SIG = 0x02014b50;
const LFH_SIG = 0x04034b50;
const EOCD_SIZE = 22;
const CDH_SIZE = 46;
const LFH_SIZE = 30;

/** Lists the entries of a ZIP archive held in `bytes`; `file` names it in errors. */
export function readZipDirectory(bytes: Uint8Array, file: string): ZipEntry[] {
  const fail = (what: string): never => {
    throw new CheckpointError(`${file}: corrupt or truncated ZIP: ${what}`);
  };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = bytes.byteLength;
  if (len < EOCD_SIZE) fail(`file is only ${len} bytes`);

  // The EOCD record ends the file, followed only by an optional comment of up to 65535 bytes.
  let eocd = -1;
  for (let p = len - EOCD_SIZE; p >= Math.max(0, len - EOCD_SIZE - 0xffff); p--) {
    if (view.getUint32(p, true) === EOCD_SIG && p + EOCD_SIZE + view.getUint16(p + 20, true) === len) {
      eocd = p;
      break;
    }
  }
  if (eocd < 0) fail('no end-of-central-directory record');
  const diskEntries = view.getUint16(eocd + 8, true);
  const count = view.getUint16(eocd + 10, true);
  const cdSize = view.getUint32(eocd + 12, true);
  const cdOffset = view.getUint32(eocd + 16, true);
  if (view.getUint16(eocd + 4, true) !== 0 || diskEntries !== count) fail('multi-disk archives are not supported');
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff)
    fail('ZIP64 archives (over 4 GiB or 65535 entries) are not supported');
  if (cdOffset + cdSize > eocd)
    fail(`central directory [${cdOffset}, ${cdOffset + cdSize}) runs past its end record at ${eocd}`);

  const entries: ZipEntry[] = [];
  const seen = new Set<string>();
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    if (p + CDH_SIZE > cdOffset + cdSize) fail(`central directory entry ${i} is cut short`);
    if (view.getUint32(p, true) !== CDH_SIG) fail(`central directory entry ${i} has a bad signature`);
    const flags = view.getUint16(p + 8, true);
    const method = view.getUint16(p + 10, true);
    const crc32 = view.getUint32(p + 16, true);
    const packed = view.getUint32(p + 20, true);
    const size = view.getUint32(p + 24, true);
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    const local = view.getUint32(p + 42, true);
    const next = p + CDH_SIZE + nameLen + extraLen + commentLen;
    if (next > cdOffset + cdSize) fail(`central directory entry ${i} runs past the directory`);
    let name: string;
    try {
      name = decoder.decode(bytes.subarray(p + CDH_SIZE, p + CDH_SIZE + nameLen));
    } catch {
      name = fail(`entry ${i} has a name that is not UTF-8`);
    }
    if (flags & 1) fail(`entry '${name}' is encrypted`);
    if (method !== 0) fail(`entry '${name}' is compressed (method ${method}); only stored entries are supported`);
    if (packed !== size) fail(`stored entry '${name}' has compressed size ${packed} != size ${size}`);
    if (size === 0xffffffff || local === 0xffffffff) fail(`entry '${name}' uses ZIP64 fields (not supported)`);
    if (seen.has(name)) fail(`duplicate entry '${name}'`);
    seen.add(name);

    if (local + LFH_SIZE > cdOffset) fail(`local header of '${name}' at ${local} lies outside the data area`);
    if (view.getUint32(local, true) !== LFH_SIG) fail(`local header of '${name}' at ${local} has a bad signature`);
    const offset = local + LFH_SIZE + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    if (offset + size > cdOffset)
      fail(`payload of '${name}' [${offset}, ${offset + size}) runs past the data area (ends at ${cdOffset})`);
    entries.push({ name, offset, size, crc32 });
    p = next;
  }
  return entries;
}

/** A zero-copy view of an entry's payload; with `verify`, its CRC-32 is checked first. */
export function entryBytes(bytes: Uint8Array, entry: ZipEntry, file: string, verify = true): Uint8Array {
  const payload = bytes.subarray(entry.offset, entry.offset + entry.size);
  if (verify) {
    const actual = crc32(payload);
    if (actual !== entry.crc32) {
      throw new CheckpointError(
        `${file}: corrupt ZIP entry '${entry.name}': CRC-32 ${hex(actual)}, directory says ${hex(entry.crc32)}`,
      );
    }
  }
  return payload;
}

let crcTable: Uint32Array | undefined; // pure cache of a constant table, built on first use

/** CRC-32 (IEEE 802.3, reflected, as ZIP uses). */
export function crc32(data: Uint8Array): number {
  const table = (crcTable ??= buildCrcTable());
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function buildCrcTable(): Uint32Array {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
}

function hex(n: number): string {
  return '0x' + n.toString(16).padStart(8, '0');
}
