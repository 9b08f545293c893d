import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readPt } from '../src/io/pt.js';
import { runPickle } from '../src/io/pickle.js';
import { sniffCheckpoint } from '../src/io/sniff.js';
import { crc32 } from '../src/io/zip.js';
import { CheckpointError, toBool, toFloat32, toInt, type StateDict, type StoredTensor } from '../src/io/state-dict.js';

// ---------------------------------------------------------------- reference checkpoints

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MODELS = [join(repoRoot, 'shared', 'reference-models'), '/work/shared/reference-models'].find((d) =>
  existsSync(d),
)!;
const load = (name: string): StateDict => readPt(join(MODELS, name + '.pt'));

const kin = load('kin_density');
const score = load('score_density');
const kinRes = load('kin_density_residuals');
const scoreRes = load('score_density_residuals');

function get(d: StateDict, key: string): StoredTensor {
  const t = d.get(key);
  if (!t) throw new Error(`missing key ${key}`);
  return t;
}

/** weights + biases (trainable parameters), optionally skipping a key prefix. */
function paramCount(d: StateDict, skipPrefix?: string): number {
  let n = 0;
  for (const [k, t] of d) {
    if (skipPrefix && k.startsWith(skipPrefix)) continue;
    if (/\.(weight|bias)$/.test(k)) n += t.data.length;
  }
  return n;
}

test('reference checkpoints: key counts and parameter counts (spec §8.1, §8.2)', () => {
  assert.is(kin.size, 28);
  assert.is(score.size, 41);
  assert.is(kinRes.size, 51);
  assert.is(scoreRes.size, 101);
  assert.is(paramCount(kin), 97_772);
  assert.is(paramCount(score), 147_426);
  assert.is(paramCount(kinRes, 'base_model.'), 36_368);
  assert.is(paramCount(scoreRes, 'base_model.'), 139_808);
});

test('kin NSF: key order, shapes, dtypes, order buffers, base loc/scale', () => {
  const keys = [...kin.keys()];
  assert.equal(keys.slice(0, 4), [
    'transform.transforms.0.order',
    'transform.transforms.0.hyper.0.weight',
    'transform.transforms.0.hyper.0.bias',
    'transform.transforms.0.hyper.0.mask',
  ]);
  assert.equal(keys.slice(-2), ['base._0', 'base._1']);
  const w0 = get(kin, 'transform.transforms.0.hyper.0.weight');
  assert.is(w0.dtype, 'f32');
  assert.equal(w0.shape, [128, 4]);
  assert.ok(w0.data instanceof Float32Array);
  // first values, cross-checked against the raw storage bytes with Python's struct module
  assert.equal(
    Array.from(w0.data.slice(0, 4)),
    [-0.2637142837047577, -0.015093721449375153, 0.04726428538560867, 0.47137635946273804],
  );
  const m0 = get(kin, 'transform.transforms.0.hyper.0.mask');
  assert.is(m0.dtype, 'bool');
  assert.equal(m0.shape, [128, 4]);
  assert.ok(m0.data instanceof Uint8Array);
  for (const [layer, shape] of [
    [2, [128, 128]],
    [4, [128, 128]],
    [6, [118, 128]],
  ] as const) {
    assert.equal(get(kin, `transform.transforms.1.hyper.${layer}.weight`).shape, shape);
    assert.equal(get(kin, `transform.transforms.1.hyper.${layer}.bias`).shape, [shape[0]]);
    assert.equal(get(kin, `transform.transforms.1.hyper.${layer}.mask`).shape, shape);
  }
  const order0 = get(kin, 'transform.transforms.0.order');
  assert.is(order0.dtype, 'i64');
  assert.ok(order0.data instanceof BigInt64Array);
  assert.equal(toInt(order0), [0, 1]);
  assert.equal(toInt(get(kin, 'transform.transforms.1.order')), [1, 0]);
  assert.equal(Array.from(toFloat32(get(kin, 'base._0'))), [0, 0]);
  assert.equal(Array.from(toFloat32(get(kin, 'base._1'))), [1, 1]);
});

test('score NSF: 3 transforms with 6 inputs, orders alternate', () => {
  assert.equal(get(score, 'transform.transforms.0.hyper.0.weight').shape, [128, 6]);
  assert.equal(get(score, 'transform.transforms.2.hyper.6.weight').shape, [118, 128]);
  assert.equal(
    [0, 1, 2].map((t) => toInt(get(score, `transform.transforms.${t}.order`))),
    [
      [0, 1],
      [1, 0],
      [0, 1],
    ],
  );
});

test('residual models: buffers, nuisance nets, permutations, frozen base copy', () => {
  assert.equal([...kinRes.keys()].slice(0, 2), ['central_nuisance_values', 'nuisance_scales']);
  assert.equal(Array.from(toFloat32(get(kinRes, 'central_nuisance_values'))), [0, 0]);
  assert.equal(Array.from(toFloat32(get(kinRes, 'nuisance_scales'))), [1, 1]);
  for (const [d, j] of [
    [kinRes, 0],
    [scoreRes, 0],
    [scoreRes, 2],
  ] as const) {
    const pairs = get(d, `transforms.${j}.cross_term_pairs`);
    assert.is(pairs.dtype, 'i64');
    assert.equal(pairs.shape, [0, 2]);
    assert.is(pairs.data.length, 0);
    assert.ok(pairs.data instanceof BigInt64Array);
  }
  assert.equal(get(kinRes, 'transforms.0.nuisance_nets.1.0.weight').shape, [128, 4]);
  assert.equal(get(kinRes, 'transforms.0.nuisance_nets.1.4.weight').shape, [8, 128]);
  assert.equal(get(scoreRes, 'transforms.2.nuisance_nets.0.0.weight').shape, [128, 6]);
  assert.equal(get(scoreRes, 'transforms.2.nuisance_nets.0.6.weight').shape, [8, 128]);
  for (const j of [1, 3]) {
    assert.equal(toInt(get(scoreRes, `transforms.${j}.indices`)), [1, 0]);
    assert.equal(toInt(get(scoreRes, `transforms.${j}.inv_indices`)), [1, 0]);
  }
  // base_model.* is a bit-identical copy of the standalone base checkpoint, in the same order
  for (const [res, base] of [
    [kinRes, kin],
    [scoreRes, score],
  ] as const) {
    const copied = [...res.keys()].filter((k) => k.startsWith('base_model.')).map((k) => k.slice('base_model.'.length));
    assert.equal(copied, [...base.keys()]);
    for (const [k, t] of base) {
      const c = get(res, 'base_model.' + k);
      assert.is(c.dtype, t.dtype);
      assert.equal(c.shape, t.shape);
      assert.ok(
        Buffer.from(c.data.buffer, c.data.byteOffset, c.data.byteLength).equals(
          Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength),
        ),
        k,
      );
    }
  }
});

/** Checks a (rows × cols) bool mask against a predicate. */
function assertMask(t: StoredTensor, expect: (r: number, c: number) => boolean, label: string): void {
  const [rows, cols] = t.shape;
  const m = toBool(t);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      if (m[r * cols + c] !== expect(r, c)) assert.unreachable(`${label}: mask[${r},${c}] is ${m[r * cols + c]}`);
    }
  }
}

test('NSF masks match spec §2.5 (groups by hidden-unit parity)', () => {
  for (const [d, T, C] of [
    [kin, 2, 2],
    [score, 3, 4],
  ] as const) {
    for (let t = 0; t < T; t++) {
      const p = `transform.transforms.${t}.hyper`;
      const groupOneFeature = t % 2 === 0 ? 0 : 1; // order [0,1] → x_0 is seen; [1,0] → x_1
      assertMask(get(d, `${p}.0.mask`), (h, c) => (c >= 2 ? true : c === groupOneFeature && h % 2 === 1), `${p}.0`);
      assert.is(get(d, `${p}.0.mask`).shape[1], 2 + C);
      for (const l of [2, 4]) assertMask(get(d, `${p}.${l}.mask`), (h, h2) => h % 2 === 1 || h2 % 2 === 0, `${p}.${l}`);
      // output rows of the feature in group 1 (the one that sees another feature) are all true
      const groupOneRows = t % 2 === 0 ? [59, 118] : [0, 59];
      assertMask(
        get(d, `${p}.6.mask`),
        (r, h) => (r >= groupOneRows[0] && r < groupOneRows[1]) || h % 2 === 0,
        `${p}.6`,
      );
    }
  }
});

test('residual nuisance-net masks: x_0 seen only by group 1, rows 4–7 all true (spec §8.2)', () => {
  for (const [d, j, last] of [
    [kinRes, 0, 4],
    [scoreRes, 0, 6],
    [scoreRes, 2, 6],
  ] as const) {
    for (const n of [0, 1]) {
      const p = `transforms.${j}.nuisance_nets.${n}`;
      assertMask(get(d, `${p}.0.mask`), (h, c) => (c >= 2 ? true : c === 0 && h % 2 === 1), `${p}.0`);
      for (let l = 2; l < last; l += 2)
        assertMask(get(d, `${p}.${l}.mask`), (h, h2) => h % 2 === 1 || h2 % 2 === 0, `${p}.${l}`);
      assertMask(get(d, `${p}.${last}.mask`), (r, h) => r >= 4 || h % 2 === 0, `${p}.${last}`);
    }
  }
});

test('sniffCheckpoint recognises the .pt files by content', () => {
  assert.is(sniffCheckpoint(readFileSync(join(MODELS, 'kin_density.pt'))), 'pt');
  assert.is(sniffCheckpoint(new Uint8Array([1, 2, 3])), 'unknown');
});

// ---------------------------------------------------------------- hand-made archives

const enc = new TextEncoder();
const u32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
const u16 = (n: number) => [n & 0xff, (n >>> 8) & 0xff];

/** Pickle opcodes as byte arrays. */
const P = {
  proto: [0x80, 2],
  global: (m: string, n: string) => [0x63, ...enc.encode(`${m}\n${n}\n`)],
  str: (s: string) => {
    const b = enc.encode(s);
    return [0x58, ...u32(b.length), ...b];
  },
  int: (n: number) => (n < 256 ? [0x4b, n] : [0x4d, ...u16(n)]),
  mark: [0x28],
  tuple: [0x74],
  emptyTuple: [0x29],
  reduce: [0x52],
  persid: [0x51],
  setitems: [0x75],
  stop: [0x2e],
  newfalse: [0x89],
  binput: (i: number) => [0x71, i],
  binget: (i: number) => [0x68, i],
};
const ints = (xs: number[]) => [...P.mark, ...xs.flatMap(P.int), ...P.tuple];
const orderedDict = [...P.global('collections', 'OrderedDict'), ...P.emptyTuple, ...P.reduce];

interface TensorSpec {
  key: string;
  storage: string;
  store: string;
  numel: number;
  offset: number;
  size: number[];
  stride: number[];
}

function tensorExpr(s: TensorSpec): number[] {
  return [
    ...P.global('torch._utils', '_rebuild_tensor_v2'),
    ...P.mark,
    ...P.mark,
    ...P.str('storage'),
    ...P.global('torch', s.storage),
    ...P.str(s.store),
    ...P.str('cpu'),
    ...P.int(s.numel),
    ...P.tuple,
    ...P.persid,
    ...P.int(s.offset),
    ...ints(s.size),
    ...ints(s.stride),
    ...P.newfalse,
    ...orderedDict,
    ...P.tuple,
    ...P.reduce,
  ];
}

function stateDictPickle(tensors: TensorSpec[]): Uint8Array {
  return new Uint8Array([
    ...P.proto,
    ...orderedDict,
    ...P.mark,
    ...tensors.flatMap((t) => [...P.str(t.key), ...tensorExpr(t)]),
    ...P.setitems,
    ...P.stop,
  ]);
}

/** A stored-entry ZIP (no alignment padding, so payloads land at odd offsets on purpose). */
function makeZip(entries: [string, Uint8Array][], method = 0): Uint8Array {
  const local: number[] = [];
  const central: number[] = [];
  for (const [name, data] of entries) {
    const n = enc.encode(name);
    const offset = local.length;
    const common = [
      ...u16(20),
      ...u16(0x0800),
      ...u16(method),
      ...u16(0),
      ...u16(0),
      ...u32(crc32(data)),
      ...u32(data.length),
      ...u32(data.length),
      ...u16(n.length),
    ];
    local.push(...u32(0x04034b50), ...common, ...u16(0), ...n, ...data);
    central.push(
      ...u32(0x02014b50),
      ...u16(20),
      ...common,
      ...u16(0),
      ...u16(0),
      ...u16(0),
      ...u16(0),
      ...u32(0),
      ...u32(offset),
      ...n,
    );
  }
  const eocd = [
    ...u32(0x06054b50),
    ...u16(0),
    ...u16(0),
    ...u16(entries.length),
    ...u16(entries.length),
    ...u32(central.length),
    ...u32(local.length),
    ...u16(0),
  ];
  return new Uint8Array([...local, ...central, ...eocd]);
}

const f32Bytes = (xs: number[]) => new Uint8Array(new Float32Array(xs).buffer);

function archive(pkl: Uint8Array, storages: Record<string, Uint8Array>, method = 0): Uint8Array {
  return makeZip(
    [
      ['arch/data.pkl', pkl],
      ...Object.entries(storages).map(([k, v]) => [`arch/data/${k}`, v] as [string, Uint8Array]),
      ['arch/byteorder', enc.encode('little')],
    ],
    method,
  );
}

test('hand-made archive: offset, strided (transposed) and shared storages are materialised densely', () => {
  const storage = f32Bytes([0, 1, 2, 3, 4, 5, 6, 7]);
  const pkl = stateDictPickle([
    { key: 'plain', storage: 'FloatStorage', store: '0', numel: 8, offset: 0, size: [2, 4], stride: [4, 1] },
    { key: 'tail', storage: 'FloatStorage', store: '0', numel: 8, offset: 5, size: [3], stride: [1] },
    { key: 'transposed', storage: 'FloatStorage', store: '0', numel: 8, offset: 0, size: [4, 2], stride: [1, 4] },
    { key: 'ints', storage: 'IntStorage', store: '1', numel: 3, offset: 0, size: [3], stride: [1] },
    { key: 'doubles', storage: 'DoubleStorage', store: '2', numel: 2, offset: 0, size: [2], stride: [1] },
    { key: 'bf', storage: 'BFloat16Storage', store: '3', numel: 1, offset: 0, size: [], stride: [] },
  ]);
  const d = readPt(
    archive(pkl, {
      0: storage,
      1: new Uint8Array(new Int32Array([-7, 0, 9]).buffer),
      2: new Uint8Array(new Float64Array([0.1, -2.5]).buffer),
      3: new Uint8Array([0xc0, 0x3f]), // bf16 1.5
    }),
    'hand.pt',
  );
  assert.equal([...d.keys()], ['plain', 'tail', 'transposed', 'ints', 'doubles', 'bf']);
  assert.equal(Array.from(get(d, 'plain').data as Float32Array), [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.equal(Array.from(get(d, 'tail').data as Float32Array), [5, 6, 7]);
  assert.equal(get(d, 'transposed').shape, [4, 2]);
  assert.equal(Array.from(get(d, 'transposed').data as Float32Array), [0, 4, 1, 5, 2, 6, 3, 7]);
  // shared storage → independent copies
  (get(d, 'plain').data as Float32Array)[5] = 99;
  assert.is((get(d, 'tail').data as Float32Array)[0], 5);
  assert.equal(toInt(get(d, 'ints')), [-7, 0, 9]);
  assert.equal(Array.from(get(d, 'doubles').data as Float64Array), [0.1, -2.5]);
  assert.equal(get(d, 'bf').shape, []);
  assert.equal(Array.from(toFloat32(get(d, 'bf'))), [1.5]);
});

const tiny = (): Uint8Array =>
  archive(
    stateDictPickle([{ key: 'w', storage: 'FloatStorage', store: '0', numel: 2, offset: 0, size: [2], stride: [1] }]),
    { 0: f32Bytes([1, 2]) },
  );

test('hand-made archive: the minimal valid file loads (baseline for the reject tests)', () => {
  assert.equal(Array.from(get(readPt(tiny(), 't.pt'), 'w').data as Float32Array), [1, 2]);
});

function throwsWith(fn: () => unknown, ...parts: (string | RegExp)[]): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  if (!(err instanceof Error)) assert.unreachable(`expected an error mentioning ${parts.join(', ')}`);
  const msg = (err as Error).message;
  for (const p of parts) {
    if (typeof p === 'string' ? !msg.includes(p) : !p.test(msg))
      assert.unreachable(`error "${msg}" does not mention ${p}`);
  }
}

test('reject: GLOBAL os.system, in the VM and through readPt', () => {
  const evil = new Uint8Array([
    ...P.proto,
    ...P.global('os', 'system'),
    ...P.str('echo hi'),
    0x85,
    ...P.reduce,
    ...P.stop,
  ]);
  throwsWith(
    () => runPickle(evil, { name: 'kin.pt', loadStorage: () => null }),
    "refusing pickle global 'os system' in kin.pt",
    'only state_dict globals are allowed',
  );
  throwsWith(() => readPt(archive(evil, {}), 'kin.pt'), "refusing pickle global 'os system'", 'kin.pt');
  const builtins = new Uint8Array([...P.proto, ...P.global('builtins', 'eval'), ...P.stop]);
  throwsWith(() => runPickle(builtins, { name: 'x.pt', loadStorage: () => null }), "'builtins eval'");
});

test('reject: unknown and disallowed opcodes name the opcode byte and position', () => {
  const unknown = new Uint8Array([...P.proto, ...orderedDict, 0xff, ...P.stop]);
  throwsWith(
    () => runPickle(unknown, { name: 'u.pt', loadStorage: () => null }),
    'u.pt',
    'opcode 0xff',
    `byte ${2 + orderedDict.length}`,
  );
  const inst = new Uint8Array([...P.proto, 0x69, ...enc.encode('os\nsystem\n'), ...P.stop]);
  throwsWith(() => runPickle(inst, { name: 'i.pt', loadStorage: () => null }), 'opcode 0x69', 'INST', 'byte 2');
  const stackGlobal = new Uint8Array([...P.proto, ...P.str('os'), ...P.str('system'), 0x93, ...P.stop]);
  throwsWith(() => runPickle(stackGlobal, { name: 's.pt', loadStorage: () => null }), 'STACK_GLOBAL');
});

test('reject: calling a storage type, a pickle without STOP, non-dict roots, bad persistent ids', () => {
  const callStorage = new Uint8Array([
    ...P.proto,
    ...P.global('torch', 'FloatStorage'),
    ...P.emptyTuple,
    ...P.reduce,
    ...P.stop,
  ]);
  throwsWith(
    () => runPickle(callStorage, { name: 'c.pt', loadStorage: () => null }),
    'torch.FloatStorage cannot be called',
  );
  const noStop = new Uint8Array([...P.proto, ...orderedDict]);
  throwsWith(() => runPickle(noStop, { name: 'n.pt', loadStorage: () => null }), 'without STOP');
  throwsWith(
    () => readPt(archive(new Uint8Array([...P.proto, 0x4e, ...P.stop]), {}), 'none.pt'),
    'none.pt',
    'not a state_dict',
  );
  const notTensor = new Uint8Array([...P.proto, ...orderedDict, ...P.str('k'), ...P.int(3), 0x73, ...P.stop]);
  throwsWith(() => readPt(archive(notTensor, {}), 'nt.pt'), "entry 'k' is not a tensor");
  const badPid = new Uint8Array([...P.proto, ...P.str('x'), ...P.persid, ...P.stop]);
  throwsWith(() => runPickle(badPid, { name: 'p.pt', loadStorage: () => null }), 'persistent id');
});

test('reject: storages that are missing, mis-sized, or too small for the view', () => {
  const spec = (over: Partial<TensorSpec>): TensorSpec => ({
    key: 'w',
    storage: 'FloatStorage',
    store: '0',
    numel: 2,
    offset: 0,
    size: [2],
    stride: [1],
    ...over,
  });
  throwsWith(() => readPt(archive(stateDictPickle([spec({})]), {}), 'm.pt'), 'm.pt', "'arch/data/0' is missing");
  throwsWith(
    () => readPt(archive(stateDictPickle([spec({})]), { 0: f32Bytes([1]) }), 'm.pt'),
    'has 4 bytes, expected 2 f32 = 8',
  );
  throwsWith(
    () => readPt(archive(stateDictPickle([spec({ offset: 1 })]), { 0: f32Bytes([1, 2]) }), 'm.pt'),
    "tensor 'w'",
    'reaches element 2',
  );
  const boolPkl = stateDictPickle([spec({ storage: 'BoolStorage' })]);
  throwsWith(() => readPt(archive(boolPkl, { 0: new Uint8Array([1, 7]) }), 'b.pt'), "bool tensor 'w'", 'byte 7');
});

test('reject: not a zip, truncated at any point, corrupted payload, compressed entries', () => {
  throwsWith(() => readPt(new Uint8Array(100).fill(7), 'junk.pt'), 'junk.pt', 'not a PyTorch zip checkpoint');
  throwsWith(() => readPt(enc.encode('{"hello": 1}'), 'json.pt'), 'json.pt', 'ZIP signature');
  const real = readFileSync(join(MODELS, 'kin_density.pt'));
  for (const cut of [10, 1000, real.length >> 1, real.length - 100, real.length - 23, real.length - 1]) {
    let err: unknown;
    try {
      readPt(real.subarray(0, cut), 'kin.pt');
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof CheckpointError, `cut at ${cut} must throw a CheckpointError`);
    assert.match((err as Error).message, /^kin\.pt: /);
  }
  const flipped = Uint8Array.from(real);
  flipped[real.length >> 1] ^= 0x40; // inside some storage payload
  throwsWith(() => readPt(flipped, 'kin.pt'), 'kin.pt', 'CRC-32');
  throwsWith(
    () => readPt(archive(new Uint8Array([...P.proto, 0x4e, ...P.stop]), {}, 8), 'z.pt'),
    'z.pt',
    'compressed (method 8)',
  );
  const small = tiny();
  const badCd = Uint8Array.from(small);
  new DataView(badCd.buffer).setUint32(badCd.length - 6, small.length, true); // central directory offset → past the end
  throwsWith(() => readPt(badCd, 't.pt'), 't.pt', 'central directory');
});

test('state-dict helpers: toFloat32 / toInt / toBool conversions and dtype errors', () => {
  assert.equal(Array.from(toFloat32({ dtype: 'f16', shape: [3], data: new Uint16Array([0x3c00, 0xc000, 0x0001]) })), [
    1,
    -2,
    Math.fround(2 ** -24),
  ]);
  assert.equal(Array.from(toFloat32({ dtype: 'i64', shape: [2], data: new BigInt64Array([3n, -4n]) })), [3, -4]);
  assert.equal(Array.from(toFloat32({ dtype: 'f64', shape: [1], data: new Float64Array([0.5]) })), [0.5]);
  assert.equal(toInt({ dtype: 'i32', shape: [2], data: new Int32Array([5, -1]) }), [5, -1]);
  assert.equal(toBool({ dtype: 'bool', shape: [3], data: new Uint8Array([1, 0, 1]) }), [true, false, true]);
  throwsWith(
    () => toInt({ dtype: 'f32', shape: [1], data: new Float32Array(1) }, 'order'),
    'order',
    'integer tensor',
    'f32',
  );
  throwsWith(
    () => toInt({ dtype: 'i64', shape: [1], data: new BigInt64Array([2n ** 60n]) }, 'big'),
    'big',
    'safe integer',
  );
});

test.run();
