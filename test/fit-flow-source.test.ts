/**
 * The flow density's shortcuts (issue 16, performance) give the numbers of the plain computation:
 * the first residual layer's net outputs computed once per sample (ResidualOnSample) against the
 * model's full pass, value and per-event ν-gradient; both classes in one batched pass against one
 * class at a time; one model evaluation when the minimizer asks for f and then for f and ∇f at the
 * same ν; and μ's start at its conditional minimum.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { createDevice } from '../src/backend/index.js';
import { loadConfig } from '../src/config/load.js';
import { Rng } from '../src/random/rng.js';
import { Tape } from '../src/autodiff/tape.js';
import { loadFitModels } from '../src/fit/setup.js';
import { makeSource } from '../src/fit/sources.js';
import { classContext, scoreContext } from '../src/fit/events.js';
import { FlowSource, type ClassDensities } from '../src/fit/density-source.js';
import { ResidualOnSample, type SystematicCorrectedModel } from '../src/fit/model-adapter.js';
import { MixtureLikelihood } from '../src/fit/likelihood.js';
import { drawToy } from '../src/fit/toy-data.js';
import { PolynomialResidualTransform } from '../src/systematics/polynomial-residual.js';
import { REPO } from './helpers/shared.js';

const dev = await createDevice({ backend: 'wasm', threads: 1 });
const sys = loadConfig(join(REPO, 'configs/systematics.yaml'), 'systematics');
const models = loadFitModels(dev, sys, 'xy');
const events = drawToy(Rng.fromSeed(5), 300, 0.3, models.truthAt!([0.5, -0.4]));
const NU = [0.7, -0.45];

/** The model's own pass on a tape, nothing cached: log p and ∂log p/∂ν per row. */
function plainPass(model: SystematicCorrectedModel, v: Float32Array, ctx: Float32Array, nu: number[]) {
  const n = v.length / model.features;
  const K = model.numNuisances;
  return dev.scoped(() => {
    const tape = new Tape(dev, { grad: true });
    const nuRows = new Float32Array(n * K).map((_, e) => nu[e % K]);
    const leaf = tape.leaf(dev.tensor(nuRows, [n, K]));
    const ctxC = ctx.length / n;
    const lp = model.logProbVar(tape, tape.constant(dev.tensor(v, [n, 2])), {
      context: tape.constant(dev.tensor(ctx, [n, ctxC])),
      nu: leaf,
    });
    tape.backward(lp, dev.tensor(new Float32Array(n).fill(1), lp.shape));
    return { logp: Float32Array.from(lp.value.data), dnu: Float32Array.from(leaf.grad!.data) };
  });
}

function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string) {
  assert.is(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) {
    assert.ok(Math.abs(a[i] - b[i]) <= tol * (1 + Math.abs(b[i])), `${what}[${i}]: ${a[i]} against ${b[i]}`);
  }
}

test('ResidualOnSample (first layer precomputed) equals the full pass: kin and score, value and ν-gradient', () => {
  // Tolerances: the kin base shares its one-hot context in both passes (the same sums); the score
  // base's context side is cached per row and grouped apart from the plain pass's full masked sums,
  // a few ulps per conditioner output, amplified through three splines (measured 1.5e-6, 5e-6).
  const cases: [string, SystematicCorrectedModel, Float32Array, Float32Array, number][] = [
    ['kin', models.kin, events.x, classContext(events.n, 1), 1],
    ['score', models.score!, events.y!, scoreContext(events.x, 0), 4],
  ];
  for (const [name, model, v, ctx, scale] of cases) {
    const head = model.residual.transforms[0];
    assert.ok(head instanceof PolynomialResidualTransform, `${name}: the stack starts with a residual layer`);
    const fast = new ResidualOnSample(model, v, ctx);
    const plain = plainPass(model, v, ctx, NU);
    const withGrad = fast.logProbAndNuGrad(NU);
    assertClose(withGrad.logp, plain.logp, scale * 1e-6, `${name} log p`);
    assertClose(withGrad.dnu, plain.dnu, scale * 1e-5, `${name} ∂log p/∂ν`);
    assertClose(fast.logProb(NU), plain.logp, scale * 1e-6, `${name} log p without gradient`);
    // A second ν on the same object: the cached outputs are not tied to the first.
    const nu2 = [-1.1, 0.3];
    assertClose(
      fast.logProbAndNuGrad(nu2).logp,
      plainPass(model, v, ctx, nu2).logp,
      scale * 1e-6,
      `${name} log p, 2nd ν`,
    );
  }
});

test('ResidualOnSample refuses a ν of the wrong length, naming the count', () => {
  const fast = new ResidualOnSample(models.kin, events.x, classContext(events.n, 0));
  assert.throws(() => fast.logProb([0.1]), /expected 2 nuisances, got 1/);
});

test('FlowSource: both classes in one pass equal each class on its own', () => {
  const d = makeSource('flow', models, events).evaluate(NU, true);
  const per = (cls: 0 | 1) => {
    const k = plainPass(models.kin, events.x, classContext(events.n, cls), NU);
    const s = plainPass(models.score!, events.y!, scoreContext(events.x, cls), NU);
    return { l: k.logp.map((v, i) => v + s.logp[i]), d: k.dnu.map((v, i) => v + s.dnu[i]) };
  };
  const a = per(0);
  const b = per(1);
  assertClose(d.lA, a.l, 1e-5, 'log p_A');
  assertClose(d.lB, b.l, 1e-5, 'log p_B');
  assertClose(d.dA!, a.d, 1e-4, '∂log p_A/∂ν');
  assertClose(d.dB!, b.d, 1e-4, '∂log p_B/∂ν');
});

test('FlowSource: f alone, then f and ∇f at the same ν, is one model evaluation with identical values', () => {
  const src = makeSource('flow', models, events) as FlowSource;
  let computed = 0;
  const inner = (src as unknown as { compute: (nu: readonly number[], g: boolean) => ClassDensities }).compute.bind(
    src,
  );
  (src as unknown as { compute: typeof inner }).compute = (nu, g) => {
    computed++;
    return inner(nu, g);
  };
  const f = src.evaluate(NU, false);
  const fg = src.evaluate(NU, true);
  assert.is(computed, 1);
  assert.ok(fg.dA && fg.dB, 'gradients present');
  assert.equal(Array.from(fg.lA), Array.from(f.lA));
  src.evaluate([0.1, 0.2], false);
  assert.is(computed, 2);
});

test('μ starts at its conditional minimum at the starting ν (truth and flow), within [0.01, 0.99]', () => {
  for (const name of ['truth', 'flow'] as const) {
    const lik = new MixtureLikelihood(makeSource(name, models, events), events, {
      nuisanceNames: models.nuisanceNames,
      globalObs: [0.2, -0.1],
    });
    const mu0 = lik.parameters()[0].value;
    const f = (mu: number) => lik.value([mu, 0.2, -0.1], null);
    // A minimum: lower than its neighbours on a fine scale, and the μ-gradient vanishes there.
    assert.ok(f(mu0) <= f(mu0 + 1e-3) && f(mu0) <= f(mu0 - 1e-3), `${name}: μ₀ = ${mu0} is not a minimum`);
    const g = new Float64Array(3);
    lik.value([mu0, 0.2, -0.1], g);
    assert.ok(Math.abs(g[0]) < 1e-3 * events.n, `${name}: ∂NLL/∂μ at μ₀ = ${g[0]}`);
    assert.ok(Math.abs(mu0 - 0.3) < 0.2, `${name}: μ₀ = ${mu0} far from the true 0.3`);
  }
  // An explicit start or a fixed μ is kept as given.
  const given = new MixtureLikelihood(makeSource('truth', models, events), events, {
    nuisanceNames: models.nuisanceNames,
    startMu: 0.5,
  });
  assert.is(given.parameters()[0].value, 0.5);
  // Pure background data: the minimum sits at the lower bound, the start just inside it.
  const bkg = drawToy(Rng.fromSeed(6), 200, 0, models.truthAt!([0, 0]));
  const lb = new MixtureLikelihood(makeSource('truth', models, bkg), bkg, { nuisanceNames: models.nuisanceNames });
  const m = lb.parameters()[0].value;
  assert.ok(m >= 0.01 && m < 0.2, `background-only start μ₀ = ${m}`);
});

test.run();
