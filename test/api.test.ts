/**
 * The public API, imported by the package's own name (self-reference through package.json
 * `exports`): the README's "Use it as a library" snippet runs here and its numbers are checked
 * against the lower-level path, the generator's exact density, and loading from bytes.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createDevice,
  isResidualCheckpoint,
  loadBaseFlow,
  writeModel,
  defaultGeneratorConfig,
  generateBatch,
  loadConfig,
  loadModel,
  loadResidualModel,
  logProbXBatch,
  modelToBytes,
  NSF,
  Rng,
  SystematicCorrectedModel,
  Tape,
  withNuisance,
  openFitModels,
  likelihoodFor,
  fitLikelihood,
  drawToy,
  migrad,
  minos,
  shippedModelPath,
} from 'fnflow';
import { loadResidualModel as loadResidualModelDirect } from '../src/models/load.js';
import { REPO } from './helpers/shared.js';

const MODEL = join(REPO, 'models', 'kin_density_residuals.safetensors');

// ---- the README snippet ----
const dev = await createDevice({ backend: 'wasm' });
const model = loadResidualModel(dev, shippedModelPath('kin_density_residuals'));
// three events: x = (x₀, x₁) per row; c one-hot (class A, class B, class A)
const x = Float32Array.of(0.3, -0.5, 1.2, 0.8, -0.7, 1.1);
const context = Float32Array.of(1, 0, 0, 1, 1, 0);
const nu = Float32Array.of(0.5, -0.3); // one ν for every row
const logp = model.logProb(x, { context, nu });
// ---- end of snippet ----

test('the README snippet: finite log p, equal to the lower-level tape path bit for bit', () => {
  assert.is(logp.length, 3);
  assert.ok(
    logp.every((v) => Number.isFinite(v) && v > -20 && v < 2),
    `log p ${Array.from(logp)}`,
  );
  const direct = loadResidualModelDirect(dev, MODEL);
  const lower = dev.scoped(() => {
    const tape = new Tape(dev, { grad: false });
    const nuRows = dev.tensor(Float32Array.of(0.5, -0.3, 0.5, -0.3, 0.5, -0.3), [3, 2]);
    const lp = direct.logProbVar(tape, tape.constant(dev.tensor(x, [3, 2])), {
      context: tape.constant(dev.tensor(context, [3, 2])),
      nu: tape.constant(nuRows),
    });
    return Float32Array.from(lp.value.data);
  });
  assert.equal(Array.from(logp), Array.from(lower));
});

test('the README snippet: log p is the exact density at ν = (0.5, −0.3) to the model’s accuracy', () => {
  const truth = withNuisance(defaultGeneratorConfig(), [0.5, -0.3]);
  const classes = Float64Array.of(0, 1, 0);
  const exact = logProbXBatch(Float64Array.from(x), classes, truth);
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(logp[i] - exact[i]) < 0.05, `row ${i}: ${logp[i]} vs ${exact[i]}`);
  // ν moves the density: the nominal model differs
  const nominal = model.logProb(x, { context, nu: Float32Array.of(0, 0) });
  assert.ok(nominal.some((v, i) => Math.abs(v - logp[i]) > 1e-3));
});

test('loading from bytes (no file system) gives the same model; loadModel tells flows from residual models', () => {
  const fromBytes = loadModel(dev, { bytes: readFileSync(MODEL), name: 'kin residual' });
  assert.ok(fromBytes instanceof SystematicCorrectedModel);
  assert.equal(Array.from(fromBytes.logProb(x, { context, nu })), Array.from(logp));
  const again = loadModel(dev, { bytes: modelToBytes(model) });
  assert.equal(Array.from((again as SystematicCorrectedModel).logProb(x, { context, nu })), Array.from(logp));
  const flow = loadModel(dev, join(REPO, 'models', 'kin_density.safetensors'));
  assert.ok(flow instanceof NSF);
  assert.equal(Array.from(flow.logProb(x, { context })), Array.from(model.base.logProb(x, { context })));
});

test('one context row (like one ν) stands for every row: logProb and sample as with it repeated', () => {
  const classA = Float32Array.of(1, 0);
  const repeated = Float32Array.of(1, 0, 1, 0, 1, 0);
  assert.equal(
    Array.from(model.logProb(x, { context: classA, nu })),
    Array.from(model.logProb(x, { context: repeated, nu })),
  );
  const once = model.sample(3, { context: classA, nu }, Rng.fromSeed(7));
  assert.equal(Array.from(once), Array.from(model.sample(3, { context: repeated, nu }, Rng.fromSeed(7))));
  const base = model.base.sample(3, { context: classA }, Rng.fromSeed(7));
  assert.equal(Array.from(base), Array.from(model.base.sample(3, { context: repeated }, Rng.fromSeed(7))));
});

test('bad input names what was expected', () => {
  assert.throws(() => model.logProb(x, { context }), /needs ν: 2 values, or 2 per row/);
  assert.throws(() => model.logProb(x.subarray(0, 5), { context, nu }), /not a whole number of rows of 2/);
  assert.throws(
    () => model.logProb(x, { context, nu: Float32Array.of(1, 2, 3) }),
    /ν has 3 values, expected 2 \(one row for all\) or 3 rows × 2/,
  );
  assert.throws(() => loadModel(dev, { bytes: Uint8Array.of(1, 2, 3), name: 'junk' }), /junk/);
  assert.throws(
    () => model.logProb(x, { context: context.subarray(0, 4), nu }),
    /logProb: context has 4 values, expected 2 \(one row for all\) or 3 rows × 2/,
  );
  assert.throws(
    () => model.sample(2, { context, nu }, Rng.fromSeed(1)),
    /SystematicCorrectedModel\.sample: context has 6 values, expected 2 \(one row for all\) or 2 rows × 2/,
  );
  assert.throws(() => model.base.sample(2, { context }, Rng.fromSeed(1)), /NSF\.sample: context has 6 values/);
  const untyped = model as unknown as { logProb(x: unknown, c: unknown): Float32Array };
  assert.throws(() => untyped.logProb('0.3,-0.5', { context, nu }), /logProb: x must be a Float32Array .*got string/);
  assert.throws(() => untyped.logProb(x, { context: {}, nu }), /logProb: context must be a Float32Array .*got Object/);
});

test('a loader given the other kind of model file says which kind it holds and which loader reads it', () => {
  assert.throws(
    () => loadResidualModel(dev, shippedModelPath('kin_density')),
    /kin_density\.safetensors: holds a base flow .*not a residual model: load it with loadBaseFlow/,
  );
  assert.throws(
    () => loadBaseFlow(dev, shippedModelPath('kin_density_residuals')),
    /kin_density_residuals\.safetensors: holds a residual model .*not a base flow: load it with loadResidualModel/,
  );
});

test('{ bytes } takes an ArrayBuffer (what fetch and FileReader give) and names anything else', () => {
  const file = readFileSync(MODEL);
  const buffer = file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength);
  const fromBuffer = loadModel(dev, { bytes: buffer, name: 'r.safetensors' }) as SystematicCorrectedModel;
  assert.equal(Array.from(fromBuffer.logProb(x, { context, nu })), Array.from(logp));
  fromBuffer.params.free();
  assert.throws(
    () => loadModel(dev, { bytes: [1, 2] } as never),
    /checkpoint source \{ bytes \}: bytes must be a Uint8Array or an ArrayBuffer, got Array/,
  );
});

test('from JavaScript: a misspelt backend, a source that is no checkpoint, no rng: errors that say so', async () => {
  let err = '';
  await createDevice({ backend: 'cuda' as never }).catch((e: Error) => (err = e.message));
  assert.match(
    err,
    /unknown backend 'cuda' \(from createDevice options\.backend\); expected one of auto, wasm, ts, gpu/,
  );
  assert.throws(() => loadModel(dev, 42 as never), /checkpoint source: expected a file path, .* got number/);
  assert.throws(() => model.sample(2, { context, nu }, undefined as never), /sample: rng must be an Rng/);
  assert.throws(() => model.sample(1.5, { context, nu }, Rng.fromSeed(1)), /sample: n must be a whole number/);
  const cfg = defaultGeneratorConfig();
  assert.throws(
    () => generateBatch(cfg as never, 5, Rng.fromSeed(1) as never),
    /generateBatch\(rng, n, cfg\): rng must/,
  );
  assert.throws(() => loadConfig('configs/base_flows.yaml', undefined as never), /kind must be one of base, syst/);
});

test('bad x before anything else: null, a ragged length — named as x, by the method called', () => {
  const untyped = model as unknown as Record<string, (x: unknown, c?: unknown) => unknown>;
  for (const method of ['logProb', 'logProbGrad', 'forward', 'inverse']) {
    assert.throws(
      () => untyped[method]!.call(model, null, { context, nu }),
      new RegExp(`${method}: x.* must be a Float32Array .*got null`),
    );
  }
  // weights are checked against the rows only once x is known to be whole rows
  assert.throws(
    () => model.logProbGrad(x.subarray(0, 5), { context, nu }),
    /logProbGrad: 5 values is not a whole number of rows of 2/,
  );
  assert.throws(
    () => model.inverseFull(x.subarray(0, 5), { context, nu }),
    /SystematicCorrectedModel\.inverseFull: 5 values is not a whole number of rows of 2/,
  );
  const base = model.base as unknown as Record<string, (x: unknown, c?: unknown) => unknown>;
  assert.throws(
    () => base.logProb!.call(model.base, undefined, { context }),
    /NSF\.logProb: x must be a Float32Array .*got undefined/,
  );
  assert.throws(() => untyped.logProb!.call(model, x), /logProb: needs a context of 2 columns per row/);
});

test('an infinite x has log p = −∞ at every ν (and zero gradients), a NaN stays NaN', () => {
  const rows = Float32Array.of(Infinity, 0, 0, -Infinity, NaN, Infinity, 0.3, -0.5);
  const ctx = Float32Array.of(1, 0);
  for (const v of [Float32Array.of(0, 0), Float32Array.of(0.5, -0.3), Float32Array.of(-1, 1)]) {
    const lp = model.logProb(rows, { context: ctx, nu: v });
    assert.equal(Array.from(lp.subarray(0, 2)), [-Infinity, -Infinity], `ν = ${v}`);
    assert.ok(Number.isNaN(lp[2]) && Number.isFinite(lp[3]));
    const g = model.logProbGrad(rows, { context: ctx, nu: v });
    assert.equal(Array.from(g.logProb.subarray(0, 2)), [-Infinity, -Infinity]);
    assert.equal(Array.from(g.dNu.subarray(0, 4)), [0, 0, 0, 0]);
    assert.equal(Array.from(g.dX.subarray(0, 4)), [0, 0, 0, 0]);
  }
  assert.equal(Array.from(model.base.logProb(rows.subarray(0, 4), { context: ctx })), [-Infinity, -Infinity]);
});

test('a model whose parameters were freed refuses to evaluate (no silent garbage)', async () => {
  const d = await createDevice({ backend: 'ts' });
  const m = loadResidualModel(d, MODEL);
  m.params.free();
  loadResidualModel(d, MODEL); // reuses the freed memory
  assert.throws(
    () => m.logProb(x, { context, nu }),
    /SystematicCorrectedModel\.logProb: the model's parameters were freed/,
  );
  assert.throws(() => m.params.free(), /freed already/);
  const b = loadModel(d, join(REPO, 'models', 'kin_density.safetensors')) as NSF;
  b.params.free();
  assert.throws(
    () => b.sample(2, { context: context.subarray(0, 2) }, Rng.fromSeed(1)),
    /NSF\.sample: the model's parameters were freed/,
  );
  assert.throws(() => m.sample(2, { context, nu }, Rng.fromSeed(1)), /were freed/);
  // saving it would write whatever now sits in the freed memory (another model's weights)
  assert.throws(() => modelToBytes(b), /modelToBytes\(model\): the model's parameters were freed/);
  assert.throws(() => modelToBytes(m), /modelToBytes\(model\): the model's parameters were freed/);
  const file = join(mkdtempSync(join(tmpdir(), 'fnf-api-')), 'freed.safetensors');
  assert.throws(() => writeModel(file, b), /writeModel\(path, model\): the model's parameters were freed/);
  assert.not.ok(existsSync(file));
  // a transform taken from the model refuses too, at the tape and tensor levels
  d.scoped(() => {
    const tape = new Tape(d, { grad: false });
    const xv = tape.constant(d.tensor(x.subarray(0, 2), [1, 2]));
    const cv = tape.constant(d.tensor(context.subarray(0, 2), [1, 2]));
    const nv = tape.constant(d.tensor(nu, [1, 2]));
    assert.throws(
      () => b.transform.forwardVar(tape, xv, { context: cv }),
      /AutoregressiveSplineTransform\.forwardVar: the model's parameters were freed/,
    );
    assert.throws(
      () => b.transform.inverseTensor(d, xv.value, { context: cv.value }),
      /AutoregressiveSplineTransform\.inverseTensor: the model's parameters were freed/,
    );
    assert.throws(
      () => m.residual.forwardVar(tape, xv, { context: cv, nu: nv }),
      /PolynomialResidualTransform\.forwardVar: the model's parameters were freed/,
    );
  });
});

test('a NaN or ±∞ in the context, ν or weights is refused, naming the method, the input and where', () => {
  const rng = () => Rng.fromSeed(1);
  const bad: [() => unknown, RegExp][] = [
    // a context NaN gave a plausible finite log p (the one-hot's other class), not NaN
    [
      () => model.base.logProb(x, { context: Float32Array.of(NaN, 0) }),
      /NSF\.logProb: context is NaN at row 0, column 0 \(index 0\)/,
    ],
    [
      () => model.logProb(x, { context: Float32Array.of(1, 0, 0, 1, 1, Infinity), nu }),
      /SystematicCorrectedModel\.logProb: context is Infinity at row 2, column 1 \(index 5\); context must be finite/,
    ],
    [
      () => model.logProb(x, { context, nu: Float32Array.of(NaN, 0) }),
      /SystematicCorrectedModel\.logProb: ν is NaN at row 0, column 0/,
    ],
    [
      () => model.forward(x, { context, nu: Float32Array.of(0, NaN) }),
      /SystematicCorrectedModel\.forward: ν is NaN at row 0, column 1/,
    ],
    [
      () => model.inverse(x, { context: Float32Array.of(NaN, 1), nu }),
      /SystematicCorrectedModel\.inverse: context is NaN/,
    ],
    [
      () => model.base.forward(x, { context: Float32Array.of(1, -Infinity) }),
      /NSF\.forward: context is -Infinity at row 0, column 1/,
    ],
    [
      () => model.sample(2, { context: Float32Array.of(1, 0), nu: Float32Array.of(0, -Infinity) }, rng()),
      /SystematicCorrectedModel\.sample: ν is -Infinity/,
    ],
    [
      () => model.base.sample(2, { context: Float32Array.of(NaN, 0) }, rng()),
      /NSF\.sample: context is NaN at row 0, column 0/,
    ],
    [
      () => model.logProbGrad(x, { context, nu: Float32Array.of(NaN, 0) }),
      /SystematicCorrectedModel\.logProbGrad: ν is NaN/,
    ],
    [
      () => model.logProbGrad(x, { context, nu }, Float32Array.of(1, NaN, 1)),
      /SystematicCorrectedModel\.logProbGrad: weights is NaN at row 1 \(index 1\); weights must be finite/,
    ],
  ];
  for (const [call, want] of bad) assert.throws(call, want);
  // x itself keeps its documented meaning: ±∞ has log p = −∞, a NaN row stays NaN (and only that row)
  const lp = model.logProb(Float32Array.of(NaN, 0, 0.3, -0.5), { context: context.subarray(0, 2), nu });
  assert.ok(Number.isNaN(lp[0]) && Number.isFinite(lp[1]));
});

test('sample refuses more draws than one call holds, up front (the toy generator’s cap, 1e8)', () => {
  assert.throws(
    () => model.sample(2 ** 31, { context: context.subarray(0, 2), nu }, Rng.fromSeed(1)),
    /SystematicCorrectedModel\.sample: n = 2147483648 is more than the 100000000 draws one call makes \(.*batches\)/,
  );
  assert.throws(
    () => model.base.sample(1e10, { context: context.subarray(0, 2) }, Rng.fromSeed(1)),
    /NSF\.sample: n = 10000000000 is more than the 100000000 draws/,
  );
});

test('misuse from JavaScript: swapped or missing arguments, strings, BigInts, nested rows: one line each', () => {
  const untyped = model as unknown as { logProb(x: unknown, c: unknown): Float32Array };
  const write = writeModel as (...a: unknown[]) => void;
  const file = join(mkdtempSync(join(tmpdir(), 'fnf-api-')), 'm.safetensors');
  const bad: [() => unknown, RegExp][] = [
    [
      () => write(model, file),
      /writeModel\(path, model\): the path comes first, then the model \(got a SystematicCorrectedModel/,
    ],
    [
      () => write(file, null),
      /writeModel\(path, model\): model must be a flow or a residual model \(from loadModel\), got null/,
    ],
    [() => write(file, {}), /writeModel\(path, model\): model must be .*got a plain object/],
    [() => (modelToBytes as () => unknown)(), /modelToBytes\(model\): model must be .*got undefined/],
    [
      () => loadModel(null as never, MODEL),
      /loadModel\(dev, source\): dev must be a device \(await createDevice\(…\)\), got null/,
    ],
    [() => loadBaseFlow(undefined as never, MODEL), /loadBaseFlow\(dev, source\): dev must be a device/],
    [
      () => untyped.logProb(['a', 'b'], { context, nu }),
      /logProb: x\[0\] is a string; x must be flat row-major numbers/,
    ],
    [
      () => untyped.logProb(new BigInt64Array(2), { context, nu }),
      /logProb: x must be a Float32Array .*got BigInt64Array/,
    ],
    [
      () =>
        untyped.logProb(
          [
            [0.3, -0.5],
            [1.2, 0.8],
          ],
          { context, nu },
        ),
      /logProb: x\[0\] is an array \(nested rows\); .*flatten the rows/,
    ],
    [() => untyped.logProb(x, { context: [1, null], nu }), /logProb: context\[1\] is null/],
    [
      () => isResidualCheckpoint(MODEL as never),
      /isResidualCheckpoint\(checkpoint\): expected a checkpoint already read \(checkpointOf\(.*\)\), got string/,
    ],
  ];
  for (const [call, want] of bad) assert.throws(call, want);
  assert.not.ok(existsSync(file));
});

test('logProbVar checks x [B, F], the context rows and columns and ν [B, N] at the top, by name', () => {
  dev.scoped(() => {
    const tape = new Tape(dev, { grad: false });
    const v = (values: number[], shape: number[]) => tape.constant(dev.tensor(Float32Array.from(values), shape));
    const x2 = v([0.3, -0.5, 1.2, 0.8], [2, 2]);
    const c2 = v([1, 0, 0, 1], [2, 2]);
    const bad: [() => unknown, RegExp][] = [
      [
        () => model.base.logProbVar(tape, v([1, 2, 3, 4, 5, 6], [2, 3]), { context: c2 }),
        /NSF\.logProbVar: x has shape \[2, 3\], expected \[B, 2\]/,
      ],
      [
        () => model.base.logProbVar(tape, x2, { context: v([1, 0, 0, 1, 1, 0], [3, 2]) }),
        /NSF\.logProbVar: context has shape \[3, 2\], expected \[2, 2\], one row per row of x/,
      ],
      [
        () => model.base.logProbVar(tape, x2, { context: v([1, 0, 0, 1, 0, 0], [2, 3]) }),
        /NSF\.logProbVar: context has shape \[2, 3\], expected \[2, 2\]/,
      ],
      [() => model.base.logProbVar(tape, x2, {}), /NSF\.logProbVar: needs a context Var \[2, 2\]/],
      [
        () => model.logProbVar(tape, x2, { context: c2, nu: v([1, 2, 3], [3]) }),
        /SystematicCorrectedModel\.logProbVar: ν has shape \[3\], expected \[2, 2\]/,
      ],
      [
        () => model.logProbVar(tape, x2, { context: c2 }),
        /SystematicCorrectedModel\.logProbVar: needs ν, a Var \[2, 2\]/,
      ],
      [
        () => model.base.logProbVar(tape, Float32Array.of(1, 2) as never, { context: c2 }),
        /NSF\.logProbVar: x must be a Var of shape \[B, 2\] .*got Float32Array/,
      ],
      [
        () =>
          model.base.transform.inverseTensor(dev, dev.tensor(Float32Array.of(1, 2, 3), [1, 3]), { context: c2.value }),
        /AutoregressiveSplineTransform\.inverseTensor: y has shape \[1, 3\], expected \[B, 2\]/,
      ],
    ];
    for (const [call, want] of bad) assert.throws(call, want);
    // One ν for every row, as the README's tape recipe passes it: [1, N] and [N] give the rows'
    // [B, N] values.
    const perRow = model.logProbVar(tape, x2, { context: c2, nu: v([0.5, -0.3, 0.5, -0.3], [2, 2]) }).value.data;
    for (const shape of [[1, 2], [2]]) {
      const one = model.logProbVar(tape, x2, { context: c2, nu: v([0.5, -0.3], shape) }).value.data;
      assert.equal(Array.from(one), Array.from(perRow), `ν of shape [${shape}]`);
    }
  });
});

test('createDevice options from JavaScript: each bad one named as createDevice options.<key>', async () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ threads: 0 }, /createDevice options\.threads: expected an integer thread count in \[1, \d+\], got '0'/],
    [{ wasmBuild: 'simd2' }, /createDevice options\.wasmBuild: expected one of simd, relaxed, got 'simd2'/],
    [{ initialBytes: -5 }, /createDevice options\.initialBytes: expected a whole number of bytes/],
    [{ calibrate: 'yes' }, /createDevice options\.calibrate: expected true or false/],
    [{ thread: 2 }, /createDevice: unknown option 'thread'; the options are backend, wasmBuild, .*threads/],
  ];
  for (const [opts, want] of bad) {
    let err = '';
    await createDevice({ backend: 'wasm', ...opts }).catch((e: Error) => (err = e.message));
    assert.match(err, want);
  }
  // the thread range is wasm's on every backend: ts accepted 100 threads silently
  for (const threads of [100, 0, 1.5]) {
    let err = '';
    await createDevice({ backend: 'ts', threads }).catch((e: Error) => (err = e.message));
    assert.match(err, /createDevice options\.threads: expected an integer thread count in \[1, 64\]/);
  }
  assert.ok(await createDevice({ backend: 'ts', threads: 2 }));
});

test('from JavaScript, plain arrays (and other typed arrays) give what Float32Arrays give', () => {
  const untyped = model as unknown as { logProb(x: unknown, c: unknown): Float32Array };
  const got = untyped.logProb(Array.from(x), { context: Array.from(context), nu: Float64Array.from(nu) });
  assert.equal(Array.from(got), Array.from(logp));
});

test('the fit from the package: a toy from the exact generator, fitted with the truth and the flow', () => {
  const base = loadConfig(join(REPO, 'configs', 'base_flows.yaml'), 'base');
  const sys = loadConfig(join(REPO, 'configs', 'systematics.yaml'), 'systematics');
  const models = openFitModels(dev, base, sys, 'x');
  assert.equal(models.nuisanceNames, ['shift', 'squeeze']);
  const events = drawToy(Rng.fromSeed(3), 3000, 0.3, models.truthAt!([0.5, -0.4]));
  const settings = { observables: 'x' as const, extended: false };
  for (const name of ['truth', 'flow'] as const) {
    const fit = fitLikelihood(likelihoodFor(name, models, events, settings));
    assert.ok(fit.json.valid, `${name}: ${fit.message}`);
    const [mu, shift] = fit.json.parameters;
    assert.ok(Math.abs(mu.value - 0.3) < 4 * mu.error, `${name} μ̂ ${mu.value} ± ${mu.error}`);
    assert.ok(Math.abs(shift.value - 0.5) < 4 * shift.error, `${name} ν̂_shift ${shift.value} ± ${shift.error}`);
  }
});

test('the minimizer alone: MIGRAD and MINOS on a quadratic with a known minimum and errors', () => {
  const fcn = (t: Float64Array, g: Float64Array | null) => {
    if (g) {
      g[0] = (t[0] - 1) / 0.25;
      g[1] = (t[1] + 2) / 4;
    }
    return (0.5 * (t[0] - 1) ** 2) / 0.25 + (0.5 * (t[1] + 2) ** 2) / 4;
  };
  const params = [
    { name: 'a', value: 0, step: 0.1 },
    { name: 'b', value: 0, step: 0.1 },
  ];
  const r = migrad(fcn, params, { errordef: 0.5 });
  assert.ok(r.valid);
  assert.ok(Math.abs(r.values[0] - 1) < 1e-4 && Math.abs(r.values[1] + 2) < 1e-3);
  assert.ok(Math.abs(r.errors[0] - 0.5) < 1e-3 && Math.abs(r.errors[1] - 2) < 1e-2, `errors ${r.errors}`);
  const m = minos(fcn, r, params, 1, { errordef: 0.5 });
  assert.ok(Math.abs(m.lower + 2) < 1e-2 && Math.abs(m.upper - 2) < 1e-2, `MINOS ${m.lower} ${m.upper}`);
});

test.run();
