/**
 * Every file in ../shared/fixtures (written by uproot, pyarrow, NumPy and as CSV) reads back
 * exactly: each column's little-endian bytes hash to the manifest's SHA-256. ROOT files need the
 * optional jsroot; without it these tests fail with the install hint, they are not skipped.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readColumns, describeColumns, type ColumnRequest } from '../src/io/columns/index.js';
import { SHARED } from './helpers/shared.js';

const FIXTURES = join(SHARED, 'fixtures');

interface Manifest {
  files: Record<string, { sample: string; format: string }>;
  samples: Record<
    string,
    { rows: number; columns: Record<string, { sum: number; first: number; last: number; sha256: string }> }
  >;
}
const manifest = JSON.parse(readFileSync(join(FIXTURES, 'manifest.json'), 'utf8')) as Manifest;

const REQUEST = {
  x1: 'float32',
  x2: 'float32',
  y1: 'float32',
  y2: 'float32',
  label: 'int32',
  weight: 'float64',
} as const satisfies ColumnRequest;

function sha256(values: Float32Array | Float64Array | Int32Array): string {
  return createHash('sha256')
    .update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength))
    .digest('hex');
}

test('the manifest lists every fixture file, and all six columns', () => {
  assert.ok(Object.keys(manifest.files).length >= 10);
  for (const s of Object.values(manifest.samples))
    assert.equal(Object.keys(s.columns).sort(), Object.keys(REQUEST).sort());
});

for (const [name, info] of Object.entries(manifest.files)) {
  test(`${name} (${info.format}) reads back exactly: every column's SHA-256, sum, first and last`, async () => {
    const expected = manifest.samples[info.sample];
    const data = await readColumns(join(FIXTURES, name), REQUEST);
    assert.is(data.rows, expected.rows);
    assert.equal([...data.names].sort(), Object.keys(REQUEST).sort());
    for (const [col, want] of Object.entries(expected.columns)) {
      const values = data.columns[col as keyof typeof REQUEST];
      assert.is(values.length, expected.rows, col);
      assert.is(sha256(values), want.sha256, `${name}: column ${col}`);
      assert.is(values[0], want.first, `${col} first`);
      assert.is(values[values.length - 1], want.last, `${col} last`);
      let sum = 0;
      for (const v of values) sum += v;
      assert.ok(Math.abs(sum - want.sum) <= 1e-9 * Math.max(1, Math.abs(want.sum)), `${col} sum ${sum} vs ${want.sum}`);
    }
  });
}

test('the format comes from the content: a Parquet and a ROOT file describe themselves', async () => {
  const parquet = await describeColumns(join(FIXTURES, 'nominal.snappy.parquet'));
  assert.equal(parquet, { format: 'parquet', rows: 20000, names: ['x1', 'x2', 'y1', 'y2', 'label', 'weight'] });
  const root = await describeColumns(join(FIXTURES, 'nominal.zstd.root'));
  assert.is(root.format, 'root');
  assert.is(root.rows, 20000);
});

test('a subset of columns, in any order, in other types', async () => {
  const data = await readColumns(join(FIXTURES, 'nominal.npz'), { weight: 'float32', x2: 'float64', label: 'float32' });
  assert.equal(Object.keys(data.columns), ['weight', 'x2', 'label']);
  assert.ok(data.columns.weight instanceof Float32Array);
  assert.ok(data.columns.x2 instanceof Float64Array);
  assert.is(data.columns.label[0], manifest.samples.nominal.columns.label.first);
});

test.run();
