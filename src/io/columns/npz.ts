/**
 * NumPy `.npz` (a ZIP of `.npy` arrays, stored by np.savez or deflated by np.savez_compressed)
 * and single `.npy` files. fflate unzips (it handles both entry methods and the ZIP64 extra
 * fields NumPy writes); the project's own io/zip.ts reads stored entries only.
 *
 * fflate does not check the entries' CRC-32, and a flipped bit in a stored entry is otherwise
 * invisible (the numbers just change), so every array's CRC-32 is checked against the ZIP's
 * central directory before it is decoded.
 */
import * as zlib from 'node:zlib';
import { strFromU8, unzipSync } from 'fflate';
import { crc32 as tableCrc32 } from '../zip.js';
import { readNpyArray } from './npy.js';
import {
  ColumnReadError,
  checkUniqueNames,
  checkWanted,
  type ColumnTable,
  type ReaderOptions,
  type StoredColumn,
} from './table.js';

export function readNpz(bytes: Uint8Array, file: string, opts: ReaderOptions = {}): ColumnTable {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ColumnReadError(file, `truncated or corrupt .npz (ZIP) archive: ${reason}`);
  }
  const arrays = Object.keys(entries).filter((k) => k.endsWith('.npy'));
  if (arrays.length === 0) throw new ColumnReadError(file, 'the .npz archive holds no .npy arrays');
  checkCrcs(bytes, file, entries, arrays);
  const tables = arrays.map((k) => {
    const key = k.slice(0, -'.npy'.length);
    return { key, ...readNpyArray(entries[k], file, key) };
  });
  return combine(file, 'npz', tables, opts);
}

export function readNpy(bytes: Uint8Array, file: string, opts: ReaderOptions = {}): ColumnTable {
  const stem = (file.split(/[\\/]/).pop() ?? file).replace(/\.npy$/i, '');
  return combine(file, 'npy', [{ key: stem, ...readNpyArray(bytes, file, stem) }], opts);
}

interface ArrayColumns {
  key: string;
  rows: number;
  columns: Map<string, StoredColumn>;
}

/** All arrays must have one row count; the wanted columns are kept. */
function combine(file: string, format: 'npz' | 'npy', arrays: ArrayColumns[], opts: ReaderOptions): ColumnTable {
  const names = arrays.flatMap((a) => [...a.columns.keys()]);
  checkUniqueNames(file, names, `the .${format} file`); // a 2-D 'a' gives 'a[0]', …; a 1-D 'a[0]' would clash
  checkWanted(file, names, opts.want);
  const wanted = opts.want ? new Set(opts.want) : undefined;
  const kept = arrays.filter((a) => !wanted || [...a.columns.keys()].some((n) => wanted.has(n)));
  const rows = kept[0]?.rows ?? arrays[0].rows;
  for (const a of kept)
    if (a.rows !== rows)
      throw new ColumnReadError(
        file,
        `array '${a.key}' has ${a.rows} rows, array '${kept[0].key}' has ${rows}: columns must have one length`,
      );
  const columns = new Map<string, StoredColumn>();
  for (const a of kept) for (const [n, c] of a.columns) if (!wanted || wanted.has(n)) columns.set(n, c);
  return { format, rows, names, columns };
}

/** Node's zlib.crc32 (Node ≥ 20.15, ~10× faster) when there, else the table-driven one of io/zip.ts. */
const crc32: (data: Uint8Array) => number =
  (zlib as { crc32?: (data: Uint8Array) => number }).crc32 ?? ((data) => tableCrc32(data));

/** Each of `names` (unzipped in `entries`) must have the CRC-32 the central directory records for it. */
function checkCrcs(bytes: Uint8Array, file: string, entries: Record<string, Uint8Array>, names: string[]): void {
  const stored = directoryCrcs(bytes, file);
  for (const name of names) {
    const want = stored.get(name);
    if (want === undefined)
      throw new ColumnReadError(file, `${name}: not in the ZIP central directory: the archive is corrupt`);
    const got = crc32(entries[name]) >>> 0;
    if (got !== want)
      throw new ColumnReadError(
        file,
        `${name}: bad CRC-32 (stored ${hex(want)}, computed ${hex(got)}): the archive is corrupt`,
      );
  }
}

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CDH_SIG = 0x02014b50;
const CDH_SIZE = 46;

/**
 * Entry name → CRC-32 from the central directory. Not io/zip.ts's readZipDirectory: that one serves
 * torch checkpoints and refuses what .npz files hold (deflated entries, ZIP64 records, non-UTF-8
 * names); this one finds the directory the way fflate finds it (end record,
 * then the ZIP64 end record when there is one) so that both read the same entries. fflate
 * keeps the last of two entries of one name; such an archive is refused instead.
 */
function directoryCrcs(bytes: Uint8Array, file: string): Map<string, number> {
  const corrupt = (what: string): ColumnReadError => new ColumnReadError(file, `corrupt .npz (ZIP) archive: ${what}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u32 = (at: number): number => (at >= 0 && at + 4 <= bytes.length ? view.getUint32(at, true) : -1);
  let end = bytes.length - 22;
  while (end >= 0 && u32(end) !== EOCD_SIG) end--;
  if (end < 0) throw corrupt('no end-of-central-directory record');
  let count = view.getUint16(end + 8, true);
  let at = u32(end + 16);
  if (u32(end - 20) === ZIP64_LOCATOR_SIG) {
    const zip64 = u32(end - 12);
    if (u32(zip64) === ZIP64_EOCD_SIG) {
      count = u32(zip64 + 32);
      at = u32(zip64 + 48);
    }
  }
  const crcs = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    if (u32(at) !== CDH_SIG || at + CDH_SIZE > bytes.length)
      throw corrupt(`central directory entry ${i} is unreadable`);
    const utf8 = (view.getUint16(at + 8, true) & 0x800) !== 0;
    const nameLen = view.getUint16(at + 28, true);
    const next = at + CDH_SIZE + nameLen + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
    if (next > bytes.length) throw corrupt(`central directory entry ${i} runs past the end of the file`);
    const name = strFromU8(bytes.subarray(at + CDH_SIZE, at + CDH_SIZE + nameLen), !utf8);
    if (crcs.has(name)) throw corrupt(`it holds two entries '${name}'`);
    crcs.set(name, view.getUint32(at + 16, true));
    at = next;
  }
  return crcs;
}

function hex(n: number): string {
  return '0x' + n.toString(16).padStart(8, '0');
}
