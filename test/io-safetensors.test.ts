import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic, type AtomicFs } from '../src/io/atomic.js';
import { readPt } from '../src/io/pt.js';
import { encodeSafetensors, readSafetensors, writeSafetensors } from '../src/io/safetensors.js';
import { sniffCheckpoint } from '../src/io/sniff.js';
import type { StateDict, StoredTensor } from '../src/io/state-dict.js';

const dir = mkdtempSync(join(tmpdir(), 'fnflow-io-'));
const enc = new TextEncoder();

function sample(): StateDict {
  return new Map<string, StoredTensor>([
    ['w.f32', { dtype: 'f32', shape: [2, 3], data: new Float32Array([1, -2, 3.5, 0, -0, 1e-30]) }],
    ['u.u8', { dtype: 'u8', shape: [3], data: new Uint8Array([0, 7, 255]) }], // odd size: next tensor unaligned
    ['big.i64', { dtype: 'i64', shape: [3], data: new BigInt64Array([2n ** 62n + 1n, -5n, 0n]) }],
    ['empty.i64', { dtype: 'i64', shape: [0, 2], data: new BigInt64Array(0) }],
    ['d.f64', { dtype: 'f64', shape: [1, 1], data: new Float64Array([Math.PI]) }],
    ['i.i32', { dtype: 'i32', shape: [2], data: new Int32Array([-2147483648, 2147483647]) }],
    ['mask', { dtype: 'bool', shape: [2, 2], data: new Uint8Array([1, 0, 0, 1]) }],
    ['h.f16', { dtype: 'f16', shape: [2], data: new Uint16Array([0x3c00, 0x7c00]) }],
    ['b.bf16', { dtype: 'bf16', shape: [1], data: new Uint16Array([0x3fc0]) }],
    ['scalar', { dtype: 'f32', shape: [], data: new Float32Array([42]) }],
    ['empty.f32', { dtype: 'f32', shape: [0], data: new Float32Array(0) }],
    ['10', { dtype: 'f32', shape: [1], data: new Float32Array([10]) }], // integer-like keys keep their place
    ['2', { dtype: 'f32', shape: [1], data: new Float32Array([2]) }],
  ]);
}

function sameBytes(a: StoredTensor, b: StoredTensor): boolean {
  return Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).equals(
    Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength),
  );
}

function throwsWith(fn: () => unknown, ...parts: string[]): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  if (!(err instanceof Error)) assert.unreachable(`expected an error mentioning ${parts.join(', ')}`);
  for (const p of parts) {
    if (!(err as Error).message.includes(p))
      assert.unreachable(`error "${(err as Error).message}" does not mention ${p}`);
  }
}

const leftovers = (d: string) => readdirSync(d).filter((f) => f.includes('.tmp-'));

test('round trip of every dtype, empty and scalar tensors, order and metadata', () => {
  const path = join(dir, 'all.safetensors');
  const src = sample();
  const meta = { format: 'fnflow', note: 'ünïcode ✓', empty: '' };
  writeSafetensors(path, src, meta);
  const { dict, metadata } = readSafetensors(path);
  assert.equal(metadata, meta);
  assert.equal([...dict.keys()], [...src.keys()]);
  for (const [k, t] of src) {
    const r = dict.get(k)!;
    assert.is(r.dtype, t.dtype, k);
    assert.equal(r.shape, t.shape, k);
    assert.is(r.data.constructor, t.data.constructor, k);
    assert.ok(sameBytes(r, t), k);
  }
  assert.is((dict.get('big.i64')!.data as BigInt64Array)[0], 2n ** 62n + 1n);
  assert.equal(leftovers(dir), []);
  // no metadata → {}
  writeSafetensors(path, new Map([['x', { dtype: 'u8', shape: [1], data: new Uint8Array([3]) }]]));
  assert.equal(readSafetensors(path).metadata, {});
});

test('byte layout: u64 header length, JSON header padded with spaces to 8, contiguous data', () => {
  const bytes = encodeSafetensors(sample(), { a: 'b' });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  assert.is(n % 8, 0);
  assert.is((8 + n) % 8, 0);
  const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
  assert.ok(text.startsWith('{"__metadata__":{"a":"b"},"w.f32":'));
  assert.match(text, /} *$/);
  const header = JSON.parse(text);
  assert.equal(header['w.f32'], { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] });
  assert.equal(header['u.u8'], { dtype: 'U8', shape: [3], data_offsets: [24, 27] });
  assert.equal(header['big.i64'], { dtype: 'I64', shape: [3], data_offsets: [27, 51] });
  assert.equal(header['empty.i64'], { dtype: 'I64', shape: [0, 2], data_offsets: [51, 51] });
  // header text order = insertion order (JSON.parse would move the integer-like keys '10', '2' first)
  assert.equal(
    [...text.matchAll(/"dtype":"(\w+)"/g)].map((m) => m[1]),
    ['F32', 'U8', 'I64', 'I64', 'F64', 'I32', 'BOOL', 'F16', 'BF16', 'F32', 'F32', 'F32', 'F32'],
  );
  const last = header['2'].data_offsets[1];
  assert.is(bytes.length, 8 + n + last);
  // raw little-endian payload of the first tensor
  assert.equal(
    Array.from(new Float32Array(bytes.slice(8 + n, 8 + n + 24).buffer)),
    [1, -2, 3.5, 0, -0, 1e-30].map(Math.fround),
  );
  assert.is(sniffCheckpoint(bytes), 'safetensors');
});

test('reference checkpoint survives a .pt → safetensors → read round trip', () => {
  const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const models = [join(repoRoot, 'shared', 'reference-models'), '/work/shared/reference-models'].find((d) =>
    existsSync(d),
  )!;
  const pt = readPt(join(models, 'score_density_residuals.pt'));
  const path = join(dir, 'score_res.safetensors');
  writeSafetensors(path, pt, { source: 'score_density_residuals.pt' });
  const back = readSafetensors(path).dict;
  assert.equal([...back.keys()], [...pt.keys()]);
  for (const [k, t] of pt) assert.ok(sameBytes(back.get(k)!, t) && back.get(k)!.dtype === t.dtype, k);
  throwsWith(() => readPt(path), 'score_res.safetensors', 'safetensors file');
});

test('atomic write: a failure at any step keeps the old file and leaves no temp file', () => {
  const sub = join(dir, 'atomic');
  mkdirSync(sub);
  const path = join(sub, 'model.safetensors');
  writeSafetensors(path, sample(), { v: 'old' });
  const before = readFileSync(path);
  for (const step of ['writeSync', 'fsyncSync', 'renameSync'] as const) {
    const failing: AtomicFs = {
      ...(fs as unknown as AtomicFs),
      [step]: () => {
        throw new Error(`injected ${step} failure`);
      },
    };
    throwsWith(
      () => writeFileAtomic(path, encodeSafetensors(new Map(), { v: 'new' }), failing),
      path,
      `injected ${step} failure`,
    );
    assert.ok(readFileSync(path).equals(before), `old file intact after ${step} failure`);
    assert.equal(leftovers(sub), [], `no temp file after ${step} failure`);
  }
  // a tensor that fails validation never reaches the disk
  const bad: StateDict = new Map([['w', { dtype: 'f32', shape: [3], data: new Float32Array(2) }]]);
  throwsWith(() => writeSafetensors(path, bad), "tensor 'w'", '3 elements', 'data has 2');
  assert.ok(readFileSync(path).equals(before));
  // the target is a directory: rename fails, nothing left behind
  const asDir = join(sub, 'is-a-dir');
  mkdirSync(asDir);
  writeFileSync(join(asDir, 'keep'), 'x');
  throwsWith(() => writeSafetensors(asDir, sample()), asDir, 'atomically');
  assert.equal(leftovers(sub), []);
  // the directory does not exist
  throwsWith(() => writeSafetensors(join(sub, 'nope', 'm.safetensors'), sample()), 'nope');
  // success replaces the content
  writeSafetensors(path, sample(), { v: 'new' });
  assert.equal(readSafetensors(path).metadata, { v: 'new' });
  assert.equal(leftovers(sub), []);
});

/** A file with a hand-written header and `dataBytes` zero bytes of data. */
function withHeader(header: string, dataBytes: number): Uint8Array {
  const h = enc.encode(header);
  const out = new Uint8Array(8 + h.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  return out;
}

test('a damaged file read by path is named by the path as given, not its bare name', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fnf-st-'));
  const path = join(dir, 'run-7', 'kin_density.train.safetensors');
  mkdirSync(dirname(path));
  writeFileSync(path, encodeSafetensors(new Map(), {}).subarray(0, 5)); // truncated
  assert.throws(
    () => readSafetensors(path),
    (e: Error) => e.message.startsWith(`${path}: bad safetensors file`),
  );
  rmSync(dir, { recursive: true });
});

test('corrupt headers give errors naming the file and the key', () => {
  const read = (b: Uint8Array) => () => readSafetensors(b, 'bad.safetensors');
  throwsWith(
    read(withHeader('{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]', 4)),
    'bad.safetensors',
    'not valid JSON',
  );
  throwsWith(read(withHeader('[1, 2]', 0)), 'not a JSON object');
  throwsWith(
    read(withHeader('{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}', 4)),
    "key 'a'",
    'run past',
    '4-byte data section',
  );
  throwsWith(
    read(
      withHeader(
        '{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},' +
          ' "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}',
        8,
      ),
    ),
    "key 'b'",
    "overlaps 'a'",
  );
  throwsWith(
    read(withHeader('{"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}', 8)),
    "key 'a' starts at 4",
    'gap',
  );
  throwsWith(
    read(withHeader('{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}', 8)),
    'cover 4 bytes',
    'has 8',
  );
  throwsWith(
    read(withHeader('{"a": {"dtype": "I8", "shape": [1], "data_offsets": [0, 1]}}', 1)),
    "key 'a'",
    'unsupported dtype "I8"',
  );
  throwsWith(
    read(withHeader('{"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}', 8)),
    "key 'a'",
    'needs 12 bytes',
    'span 8',
  );
  throwsWith(read(withHeader('{"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}', 4)), "key 'a'", 'shape');
  throwsWith(
    read(withHeader('{"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}}', 4)),
    "key 'a'",
    'data_offsets',
  );
  throwsWith(read(withHeader('{"__metadata__": {"n": 3}}', 0)), "metadata 'n'");
  throwsWith(read(withHeader('{"m": {"dtype": "BOOL", "shape": [1], "data_offsets": [0, 1]}}', 0)), "key 'm'");
  const boolBad = withHeader('{"m": {"dtype": "BOOL", "shape": [1], "data_offsets": [0, 1]}}', 1);
  boolBad[boolBad.length - 1] = 2;
  throwsWith(read(boolBad), "bool tensor 'm'");
  // header length field larger than the file, and a truncated file
  const good = encodeSafetensors(sample());
  throwsWith(read(good.subarray(0, 5)), 'too short');
  throwsWith(read(good.subarray(0, 40)), 'runs past the end');
  throwsWith(read(good.subarray(0, good.length - 3)), "key '2'", 'truncated');
  assert.is(sniffCheckpoint(withHeader('not json at all', 0)), 'unknown');
  assert.is(sniffCheckpoint(new Uint8Array(0)), 'unknown');
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
