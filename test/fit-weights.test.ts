/**
 * Fits to weighted events (`fnf fit --weight`): the sandwich covariance H⁻¹ (Σ w² s sᵀ) H⁻¹.
 * - Scaling every weight by 3 leaves the sandwich errors where the unit-weight sandwich puts them,
 *   while HESSE's own errors shrink by √3 (what an uncorrected weighted fit would report).
 * - Coverage on toys from the exact generator with weights unrelated to the events (0.5 or 3): the
 *   pulls of μ̂ have unit width with the sandwich errors; with HESSE's they would be ~1.6 wide.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { createDevice } from '../src/backend/index.js';
import { loadConfig } from '../src/config/load.js';
import { Rng } from '../src/random/rng.js';
import { loadFitModels } from '../src/fit/setup.js';
import { makeSource } from '../src/fit/sources.js';
import { MixtureLikelihood } from '../src/fit/likelihood.js';
import { drawToy } from '../src/fit/toy-data.js';
import { fitLikelihood } from '../src/fit/run-fit.js';
import { concatEvents, type FitEvents } from '../src/fit/events.js';
import { REPO } from './helpers/shared.js';

const dev = await createDevice({ backend: 'wasm', threads: 1 });
const sys = loadConfig(join(REPO, 'configs/systematics.yaml'), 'systematics');
const models = { ...loadFitModels(dev, sys, 'xy'), observables: 'x' as const };
const names = { nuisanceNames: ['shift', 'squeeze'] };

const withWeights = (ev: FitEvents, w: (i: number) => number): FitEvents => ({
  ...ev,
  weights: Float64Array.from({ length: ev.n }, (_, i) => w(i)),
});
const fitOf = (ev: FitEvents, weighted: boolean) =>
  fitLikelihood(new MixtureLikelihood(makeSource('truth', models, ev), ev, names), { weightedEvents: weighted });

test('all weights 3: the sandwich errors are the unit-weight ones; HESSE alone would shrink them by √3', () => {
  const ev = drawToy(Rng.fromSeed(3), 3000, 0.4, models.truthAt!([0.3, -0.2]));
  const one = fitOf(
    withWeights(ev, () => 1),
    true,
  );
  const three = fitOf(
    withWeights(ev, () => 3),
    true,
  );
  const naive = fitOf(
    withWeights(ev, () => 3),
    false,
  );
  for (const f of [one, three, naive]) assert.ok(f.json.valid);
  assert.is(three.json.weighted_errors, 'sandwich');
  assert.is(naive.json.weighted_errors, undefined);
  assert.match(three.message, /HESSE corrected for the event weights/);
  three.json.parameters.forEach((p, i) => {
    const e1 = one.json.parameters[i].error;
    // The constraints (1/σ² = 1) do not scale with the weights, so the ν errors match only roughly.
    const tol = i === 0 ? 0.01 : 0.15;
    assert.ok(Math.abs(p.error / e1 - 1) < tol, `${p.name}: ${p.error} vs ${e1}`);
    assert.ok(Math.abs(p.value - one.json.parameters[i].value) < 0.05 * e1, `${p.name} value`);
  });
  const r = naive.json.parameters[0].error / one.json.parameters[0].error;
  assert.ok(Math.abs(r * Math.sqrt(3) - 1) < 0.02, `HESSE's μ error ×√3 = ${r * Math.sqrt(3)}`);
  // MINOS is not run on weighted events even when asked for.
  const asked = fitLikelihood(
    new MixtureLikelihood(
      makeSource(
        'truth',
        models,
        withWeights(ev, () => 3),
      ),
      withWeights(ev, () => 3),
      names,
    ),
    { weightedEvents: true, minos: ['mu'] },
  );
  assert.is(asked.json.parameters[0].minos, null);
});

test('coverage: μ pulls have unit width with the sandwich errors (weights 0.5 or 3, unrelated to the events)', () => {
  const rng = Rng.fromSeed(17);
  const mu = 0.35;
  const truth = models.truthAt!([0, 0]);
  const pulls: number[] = [];
  const naivePulls: number[] = [];
  for (let t = 0; t < 200; t++) {
    const ev = withWeights(drawToy(rng, 800, mu, truth), () => (rng.uniform53() < 0.5 ? 0.5 : 3));
    const f = fitOf(ev, true);
    if (!f.json.valid) continue;
    const p = f.json.parameters[0];
    pulls.push((p.value - mu) / p.error);
    naivePulls.push((p.value - mu) / f.result.errors[0]);
  }
  assert.ok(pulls.length >= 190, `${pulls.length} valid fits`);
  const sd = (a: number[]) => {
    const m = a.reduce((x, y) => x + y, 0) / a.length;
    return Math.sqrt(a.reduce((x, y) => x + (y - m) * (y - m), 0) / (a.length - 1));
  };
  // Expected: 1 with the sandwich; √(E[w²]/E[w]) = √(4.625/1.75) ≈ 1.63 with HESSE alone. With 200
  // toys the width is known to ±5 %.
  assert.ok(Math.abs(sd(pulls) - 1) < 0.2, `pull width ${sd(pulls)}`);
  assert.ok(sd(naivePulls) > 1.35, `HESSE-only pull width ${sd(naivePulls)}`);
});

test('several files: events concatenated in order; weighted and unweighted files are not mixed', () => {
  const a = drawToy(Rng.fromSeed(1), 5, 0.5, models.truthAt!([0, 0]));
  const b = drawToy(Rng.fromSeed(2), 3, 0.5, models.truthAt!([0, 0]));
  const ab = concatEvents([a, b], ['a.csv', 'b.csv']);
  assert.is(ab.n, 8);
  assert.equal(Array.from(ab.x), [...a.x, ...b.x]);
  assert.equal(Array.from(ab.y!), [...a.y!, ...b.y!]);
  assert.is(ab.weights, null);
  assert.throws(
    () => concatEvents([a, withWeights(b, () => 2)], ['a.csv', 'b.csv']),
    /b\.csv has a weight column and a\.csv has none: give every file weights, or none/,
  );
});

test.run();
