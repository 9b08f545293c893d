/**
 * The fit figures (src/fit/figures.ts) for each kind of fit: the plain μ likelihood, the extended one
 * (yields; these were not drawn before), and weighted events. Each writes fit_nuisances.png and
 * fit_data_vs_model.png at their sizes; the data figure of weighted events differs from the unweighted
 * one (Σw per bin), and the extended fit's impact panel reads the signal yield.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDevice } from '../src/backend/index.js';
import { loadConfig } from '../src/config/load.js';
import { Rng } from '../src/random/rng.js';
import { loadFitModels } from '../src/fit/setup.js';
import { drawToy } from '../src/fit/toy-data.js';
import { fitLikelihood, type ModelFit } from '../src/fit/run-fit.js';
import { fitFigures } from '../src/fit/figures.js';
import { likelihoodFor, type LikelihoodSettings } from '../src/fit/session.js';
import type { FitEvents } from '../src/fit/events.js';
import { pngSize } from '../src/plot/index.js';
import { REPO } from './helpers/shared.js';

const dev = await createDevice({ backend: 'wasm', threads: 1 });
const sys = loadConfig(join(REPO, 'configs/systematics.yaml'), 'systematics');
const models = { ...loadFitModels(dev, sys, 'xy'), observables: 'x' as const };
const events = drawToy(Rng.fromSeed(5), 1500, 0.3, models.truthAt!([0.4, 0]));

function draw(ev: FitEvents, extended: boolean, weighted = false): { dir: string; fit: ModelFit } {
  const settings: LikelihoodSettings = { observables: 'x', extended, fixMu: undefined, startMu: undefined };
  const fit = fitLikelihood(likelihoodFor('truth', models, ev, settings), { weightedEvents: weighted });
  assert.ok(fit.json.valid, `fit valid (extended ${extended}, weighted ${weighted})`);
  const dir = mkdtempSync(join(tmpdir(), 'fnf-fitfig-'));
  const files = fitFigures(dir, { models, events: ev, fits: { truth: fit }, settings });
  assert.equal(
    files.map((f) => f.split('/').pop()),
    ['fit_nuisances.png', 'fit_data_vs_model.png'],
  );
  return { dir, fit };
}
const png = (dir: string, name: string) => readFileSync(join(dir, name));

test('plain, extended and weighted fits each draw both figures', () => {
  const plain = draw(events, false);
  const ext = draw(events, true);
  const weighted = draw(
    { ...events, weights: Float64Array.from({ length: events.n }, (_, i) => 0.5 + (i % 3)) },
    false,
    true,
  );
  for (const { dir } of [plain, ext, weighted]) {
    assert.equal(pngSize(png(dir, 'fit_nuisances.png')), { width: 1300, height: 520 });
    assert.equal(pngSize(png(dir, 'fit_data_vs_model.png')), { width: 860, height: 550 });
  }
  // The extended fit's yields add up to the events, and its data figure is the plain one's shape:
  // n̂_sig + n̂_bkg = N at the minimum, n̂_sig / N = μ̂ of the plain fit.
  const [nSig, nBkg] = ext.fit.json.parameters.map((p) => p.value);
  assert.ok(Math.abs(nSig + nBkg - events.n) < 1, `${nSig} + ${nBkg}`);
  assert.ok(Math.abs(nSig / events.n - plain.fit.json.parameters[0].value) < 2e-3);
  assert.not.equal(png(weighted.dir, 'fit_data_vs_model.png'), png(plain.dir, 'fit_data_vs_model.png'));
});

test.run();
