/** Column files (Parquet, NumPy, CSV, ROOT) → named typed columns: see read.ts. */
export { readColumns, readColumnsFromBytes, describeColumns } from './read.js';
export type { ColumnData, ReadColumnsOptions } from './read.js';
export type { ColumnRequest, ColumnType, SelectedColumns } from './select.js';
export { ColumnReadError, type ColumnFormat } from './table.js';
export { JSROOT_HINT } from './root.js';
