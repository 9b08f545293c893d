/**
 * The truth fit referees the fitter (issue 16), so it is checked at the point where its ν_squeeze pulls
 * once looked too narrow, (μ; ν_shift, ν_squeeze) = (0.5; −0.5, 0.5):
 *   - the toy sampler draws from the density the truth fit evaluates, and the analytic ν-gradient is that
 *     density's score: over many toys the score at the true point has mean 0 and covariance equal to the
 *     expected Hessian (the information equality; a wrong gradient, ν interpolation or sampler breaks it);
 *   - HESSE's covariance is the inverse of the Hessian from finite differences of f alone (no gradient),
 *     within the 0.5 % by which the fit's ±1σ secants (FIT_HESSE_STEP) may differ from the local curvature;
 *   - the NLL is parabolic along every parameter at 2 000 events: MINOS half-widths equal the HESSE errors
 *     and the profiled NLL rises by errordef at ±1σ, so HESSE and MINOS coverage must agree.
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
import { likelihoodFor } from '../src/fit/session.js';
import { fitLikelihood } from '../src/fit/run-fit.js';
import { drawToy } from '../src/fit/toy-data.js';
import { migrad } from '../src/fit/minimize/index.js';
import { REPO } from './helpers/shared.js';

const dev = await createDevice({ backend: 'wasm', threads: 1 });
const sys = loadConfig(join(REPO, 'configs/systematics.yaml'), 'systematics');
const models = loadFitModels(dev, sys, 'xy');
const TRUE = { mu: 0.5, nu: [-0.5, 0.5] };
const THETA = [TRUE.mu, ...TRUE.nu];

test('truth at (0.5; −0.5, 0.5): the score has mean 0 and covariance = expected Hessian over toys', () => {
  const nToys = 400;
  const n = 500;
  const gen = models.truthAt!(TRUE.nu);
  const scores: number[][] = [];
  const hess = [0, 1, 2].map(() => [0, 0, 0]);
  for (let t = 0; t < nToys; t++) {
    const ev = drawToy(Rng.fromSeed(2024).fork(t), n, TRUE.mu, gen);
    // ν̃ = ν_true: the constraint adds nothing to the score at the true point, and a known 1 to the Hessian
    const lik = new MixtureLikelihood(makeSource('truth', models, ev), ev, {
      nuisanceNames: models.nuisanceNames,
      globalObs: TRUE.nu,
    });
    const g = new Float64Array(3);
    lik.value(Float64Array.from(THETA), g);
    scores.push([...g]);
    const h = 1e-4;
    for (let j = 0; j < 3; j++) {
      const up = Float64Array.from(THETA);
      const dn = Float64Array.from(THETA);
      up[j] += h;
      dn[j] -= h;
      const gu = new Float64Array(3);
      const gd = new Float64Array(3);
      lik.value(up, gu);
      lik.value(dn, gd);
      for (let k = 0; k < 3; k++) hess[j][k] += ((gu[k] - gd[k]) / (2 * h) - (j === k && j > 0 ? 1 : 0)) / nToys;
    }
  }
  const names = ['mu', 'nu_shift', 'nu_squeeze'];
  for (let j = 0; j < 3; j++) {
    const v = scores.map((s) => s[j]);
    const mean = v.reduce((a, b) => a + b, 0) / nToys;
    const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / (nToys - 1);
    const sem = Math.sqrt(variance / nToys);
    assert.ok(Math.abs(mean) < 3.5 * sem, `${names[j]}: mean score ${mean} (± ${sem}) is not 0`);
    // the variance of a variance estimate from 400 toys is √(2/400) ≈ 7 % of it
    const ratio = variance / hess[j][j];
    assert.ok(Math.abs(ratio - 1) < 0.2, `${names[j]}: Var(score) / E[H] = ${ratio}`);
  }
});

test('truth at (0.5; −0.5, 0.5), seed 1601: HESSE = inverse FD Hessian of f, MINOS = HESSE, profile parabolic', () => {
  for (let t = 0; t < 3; t++) {
    // exactly the toy `fnf toys --seed 1601` draws as toy t
    const rng = Rng.fromSeed(1601).fork(t);
    const globalObs = TRUE.nu.map((v) => v + rng.normal());
    const ev = drawToy(rng, 2000, TRUE.mu, models.truthAt!(TRUE.nu));
    const lik = likelihoodFor('truth', models, ev, { observables: 'xy', extended: false }, globalObs);
    const fit = fitLikelihood(lik, { minos: lik.names });
    assert.ok(fit.json.valid, fit.message);
    const th = fit.json.parameters.map((p) => p.value);
    const f = (x: number[]) => lik.value(Float64Array.from(x), null);
    const h = 1e-3;
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        // (H_fd · V)_ij, H_fd from four values of f per entry
        let s = 0;
        for (let k = 0; k < 3; k++) {
          const at = (a: number, b: number) => {
            const x = [...th];
            x[i] += a * h;
            x[k] += b * h;
            return f(x);
          };
          const hik = (at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1)) / (4 * h * h);
          s += hik * fit.json.covariance[k][j];
        }
        assert.ok(Math.abs(s - (i === j ? 1 : 0)) < 5e-3, `toy ${t}: (H_fd·V_HESSE)[${i}][${j}] = ${s}`);
      }
    }
    for (const [j, p] of fit.json.parameters.entries()) {
      assert.ok(p.minos, `toy ${t}: no MINOS interval for ${p.name}`);
      const half = (p.minos[1] - p.minos[0]) / 2;
      assert.ok(Math.abs(half / p.error - 1) < 0.02, `toy ${t} ${p.name}: MINOS ½-width ${half}, HESSE ${p.error}`);
      // the profile at ±1σ rises by errordef = 0.5 (within 4 %: a parabola to that precision)
      for (const side of [-1, 1]) {
        const start = fit.params.map((q, i) => ({ ...q, value: th[i] }));
        start[j] = { ...start[j], value: p.value + side * p.error, fixed: true };
        const rise = migrad(lik.fcn, start, { errordef: 0.5 }).fval - fit.json.nll;
        assert.ok(Math.abs(rise - 0.5) < 0.02, `toy ${t} ${p.name}: profile rises by ${rise} at ${side}σ`);
      }
    }
  }
});

test.run();
