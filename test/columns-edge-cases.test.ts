/**
 * Unusual but valid column files read right: unsigned Parquet integers keep their values, a CSV
 * whose first column is named root… is CSV, CSV line ends of every platform, blank lines before
 * the header and RFC 4180 quotes; CSV float32 columns round once from the digits, also where the
 * float64 nearest to the digits lies exactly halfway between two float32 values.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { readColumns, type ColumnRequest } from '../src/io/columns/index.js';

const dir = mkdtempSync(join(tmpdir(), 'fnflow-columns-edge-'));

function file(name: string, bytes: Uint8Array | string): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

test('Parquet: unsigned 32- and 64-bit integers keep their values (an Int32Array would wrap them)', async () => {
  const bytes = parquetWriteBuffer({
    columnData: [
      { name: 'n', data: [0, 2147483647, 2147483648, 4294967295] },
      { name: 'big', data: [0n, 2n ** 63n, 2n ** 64n - 1n, 5n] },
    ],
    schema: [
      { name: 'root', num_children: 2 },
      { name: 'n', type: 'INT32', repetition_type: 'REQUIRED', converted_type: 'UINT_32' },
      { name: 'big', type: 'INT64', repetition_type: 'REQUIRED', converted_type: 'UINT_64' },
    ],
  });
  const path = file('unsigned.parquet', new Uint8Array(bytes));
  const data = await readColumns(path, { n: 'float64', big: 'float64' });
  assert.equal([...data.columns.n], [0, 2147483647, 2147483648, 4294967295]);
  assert.equal([...data.columns.big], [0, 2 ** 63, 2 ** 64, 5]);
  await readColumns(path, { n: 'int32' }).then(
    () => assert.unreachable('2^31 is no int32'),
    (err: Error) => assert.match(err.message, /column 'n' should hold integers.*row 2 \(0-based\) is 2147483648$/),
  );
});

test("CSV: a first column named 'root…' is CSV, not a ROOT file", async () => {
  const data = await readColumns(file('root-id.csv', 'root_id,x1,x2\n7,0.5,1.5\n'), {
    root_id: 'int32',
    x1: 'float32',
  });
  assert.is(data.format, 'csv');
  assert.equal(data.names, ['root_id', 'x1', 'x2']);
  assert.equal([...data.columns.root_id], [7]);
});

test('CSV: LF, CRLF and old-Mac CR line ends, blank lines before the header, quoted names and fields', async () => {
  const request = { x1: 'float32', 'a,b': 'int32', 'say "x"': 'float64' } as const satisfies ColumnRequest;
  const lines = ['x1,"a,b" , "say ""x"""', '0.5,"7",1e-3', ' "1.25" ,8,2'];
  for (const [name, text] of [
    ['lf.csv', lines.join('\n') + '\n'],
    ['crlf.csv', lines.join('\r\n') + '\r\n'],
    ['cr.csv', lines.join('\r') + '\r'],
    ['blank.csv', '\n  \r\n' + lines.join('\n')],
  ]) {
    const data = await readColumns(file(name, text), request);
    assert.equal(data.names, ['x1', 'a,b', 'say "x"'], name);
    assert.equal([...data.columns.x1], [0.5, 1.25], name);
    assert.equal([...data.columns['a,b']], [7, 8], name);
    assert.equal([...data.columns['say "x"']], [1e-3, 2], name);
  }
});

/** A float64 as mantissa · 2^scale2, both exact. */
function binary(d: number): { mantissa: bigint; scale2: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, d);
  const bits = view.getBigUint64(0);
  const exponent = Number((bits >> 52n) & 0x7ffn);
  return { mantissa: (bits & 0xfffffffffffffn) | 0x10000000000000n, scale2: exponent - 1075 };
}

/** `value` (> 0), written out exactly in decimal, then nudged by one unit in the 10th digit after its last one. */
function decimalNear(value: number, nudge: -1 | 0 | 1): string {
  const { mantissa, scale2 } = binary(value);
  const places = Math.max(0, -scale2) + 10; // value = digits / 10^places exactly
  const digits =
    (scale2 >= 0
      ? (mantissa << BigInt(scale2)) * 10n ** BigInt(places)
      : mantissa * 5n ** BigInt(-scale2) * 10n ** 10n) + BigInt(nudge);
  const text = digits.toString().padStart(places + 1, '0');
  return `${text.slice(0, -places)}.${text.slice(-places)}`;
}

/** The float32 above `lower` (≥ 0), their midpoint (exact in float64) and which of the two is even. */
function float32Pair(lower: number): { m: number; lower: number; upper: number; even: number } {
  const bits = new Uint32Array(new Float32Array([lower]).buffer)[0];
  const upper = new Float32Array(new Uint32Array([bits + 1]).buffer)[0];
  return { m: (lower + upper) / 2, lower, upper, even: bits % 2 === 0 ? lower : upper };
}

test('CSV float32 columns round once from the digits, also when their float64 is a float32 midpoint', async () => {
  const F32_MAX = 3.4028234663852886e38;
  // Lower float32 neighbours: around 1 both ties go either way (1 is even, 1 + 2^-23 odd), 0 is
  // under the smallest subnormal, 3e-39 a subnormal, and two ordinary values.
  const lowers = [1, 1 + 2 ** -23, 0, Math.fround(3e-39), Math.fround(12345.678), Math.fround(1e30)];
  const midpoints = lowers.map(float32Pair);
  const texts: string[] = [];
  const want: number[] = [];
  const midpoint: number[] = [];
  for (const { m, lower, upper, even } of midpoints) {
    for (const [nudge, f] of [
      [-1, lower],
      [0, even],
      [1, upper],
    ] as const) {
      for (const sign of [1, -1]) {
        texts.push((sign < 0 ? '-' : '') + decimalNear(m, nudge));
        want.push(sign * f);
        midpoint.push(sign * m);
      }
    }
  }
  // Just under the overflow midpoint 2^128 − 2^103: the largest float32 (rounding twice gives ∞).
  texts.push(decimalNear(2 ** 128 - 2 ** 103, -1));
  want.push(F32_MAX);
  midpoint.push(2 ** 128 - 2 ** 103);
  const path = file('midpoints.csv', 'x1\n' + texts.join('\n') + '\n');

  const exact = await readColumns(path, { x1: 'float64' });
  assert.equal([...exact.columns.x1], midpoint, 'every input parses to its float64 midpoint');
  const once = await readColumns(path, { x1: 'float32' });
  assert.equal([...once.columns.x1], want);
  assert.ok(
    want.some((f, i) => f !== Math.fround(midpoint[i])),
    'the inputs include values that rounding twice gets wrong',
  );
});

test('CSV: digits on the far side of the overflow midpoint are refused as beyond the float32 range', async () => {
  const path = file('over.csv', `x1\n1\n${decimalNear(2 ** 128 - 2 ** 103, 1)}\n`);
  await readColumns(path, { x1: 'float32' }).then(
    () => assert.unreachable('must throw'),
    (err: Error) => assert.match(err.message, /1 non-finite value, at row 1 \(0-based; finite in the file but beyond/),
  );
});

test.run();
