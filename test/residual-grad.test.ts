/** Finite-difference gradients of the residual layer's s and t w.r.t. x, ν and every parameter. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gradcheck, gradcheckParams } from '../src/autodiff/gradcheck.js';
import { ParamSet } from '../src/autodiff/param.js';
import { concatCols } from '../src/ops/index.js';
import * as op from '../src/ops/index.js';
import { PolynomialResidualTransform, residualLayerSpecs } from '../src/systematics/polynomial-residual.js';
import { residualDefaults } from '../src/systematics/config.js';
import { Rng } from '../src/random/rng.js';
import { Tape } from '../src/autodiff/tape.js';
import { allDevices, randomValues } from './helpers/devices.js';

const devices = await allDevices();

for (const dev of devices) {
  const cfg = residualDefaults({
    featuresDim: 2,
    contextDim: 2,
    numNuisances: 2,
    hiddenFeatures: [6, 6],
    crossTermPairs: [[0, 1]],
    quadraticDamping: 0.3,
    crossDamping: 0.5,
    centralNuisanceValues: [0.1, -0.2],
    nuisanceScales: [1.5, 0.8],
  });
  const ps = new ParamSet(dev, residualLayerSpecs('r.', cfg));
  const layer = new PolynomialResidualTransform('r.', dev, ps, cfg);
  const rng = Rng.fromSeed(2);
  // Non-zero last layers: every coefficient matters.
  for (const net of [...layer.nets, ...layer.crossNets]) net.init(rng, false);
  const rows = 5;
  const x = dev.tensor(randomValues(rows * 2, 3, -1.5, 1.5), [rows, 2]);
  const c = dev.tensor([1, 0, 0, 1, 1, 0, 0, 1, 1, 0], [rows, 2]);
  const nu = dev.tensor(randomValues(rows * 2, 4, -1.5, 1.5), [rows, 2]);

  test(`${dev.backend}: s, t and y of a residual layer: gradients w.r.t. x and ν`, () => {
    const r = gradcheck(
      dev,
      (tape, [xv, nv]) => {
        const f = layer.forwardVar(tape, xv, { context: tape.constant(c), nu: nv });
        return concatCols([f.s, f.t, f.y, op.reshape(f.ladj, [rows, 1])]);
      },
      [x, nu],
    );
    assert.ok(r.ok, r.where);
  });

  test(`${dev.backend}: s, t and y of a residual layer: gradients w.r.t. every parameter`, () => {
    const r = gradcheckParams(
      dev,
      (tape) => {
        const f = layer.forwardVar(tape, tape.constant(x), { context: tape.constant(c), nu: tape.constant(nu) });
        return concatCols([f.s, f.t, f.y]);
      },
      ps.params,
    );
    assert.ok(r.ok, r.where);
  });

  test(`${dev.backend}: feature 0's coefficients never depend on x (strictly autoregressive)`, () => {
    const x2 = dev.tensor(
      Array.from(x.data).map((v, i) => (i % 2 === 0 ? v : v + 0.7)),
      [rows, 2],
    );
    const x3 = dev.tensor(
      Array.from(x.data).map((v, i) => (i % 2 === 0 ? v + 0.9 : v)),
      [rows, 2],
    );
    const coef = (xt: typeof x) => {
      const t = new Tape(dev, { grad: false });
      const f = layer.coefficientsVar(t, t.constant(xt), { context: t.constant(c), nu: t.constant(nu) });
      return { s: Array.from(f.s.value.data), t: Array.from(f.t.value.data) };
    };
    const a = coef(x),
      b = coef(x2),
      d = coef(x3);
    for (let i = 0; i < rows; i++) {
      assert.is(a.s[2 * i], b.s[2 * i]); // changing x₁ leaves feature 0 alone
      assert.is(a.t[2 * i], b.t[2 * i]);
      assert.is(a.s[2 * i + 1], b.s[2 * i + 1]); // feature 1 sees x₀ only, not itself
      assert.is(a.s[2 * i], d.s[2 * i]); // feature 0 sees no x at all
      assert.not.equal(a.s[2 * i + 1], d.s[2 * i + 1]);
    }
  });
}

test.run();
