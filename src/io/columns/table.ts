/**
 * The one shape every column reader produces: named numeric columns of equal length.
 *
 * Readers keep each column in the type it was stored as (float32, float64, int32, or `decimal`:
 * text parsed to the nearest float64, from CSV), so a caller's conversion to the type it needs
 * happens once, in select.ts, where it is checked (integers stay exact, text becomes float32 with
 * one rounding from the digits as written).
 */

export type ColumnFormat = 'csv' | 'npy' | 'npz' | 'parquet' | 'root';

export type StoredType = 'float32' | 'float64' | 'int32' | 'decimal';

export type StoredValues = Float32Array | Float64Array | Int32Array;

export interface StoredColumn {
  type: StoredType;
  values: StoredValues;
  /**
   * `decimal` only: row → its float32, for the rare rows where Math.fround of the float64 is not
   * the float32 nearest to the digits (see round-float32.ts).
   */
  float32?: ReadonlyMap<number, number>;
}

/** What a reader returns: every requested column, decoded, plus the names of all columns present. */
export interface ColumnTable {
  format: ColumnFormat;
  rows: number;
  /** Every column the file holds, in file order (also those not decoded). */
  names: string[];
  columns: Map<string, StoredColumn>;
}

/** One line naming the file and what is wrong with it; thrown before any result is returned. */
export class ColumnReadError extends Error {
  constructor(
    readonly file: string,
    what: string,
  ) {
    super(`${file}: ${what}`);
    this.name = 'ColumnReadError';
  }
}

/**
 * "1 missing (null) value, at row 7" or "3 missing (null) values, first at rows 7, 8, 50": the count
 * and the first offending rows (0-based) of a column check, for a ColumnReadError.
 */
export function badRowsPhrase(count: number, what: string, rows: readonly number[]): string {
  return count === 1
    ? `1 ${what} value, at row ${rows[0]}`
    : `${count} ${what} values, first at rows ${rows.join(', ')}`;
}

/** Options every reader takes: which columns to decode, and for ROOT which tree. */
export interface ReaderOptions {
  /** Columns to decode; all when absent. */
  want?: readonly string[];
  /** ROOT only: the TTree's name (default: the file's only TTree). */
  tree?: string;
}

/** Throws naming the columns that exist when a wanted one does not. */
export function checkWanted(file: string, names: readonly string[], want: readonly string[] | undefined): void {
  const missing = (want ?? []).filter((n) => !names.includes(n));
  if (missing.length === 0) return;
  const plural = missing.length > 1 ? 's' : '';
  throw new ColumnReadError(
    file,
    `no column${plural} ${missing.map((n) => `'${n}'`).join(', ')}` +
      `; the file has ${names.map((n) => `'${n}'`).join(', ')}`,
  );
}

/** Throws when two columns share a name: a reader could only return one of them, silently. */
export function checkUniqueNames(file: string, names: readonly string[], where: string): void {
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw new ColumnReadError(file, `${where} names column '${dup}' twice; rename one`);
}

/** Columns a reader should decode: the wanted ones, or all. */
export function wantedNames(names: readonly string[], want: readonly string[] | undefined): string[] {
  return want ? [...new Set(want)] : [...names];
}
