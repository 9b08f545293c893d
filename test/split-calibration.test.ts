/**
 * Split thresholds calibrated per host (issue 19): the measurement gives thresholds that are the
 * built-in ones moved by whole powers of two (at most 8× either way) and leaves the kernels'
 * thresholds as they were; the per-host cache file is written atomically, read back, ignored when
 * unreadable or malformed (and replaced), counts unsettled calibrations (a busy machine) and
 * stops measuring after a few, and is never touched with FNF_NO_CALIBRATE=1; and — the point of
 * the design — any thresholds give a training step and a log p of the same bits as one thread:
 * thresholds change speed, never numbers.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDevice } from '../src/backend/index.js';
import { DEFAULT_THRESHOLDS, type WasmKernels } from '../src/backend/wasm/index.js';
import {
  MAX_SHIFT,
  calibrateThresholds,
  shiftFor,
  shifted,
  type Calibration,
} from '../src/backend/wasm/pool/calibrate.js';
import {
  CACHE_FILE,
  CACHE_VERSION,
  MAX_UNSETTLED,
  cacheDir,
  describeThresholds,
  hostKey,
  hostThresholds,
} from '../src/backend/wasm/pool/calibration-cache.js';
import { THRESHOLD_KINDS, type SplitThresholds } from '../src/backend/wasm/pool/split.js';
import { NSF } from '../src/flows/nsf.js';
import { AdamW } from '../src/train/adamw.js';
import { nominalBatch } from '../src/train/batches.js';
import { trainStep, type TrainJob } from '../src/train/trainer.js';
import { defaultGeneratorConfig } from '../src/toy/index.js';
import { Rng } from '../src/random/rng.js';
import type { Device } from '../src/backend/device.js';
import { sameBits } from './helpers/tensors.js';

const one = await createDevice({ backend: 'wasm', threads: 1, calibrate: false });
const two = await createDevice({ backend: 'wasm', threads: 2, calibrate: false });
const k2 = two.kernels as WasmKernels;

test('shiftFor: whole powers of two, none inside (½, 2), at most MAX_SHIFT', () => {
  assert.is(shiftFor(1), 0);
  assert.is(shiftFor(1.9), 0);
  assert.is(shiftFor(0.51), 0);
  assert.is(shiftFor(2), 1);
  assert.is(shiftFor(0.5), -1);
  assert.is(shiftFor(5), 2);
  assert.is(shiftFor(1e6), MAX_SHIFT);
  assert.is(shiftFor(1e-6), -MAX_SHIFT);
  assert.is(shiftFor(NaN), 0);
  assert.is(shiftFor(0), 0);
  assert.equal(shifted({ matmulFlops: 1, streaming: -1, mathMap: 0, spline: 3 }), {
    matmulFlops: DEFAULT_THRESHOLDS.matmulFlops * 2,
    streaming: DEFAULT_THRESHOLDS.streaming / 2,
    mathMap: DEFAULT_THRESHOLDS.mathMap,
    spline: DEFAULT_THRESHOLDS.spline * 8,
  });
});

let measured: Calibration;

test('the calibration measures every kind, moves built-ins by powers of two, and restores the kernels', () => {
  const before = { matmulFlops: 3, streaming: 5, mathMap: 7, spline: 11 };
  k2.setThresholds(before);
  measured = calibrateThresholds(k2);
  assert.equal(k2.thresholds, before, 'thresholds restored');
  k2.setThresholds(DEFAULT_THRESHOLDS);
  assert.is(measured.passes.length, 2);
  for (const kind of THRESHOLD_KINDS) {
    for (const p of measured.passes) assert.ok(p.breakEven[kind] > 0 && Number.isFinite(p.breakEven[kind]), kind);
    const s = measured.shift[kind];
    assert.ok(Number.isInteger(s) && Math.abs(s) <= MAX_SHIFT, `${kind} shift ${s}`);
    const want = measured.agreed ? DEFAULT_THRESHOLDS[kind] * 2 ** s : DEFAULT_THRESHOLDS[kind];
    assert.is(measured.thresholds[kind], want, kind);
  }
  assert.ok(measured.ms > 0);
  assert.throws(() => calibrateThresholds(one.kernels as WasmKernels), /needs a kernel pool/);
});

test('bad thresholds are refused with the kind named', () => {
  assert.throws(() => k2.setThresholds({ ...DEFAULT_THRESHOLDS, spline: 0 }), /spline must be a number ≥ 1.*got 0/);
  assert.throws(() => k2.setThresholds({ ...DEFAULT_THRESHOLDS, mathMap: NaN }), /mathMap/);
  assert.equal(k2.thresholds, DEFAULT_THRESHOLDS);
});

/** A calibration that measured `shift` (or failed to settle), without timing anything. */
function fakeCalibration(shift: Record<string, number>, agreed = true) {
  let calls = 0;
  const measure = (): Calibration => {
    calls++;
    const s = shift as Calibration['shift'];
    const breakEven = { matmulFlops: 1e6, streaming: 3e4, mathMap: 1e4, spline: 1e3 };
    return {
      thresholds: agreed ? shifted(s) : { ...DEFAULT_THRESHOLDS },
      agreed,
      passes: [{ breakEven }, { breakEven }],
      breakEven,
      shift: s,
      ms: 1,
    };
  };
  return { measure, calls: () => calls };
}

function withCacheDir(fn: (dir: string, env: NodeJS.ProcessEnv) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'fnf-split-'));
  try {
    fn(dir, { FNF_CACHE_DIR: dir });
  } finally {
    rmSync(dir, { recursive: true, force: true });
    k2.setThresholds(DEFAULT_THRESHOLDS);
  }
}

const SHIFT = { matmulFlops: 1, streaming: 0, mathMap: -1, spline: 2 };

test('cache: calibrated once per host, written atomically, then read back without measuring', () => {
  withCacheDir((dir, env) => {
    const fake = fakeCalibration(SHIFT);
    const first = hostThresholds(k2, env, fake.measure);
    assert.is(first.source, 'calibrated');
    assert.equal(first.thresholds, shifted(SHIFT));
    assert.equal(k2.thresholds, shifted(SHIFT), 'set on the kernels');
    const file = join(dir, CACHE_FILE);
    assert.is(first.file, file);
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    assert.is(saved.version, CACHE_VERSION);
    const key = hostKey(2, k2.build);
    assert.match(key, /\| 2 threads \|/);
    assert.equal(saved.hosts[key].thresholds, shifted(SHIFT));
    assert.ok(saved.hosts[key].breakEven.matmulFlops > 0 && typeof saved.hosts[key].date === 'string');

    k2.setThresholds(DEFAULT_THRESHOLDS);
    const second = hostThresholds(k2, env, fake.measure);
    assert.is(second.source, 'cache');
    assert.equal(second.thresholds, shifted(SHIFT));
    assert.equal(k2.thresholds, shifted(SHIFT));
    assert.is(fake.calls(), 1, 'measured once');
    assert.match(describeThresholds(second), /calibrated earlier for this host/);
    assert.match(
      describeThresholds(first),
      /^split thresholds: matmulFlops 262144, .*\(calibrated in 0\.00 s; stored in /,
    );
  });
});

test('cache: an unreadable file or a malformed entry is ignored and replaced; other hosts are kept', () => {
  withCacheDir((dir, env) => {
    const file = join(dir, CACHE_FILE);
    writeFileSync(file, '{ not json');
    const fake = fakeCalibration(SHIFT);
    assert.is(hostThresholds(k2, env, fake.measure).source, 'calibrated');
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).hosts[hostKey(2, k2.build)].thresholds, shifted(SHIFT));

    const other = { thresholds: { ...DEFAULT_THRESHOLDS }, breakEven: {}, date: 'x' };
    const bad = { thresholds: { ...DEFAULT_THRESHOLDS, spline: -4 } };
    writeFileSync(
      file,
      JSON.stringify({
        version: CACHE_VERSION,
        hosts: { 'another CPU | 4 threads | simd': other, [hostKey(2, k2.build)]: bad },
      }),
    );
    assert.is(hostThresholds(k2, env, fake.measure).source, 'calibrated', 'a negative threshold is not used');
    const hosts = JSON.parse(readFileSync(file, 'utf8')).hosts;
    assert.equal(hosts['another CPU | 4 threads | simd'], other);
    assert.equal(hosts[hostKey(2, k2.build)].thresholds, shifted(SHIFT));

    writeFileSync(file, JSON.stringify({ version: CACHE_VERSION + 1, hosts: {} }));
    assert.is(hostThresholds(k2, env, fake.measure).source, 'calibrated', 'another version is measured again');
    assert.is(fake.calls(), 3);
  });
});

test('cache: unsettled calibrations are counted, and after MAX_UNSETTLED the host keeps the built-ins', () => {
  withCacheDir((dir, env) => {
    const file = join(dir, CACHE_FILE);
    const key = hostKey(2, k2.build);
    const unsettled = fakeCalibration(SHIFT, false);
    for (let i = 1; i <= MAX_UNSETTLED; i++) {
      const r = hostThresholds(k2, env, unsettled.measure);
      assert.is(r.source, 'built-in (calibration unsettled)');
      assert.equal(k2.thresholds, DEFAULT_THRESHOLDS);
      const saved = JSON.parse(readFileSync(file, 'utf8')).hosts[key];
      assert.is(saved.unsettled, i);
      assert.equal(saved.thresholds, DEFAULT_THRESHOLDS);
      assert.match(describeThresholds(r), /too noisy to keep/);
    }
    assert.is(unsettled.calls(), MAX_UNSETTLED);
    const kept = hostThresholds(k2, env, unsettled.measure);
    assert.is(kept.source, 'built-in (calibration unsettled)');
    assert.is(unsettled.calls(), MAX_UNSETTLED, 'no more measuring');

    // One unsettled calibration, then a settled one: the entry is a plain calibrated one.
    writeFileSync(file, JSON.stringify({ version: CACHE_VERSION, hosts: {} }));
    hostThresholds(k2, env, unsettled.measure);
    const settled = fakeCalibration(SHIFT);
    assert.is(hostThresholds(k2, env, settled.measure).source, 'calibrated');
    const saved = JSON.parse(readFileSync(file, 'utf8')).hosts[key];
    assert.is(saved.unsettled, undefined);
    assert.equal(saved.thresholds, shifted(SHIFT));
  });
});

test('FNF_NO_CALIBRATE=1: the built-in thresholds, nothing measured or stored', () => {
  withCacheDir((dir, env) => {
    const fake = fakeCalibration(SHIFT);
    k2.setThresholds(shifted(SHIFT));
    const off = hostThresholds(k2, { ...env, FNF_NO_CALIBRATE: '1' }, fake.measure);
    assert.is(off.source, 'built-in');
    assert.equal(k2.thresholds, DEFAULT_THRESHOLDS);
    assert.is(fake.calls(), 0);
    assert.not.ok(existsSync(join(dir, CACHE_FILE)));
    assert.is(describeThresholds(off), 'split thresholds: built-in');
  });
});

test('a calibration that throws leaves the built-in thresholds and stores nothing', () => {
  withCacheDir((dir, env) => {
    k2.setThresholds(shifted(SHIFT));
    const r = hostThresholds(k2, env, () => {
      throw new Error('wasm spline_forward: spline kernels missing');
    });
    assert.is(r.source, 'built-in (calibration failed)');
    assert.equal(k2.thresholds, DEFAULT_THRESHOLDS);
    assert.not.ok(existsSync(join(dir, CACHE_FILE)));
    assert.match(describeThresholds(r), /calibration failed: wasm spline_forward: spline kernels missing/);
  });
});

test('cache: a directory that cannot be created costs a calibration, not an error', () => {
  withCacheDir((dir) => {
    const blocker = join(dir, 'a-file');
    writeFileSync(blocker, 'not a directory');
    const env = { FNF_CACHE_DIR: join(blocker, 'fnflow') };
    const fake = fakeCalibration(SHIFT);
    assert.is(hostThresholds(k2, env, fake.measure).source, 'calibrated');
    assert.is(hostThresholds(k2, env, fake.measure).source, 'calibrated');
    assert.is(fake.calls(), 2);
  });
});

test('cacheDir: FNF_CACHE_DIR, else $XDG_CACHE_HOME/fnflow, else ~/.cache/fnflow', () => {
  assert.is(cacheDir({ FNF_CACHE_DIR: '/a', XDG_CACHE_HOME: '/b' }), '/a');
  assert.is(cacheDir({ XDG_CACHE_HOME: '/b' }), join('/b', 'fnflow'));
  assert.match(cacheDir({}), /\.cache[\\/]fnflow$/);
});

/** The small kinematic flow of the bit-parity checks. */
const SMALL_KIN_NSF = {
  features: 2,
  context: 2,
  bins: 8,
  transforms: 2,
  hiddenFeatures: [32, 32],
  slope: 1e-3,
  bound: 5,
};

/** Two AdamW steps of a small kinematic NSF (one-hot context: the shared-context path) at batch 1024. */
function trainKin(dev: Device): { params: Float32Array; logp: Float32Array } {
  const rng = Rng.fromSeed(5);
  const nsf = new NSF(dev, SMALL_KIN_NSF).init(rng);
  const opt = new AdamW(nsf.params);
  const job = { device: dev, params: nsf.params, logProb: (t, x, c) => nsf.logProbVar(t, x, c) } as TrainJob;
  const gen = defaultGeneratorConfig();
  for (let s = 0; s < 2; s++) trainStep(job, opt, nominalBatch('kin', rng, 1024, gen), 1e-3);
  const b = nominalBatch('kin', rng, 1024, gen);
  const logp = nsf.logProb(b.x, { context: b.context });
  const params = nsf.params.values.toArray();
  opt.free();
  return { params, logp: Float32Array.from(logp) };
}

test('any thresholds (built-in, calibrated, 8× either way, all or nothing split): the bits of one thread', () => {
  const want = trainKin(one);
  const NEVER = { matmulFlops: Infinity, streaming: Infinity, mathMap: Infinity, spline: Infinity };
  const ALWAYS = { matmulFlops: 1, streaming: 1, mathMap: 1, spline: 1 };
  const up = Object.fromEntries(THRESHOLD_KINDS.map((k) => [k, MAX_SHIFT])) as Calibration['shift'];
  const down = Object.fromEntries(THRESHOLD_KINDS.map((k) => [k, -MAX_SHIFT])) as Calibration['shift'];
  const cases: [string, SplitThresholds][] = [
    ['built-in', DEFAULT_THRESHOLDS],
    ['calibrated here', measured.thresholds],
    ['8× up', shifted(up)],
    ['8× down', shifted(down)],
    ['always split', ALWAYS],
    ['never split', NEVER],
  ];
  for (const [name, t] of cases) {
    k2.setThresholds(t);
    const got = trainKin(two);
    sameBits(`${name}: parameters after 2 steps`, got.params, want.params);
    sameBits(`${name}: log p`, got.logp, want.logp);
  }
  k2.setThresholds(DEFAULT_THRESHOLDS);
  // The steps moved the parameters (the comparison would pass vacuously on a no-op).
  const rng = Rng.fromSeed(5);
  const fresh = new NSF(one, SMALL_KIN_NSF).init(rng);
  assert.ok(fresh.params.values.toArray().some((v, i) => v !== want.params[i]));
});

test.after(() => {
  (one.kernels as WasmKernels).dispose();
  k2.dispose();
});

test.run();
