/**
 * CSV with a header row: comma-separated numbers, one event per line.
 *
 * Hand-written rather than a CSV library: the files are numeric tables, and what matters is
 * strictness that a general parser does not give: every line has the header's field count, every
 * field is a decimal number (or nan/inf, which select.ts then reports by position), and numbers
 * keep the digits as written. Lines end in LF, CRLF or a lone CR (old Mac files); blank lines
 * before the header and at the end are skipped. Fields may be quoted as RFC 4180 says ("a,b",
 * "say ""x"""), but a quoted field cannot span lines.
 *
 * Each field becomes the nearest float64 (`decimal`), which select.ts rounds to float32 where
 * asked. That second rounding can differ from rounding the digits once only where the float64
 * is exactly halfway between two float32 values; for those rare fields the float32 is decided
 * from the digits here (round-float32.ts) and kept beside the column.
 */
import { float32AtMidpoint, isFloat32Midpoint } from './round-float32.js';
import {
  ColumnReadError,
  checkUniqueNames,
  checkWanted,
  wantedNames,
  type ColumnTable,
  type ReaderOptions,
  type StoredColumn,
} from './table.js';

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

/** Splits one line into its fields; `line` is its 1-based number in the file, for errors. */
type FieldSplitter = (text: string, line: number) => string[];

export function readCsv(bytes: Uint8Array, file: string, opts: ReaderOptions = {}): ColumnTable {
  const text = decodeText(bytes, file);
  const lines = splitLines(text);
  const head = lines.findIndex((l) => l.trim() !== '');
  if (head < 0) throw new ColumnReadError(file, 'CSV file has no header row');
  // Only a file with a quote in it pays for the quote-aware splitter.
  const split: FieldSplitter = text.includes('"') ? (t, n) => splitQuoted(file, t, n) : (t) => t.split(',');
  const names = parseHeader(file, split(lines[head], head + 1), head + 1);
  refuseOtherDelimiter(file, names);
  checkWanted(file, names, opts.want);
  const decode = wantedNames(names, opts.want).map((n) => ({ name: n, index: names.indexOf(n) }));
  const rows = lines.length - head - 1;
  const columns = decode.map(() => new Float64Array(rows));
  const float32 = decode.map(() => new Map<number, number>());

  for (let r = 0; r < rows; r++) {
    const line = head + r + 2;
    const fields = split(lines[line - 1], line);
    if (fields.length !== names.length) {
      const end = r === rows - 1 ? ' (is the file truncated?)' : '';
      throw new ColumnReadError(file, `line ${line} has ${fields.length} fields, the header has ${names.length}${end}`);
    }
    for (let c = 0; c < decode.length; c++) {
      const field = fields[decode[c].index].trim();
      const value = parseNumber(file, field, line, decode[c].name);
      columns[c][r] = value;
      if (isFloat32Midpoint(value)) float32[c].set(r, float32AtMidpoint(field, value));
    }
  }
  return {
    format: 'csv',
    rows,
    names,
    columns: new Map(decode.map((d, c) => [d.name, decimalColumn(columns[c], float32[c])])),
  };
}

function decodeText(bytes: Uint8Array, file: string): string {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ColumnReadError(file, 'CSV file is not valid UTF-8 text');
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text; // byte-order mark
}

/**
 * Lines without their terminators (LF, CRLF or a lone CR); a final terminator and trailing blank
 * lines end the file. A lone CR inside a line of numbers means nothing else, so it ends the line.
 */
function splitLines(text: string): string[] {
  const lines = text.includes('\r') ? text.split(/\r\n?|\n/) : text.split('\n');
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  return lines;
}

/** RFC 4180 fields: a field that starts with a quote (after spaces) runs to its closing quote, "" is a quote. */
function splitQuoted(file: string, text: string, line: number): string[] {
  const fields: string[] = [];
  let at = 0;
  for (;;) {
    let start = at;
    while (text[start] === ' ' || text[start] === '\t') start++;
    let end: number;
    if (text[start] === '"') {
      let value = '';
      let from = start + 1;
      for (;;) {
        const quote = text.indexOf('"', from);
        if (quote < 0)
          throw new ColumnReadError(
            file,
            `line ${line}, field ${fields.length + 1}: the quote is not closed (a quoted field cannot span lines)`,
          );
        value += text.slice(from, quote);
        if (text[quote + 1] !== '"') {
          end = quote + 1;
          break;
        }
        value += '"';
        from = quote + 2;
      }
      while (text[end] === ' ' || text[end] === '\t') end++;
      if (end < text.length && text[end] !== ',')
        throw new ColumnReadError(
          file,
          `line ${line}, field ${fields.length + 1}: text after the closing quote (expected a comma)`,
        );
      fields.push(value);
    } else {
      const comma = text.indexOf(',', at);
      end = comma < 0 ? text.length : comma;
      const value = text.slice(at, end);
      if (value.includes('"'))
        throw new ColumnReadError(
          file,
          `line ${line}, field ${fields.length + 1}: a quote inside an unquoted field (quote the whole field)`,
        );
      fields.push(value);
    }
    if (end >= text.length) return fields;
    at = end + 1;
  }
}

/**
 * A header that is one field holding ';' or tabs is a file written with another delimiter (a
 * European-locale spreadsheet, a TSV): said as such, rather than "no column 'x1'; the file has
 * 'x1;x2;…'", which reads like a naming problem.
 */
function refuseOtherDelimiter(file: string, names: readonly string[]): void {
  if (names.length !== 1) return;
  const found = [';', '\t'].filter((d) => names[0].includes(d));
  if (found.length === 0) return;
  const said = found.map((d) => (d === '\t' ? 'tabs' : `'${d}'`)).join(' or ');
  const shown = names[0].length > 40 ? names[0].slice(0, 40) + '…' : names[0];
  throw new ColumnReadError(
    file,
    `the header '${shown.replace(/\t/g, '\\t')}' is one field: the file seems to be delimited by ${said}, ` +
      "but only ',' is read; write it comma-separated",
  );
}

function parseHeader(file: string, fields: string[], line: number): string[] {
  const names = fields.map((f) => f.trim());
  const where = line === 1 ? '' : ` (line ${line}, after blank lines)`;
  names.forEach((n, i) => {
    if (n === '')
      throw new ColumnReadError(
        file,
        `header field ${i + 1}${where} has no name ` +
          '(an index column? write the file without it, e.g. pandas index=False)',
      );
    if (DECIMAL.test(n))
      throw new ColumnReadError(
        file,
        `the first line${where} should be a header of column names, but field ${i + 1} is '${n}'`,
      );
  });
  checkUniqueNames(file, names, 'the header');
  return names;
}

function parseNumber(file: string, field: string, line: number, column: string): number {
  if (DECIMAL.test(field)) {
    const value = Number(field);
    if (value === Infinity || value === -Infinity)
      throw new ColumnReadError(
        file,
        `line ${line}, column '${column}': '${shorten(field)}' is beyond the float64 range ±1.8e308`,
      );
    return value;
  }
  const special = NON_FINITE[field.toLowerCase()];
  if (special !== undefined) return special;
  const shown = field === '' ? 'empty' : `'${shorten(field)}'`;
  throw new ColumnReadError(file, `line ${line}, column '${column}': ${shown} is not a number`);
}

function shorten(field: string): string {
  return field.length > 24 ? field.slice(0, 24) + '…' : field;
}

/** A parsed column, with the float32 of the rows where rounding the float64 again would not give it. */
function decimalColumn(values: Float64Array, atMidpoints: Map<number, number>): StoredColumn {
  for (const [row, f] of atMidpoints) if (Object.is(f, Math.fround(values[row]))) atMidpoints.delete(row);
  return atMidpoints.size > 0 ? { type: 'decimal', values, float32: atMidpoints } : { type: 'decimal', values };
}
