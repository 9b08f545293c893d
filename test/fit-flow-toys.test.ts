/**
 * Toys drawn from the flow model (src/fit/model-draws.ts drawFlowToy), the pseudo-data of a toy study for
 * models without an exact truth: each event's class from μ, its x and y from the residual models at ν.
 * Checked on the shipped models: the class fraction is μ within its binomial error, each class's mean x
 * is the flow's (its own large draw at the same ν) within the statistical error, the draw repeats with
 * the seed, and an x-only fit's toys carry no y.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { createDevice } from '../src/backend/index.js';
import { loadConfig } from '../src/config/load.js';
import { Rng } from '../src/random/rng.js';
import { loadFitModels } from '../src/fit/setup.js';
import { drawFlowToy, modelDraws } from '../src/fit/model-draws.js';
import { REPO } from './helpers/shared.js';

const dev = await createDevice({ backend: 'wasm', threads: 1 });
const sys = loadConfig(join(REPO, 'configs/systematics.yaml'), 'systematics');
const models = loadFitModels(dev, sys, 'xy');
const nu = [0.8, -0.5];

test('class fraction μ, per-class x means of the flow at ν, repeatable, y only when the fit uses it', () => {
  const n = 6000;
  const mu = 0.3;
  const toy = drawFlowToy(Rng.fromSeed(11), n, mu, models, nu);
  assert.is(toy.n, n);
  assert.ok(toy.y && toy.y.length === 2 * n && toy.weights === null);
  const nA = toy.truthClass!.reduce((a, c) => a + (c === 0 ? 1 : 0), 0);
  assert.ok(Math.abs(nA / n - mu) < 4 * Math.sqrt((mu * (1 - mu)) / n), `class A fraction ${nA / n}`);
  const ref = modelDraws('flow', models, nu, Rng.fromSeed(12), 40_000);
  for (const cls of [0, 1] as const) {
    for (const d of [0, 1]) {
      const vals: number[] = [];
      for (let i = 0; i < n; i++) if (toy.truthClass![i] === cls) vals.push(toy.x[2 * i + d]);
      const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
      const sd = Math.sqrt(vals.reduce((a, b) => a + (b - mean) ** 2, 0) / vals.length);
      const r = ref[cls][0];
      let refMean = 0;
      for (let i = d; i < r.length; i += 2) refMean += r[i] / (r.length / 2);
      assert.ok(
        Math.abs(mean - refMean) < 4 * (sd / Math.sqrt(vals.length)),
        `class ${cls} x${d + 1}: ${mean} vs ${refMean}`,
      );
    }
  }
  const again = drawFlowToy(Rng.fromSeed(11), n, mu, models, nu);
  assert.equal(Array.from(again.x), Array.from(toy.x));
  const xOnly = drawFlowToy(Rng.fromSeed(11), 50, mu, { ...models, score: null }, nu);
  assert.is(xOnly.y, null);
});

test.run();
