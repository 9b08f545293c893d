/** Classifier two-sample test: the AUC statistic, and the MLP telling apart what differs (and not what does not). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createDevice } from '../src/backend/index.js';
import { Rng } from '../src/random/rng.js';
import { classifierTwoSample, weightedAuc } from '../src/validate/two-sample.js';
import { marginalChi2 } from '../src/validate/marginals.js';

test('weighted AUC: separation, ties, weights, and the Hanley–McNeil error', () => {
  const f = (a: number[]) => Float64Array.from(a);
  assert.is(weightedAuc(f([3, 4]), undefined, f([1, 2])).auc, 1);
  assert.is(weightedAuc(f([1, 2]), undefined, f([3, 4])).auc, 0);
  assert.is(weightedAuc(f([1, 2]), undefined, f([1, 2])).auc, 0.5);
  // positive 5 beats both negatives, positive 0 neither: weights 3 and 1 → 3/4
  assert.is(weightedAuc(f([5, 0]), f([3, 1]), f([1, 2])).auc, 0.75);
  const r = weightedAuc(f([0.1, 0.4, 0.35, 0.8]), undefined, f([0.2, 0.3, 0.5, 0.05]));
  const A = r.auc;
  const q1 = A / (2 - A);
  const q2 = (2 * A * A) / (1 + A);
  assert.ok(Math.abs(r.auc_se - Math.sqrt((A * (1 - A) + 3 * (q1 - A * A) + 3 * (q2 - A * A)) / 16)) < 1e-12);
});

test('the classifier finds a shifted sample and not an identical one', async () => {
  const dev = await createDevice({ backend: 'wasm', threads: 1 } as Parameters<typeof createDevice>[0]);
  const n = 4000;
  const draw = (rng: Rng, shift: number) => {
    const out = new Float32Array(3 * n);
    for (let i = 0; i < n; i++) {
      out[3 * i] = rng.normal() + shift;
      out[3 * i + 1] = rng.normal();
      out[3 * i + 2] = i % 2; // a context column shared by both sides
    }
    return out;
  };
  const rng = Rng.fromSeed(11);
  const opts = { hidden: 16, steps: 150, batch: 256, lr: 5e-3 };
  const same = classifierTwoSample(dev, draw(rng, 0), draw(rng, 0), 3, undefined, rng, opts);
  assert.ok(Math.abs(same.auc - 0.5) < 4 * same.auc_se + 0.01, `same: ${same.auc} ± ${same.auc_se}`);
  const shifted = classifierTwoSample(dev, draw(rng, 0.5), draw(rng, 0), 3, undefined, rng, opts);
  assert.ok(shifted.auc > 0.6, `shifted: ${shifted.auc}`);
  assert.ok(shifted.auc > 0.5 + 5 * shifted.auc_se);
  assert.is(shifted.events, n / 2);
});

test('marginal χ²/ndf: about 1 for the same distribution, large for a shifted one; weights count', () => {
  const rng = Rng.fromSeed(3);
  const n = 20000;
  const draw = (shift: number) =>
    Float32Array.from({ length: 2 * n }, (_, i) => (i % 2 === 0 ? rng.normal() + shift : 0));
  const same = marginalChi2(draw(0), draw(0), 2, 0, undefined);
  assert.is(same.ndf, 19);
  assert.ok(same.chi2 / same.ndf < 2.5, `same: ${same.chi2 / same.ndf}`);
  const shifted = marginalChi2(draw(0.2), draw(0), 2, 0, undefined);
  assert.ok(shifted.chi2 / shifted.ndf > 10, `shifted: ${shifted.chi2 / shifted.ndf}`);
  // Exact case: the data median 2 is the one inner edge; data bins hold (0, 1) and (2, 3), model (0, 0) and (2, 3).
  const d = Float32Array.from([0, 0, 1, 0, 2, 0, 3, 0]);
  const m = Float32Array.from([0, 0, 0, 0, 2, 0, 3, 0]);
  assert.equal(marginalChi2(d, m, 2, 0, undefined, 2), { chi2: 0, ndf: 1 });
  // Weights 2, 2, 1, 1: data (4, 2), Σw² (8, 2); model scaled to Σw = 6: (3, 3), variance 2 · 1.5² per bin.
  const r = marginalChi2(d, m, 2, 0, Float64Array.from([2, 2, 1, 1]), 2);
  assert.ok(Math.abs(r.chi2 - (1 / 12.5 + 1 / 6.5)) < 1e-12, `${r.chi2}`);
});

test.run();
