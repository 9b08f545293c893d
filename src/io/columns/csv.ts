/**
 * CSV with a header row: comma-separated numbers, one event per line.
 *
 * Hand-written rather than a CSV library: the files are numeric tables (no quoted fields with
 * commas or line breaks inside), and what matters is strictness that a general parser does not
 * give: every line has the header's field count, every field is a decimal number (or nan/inf,
 * which select.ts then reports by position), and numbers keep the digits as written. Each field
 * becomes the nearest float64 (`decimal`); select.ts rounds that to float32 where asked, which is
 * exact for the 9 significant digits a float32 needs to round-trip.
 */
import { ColumnReadError, checkWanted, wantedNames, type ColumnTable, type ReaderOptions } from './table.js';

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const NON_FINITE: Readonly<Record<string, number>> = {
  nan: NaN,
  '+nan': NaN,
  '-nan': NaN,
  inf: Infinity,
  '+inf': Infinity,
  '-inf': -Infinity,
  infinity: Infinity,
  '+infinity': Infinity,
  '-infinity': -Infinity,
};

export function readCsv(bytes: Uint8Array, file: string, opts: ReaderOptions = {}): ColumnTable {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ColumnReadError(file, 'CSV file is not valid UTF-8 text');
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // byte-order mark
  const lines = splitLines(text);
  if (lines.length === 0) throw new ColumnReadError(file, 'CSV file has no header row');
  const names = parseHeader(file, lines[0]);
  checkWanted(file, names, opts.want);
  const decode = wantedNames(names, opts.want).map((n) => ({ name: n, index: names.indexOf(n) }));
  const rows = lines.length - 1;
  const columns = decode.map(() => new Float64Array(rows));

  for (let r = 0; r < rows; r++) {
    const line = lines[r + 1];
    const fields = line.split(',');
    if (fields.length !== names.length) {
      const end = r === rows - 1 ? ' (is the file truncated?)' : '';
      throw new ColumnReadError(
        file,
        `line ${r + 2} has ${fields.length} fields, the header has ${names.length}${end}`,
      );
    }
    for (let c = 0; c < decode.length; c++) {
      columns[c][r] = parseNumber(file, fields[decode[c].index], r + 2, decode[c].name);
    }
  }
  return {
    format: 'csv',
    rows,
    names,
    columns: new Map(decode.map((d, c) => [d.name, { type: 'decimal' as const, values: columns[c] }])),
  };
}

/** Lines without their terminators (LF or CRLF); a final terminator and trailing blank lines end the file. */
function splitLines(text: string): string[] {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) if (lines[i].endsWith('\r')) lines[i] = lines[i].slice(0, -1);
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  return lines;
}

function parseHeader(file: string, line: string): string[] {
  const names = line.split(',').map((f) => f.trim().replace(/^"(.*)"$/, '$1'));
  names.forEach((n, i) => {
    if (n === '')
      throw new ColumnReadError(
        file,
        `header field ${i + 1} has no name (an index column? write the file without it, e.g. pandas index=False)`,
      );
    if (DECIMAL.test(n))
      throw new ColumnReadError(
        file,
        `the first line should be a header of column names, but field ${i + 1} is '${n}'`,
      );
  });
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw new ColumnReadError(file, `header names column '${dup}' twice`);
  return names;
}

function parseNumber(file: string, field: string, line: number, column: string): number {
  const s = field.trim();
  if (DECIMAL.test(s)) return Number(s);
  const special = NON_FINITE[s.toLowerCase()];
  if (special !== undefined) return special;
  const shown = s === '' ? 'empty' : `'${s.length > 24 ? s.slice(0, 24) + '…' : s}'`;
  throw new ColumnReadError(file, `line ${line}, column '${column}': ${shown} is not a number`);
}
