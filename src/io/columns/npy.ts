/**
 * NumPy `.npy` arrays: the magic, a version, a header length, a Python-literal header dict
 * ({'descr': '<f4', 'fortran_order': False, 'shape': (20000,), }) padded with spaces, then the
 * raw data. The header is a small fixed grammar, so three regular expressions read it; a 1-D
 * array is one column, a 2-D array of shape (n, k) is k columns `name[0]` … `name[k-1]`.
 */
import { fromIntegers } from './integers.js';
import { ColumnReadError, type StoredColumn } from './table.js';

const MAGIC_LEN = 6;

interface NpyHeader {
  descr: string;
  fortran: boolean;
  shape: number[];
  dataOffset: number;
}

/** Decodes one array into named columns of equal length; `name` is the array's name (npz key or file stem). */
export function readNpyArray(
  bytes: Uint8Array,
  file: string,
  name: string,
): { rows: number; columns: Map<string, StoredColumn> } {
  const where = (what: string): string => (name ? `array '${name}': ${what}` : what);
  const header = parseHeader(bytes, file, where);
  const { descr, shape } = header;
  if (shape.length === 0 || shape.length > 2)
    throw new ColumnReadError(
      file,
      where(`shape (${shape.join(', ')}) is not a column (n,) or a table (n, k) of columns`),
    );
  const itemSize = dtypeSize(descr, file, where);
  const count = shape.reduce((a, b) => a * b, 1);
  const have = bytes.length - header.dataOffset;
  if (have < count * itemSize)
    throw new ColumnReadError(
      file,
      where(`truncated: shape (${shape.join(', ')}) of '${descr}' needs ${count * itemSize} bytes, ${have} remain`),
    );
  const data = bytes.slice(header.dataOffset, header.dataOffset + count * itemSize); // aligned copy
  const flat = decode(descr, data, count);
  const rows = shape[0];
  const columns = new Map<string, StoredColumn>();
  if (shape.length === 1) {
    columns.set(name, flat);
    return { rows, columns };
  }
  const k = shape[1];
  for (let j = 0; j < k; j++) {
    const ctor = flat.values.constructor as new (n: number) => typeof flat.values;
    const col = new ctor(rows);
    for (let i = 0; i < rows; i++) col[i] = flat.values[header.fortran ? j * rows + i : i * k + j];
    columns.set(`${name}[${j}]`, { type: flat.type, values: col });
  }
  return { rows, columns };
}

function parseHeader(bytes: Uint8Array, file: string, where: (w: string) => string): NpyHeader {
  if (bytes.length < MAGIC_LEN + 4) throw new ColumnReadError(file, where('truncated .npy header'));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[MAGIC_LEN];
  let len: number;
  let start: number;
  if (major === 1) {
    len = view.getUint16(MAGIC_LEN + 2, true);
    start = MAGIC_LEN + 4;
  } else if (major === 2 || major === 3) {
    if (bytes.length < MAGIC_LEN + 6) throw new ColumnReadError(file, where('truncated .npy header'));
    len = view.getUint32(MAGIC_LEN + 2, true);
    start = MAGIC_LEN + 6;
  } else {
    throw new ColumnReadError(file, where(`.npy format version ${major} is not one of 1, 2, 3`));
  }
  if (start + len > bytes.length) throw new ColumnReadError(file, where('truncated .npy header'));
  const text = new TextDecoder().decode(bytes.subarray(start, start + len));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    const structured = /'descr'\s*:\s*\[/.test(text);
    throw new ColumnReadError(
      file,
      where(
        structured
          ? 'structured (record) arrays are not supported: save one array per column, e.g. np.savez(file, x1=…, x2=…)'
          : `unreadable .npy header: ${text.trim().slice(0, 80)}`,
      ),
    );
  }
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0))
    throw new ColumnReadError(file, where(`unreadable shape (${shapeText})`));
  return { descr, fortran: fortran === 'True', shape, dataOffset: start + len };
}

const SIZES: Readonly<Record<string, number>> = {
  b1: 1,
  i1: 1,
  u1: 1,
  i2: 2,
  u2: 2,
  i4: 4,
  u4: 4,
  i8: 8,
  u8: 8,
  f4: 4,
  f8: 8, // prettier-ignore
};

function dtypeSize(descr: string, file: string, where: (w: string) => string): number {
  const size = SIZES[descr.slice(1)];
  if (size === undefined || !'<>|='.includes(descr[0]))
    throw new ColumnReadError(file, where(`dtype '${descr}' is not numeric (expected float32/64, integers or bool)`));
  return size;
}

/** Raw bytes (owned, aligned) of `count` items to a column; big-endian data is swapped first. */
function decode(descr: string, data: Uint8Array, count: number): StoredColumn {
  const kind = descr.slice(1);
  const size = SIZES[kind];
  if (descr[0] === '>' && size > 1) {
    for (let i = 0; i < data.length; i += size) data.subarray(i, i + size).reverse();
  }
  const buf = data.buffer;
  switch (kind) {
    case 'f4':
      return { type: 'float32', values: new Float32Array(buf, 0, count) };
    case 'f8':
      return { type: 'float64', values: new Float64Array(buf, 0, count) };
    case 'b1':
    case 'u1':
      return fromIntegers(new Uint8Array(buf, 0, count));
    case 'i1':
      return fromIntegers(new Int8Array(buf, 0, count));
    case 'i2':
      return fromIntegers(new Int16Array(buf, 0, count));
    case 'u2':
      return fromIntegers(new Uint16Array(buf, 0, count));
    case 'i4':
      return fromIntegers(new Int32Array(buf, 0, count));
    case 'u4':
      return fromIntegers(new Uint32Array(buf, 0, count));
    case 'i8':
      return fromIntegers(new BigInt64Array(buf, 0, count));
    default:
      return fromIntegers(new BigUint64Array(buf, 0, count));
  }
}
