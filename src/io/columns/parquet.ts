/**
 * Apache Parquet through hyparquet (pure JavaScript) with hyparquet-compressors (snappy, zstd,
 * gzip, brotli, lz4). Only the wanted columns are decoded, chunk by chunk into one typed array
 * each; a column must be a flat number column (FLOAT, DOUBLE, an integer or BOOLEAN) without
 * nulls.
 */
import { parquetMetadata, parquetRead, parquetSchema } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { fromIntegers } from './integers.js';
import {
  badRowsPhrase,
  ColumnReadError,
  checkWanted,
  wantedNames,
  type ColumnTable,
  type ReaderOptions,
  type StoredColumn,
} from './table.js';

const FOOTER_MAGIC = 'PAR1';

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
  let metadata: ReturnType<typeof parquetMetadata>;
  try {
    metadata = parquetMetadata(buffer);
  } catch (err) {
    throw new ColumnReadError(file, `corrupt Parquet footer: ${reason(err)}`);
  }
  const fields = parquetSchema(metadata).children;
  const names = fields.map((f) => f.element.name);
  checkWanted(file, names, opts.want);
  const decode = wantedNames(names, opts.want);
  const rows = Number(metadata.num_rows);
  const kinds = new Map<string, Kind>();
  for (const name of decode) {
    const field = fields[names.indexOf(name)];
    const kind = field.children.length === 0 ? KINDS[field.element.type ?? ''] : undefined;
    const logical = field.element.logical_type?.type;
    if (kind === undefined || (logical !== undefined && logical !== 'INTEGER'))
      throw new ColumnReadError(
        file,
        `column '${name}' is ${describe(field.element)}, not a column of numbers (FLOAT, DOUBLE, integers or BOOLEAN)`,
      );
    kinds.set(name, kind);
  }

  const raw = new Map<string, unknown[]>(decode.map((n) => [n, new Array<unknown>(rows)]));
  try {
    await parquetRead({
      file: buffer,
      compressors,
      columns: decode,
      onChunk({ columnName, columnData, rowStart }) {
        const target = raw.get(columnName);
        if (!target) return;
        for (let i = 0; i < columnData.length; i++) target[rowStart + i] = columnData[i];
      },
    });
  } catch (err) {
    throw new ColumnReadError(file, `corrupt or truncated Parquet data: ${reason(err)}`);
  }
  const columns = new Map<string, StoredColumn>();
  for (const name of decode) columns.set(name, toColumn(file, name, kinds.get(name)!, raw.get(name)!));
  return { format: 'parquet', rows, names, columns };
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
      return { type: 'int32', values: Int32Array.from(values as number[]) };
    case 'int64':
      return fromIntegers(BigInt64Array.from(values as bigint[]));
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
