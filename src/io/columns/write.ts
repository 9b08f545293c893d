/**
 * Writes named columns as Parquet (hyparquet-writer, snappy), NumPy .npz (one .npy per column;
 * stored, or deflated with `compress`) or CSV (header row; float32 printed with 9 significant
 * digits and float64 with the shortest round-trip form, so reading back is exact). The file is
 * written atomically: readers see the old file or the complete new one.
 */
import { zipSync } from 'fflate';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { writeFileAtomic } from '../atomic.js';
import { ColumnReadError } from './table.js';

export type WritableFormat = 'parquet' | 'npz' | 'csv';

export const WRITABLE_FORMATS: readonly WritableFormat[] = ['parquet', 'npz', 'csv'];

export interface NamedColumn {
  name: string;
  values: Float32Array | Float64Array | Int32Array;
}

export interface WriteColumnsOptions {
  /** npz only: deflate the entries (np.savez_compressed) instead of storing them (np.savez). */
  compress?: boolean;
}

export function writeColumns(
  path: string,
  format: WritableFormat,
  columns: NamedColumn[],
  opts: WriteColumnsOptions = {},
): void {
  writeFileAtomic(path, encodeColumns(path, format, columns, opts));
}

export function encodeColumns(
  file: string,
  format: WritableFormat,
  columns: NamedColumn[],
  opts: WriteColumnsOptions = {},
): Uint8Array {
  const rows = columns[0]?.values.length ?? 0;
  for (const c of columns)
    if (c.values.length !== rows)
      throw new ColumnReadError(file, `cannot write column '${c.name}' of ${c.values.length} rows beside ${rows}`);
  switch (format) {
    case 'parquet':
      return encodeParquet(columns);
    case 'npz':
      return encodeNpz(columns, opts.compress ?? false);
    case 'csv':
      return encodeCsv(columns, rows);
  }
}

function encodeParquet(columns: NamedColumn[]): Uint8Array {
  const type = (v: NamedColumn['values']): 'FLOAT' | 'DOUBLE' | 'INT32' =>
    v instanceof Float32Array ? 'FLOAT' : v instanceof Float64Array ? 'DOUBLE' : 'INT32';
  const buffer = parquetWriteBuffer({
    columnData: columns.map((c) => ({ name: c.name, data: c.values, type: type(c.values), nullable: false })),
    rowGroupSize: 100_000,
    createdBy: 'fnflow',
  });
  return new Uint8Array(buffer);
}

/** One `.npy` (format 1.0, little-endian, C order, 1-D) per column inside a ZIP. */
function encodeNpz(columns: NamedColumn[], compress: boolean): Uint8Array {
  const entries: Record<string, Uint8Array> = {};
  for (const c of columns) entries[`${c.name}.npy`] = encodeNpy(c.values);
  return zipSync(entries, { level: compress ? 6 : 0 });
}

export function encodeNpy(values: Float32Array | Float64Array | Int32Array): Uint8Array {
  const descr = values instanceof Float32Array ? '<f4' : values instanceof Float64Array ? '<f8' : '<i4';
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${values.length},), }`;
  // NumPy pads the header with spaces and a newline so the data starts on a 64-byte boundary.
  const pad = 64 - ((10 + dict.length + 1) % 64);
  const header = dict + ' '.repeat(pad % 64) + '\n';
  const out = new Uint8Array(10 + header.length + values.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), 10 + header.length);
  return out;
}

function encodeCsv(columns: NamedColumn[], rows: number): Uint8Array {
  const formats = columns.map((c) => formatter(c.values));
  const lines: string[] = [columns.map((c) => c.name).join(',')];
  for (let r = 0; r < rows; r++) {
    let line = '';
    for (let c = 0; c < columns.length; c++) line += (c > 0 ? ',' : '') + formats[c](columns[c].values[r]);
    lines.push(line);
  }
  return new TextEncoder().encode(lines.join('\n') + '\n');
}

function formatter(values: NamedColumn['values']): (v: number) => string {
  if (values instanceof Float32Array) return formatFloat32;
  return (v) => (Object.is(v, -0) ? '-0' : String(v)); // String(-0) is '0'
}

/** 9 significant digits (enough for any float32 to round-trip), trailing zeros dropped. */
function formatFloat32(v: number): string {
  if (!Number.isFinite(v) || Object.is(v, -0)) return Object.is(v, -0) ? '-0' : String(v);
  const s = v.toPrecision(9);
  const e = s.indexOf('e');
  const mantissa = e < 0 ? s : s.slice(0, e);
  const trimmed = mantissa.includes('.') ? mantissa.replace(/0+$/, '').replace(/\.$/, '') : mantissa;
  return e < 0 ? trimmed : trimmed + s.slice(e);
}
