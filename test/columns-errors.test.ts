/**
 * Bad column files: each gets one clear line (a ColumnReadError naming the file) and no partial
 * result. Files are made here with the writers, or by cutting and patching the shared fixtures.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { ColumnReadError, readColumns, type ColumnRequest } from '../src/io/columns/index.js';
import { encodeColumns, encodeNpy } from '../src/io/columns/write.js';
import { JSROOT_HINT, readRoot } from '../src/io/columns/root.js';
import { SHARED } from './helpers/shared.js';

const dir = mkdtempSync(join(tmpdir(), 'fnflow-columns-'));
const FIXTURES = join(SHARED, 'fixtures');
const XY = { x1: 'float32', x2: 'float32' } as const satisfies ColumnRequest;

function file(name: string, bytes: Uint8Array | string): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

/** Reading must reject with a single-line ColumnReadError that names the file and matches `pattern`. */
async function rejects(path: string, request: ColumnRequest, pattern: RegExp, tree?: string): Promise<string> {
  let result: unknown;
  try {
    result = await readColumns(path, request, { tree });
  } catch (err) {
    assert.instance(err, ColumnReadError);
    const message = (err as Error).message;
    assert.ok(message.startsWith(`${path}: `), message);
    assert.not.ok(message.includes('\n'), `one line: ${message}`);
    assert.match(message, pattern);
    return message;
  }
  assert.unreachable(`expected an error, got ${JSON.stringify(result).slice(0, 80)}`);
  return '';
}

test('missing column: names the ones that exist (CSV, Parquet, npz, ROOT)', async () => {
  const csv = file('two.csv', 'x1,x2\n1,2\n');
  await rejects(csv, { x1: 'float32', y9: 'float32' }, /no column 'y9'; the file has 'x1', 'x2'$/);
  const all = /no columns 'z1', 'z2'; the file has 'x1', 'x2', 'y1', 'y2', 'label', 'weight'$/;
  await rejects(join(FIXTURES, 'nominal.snappy.parquet'), { z1: 'float32', z2: 'float32' }, all);
  await rejects(join(FIXTURES, 'nominal.npz'), { z1: 'float32', z2: 'float32' }, /no columns 'z1', 'z2'; the file has/);
  await rejects(join(FIXTURES, 'nominal.zlib.root'), { z1: 'float32', z2: 'float32' }, all);
});

test('ROOT: a tree that is not there names the trees that are', async () => {
  await rejects(
    join(FIXTURES, 'nominal.zlib.root'),
    XY,
    /no TTree 'tree' in the ROOT file; its TTrees: 'events'/,
    'tree',
  );
});

test('wrong type: text in a number column, fractions in a class column, strings in Parquet and npy', async () => {
  await rejects(file('text.csv', 'x1,x2\n1,2\n3,abc\n'), XY, /line 3, column 'x2': 'abc' is not a number/);
  await rejects(file('empty-field.csv', 'x1,x2\n1,\n'), XY, /line 2, column 'x2': empty is not a number/);
  await rejects(
    file('frac.csv', 'label\n0\n1\n0.5\n'),
    { label: 'int32' },
    /column 'label' should hold integers.*row 2 .* 0\.5/,
  );
  const strings = parquetWriteBuffer({
    columnData: [
      { name: 'x1', data: new Float32Array([1, 2]), type: 'FLOAT' },
      { name: 'x2', data: ['a', 'b'], type: 'STRING' },
    ],
  });
  await rejects(
    file('strings.parquet', new Uint8Array(strings)),
    XY,
    /column 'x2' is BYTE_ARRAY.* not a column of numbers/,
  );
  const unicode = encodeNpy(new Float32Array([1, 2]));
  const patched = new TextDecoder().decode(unicode.subarray(10, 60)).replace("'<f4'", "'<U1'");
  unicode.set(new TextEncoder().encode(patched), 10);
  const npz = zipSync({ 'x1.npy': encodeNpy(new Float32Array([1, 2])), 'x2.npy': unicode });
  await rejects(file('unicode.npz', npz), XY, /array 'x2': dtype '<U1' is not numeric/);
});

test('wrong length: npz arrays of different lengths, a CSV line with a field missing', async () => {
  const npz = zipSync({
    'x1.npy': encodeNpy(new Float32Array([1, 2, 3])),
    'x2.npy': encodeNpy(new Float32Array([1, 2])),
  });
  await rejects(file('ragged.npz', npz), XY, /array 'x2' has 2 rows, array 'x1' has 3: columns must have one length/);
  await rejects(file('short-line.csv', 'x1,x2\n1,2\n3\n4,5\n'), XY, /line 3 has 1 fields, the header has 2$/);
});

test('NaN and infinities: how many and the first rows, in any format', async () => {
  await rejects(
    file('nan.csv', 'x1,x2\n1,2\nnan,3\n4,inf\n5,-inf\n'),
    { x2: 'float32', x1: 'float32' },
    /column 'x2' has 2 non-finite values, first at rows 2, 3 \(0-based; NaN or ±inf\)/,
  );
  const x1 = new Float32Array(100).fill(1);
  for (const i of [7, 8, 50]) x1[i] = NaN;
  const bytes = encodeColumns('nan.parquet', 'parquet', [
    { name: 'x1', values: x1 },
    { name: 'x2', values: new Float32Array(100) },
  ]);
  await rejects(
    file('nan.parquet', bytes),
    XY,
    /column 'x1' has 3 non-finite values, first at rows 7, 8, 50 \(0-based/,
  );
  await rejects(
    file('one-nan.csv', 'x1,x2\n1,2\n3,nan\n'),
    XY,
    /column 'x2' has 1 non-finite value, at row 1 \(0-based/,
  );
  const big = new Float64Array([1, 1e300]);
  await rejects(
    file('big.npz', zipSync({ 'x1.npy': encodeNpy(big), 'x2.npy': encodeNpy(big) })),
    XY,
    /1 non-finite value, at row 1 \(0-based; NaN or ±inf, some perhaps beyond the float32 range\)/,
  );
});

test('truncated files: Parquet, npz, npy, ROOT, and a ROOT basket that does not decompress', async () => {
  const cut = (name: string, keep: number): string => {
    const bytes = readFileSync(join(FIXTURES, name));
    return file(`cut-${name}`, bytes.subarray(0, Math.floor(bytes.length * keep)));
  };
  await rejects(
    cut('nominal.snappy.parquet', 0.6),
    XY,
    /truncated Parquet file: it does not end with the footer magic 'PAR1'/,
  );
  await rejects(cut('nominal.deflate.npz', 0.6), XY, /truncated or corrupt \.npz \(ZIP\) archive/);
  const npy = encodeNpy(new Float32Array(1000));
  await rejects(
    file('x1.npy', npy.subarray(0, 2000)),
    { x1: 'float32' },
    /truncated: shape \(1000\) of '<f4' needs 4000 bytes/,
  );
  await rejects(cut('nominal.zlib.root', 0.6), XY, /truncated ROOT file: its header says it ends at byte 480379/);

  // Same length, garbage inside the baskets: jsroot's treeProcess swallows the error, Terminate(false) tells.
  const bytes = new Uint8Array(readFileSync(join(FIXTURES, 'nominal.zlib.root')));
  for (let i = 30000; i < 60000; i += 7) bytes[i] ^= 0x5a;
  await rejects(file('garbled.root', bytes), XY, /jsroot could not read or decompress the baskets of the tree/);
});

test('ROOT: LZMA baskets are refused up front, with what to do instead', async () => {
  const bytes = new Uint8Array(readFileSync(join(FIXTURES, 'nominal.zlib.root')));
  // Re-tag every zlib-compressed block ('ZL') as LZMA ('XZ'): the reader must refuse before jsroot decodes.
  for (let i = 0; i + 2 < bytes.length; i++)
    if (bytes[i] === 0x5a && bytes[i + 1] === 0x4c && bytes[i + 2] === 0x08) {
      bytes[i] = 0x58;
      bytes[i + 1] = 0x5a;
    }
  await rejects(
    file('lzma.root', bytes),
    XY,
    /branch 'x1' is compressed with LZMA.*rewrite the file with zlib, zstd or lz4/,
  );
});

test('ROOT without jsroot installed: one line saying how to add it', async () => {
  const path = join(FIXTURES, 'nominal.zlib.root');
  const absent = async (specifier: string): Promise<never> => {
    throw Object.assign(new Error(`Cannot find package '${specifier}'`), { code: 'ERR_MODULE_NOT_FOUND' });
  };
  const bytes = new Uint8Array(readFileSync(path));
  await readRoot(bytes, path, {}, absent).then(
    () => assert.unreachable('must throw'),
    (err: Error) => {
      assert.instance(err, ColumnReadError);
      assert.is(err.message, `${path}: ${JSROOT_HINT}`);
      assert.match(err.message, /npm install --ignore-scripts jsroot$/);
    },
  );
});

test('unknown format: binary that is none of the formats, an empty file, a missing file', async () => {
  await rejects(
    file('junk.bin', new Uint8Array([0, 1, 2, 3, 255, 254, 9, 9, 9])),
    XY,
    /unknown format \(it starts with bytes 00 01 02 03/,
  );
  await rejects(file('empty.csv', new Uint8Array(0)), XY, /unknown format \(the file is empty\)/);
  await rejects(join(dir, 'nope.parquet'), XY, /: no such file$/);
});

test('CSV header: an unnamed index column and a headerless file are explained', async () => {
  await rejects(file('index.csv', ',x1,x2\n0,1,2\n'), XY, /header field 1 has no name \(an index column\?/);
  await rejects(
    file('noheader.csv', '1,2\n3,4\n'),
    XY,
    /the first line should be a header of column names, but field 1 is '1'/,
  );
});

test.run();
