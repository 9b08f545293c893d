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
import { JSROOT_HINT, checkBlock, readRoot, type ModuleImporter } from '../src/io/columns/root.js';
import { decompressZstd } from 'hyparquet-compressors';
import { xxhash64 } from 'hyparquet/src/xxhash.js';
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
    /1 non-finite value, at row 1 \(0-based; finite in the file but beyond the float32 range ±3\.4e38\)$/,
  );
  // CSV too (its columns are text parsed to float64, not float64 columns), and NaN beside an overflow.
  await rejects(
    file('big.csv', 'x1,x2\n1e39,2\nnan,3\n'),
    XY,
    /'x1' has 2 non-finite values, first at rows 0, 1 \(0-based; NaN or ±inf, 1 of them finite in the file but beyond/,
  );
  await rejects(
    file('huge.csv', 'x1,x2\n1e309,2\n'),
    XY,
    /line 2, column 'x1': '1e309' is beyond the float64 range ±1\.8e308$/,
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

  // Same length, garbage inside the baskets: the basket check inflates each zlib block before jsroot does.
  const bytes = new Uint8Array(readFileSync(join(FIXTURES, 'nominal.zlib.root')));
  for (let i = 30000; i < 60000; i += 7) bytes[i] ^= 0x5a;
  await rejects(
    file('garbled.root', bytes),
    XY,
    /: corrupt ROOT file: branch 'x1', basket 0: its zlib block does not decompress \(.+\)$/,
  );
});

test('ROOT: one flipped bit in a compressed basket fails its checksum (zlib Adler-32, LZ4 XXH64)', async () => {
  // jsroot 7.11 decodes both without looking at the checksum: these flips read as different numbers, rc 0.
  const zlibBytes = new Uint8Array(readFileSync(join(FIXTURES, 'nominal.zlib.root')));
  zlibBytes[24808] ^= 4; // inside x1's first zlib block: it still inflates, to different bytes
  await rejects(
    file('zflip.root', zlibBytes),
    REQUEST_ALL,
    /: corrupt ROOT file: branch 'x1', basket 0: its zlib block fails its Adler-32 check$/,
  );
  const lz4Bytes = new Uint8Array(readFileSync(join(FIXTURES, 'nominal.lz4.root')));
  lz4Bytes[89165] ^= 4; // inside label's first LZ4 block
  const message = await rejects(
    file('lz4flip.root', lz4Bytes),
    REQUEST_ALL,
    /its LZ4 block fails its XXH64 check \(stored 0x[0-9a-f]{16}, computed 0x[0-9a-f]{16}\)$/,
  );
  assert.match(message, /: corrupt ROOT file: branch 'label', basket 0: /);
  // A branch that is not read is not checked (nor decoded): the flip in 'label' does not stop reading x1, x2.
  const table = await readColumns(file('lz4flip.root', lz4Bytes), XY);
  assert.is(table.rows, 20000);
  // The intact fixtures of all three codecs pass the check.
  for (const codec of ['zlib', 'lz4', 'zstd'])
    assert.is((await readColumns(join(FIXTURES, `nominal.${codec}.root`), REQUEST_ALL)).rows, 20000);
});

test('ROOT: a zstd frame is checked against its content checksum when its header says it has one', async () => {
  // ROOT writes its zstd frames without one (the fixture's): take its first, give it the checksum.
  const bytes = new Uint8Array(readFileSync(join(FIXTURES, 'nominal.zstd.root')));
  let at = 0;
  while (!(bytes[at] === 0x5a && bytes[at + 1] === 0x53 && bytes[at + 2] === 0x01)) at++; // 'ZS' 1
  const size = bytes[at + 3] | (bytes[at + 4] << 8) | (bytes[at + 5] << 16);
  const unpacked = bytes[at + 6] | (bytes[at + 7] << 8) | (bytes[at + 8] << 16);
  const frame = bytes.slice(at + 9, at + 9 + size);
  assert.is(frame[4] & 0x04, 0, 'the fixture has no checksum');
  checkBlock('ZS', frame, unpacked, 'f.root', 'branch x'); // nothing to check: passes
  const content = decompressZstd(frame);
  const withSum = new Uint8Array(size + 4);
  withSum.set(frame);
  withSum[4] |= 0x04;
  new DataView(withSum.buffer).setUint32(size, Number(xxhash64(content) & 0xffffffffn), true);
  checkBlock('ZS', withSum, unpacked, 'f.root', 'branch x');
  withSum[size] ^= 1;
  assert.throws(
    () => checkBlock('ZS', withSum, unpacked, 'f.root', 'branch x'),
    (err: Error) => err.message === 'f.root: corrupt ROOT file: branch x: its zstd frame fails its content checksum',
  );
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

test("CSV: a ';' or tab-delimited file is said to use another delimiter, not to lack the columns", async () => {
  await rejects(
    file('semi.csv', 'x1;x2;y1\n1;2;3\n'),
    XY,
    /: the header 'x1;x2;y1' is one field: the file seems to be delimited by ';', but only ',' is read; /,
  );
  await rejects(
    file('tab.csv', 'x1\tx2\n1\t2\n'),
    { x1: 'float32' },
    /: the header 'x1\\tx2' is one field: the file seems to be delimited by tabs, but only ',' is read; /,
  );
  // Reading every column (no request) is refused the same way, not read as one column of text.
  await rejects(file('semi-all.csv', 'a;b\n1;2\n'), {}, /delimited by ';'/);
  // A comma-separated file whose names hold a ';' is read as it is.
  const table = await readColumns(file('names.csv', 'x1,x2;b\n1,2\n'), { x1: 'float32', 'x2;b': 'float32' });
  assert.is(table.rows, 1);
});

test('npz: a flipped bit inside a stored array fails its CRC-32 (fflate does not check it)', async () => {
  const bytes = new Uint8Array(readFileSync(join(FIXTURES, 'nominal.npz')));
  const name = indexOf(bytes, new TextEncoder().encode('x1.npy'));
  const data = indexOf(bytes, new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]), name); // x1's '\x93NUMPY'
  bytes[data + 528] ^= 0x40; // inside x1's float32 values: the archive still unzips
  await rejects(
    file('crc.npz', bytes),
    XY,
    /: x1\.npy: bad CRC-32 \(stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}\): the archive is corrupt$/,
  );
});

test('Parquet: a footer num_rows that its row groups do not add up to (10^12, −5, 20) is named', async () => {
  const bytes = new Uint8Array(
    parquetWriteBuffer({ columnData: [{ name: 'x1', data: new Float32Array(1000), type: 'FLOAT' }, x2Column(1000)] }),
  );
  for (const rows of [10n ** 12n, -5n, 20n]) {
    const patched = patchFooterVarint(bytes, 1000n, rows, 1);
    await rejects(
      file(`rows${rows}.parquet`, patched),
      XY,
      new RegExp(`: corrupt Parquet footer: num_rows is ${rows} but its 1 row groups hold 1000 rows$`),
    );
  }
  // num_rows, the row group's and the column chunks' counts all say 1001, the pages hold 1000.
  await rejects(
    file('rows1001.parquet', patchFooterVarint(bytes, 1000n, 1001n, Infinity)),
    XY,
    /: corrupt Parquet data: column 'x1' holds 1000 values, the footer says 1001 rows$/,
  );
});

test('Parquet and ROOT: files that are only a magic say what is wrong, not a JavaScript TypeError', async () => {
  const magic = new TextEncoder().encode('PAR1');
  await rejects(
    file('magic-only.parquet', new Uint8Array([...magic, ...new Uint8Array(8), ...magic])),
    XY,
    /: corrupt Parquet footer: its metadata \(0 bytes\) is unreadable$/,
  );
  const zeros = new Uint8Array(204);
  zeros.set(new TextEncoder().encode('root'));
  await rejects(
    file('magic-only.root', zeros),
    XY,
    /: corrupt ROOT file header: version 0, first record at 0 \(a ROOT file's is at 100\)$/,
  );
  await rejects(
    file('short.root', zeros.subarray(0, 50)),
    XY,
    /: truncated ROOT file: 50 bytes, not even its 100-byte header$/,
  );
  // A good header, garbage where the directory of keys starts: jsroot throws a TypeError inside.
  const bytes = new Uint8Array(readFileSync(join(FIXTURES, 'nominal.zlib.root')));
  for (let i = 100; i < 400; i++) bytes[i] ^= 0x33;
  await rejects(file('keys.root', bytes), XY, /: corrupt ROOT file: its directory of keys is unreadable$/);
});

test("ROOT: jsroot's console output does not reach the terminal; its first line ends our one-line error", async () => {
  // A damaged basket that jsroot reports only on the console and by Terminate(false). Real corruption
  // is now caught by the basket check before jsroot decodes, so jsroot's treeProcess is stood in for
  // by one that behaves as 7.11 does on such a basket.
  const path = join(FIXTURES, 'nominal.zlib.root');
  const real: ModuleImporter = (specifier) => import(specifier);
  const failing: ModuleImporter = async (specifier) => {
    const module = await real(specifier);
    if (specifier !== 'jsroot/tree') return module;
    const treeProcess = async (_tree: unknown, selector: { Terminate(ok: boolean): void }): Promise<void> => {
      console.error('Error R__unzip: header size exceeds buffer size');
      console.error('a second line that is dropped');
      selector.Terminate(false);
    };
    return { ...module, treeProcess };
  };
  const original = { log: console.log, warn: console.warn, error: console.error };
  const printed: unknown[][] = [];
  console.log = console.warn = console.error = (...args: unknown[]): void => void printed.push(args);
  let message = '';
  try {
    await readRoot(new Uint8Array(readFileSync(path)), path, {}, failing).then(
      () => assert.unreachable('must throw'),
      (err: Error) => void (message = err.message),
    );
  } finally {
    Object.assign(console, original);
  }
  assert.equal(printed, []);
  assert.not.ok(message.includes('\n'), message);
  assert.match(message, /the file is truncated or corrupt/);
  assert.match(message, /\(jsroot: Error R__unzip: header size exceeds buffer size\)$/);
});

test("ROOT: on a good read jsroot's console lines are printed after all, and the console is given back", async () => {
  const path = join(FIXTURES, 'nominal.zlib.root');
  const tree = { _typename: 'TTree', fName: 'events', fEntries: 0, fBranches: { arr: [] } };
  const fake = async (): Promise<Record<string, unknown>> => ({
    openFile: async () => {
      console.warn('jsroot says hello');
      return { fKeys: [{ fName: 'events', fClassName: 'TTree', fCycle: 1 }], readObject: async () => tree };
    },
    TSelector: class {},
    treeProcess: async () => undefined,
  });
  const original = console.warn;
  const printed: unknown[][] = [];
  const spy = (...args: unknown[]): void => void printed.push(args);
  console.warn = spy;
  try {
    const table = await readRoot(new Uint8Array(readFileSync(path)), path, { want: [] }, fake);
    assert.is(table.rows, 0);
    assert.is(console.warn, spy);
  } finally {
    console.warn = original;
  }
  assert.equal(printed, [['jsroot says hello']]);
});

test('duplicate column names are refused in every format that can hold them: Parquet, CSV', async () => {
  const x = new Float32Array(3);
  const dup = parquetWriteBuffer({
    columnData: [{ name: 'x1', data: x, type: 'FLOAT' }, x2Column(3), { name: 'x2', data: x, type: 'FLOAT' }],
  });
  await rejects(
    file('dup.parquet', new Uint8Array(dup)),
    XY,
    /: the Parquet schema names column 'x2' twice; rename one$/,
  );
  await rejects(file('dup.csv', 'x1,x2,x1\n1,2,3\n'), XY, /: the header names column 'x1' twice; rename one$/);
});

test('CSV quotes: an unclosed quote and a quote inside an unquoted field are named by line and field', async () => {
  await rejects(
    file('open-quote.csv', 'x1,x2\n1,"2\n'),
    XY,
    /: line 2, field 2: the quote is not closed \(a quoted field cannot span lines\)$/,
  );
  await rejects(
    file('inner-quote.csv', 'x1,x2\n1,2"3"\n'),
    XY,
    /: line 2, field 2: a quote inside an unquoted field \(quote the whole field\)$/,
  );
  await rejects(file('after-quote.csv', 'x1,x2\n1,"2"3\n'), XY, /: line 2, field 2: text after the closing quote/);
});

test('CSV: a file of blank lines has no header; an index column after blank lines names its line', async () => {
  await rejects(file('blank.csv', '\n \r\n\n'), XY, /: CSV file has no header row$/);
  await rejects(
    file('blank-index.csv', '\n\n,x1,x2\n0,1,2\n'),
    XY,
    /: header field 1 \(line 3, after blank lines\) has no name/,
  );
});

const REQUEST_ALL = { ...XY, y1: 'float32', y2: 'float32', label: 'int32', weight: 'float64' } as const;

function x2Column(n: number): { name: string; data: Float32Array; type: 'FLOAT' } {
  return { name: 'x2', data: new Float32Array(n).fill(1), type: 'FLOAT' };
}

/** Where `needle` first occurs in `hay` at or after `from` (−1 when not). */
function indexOf(hay: Uint8Array, needle: Uint8Array, from = 0): number {
  outer: for (let i = from; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Thrift compact's zigzag varint of an i64. */
function zigzag(n: bigint): number[] {
  let v = n >= 0n ? n << 1n : (-n << 1n) - 1n;
  const out: number[] = [];
  do {
    out.push(Number(v & 0x7fn) | (v > 0x7fn ? 0x80 : 0));
    v >>= 7n;
  } while (v > 0n);
  return out;
}

/**
 * A Parquet file whose footer has its first `count` i64 fields (thrift header 0x16: the field after
 * its predecessor) equal to `from` set to `to`: the file's num_rows comes first, then each row
 * group's num_rows and its column chunks' num_values. The footer is re-sized around the change.
 */
function patchFooterVarint(bytes: Uint8Array, from: bigint, to: bigint, count: number): Uint8Array {
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(bytes.length - 8, true);
  const start = bytes.length - 8 - length;
  const footer = [...bytes.subarray(start, bytes.length - 8)];
  const old = [0x16, ...zigzag(from)];
  const out: number[] = [];
  let done = 0;
  for (let i = 0; i < footer.length; i++) {
    if (done < count && old.every((b, j) => footer[i + j] === b)) {
      out.push(0x16, ...zigzag(to));
      i += old.length - 1;
      done++;
    } else out.push(footer[i]);
  }
  assert.ok(done > 0, 'the footer holds the row count');
  const result = new Uint8Array(start + out.length + 8);
  result.set(bytes.subarray(0, start));
  result.set(out, start);
  new DataView(result.buffer).setUint32(start + out.length, out.length, true);
  result.set(bytes.subarray(bytes.length - 4), start + out.length + 4);
  return result;
}

test.run();
