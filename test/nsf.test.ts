/**
 * NSF and residual models beyond the golden rows: normalisation, round trips including tails,
 * masks built from scratch equal Zuko's, safetensors round trip, identity at ν = 0.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDevice } from '../src/backend/index.js';
import { readCheckpoint } from '../src/io/checkpoint.js';
import { toBool } from '../src/io/state-dict.js';
import { NSF } from '../src/flows/nsf.js';
import { nsfArchitecture, nsfToStateDict } from '../src/flows/nsf-state.js';
import { loadBaseFlow, loadResidualModel } from '../src/models/load.js';
import { residualArchitecture, residualToStateDict } from '../src/systematics/state.js';
import { SystematicCorrectedModel } from '../src/systematics/corrected-model.js';
import { residualDefaults } from '../src/systematics/config.js';
import { saveModel } from '../src/train/checkpoint.js';
import { Rng } from '../src/random/rng.js';
import { SHARED } from './helpers/shared.js';

const dev = await createDevice({ backend: 'wasm', threads: 1 });
const REF = join(SHARED, 'reference-models');
const kin = loadBaseFlow(dev, join(REF, 'kin_density.pt'));
const score = loadBaseFlow(dev, join(REF, 'score_density.pt'));

/** ∫ exp(log p) over [−L, L]² on a G×G midpoint grid, for one context row. */
function integrate(
  logProb: (x: Float32Array, c: Float32Array) => Float32Array,
  ctx: number[],
  L: number,
  G: number,
): number {
  const h = (2 * L) / G;
  const x = new Float32Array(2 * G * G),
    c = new Float32Array(ctx.length * G * G);
  for (let i = 0; i < G; i++) {
    for (let j = 0; j < G; j++) {
      const k = i * G + j;
      x[2 * k] = -L + (i + 0.5) * h;
      x[2 * k + 1] = -L + (j + 0.5) * h;
      c.set(ctx, ctx.length * k);
    }
  }
  const lp = logProb(x, c);
  let s = 0;
  for (const v of lp) s += Math.exp(v);
  return s * h * h;
}

test('kin NSF: exp(log p) integrates to 1 ± 2e-3 for both classes', () => {
  for (const c of [
    [1, 0],
    [0, 1],
  ]) {
    const I = integrate((x, ctx) => kin.logProb(x, { context: ctx }), c, 6, 300);
    assert.ok(Math.abs(I - 1) < 2e-3, `class ${c}: ∫ = ${I}`);
  }
});

test('score NSF: exp(log p(y | x, c)) integrates to 1 ± 2e-3 for both classes', () => {
  for (const c of [
    [1, 0, 0.3, -0.2],
    [0, 1, -0.8, 0.5],
  ]) {
    const I = integrate((y, ctx) => score.logProb(y, { context: ctx }), c, 8, 320);
    assert.ok(Math.abs(I - 1) < 2e-3, `context ${c}: ∫ = ${I}`);
  }
});

// The spec (§ edge cases) says the reference models round-trip to ~1e-5; where the 3-transform
// score flow is steepest (|z| ≈ 4.5–4.8) an f32 error of a few ulp in x is amplified to 1.2e-5,
// and the exact value moves with the summation order inside the hyper-network.
test('inverse(transform(x)) round-trips to 2e-5 on 10k points including the tails', () => {
  const rng = Rng.fromSeed(9);
  const n = 10_000;
  for (const flow of [kin, score]) {
    const C = flow.config.context;
    const x = new Float32Array(2 * n),
      c = new Float32Array(C * n);
    for (let i = 0; i < n; i++) {
      // most points in the bulk, every 10th in the tails up to ±7 (identity beyond ±5)
      const s = i % 10 === 0 ? 7 : 2.5;
      x[2 * i] = (2 * rng.uniform() - 1) * s;
      x[2 * i + 1] = (2 * rng.uniform() - 1) * s;
      const cls = i % 2;
      c[C * i + cls] = 1;
      if (C === 4) {
        c[C * i + 2] = rng.normal();
        c[C * i + 3] = rng.normal();
      }
    }
    const { z, ladj } = flow.forward(x, { context: c });
    const back = flow.inverse(z, { context: c });
    let worst = 0,
      worstL = 0;
    for (let i = 0; i < 2 * n; i++) worst = Math.max(worst, Math.abs(back.x[i] - x[i]));
    for (let i = 0; i < n; i++) worstL = Math.max(worstL, Math.abs(back.ladj[i] + ladj[i]));
    assert.ok(worst < 2e-5, `max |x − f⁻¹(f(x))| = ${worst}`);
    assert.ok(worstL < 1e-4, `max |ladj_inv + ladj| = ${worstL}`);
  }
});

test('masks built from scratch are bit-identical to the checkpoint masks', () => {
  for (const [file, cfg] of [
    ['kin_density.pt', kin.config],
    ['score_density.pt', score.config],
  ] as const) {
    const fresh = new NSF(dev, cfg);
    const sd = readCheckpoint(join(REF, file)).dict;
    fresh.transforms.forEach((t, k) =>
      t.hyper.maskArrays().forEach((m, l) => {
        assert.equal(
          m.flat(),
          toBool(sd.get(`transform.transforms.${k}.hyper.${2 * l}.mask`)!),
          `${file} t${k} layer ${l}`,
        );
      }),
    );
    fresh.params.free();
  }
});

test('safetensors round trip gives identical numbers (base and residual)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fnf-nsf-'));
  saveModel(join(dir, 'kin.safetensors'), nsfToStateDict(kin), nsfArchitecture(kin.config));
  const back = loadBaseFlow(dev, join(dir, 'kin.safetensors'));
  const x = Float32Array.from({ length: 200 }, (_, i) => Math.sin(i) * 3);
  const c = Float32Array.from({ length: 200 }, (_, i) => (i % 2 === (i >> 1) % 2 ? 1 : 0));
  assert.equal(Array.from(back.logProb(x, { context: c })), Array.from(kin.logProb(x, { context: c })));
  const res = loadResidualModel(dev, join(REF, 'kin_density_residuals.pt'));
  saveModel(join(dir, 'res.safetensors'), residualToStateDict(res), residualArchitecture(res));
  const res2 = loadResidualModel(dev, join(dir, 'res.safetensors'));
  const nu = Float32Array.from({ length: 200 }, (_, i) => (i % 7) / 3 - 1);
  assert.equal(Array.from(res2.logProb(x, { context: c, nu })), Array.from(res.logProb(x, { context: c, nu })));
});

test('a fresh residual model is exactly the identity for every ν; a trained one at ν = 0', () => {
  const fresh = new SystematicCorrectedModel(
    dev,
    kin,
    residualDefaults({
      featuresDim: 2,
      contextDim: 2,
      numNuisances: 2,
      crossTermPairs: [[0, 1]],
      hiddenFeatures: [16, 16],
    }),
  ).init(Rng.fromSeed(3));
  const x = Float32Array.from({ length: 64 }, (_, i) => Math.cos(i) * 2);
  const c = Float32Array.from({ length: 64 }, (_, i) => i % 2);
  const nu = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i * 1.3) * 2);
  const f = fresh.forward(x, { context: c, nu });
  assert.equal(Array.from(f.xNom), Array.from(x));
  assert.ok(f.ladj.every((v) => v === 0));
  const trained = loadResidualModel(dev, join(REF, 'score_density_residuals.pt'));
  const ctx = Float32Array.from({ length: 128 }, (_, i) =>
    i % 4 < 2 ? (i % 4 === (i >> 2) % 2 ? 1 : 0) : Math.sin(i),
  );
  const t0 = trained.forward(x, { context: ctx, nu: new Float32Array(64) });
  assert.equal(Array.from(t0.xNom), Array.from(x));
  assert.equal(
    Array.from(trained.logProb(x, { context: ctx, nu: new Float32Array(64) })),
    Array.from(trained.base.logProb(x, { context: ctx })),
  );
});

test('residual inverse round-trips, and cross-terms vanish when ν_i·ν_j = 0', () => {
  const res = loadResidualModel(dev, join(REF, 'score_density_residuals.pt'));
  const n = 500;
  const x = Float32Array.from({ length: 2 * n }, (_, i) => Math.sin(i * 0.7) * 2.5);
  const ctx = new Float32Array(4 * n);
  for (let i = 0; i < n; i++) {
    ctx[4 * i + (i % 2)] = 1;
    ctx[4 * i + 2] = Math.cos(i);
    ctx[4 * i + 3] = Math.sin(2 * i);
  }
  const nu = Float32Array.from({ length: 2 * n }, (_, i) => Math.sin(i * 1.7) * 1.5);
  const f = res.forward(x, { context: ctx, nu });
  const b = res.inverse(f.xNom, { context: ctx, nu });
  for (let i = 0; i < 2 * n; i++) assert.ok(Math.abs(b.x[i] - x[i]) < 1e-5, `row ${i >> 1}`);
  for (let i = 0; i < n; i++) assert.ok(Math.abs(b.ladj[i] + f.ladj[i]) < 1e-5);
  // a model with a cross net whose weights are all non-zero: at ν = (a, 0) it equals the same model without it
  const cross = new SystematicCorrectedModel(
    dev,
    kin,
    residualDefaults({
      featuresDim: 2,
      contextDim: 2,
      numNuisances: 2,
      crossTermPairs: [[0, 1]],
      hiddenFeatures: [16],
    }),
  ).init(Rng.fromSeed(4));
  const plain = new SystematicCorrectedModel(
    dev,
    kin,
    residualDefaults({ featuresDim: 2, contextDim: 2, numNuisances: 2, hiddenFeatures: [16] }),
  );
  const rng = Rng.fromSeed(5);
  for (const p of cross.params.params)
    for (let i = 0; i < p.value.size; i++) p.value.data[i] = (rng.uniform() - 0.5) * 0.4;
  for (const p of plain.params.params) p.value.data.set(cross.params.get(p.name).value.data);
  const xs = x.subarray(0, 2 * 100),
    cs = Float32Array.from({ length: 200 }, (_, i) => (i % 2 === (i >> 1) % 2 ? 1 : 0));
  for (const axis of [0, 1]) {
    const nuAxis = Float32Array.from({ length: 200 }, (_, i) => (i % 2 === axis ? 1.3 : 0));
    assert.equal(
      Array.from(cross.forward(xs, { context: cs, nu: nuAxis }).xNom),
      Array.from(plain.forward(xs, { context: cs, nu: nuAxis }).xNom),
    );
  }
  const both = new Float32Array(200).fill(1);
  assert.not.equal(
    Array.from(cross.forward(xs, { context: cs, nu: both }).xNom),
    Array.from(plain.forward(xs, { context: cs, nu: both }).xNom),
  );
});

test.run();
