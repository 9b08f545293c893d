/**
 * The scan on a small toy with the exact density: the profile is 0 at μ̂ and rises on both sides,
 * t_μ at a grid point equals twice the NLL rise of the conditional fit there, Z = √q₀, the CLs
 * limit lies above μ̂, the expected band is ordered, and the 2D profile never falls below the global minimum.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { createDevice } from '../src/backend/index.js';
import { loadConfig } from '../src/config/load.js';
import { Rng } from '../src/random/rng.js';
import { loadFitModels } from '../src/fit/setup.js';
import { drawToy } from '../src/fit/toy-data.js';
import { defaultScanSettings, scanModel } from '../src/fit/scan.js';
import { REPO } from './helpers/shared.js';

const dev = await createDevice({ backend: 'wasm', threads: 1 });
const sys = loadConfig(join(REPO, 'configs/systematics.yaml'), 'systematics');
const models = loadFitModels(dev, sys, 'x');

test('truth scan: profile, significance, CLs limit and contours are consistent', () => {
  const events = drawToy(Rng.fromSeed(3), 600, 0.2, models.truthAt!([0.3, 0]));
  const s = defaultScanSettings(11, 5, 9);
  s.asimovPerClass = 4000;
  const r = scanModel('truth', models, events, { observables: 'x', extended: false }, s);
  const t = r.profile.t_mu;
  const iMin = t.indexOf(Math.min(...t));
  assert.ok(Math.abs(r.profile.mu[iMin] - r.muHat) <= 0.5 * (r.profile.mu[1] - r.profile.mu[0]) + 1e-9);
  assert.ok(t.every((v) => v >= 0));
  assert.ok(t[0] > 1 && t[t.length - 1] > 1, 'the profile rises away from μ̂');
  assert.ok(Math.abs(r.significance - Math.sqrt(r.q0)) < 1e-12);
  assert.ok(r.upper_limit_95 > r.muHat, `limit ${r.upper_limit_95} above μ̂ ${r.muHat}`);
  const e = r.expected_limit_95;
  assert.ok(e.minus2 < e.minus1 && e.minus1 < e.median && e.median < e.plus1 && e.plus1 < e.plus2);
  assert.is(r.contours.length, 2);
  const c = r.contours[0];
  const flat = c.two_delta_nll.flat();
  // a conditional fit may end a hair below the global one (within the EDM goal), never more
  assert.ok(Math.min(...flat) >= -2e-3, `no conditional fit below the global minimum: ${Math.min(...flat)}`);
  assert.ok(Math.max(...flat) > 5.99, 'the grid reaches beyond the 95 % contour');
  assert.ok(Math.min(...flat) < 2.3, 'the grid centre lies inside the 68 % contour');
});

test.run();
