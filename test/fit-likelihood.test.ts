/**
 * The fit's likelihood: its gradient against central finite differences for the flow and truth
 * densities (x and y; x only; extended), the analytic truth ν-gradient per event, the base model's
 * ν-independence, and the refusal of a μ outside its bounds.
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
import { truthLogProbAndNuGrad } from '../src/fit/truth-grad.js';
import { REPO } from './helpers/shared.js';

const dev = await createDevice({ backend: 'wasm', threads: 1 });
const sys = loadConfig(join(REPO, 'configs/systematics.yaml'), 'systematics');
const models = loadFitModels(dev, sys, 'xy');
const modelsX = { ...models, observables: 'x' as const };
const gen = models.truthAt!([0.5, -0.4]);
const events = drawToy(Rng.fromSeed(11), 60, 0.3, gen);

/** Central differences of f at θ in each coordinate, step h. */
function fdGrad(f: (t: Float64Array) => number, theta: number[], h: number): number[] {
  return theta.map((_, j) => {
    const up = Float64Array.from(theta);
    const dn = Float64Array.from(theta);
    up[j] += h;
    dn[j] -= h;
    return (f(up) - f(dn)) / (2 * h);
  });
}

function checkGrad(lik: MixtureLikelihood, theta: number[], h: number, tol: number) {
  const g = new Float64Array(theta.length);
  lik.value(Float64Array.from(theta), g);
  const fd = fdGrad((t) => lik.value(t, null), theta, h);
  theta.forEach((_, j) => {
    const err = Math.abs(g[j] - fd[j]);
    assert.ok(
      err <= tol * (1 + Math.abs(fd[j])),
      `${lik.source.name} ${lik.names[j]}: tape ${g[j]}, finite difference ${fd[j]}`,
    );
  });
}

test('truth: per-event ∂log p/∂ν equals finite differences of the exact density (x and y)', () => {
  for (const cls of [0, 1] as const) {
    const nu = [0.3, -0.7];
    const r = truthLogProbAndNuGrad(models.truthAt!([0, 0]), nu, cls, events.x, events.y);
    for (let k = 0; k < 2; k++) {
      const h = 1e-5;
      const up = [...nu];
      const dn = [...nu];
      up[k] += h;
      dn[k] -= h;
      const a = truthLogProbAndNuGrad(models.truthAt!([0, 0]), up, cls, events.x, events.y).logp;
      const b = truthLogProbAndNuGrad(models.truthAt!([0, 0]), dn, cls, events.x, events.y).logp;
      for (let i = 0; i < events.n; i++) {
        const fd = (a[i] - b[i]) / (2 * h);
        assert.ok(Math.abs(r.dnu[2 * i + k] - fd) < 1e-6 * (1 + Math.abs(fd)), `class ${cls} ν${k} event ${i}`);
      }
    }
  }
});

test('truth: NLL gradient in (μ, ν) against finite differences', () => {
  const lik = new MixtureLikelihood(makeSource('truth', models, events), events, {
    nuisanceNames: models.nuisanceNames,
    globalObs: [0.2, -0.1],
  });
  checkGrad(lik, [0.35, 0.4, -0.3], 1e-5, 1e-6);
});

test('flow: NLL gradient in (μ, ν) from the tape against finite differences (x and y)', () => {
  const lik = new MixtureLikelihood(makeSource('flow', models, events), events, {
    nuisanceNames: models.nuisanceNames,
  });
  // float32 densities with C¹ spline knots: central differences carry O(h) knot terms and
  // O(ε/h) rounding; at h = 5e-3 both stay below a few per cent of the gradient.
  checkGrad(lik, [0.35, 0.4, -0.3], 5e-3, 3e-2);
});

test('flow, x only, extended: NLL gradient against finite differences', () => {
  const lik = new MixtureLikelihood(makeSource('flow', modelsX, events), events, {
    nuisanceNames: models.nuisanceNames,
    extended: true,
  });
  checkGrad(lik, [20, 45, 0.4, -0.3], 5e-3, 3e-2);
});

test('base: ν does not move the data term; only the constraint does', () => {
  const lik = new MixtureLikelihood(makeSource('base', models, events), events, {
    nuisanceNames: models.nuisanceNames,
  });
  const g = new Float64Array(3);
  lik.value(Float64Array.from([0.3, 0.5, -0.4]), g);
  assert.ok(Math.abs(g[1] - 0.5) < 1e-12 && Math.abs(g[2] + 0.4) < 1e-12);
});

test('outer-product Hessian: exact in μ, the Fisher information in ν, the free parameters only', () => {
  const ev = drawToy(Rng.fromSeed(12), 20_000, 0.3, gen);
  const lik = new MixtureLikelihood(makeSource('truth', models, ev), ev, {
    nuisanceNames: models.nuisanceNames,
    globalObs: [0.5, -0.4],
  });
  const theta = [0.3, 0.5, -0.4];
  const h = lik.outerProductHessian(theta, [0, 1, 2])!;
  // the finite-difference Hessian from the exact gradient
  const gradAt = (t: number[]) => {
    const g = new Float64Array(3);
    lik.value(Float64Array.from(t), g);
    return g;
  };
  const step = 1e-4;
  const fd = [0, 1, 2].map((j) => {
    const up = [...theta];
    const dn = [...theta];
    up[j] += step;
    dn[j] -= step;
    const [gu, gd] = [gradAt(up), gradAt(dn)];
    return [0, 1, 2].map((m) => (gu[m] - gd[m]) / (2 * step));
  });
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) assert.is(h[r * 3 + c], h[c * 3 + r]);
  // μ enters linearly inside the log: ∂²/∂μ² of −log(μ p_A + (1 − μ) p_B) is (p_A − p_B)²/p², the outer product
  assert.ok(Math.abs(h[0] - fd[0][0]) < 1e-5 * fd[0][0], `μμ: ${h[0]} vs ${fd[0][0]}`);
  // at the true point of a large sample the outer product is the Hessian up to sampling noise (~√(2/n) relative)
  for (const [r, c] of [
    [1, 1],
    [2, 2],
    [0, 1],
    [1, 2],
  ]) {
    const scale = Math.sqrt(fd[r][r] * fd[c][c]);
    assert.ok(Math.abs(h[r * 3 + c] - fd[r][c]) < 0.08 * scale, `(${r}, ${c}): ${h[r * 3 + c]} vs ${fd[r][c]}`);
  }
  // a fixed μ drops its row and column
  const nuOnly = lik.outerProductHessian(theta, [1, 2])!;
  assert.equal(Array.from(nuOnly), [h[4], h[5], h[7], h[8]]);
});

test('a μ outside [0, 1] at the start is refused', () => {
  const lik = new MixtureLikelihood(makeSource('truth', models, events), events, {
    nuisanceNames: models.nuisanceNames,
    startMu: 1.3,
  });
  assert.throws(() => lik.parameters(), /μ must start within its bounds \[0, 1\], got 1.3/);
});

test.run();
