/**
 * The fit's likelihood: its gradient against central finite differences for the flow and truth
 * densities (x and y; x only; extended), the analytic truth ν-gradient per event, the base model's
 * ν-independence, and the refusal of a μ outside its bounds. From JavaScript: events whose n, x, y or
 * weights disagree, an unknown model, missing settings, a MINOS name that is no parameter, configs passed
 * in the wrong order and drawToy's and the batch densities' misused arguments are refused by name.
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
import { likelihoodFor, openModels } from '../src/fit/session.js';
import { fitLikelihood } from '../src/fit/run-fit.js';
import type { FitEvents } from '../src/fit/events.js';
import { logProbXBatch } from '../src/toy/truth.js';
import { defaultGeneratorConfig, generateBatch, type GeneratorConfig } from '../src/toy/index.js';
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

const XY = { observables: 'xy', extended: false } as const;

test('events whose n, x, y or weights disagree are refused naming the field, before any density is evaluated', () => {
  const ev = drawToy(Rng.fromSeed(2), 200, 0.3, gen);
  const lik = (e: FitEvents) => likelihoodFor('truth', models, e, XY);
  // n below the arrays' length used to fit the first n events silently; above it, to read past the end.
  assert.throws(
    () => lik({ ...ev, n: 100 }),
    /likelihoodFor: events: x must hold 2·n = 200 values .* got 400 \(200 events\)/,
  );
  assert.throws(() => lik({ ...ev, n: 300 }), /x must hold 2·n = 600 values .* got 400/);
  assert.throws(() => lik({ ...ev, y: ev.y!.subarray(0, 100) }), /y must hold 2·n = 400 values .* got 100/);
  assert.throws(() => lik({ ...ev, n: 2.5 }), /n must be the number of events \(a whole number ≥ 0\), got 2.5/);
  for (const len of [10, 400]) {
    const weights = new Float64Array(len).fill(1);
    assert.throws(
      () => lik({ ...ev, weights }),
      new RegExp(`weights must hold one value per event \\(n = 200\\), got ${len}`),
    );
  }
  const nan = new Float64Array(200).fill(1);
  nan[3] = NaN;
  assert.throws(
    () => lik({ ...ev, weights: nan }),
    /the weight of event 3 \(weights\) is NaN, expected a finite number/,
  );
  assert.throws(
    () => lik({ ...ev, weights: new Float64Array(200).fill(-1) }),
    /weights sum to -200; a fit needs Σw > 0/,
  );
  // An empty sample has no minimum: it was reported as a valid fit at μ's start.
  assert.throws(() => lik(drawToy(Rng.fromSeed(2), 0, 0.3, gen)), /events: no events; a fit needs at least one/);
  const x = Float32Array.from(ev.x);
  x[11] = NaN;
  assert.throws(() => lik({ ...ev, x }), /likelihoodFor: events: x2 of event 5 is NaN, expected a finite number/);
  // The class itself checks too (it is exported).
  assert.throws(
    () =>
      new MixtureLikelihood(
        makeSource('truth', models, ev),
        { ...ev, n: 100 },
        { nuisanceNames: models.nuisanceNames },
      ),
    /MixtureLikelihood: events: x must hold 2·n = 200 values/,
  );
  // Consistent events pass (weights of the right length included).
  assert.is(lik({ ...ev, weights: new Float64Array(200).fill(1) }).sumW, 200);
});

test('likelihoodFor and fitLikelihood: an unknown model, missing settings or a MINOS name that is no parameter', () => {
  const L = likelihoodFor as (...a: unknown[]) => MixtureLikelihood;
  assert.throws(
    () => L('flw', models, events, XY),
    /likelihoodFor: unknown model "flw"; expected one of flow, truth, base/,
  );
  assert.throws(() => L('truth', models, events), /likelihoodFor: settings must be \{ observables, extended/);
  assert.throws(
    () => L('truth', undefined, events, XY),
    /likelihoodFor: models must be the FitModels of openFitModels/,
  );
  assert.throws(
    () => L('truth', models, events, { observables: 'x', extended: false }),
    /settings.observables is "x", but the models were opened for 'xy'/,
  );
  assert.throws(() => L('truth', models, events, { observables: 'xy' }), /settings.extended must be true or false/);
  const lik = likelihoodFor('truth', models, events, XY);
  assert.throws(
    () => fitLikelihood(lik, { minos: ['mu', 'nu_bogus'] }),
    /options.minos names "nu_bogus", not a parameter of this likelihood; its parameters are mu, nu_shift, nu_squeeze/,
  );
  assert.is(lik.nfcn, 0, 'refused before the fit');
});

test('openFitModels: configs in the wrong order or unknown observables are refused before a file is read', () => {
  const base = loadConfig(join(REPO, 'configs/base_flows.yaml'), 'base');
  const open = openModels as (...a: unknown[]) => unknown;
  assert.throws(
    () => open(dev, sys, base, 'xy'),
    /openFitModels\(dev, base, sys, observables\): base must be a base config .*, got a systematics config/,
  );
  assert.throws(() => open(dev, base, undefined, 'xy'), /sys must be a systematics config .*got undefined/);
  assert.throws(
    () => open(dev, base, sys, 'xyz'),
    /observables must be 'xy' \(kinematics and score\) or 'x' \(kinematics only\), got "xyz"/,
  );
});

test('drawToy and the batch densities: misused arguments are named, not a RangeError or a TypeError', () => {
  const draw = drawToy as (...a: unknown[]) => FitEvents;
  assert.throws(
    () => draw(Rng.fromSeed(1), -5, 0.3, gen),
    /drawToy: n must be the number of events \(a whole number ≥ 0\), got -5/,
  );
  assert.throws(() => draw(Rng.fromSeed(1), 10, 0.3), /drawToy: gen must be a GeneratorConfig .*got undefined/);
  assert.throws(() => draw(undefined, 10, 0.3, gen), /drawToy\(rng, n, mu, gen\): rng must be an Rng/);
  const cfg = defaultGeneratorConfig();
  const b = generateBatch(Rng.fromSeed(1), 4, cfg);
  const batch = logProbXBatch as (...a: unknown[]) => Float64Array;
  // The classes left out: the config lands where c goes.
  assert.throws(
    () => batch(b.x, cfg),
    /logProbXBatch\(x, c, cfg\): c must be the class per event \(an array of 0\/1\), got object/,
  );
  assert.throws(
    () => batch(undefined, b.c, cfg),
    /logProbXBatch: x must be \[n, 2\] = 8 numbers for n = 4 classes, got undefined/,
  );
  assert.throws(
    () => batch(b.x, b.c, null as unknown as GeneratorConfig),
    /GeneratorConfig: expected a generator config object/,
  );
  assert.is(batch(b.x, b.c, cfg).length, 4);
});

test.run();
