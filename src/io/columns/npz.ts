/**
 * NumPy `.npz` (a ZIP of `.npy` arrays, stored by np.savez or deflated by np.savez_compressed)
 * and single `.npy` files. fflate unzips (it handles both entry methods and the ZIP64 extra
 * fields NumPy writes); the project's own io/zip.ts reads stored entries only.
 */
import { unzipSync } from 'fflate';
import { readNpyArray } from './npy.js';
import { ColumnReadError, checkWanted, type ColumnTable, type ReaderOptions, type StoredColumn } from './table.js';

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
