/**
 * Apache Parquet through hyparquet (pure JavaScript) with hyparquet-compressors (snappy, zstd,
 * gzip, brotli, lz4). Only the wanted columns are decoded, chunk by chunk into one typed array
 * each; a column must be a flat number column (FLOAT, DOUBLE, an integer or BOOLEAN) without
 * nulls.
 */
import { parquetMetadata, parquetRead, parquetSchema, type FileMetaData, type SchemaTree } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { fromIntegers } from './integers.js';
import {
  badRowsPhrase,
  ColumnReadError,
  checkUniqueNames,
  checkWanted,
  wantedNames,
  type ColumnTable,
  type ReaderOptions,
  type StoredColumn,
} from './table.js';

const FOOTER_MAGIC = 'PAR1';

/** The longest JavaScript array (and so column) the values are collected in. */
const MAX_ROWS = 2 ** 32 - 1;

type Kind = 'float32' | 'float64' | 'int32' | 'int64' | 'bool';

const KINDS: Readonly<Record<string, Kind>> = {
  FLOAT: 'float32',
  DOUBLE: 'float64',
  INT32: 'int32',
  INT64: 'int64',
  BOOLEAN: 'bool',
};

export async function readParquet(bytes: Uint8Array, file: string, opts: ReaderOptions = {}): Promise<ColumnTable> {
  const tail = new TextDecoder().decode(bytes.subarray(Math.max(0, bytes.length - 4)));
  if (bytes.length < 12 || tail !== FOOTER_MAGIC)
    throw new ColumnReadError(file, `truncated Parquet file: it does not end with the footer magic '${FOOTER_MAGIC}'`);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const { metadata, fields } = readFooter(buffer, file);
  const rows = footerRows(file, metadata);
  const names = fields.map((f) => f.element.name);
  checkUniqueNames(file, names, 'the Parquet schema');
  checkWanted(file, names, opts.want);
  const decode = wantedNames(names, opts.want);
  const kinds = new Map<string, Kind>();
  for (const name of decode) kinds.set(name, columnKind(file, name, fields[names.indexOf(name)]));
  const raw = await readValues(buffer, file, decode, rows);
  const columns = new Map<string, StoredColumn>();
  for (const name of decode) columns.set(name, toColumn(file, name, kinds.get(name)!, raw.get(name)!));
  return { format: 'parquet', rows, names, columns };
}

/**
 * The footer's metadata and schema. hyparquet's own errors say what is wrong; a JavaScript
 * TypeError or RangeError from inside its decoder (a footer of zeros, say) does not, so those
 * become "unreadable".
 */
function readFooter(buffer: ArrayBuffer, file: string): { metadata: FileMetaData; fields: SchemaTree[] } {
  try {
    const metadata = parquetMetadata(buffer);
    return { metadata, fields: parquetSchema(metadata).children };
  } catch (err) {
    const internal = err instanceof TypeError || err instanceof RangeError;
    const length = new DataView(buffer).getUint32(buffer.byteLength - 8, true);
    throw new ColumnReadError(
      file,
      `corrupt Parquet footer: ${internal ? `its metadata (${length} bytes) is unreadable` : reason(err)}`,
    );
  }
}

/** The file's row count: num_rows must be a sane count and the sum of its row groups' counts. */
function footerRows(file: string, metadata: FileMetaData): number {
  const total = BigInt(metadata.num_rows);
  let groups = 0n;
  for (const g of metadata.row_groups) {
    const n = BigInt(g.num_rows);
    if (n < 0n) throw new ColumnReadError(file, `corrupt Parquet footer: a row group has ${n} rows`);
    groups += n;
  }
  const count = metadata.row_groups.length;
  if (total !== groups)
    throw new ColumnReadError(
      file,
      `corrupt Parquet footer: num_rows is ${total} but its ${count} row groups hold ${groups} rows`,
    );
  if (total > BigInt(MAX_ROWS))
    throw new ColumnReadError(file, `${total} rows are more than one column can hold (${MAX_ROWS})`);
  return Number(total);
}

/** A flat number column's kind; anything else (strings, nested, timestamps, decimals) is refused. */
function columnKind(file: string, name: string, field: SchemaTree): Kind {
  const kind = field.children.length === 0 ? KINDS[field.element.type ?? ''] : undefined;
  const logical = field.element.logical_type?.type;
  if (kind === undefined || (logical !== undefined && logical !== 'INTEGER'))
    throw new ColumnReadError(
      file,
      `column '${name}' is ${describe(field.element)}, not a column of numbers (FLOAT, DOUBLE, integers or BOOLEAN)`,
    );
  return kind;
}

/**
 * Every value of the `decode` columns, by row. Each column must deliver exactly `rows` values:
 * pages holding fewer or more than the footer says mean a corrupt file (and would otherwise
 * show as missing values).
 */
async function readValues(
  buffer: ArrayBuffer,
  file: string,
  decode: string[],
  rows: number,
): Promise<Map<string, unknown[]>> {
  const raw = new Map<string, unknown[]>(decode.map((n) => [n, new Array<unknown>(rows)]));
  const delivered = new Map<string, number>(decode.map((n) => [n, 0]));
  try {
    await parquetRead({
      file: buffer,
      compressors,
      columns: decode,
      onChunk({ columnName, columnData, rowStart }) {
        const target = raw.get(columnName);
        if (!target) return;
        for (let i = 0; i < columnData.length; i++) target[rowStart + i] = columnData[i];
        delivered.set(columnName, delivered.get(columnName)! + columnData.length);
      },
    });
  } catch (err) {
    throw new ColumnReadError(file, `corrupt or truncated Parquet data: ${reason(err)}`);
  }
  for (const [name, n] of delivered)
    if (n !== rows || raw.get(name)!.length !== rows)
      throw new ColumnReadError(
        file,
        `corrupt Parquet data: column '${name}' holds ${n} values, the footer says ${rows} rows`,
      );
  return raw;
}

function toColumn(file: string, name: string, kind: Kind, values: unknown[]): StoredColumn {
  const missing: number[] = [];
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    if (values[i] === null || values[i] === undefined) {
      if (missing.length < 5) missing.push(i);
      count++;
    }
  }
  if (count > 0)
    throw new ColumnReadError(
      file,
      `column '${name}' has ${badRowsPhrase(count, 'missing (null)', missing)} (0-based)`,
    );
  switch (kind) {
    case 'float32':
      return { type: 'float32', values: Float32Array.from(values as number[]) };
    case 'float64':
      return { type: 'float64', values: Float64Array.from(values as number[]) };
    case 'int32':
    case 'int64':
      // Unsigned columns (UINT_32, UINT_64) arrive as numbers ≥ 2^31 or bigints ≥ 2^63, which an
      // Int32Array or BigInt64Array would wrap to negatives: fromIntegers keeps every value.
      return fromIntegers(values as (number | bigint)[]);
    case 'bool':
      return { type: 'int32', values: Int32Array.from(values as boolean[], (b) => (b ? 1 : 0)) };
  }
}

function describe(element: { type?: string; logical_type?: { type: string }; converted_type?: string }): string {
  const parts = [element.type ?? 'a group (nested column)', element.logical_type?.type ?? element.converted_type];
  return parts.filter((p) => p !== undefined).join(' / ');
}

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
