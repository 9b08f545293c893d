/**
 * The one entry point: a file → the named columns a caller asks for, in the types it asks for,
 * plus the row count. The format comes from the bytes (sniff.ts), never the extension. Either the
 * whole request succeeds or one ColumnReadError says what is wrong; nothing partial comes back.
 */
import { readFileSync } from 'node:fs';
import { readCsv } from './csv.js';
import { readNpy, readNpz } from './npz.js';
import { readParquet } from './parquet.js';
import { readRoot } from './root.js';
import { selectColumns, type ColumnRequest, type SelectedColumns } from './select.js';
import { describeHead, sniffColumnFormat } from './sniff.js';
import { ColumnReadError, type ColumnFormat, type ColumnTable, type ReaderOptions } from './table.js';

export interface ReadColumnsOptions {
  /** ROOT only: the TTree to read (default: the file's only TTree). */
  tree?: string;
}

export interface ColumnData<R extends ColumnRequest> {
  file: string;
  format: ColumnFormat;
  rows: number;
  /** Every column in the file, in file order. */
  names: string[];
  columns: SelectedColumns<R>;
}

/** Reads `request`'s columns of the file at `path` (see the file header). */
export async function readColumns<R extends ColumnRequest>(
  path: string,
  request: R,
  opts: ReadColumnsOptions = {},
): Promise<ColumnData<R>> {
  return readColumnsFromBytes(readBytes(path), path, request, opts);
}

/** As readColumns, for bytes already in memory; `file` names them in errors. */
export async function readColumnsFromBytes<R extends ColumnRequest>(
  bytes: Uint8Array,
  file: string,
  request: R,
  opts: ReadColumnsOptions = {},
): Promise<ColumnData<R>> {
  const table = await readTable(bytes, file, { want: Object.keys(request), tree: opts.tree });
  return {
    file,
    format: table.format,
    rows: table.rows,
    names: table.names,
    columns: selectColumns(file, table, request),
  };
}

/** The format, row count and column names of a file, decoding no column (CSV is parsed whole). */
export async function describeColumns(
  path: string,
  opts: ReadColumnsOptions = {},
): Promise<{ format: ColumnFormat; rows: number; names: string[] }> {
  const table = await readTable(readBytes(path), path, { want: [], tree: opts.tree });
  return { format: table.format, rows: table.rows, names: table.names };
}

async function readTable(bytes: Uint8Array, file: string, opts: ReaderOptions): Promise<ColumnTable> {
  const format = sniffColumnFormat(bytes);
  switch (format) {
    case 'csv':
      return readCsv(bytes, file, opts);
    case 'npy':
      return readNpy(bytes, file, opts);
    case 'npz':
      return readNpz(bytes, file, opts);
    case 'parquet':
      return readParquet(bytes, file, opts);
    case 'root':
      return readRoot(bytes, file, opts);
    default:
      throw new ColumnReadError(
        file,
        `unknown format (${describeHead(bytes)}): expected Parquet, NumPy .npy/.npz, ROOT or CSV text`,
      );
  }
}

/** The file's bytes as a plain Uint8Array (a Buffer's slice() would share memory, Uint8Array's copies). */
function readBytes(path: string): Uint8Array {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new ColumnReadError(path, code === 'ENOENT' ? 'no such file' : `cannot read: ${(err as Error).message}`);
  }
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}
