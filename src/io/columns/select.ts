/**
 * From stored columns to the types a caller asked for, checked: float32 features and scores,
 * float64 weights, int32 class labels. Every value of a float column must be finite, every
 * value of an int32 column an integer in range; otherwise one line says how many and where.
 */
import { badRowsPhrase, ColumnReadError, type ColumnTable, type StoredColumn } from './table.js';

export type ColumnType = 'float32' | 'float64' | 'int32';

/** Column name → the type wanted. */
export type ColumnRequest = Readonly<Record<string, ColumnType>>;

export type ArrayOf<T extends ColumnType> = T extends 'float32'
  ? Float32Array
  : T extends 'float64'
    ? Float64Array
    : Int32Array;

export type SelectedColumns<R extends ColumnRequest> = { [K in keyof R]: ArrayOf<R[K]> };

/** How many positions the messages list. */
const SHOWN = 5;

export function selectColumns<R extends ColumnRequest>(
  file: string,
  table: ColumnTable,
  request: R,
): SelectedColumns<R> {
  const out: Record<string, Float32Array | Float64Array | Int32Array> = {};
  for (const [name, type] of Object.entries(request)) {
    const stored = table.columns.get(name);
    if (!stored) throw new ColumnReadError(file, `column '${name}' was not decoded`);
    if (stored.values.length !== table.rows)
      throw new ColumnReadError(
        file,
        `column '${name}' has ${stored.values.length} values, the file has ${table.rows} rows`,
      );
    out[name] = type === 'int32' ? toInt32(file, name, stored) : toFloat(file, name, stored, type);
  }
  return out as SelectedColumns<R>;
}

function toFloat(
  file: string,
  name: string,
  stored: StoredColumn,
  type: 'float32' | 'float64',
): Float32Array | Float64Array {
  const values = type === 'float32' ? toFloat32(stored) : toFloat64(stored);
  const bad: number[] = [];
  let count = 0;
  let overflow = 0;
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      if (bad.length < SHOWN) bad.push(i);
      count++;
      if (Number.isFinite(stored.values[i])) overflow++;
    }
  }
  if (count > 0) {
    const range = 'finite in the file but beyond the float32 range ±3.4e38';
    const what =
      overflow === 0 ? 'NaN or ±inf' : overflow === count ? range : `NaN or ±inf, ${overflow} of them ${range}`;
    throw new ColumnReadError(
      file,
      `column '${name}' has ${badRowsPhrase(count, 'non-finite', bad)} (0-based; ${what})`,
    );
  }
  return values;
}

/** Rounds once: CSV rows whose float64 sits on a float32 midpoint take the float32 decided from their digits. */
function toFloat32(stored: StoredColumn): Float32Array {
  if (stored.values instanceof Float32Array) return stored.values;
  const values = Float32Array.from(stored.values);
  if (stored.float32) for (const [row, f] of stored.float32) values[row] = f;
  return values;
}

function toFloat64(stored: StoredColumn): Float64Array {
  return stored.values instanceof Float64Array ? stored.values : Float64Array.from(stored.values);
}

function toInt32(file: string, name: string, stored: StoredColumn): Int32Array {
  if (stored.values instanceof Int32Array) return stored.values;
  const out = new Int32Array(stored.values.length);
  for (let i = 0; i < out.length; i++) {
    const v = stored.values[i];
    if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647)
      throw new ColumnReadError(
        file,
        `column '${name}' should hold integers (a class label), but row ${i} (0-based) is ${v}`,
      );
    out[i] = v;
  }
  return out;
}
