/**
 * Tells a column file's format from its bytes, never from its name: a Parquet file renamed to
 * `.csv` still reads as Parquet, and a file that is none of the formats gets one clear line.
 */
import { rootHeader } from './root.js';
import type { ColumnFormat } from './table.js';

/** How many leading bytes the text check looks at. */
const TEXT_PROBE = 4096;

/** The format, or undefined when the bytes match none of them. */
export function sniffColumnFormat(bytes: Uint8Array): ColumnFormat | undefined {
  const starts = (...magic: number[]): boolean => bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b);
  if (starts(0x50, 0x41, 0x52, 0x31)) return 'parquet'; // 'PAR1'
  if (starts(0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59)) return 'npy'; // '\x93NUMPY'
  if (starts(0x50, 0x4b, 0x03, 0x04) || starts(0x50, 0x4b, 0x05, 0x06)) return 'npz'; // ZIP: 'PK\3\4' or empty 'PK\5\6'
  // 'root' alone is also how a CSV header 'root_id,…' starts: a ROOT file has a binary header after it.
  const text = looksLikeText(bytes);
  if (starts(0x72, 0x6f, 0x6f, 0x74) && (rootHeader(bytes) !== undefined || !text)) return 'root';
  return text ? 'csv' : undefined;
}

/** Text: non-empty, no NUL or other control bytes but tab, CR, LF in the first bytes, valid UTF-8. */
function looksLikeText(bytes: Uint8Array): boolean {
  if (bytes.length === 0) return false;
  const head = bytes.subarray(0, TEXT_PROBE);
  for (const b of head) if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) return false;
  try {
    // A multi-byte character cut at the probe's end is fine; only earlier invalid bytes count.
    new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, Math.max(0, head.length - 4)));
    return true;
  } catch {
    return false;
  }
}

/** A short description of what the first bytes look like, for the unknown-format message. */
export function describeHead(bytes: Uint8Array): string {
  if (bytes.length === 0) return 'the file is empty';
  const hex = [...bytes.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  return `it starts with bytes ${hex}`;
}
