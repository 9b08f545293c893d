/** The column writers (Parquet, npz stored and deflated, CSV) read back bit for bit, edge values included. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readColumns } from '../src/io/columns/index.js';
import { writeColumns, WRITABLE_FORMATS } from '../src/io/columns/write.js';

const dir = mkdtempSync(join(tmpdir(), 'fnflow-colwrite-'));

const f32 = new Float32Array([0, -0, 1, -1.5, 1e-45, 3.4028234663852886e38, -1.17549435e-38, 0.1, Math.PI, 123456.789]);
const f64 = new Float64Array([0, -0, 1, -1.5, 5e-324, 1.7976931348623157e308, 0.1, Math.PI, -1e-300, 2 / 3]);
const i32 = new Int32Array([0, 1, -1, 2147483647, -2147483648, 7, 0, 1, 1, 0]);

function bytes(a: Float32Array | Float64Array | Int32Array): number[] {
  return [...new Uint8Array(a.buffer, a.byteOffset, a.byteLength)];
}

for (const format of WRITABLE_FORMATS) {
  for (const compress of format === 'npz' ? [false, true] : [false]) {
    test(`${format}${compress ? ' (deflated)' : ''}: float32, float64, int32 columns read back exactly`, async () => {
      const path = join(dir, `t-${compress}.${format}`);
      writeColumns(
        path,
        format,
        [
          { name: 'a', values: f32 },
          { name: 'w', values: f64 },
          { name: 'label', values: i32 },
        ],
        { compress },
      );
      const back = await readColumns(path, { label: 'int32', a: 'float32', w: 'float64' });
      assert.is(back.format, format);
      assert.is(back.rows, 10);
      assert.equal(back.names, ['a', 'w', 'label']);
      assert.equal(bytes(back.columns.a), bytes(f32));
      assert.equal(bytes(back.columns.w), bytes(f64));
      assert.equal(bytes(back.columns.label), bytes(i32));
    });
  }
}

test('columns of different lengths are refused and nothing is written', () => {
  const path = join(dir, 'ragged.parquet');
  assert.throws(
    () =>
      writeColumns(path, 'parquet', [
        { name: 'a', values: new Float32Array(3) },
        { name: 'b', values: new Float32Array(2) },
      ]),
    /cannot write column 'b' of 2 rows beside 3/,
  );
  assert.not.ok(existsSync(path));
  assert.not.ok(readdirSync(dir).some((f) => f.includes('.tmp-')));
});

test.run();
