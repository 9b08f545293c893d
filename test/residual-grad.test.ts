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

  // ν at its central value on some rows (ν̃ = 0): there a net's terms vanish, and the nets run on
  // the other rows only (liveRows). Rows: both live, ν̃₀ = 0, ν̃₁ = 0, both zero, both live.
  const central = cfg.centralNuisanceValues;
  const nuZeros = dev.tensor(
    Array.from(nu.data).map((v, i) => {
      const r = i >> 1,
        k = i & 1;
      return (r === 1 && k === 0) || (r === 2 && k === 1) || r === 3 ? central[k] : v;
    }),
    [rows, 2],
  );

  test(`${dev.backend}: nets run only on rows where their ν̃ factor is not zero, with the all-rows values`, () => {
    const seen: number[][] = [];
    const nets = [...layer.nets, ...layer.crossNets];
    const plain = nets.map((n) => n.forwardDistinct.bind(n));
    nets.forEach((n, k) => {
      seen[k] = [];
      n.forwardDistinct = (t, xv, cv) => (seen[k].push(xv.value.rows), plain[k](t, xv, cv));
    });
    try {
      const t = new Tape(dev, { grad: false });
      const cond = { context: t.constant(c), nu: t.constant(nuZeros) };
      const got = layer.coefficientsVar(t, t.constant(x), cond);
      // Nuisance net 0 is live on rows 0, 2, 4; net 1 on rows 0, 1, 4; the cross net on 0 and 4.
      assert.equal(seen, [[3], [3], [2]]);
      const all = layer.coefficientsVar(t, t.constant(x), cond, layer.netOutputs(t, t.constant(x), t.constant(c)));
      seen.forEach((s) => (s.length = 0));
      for (const k of ['s', 't'] as const) {
        const a = got[k].value.data,
          b = all[k].value.data;
        for (let i = 0; i < a.length; i++) {
          assert.ok(Math.abs(a[i] - b[i]) <= 1e-6 * (1 + Math.abs(b[i])), `${k}[${i}]: ${a[i]} against ${b[i]}`);
        }
      }
      // ν at the central value everywhere: no net runs and the layer is the identity.
      const none = layer.coefficientsVar(t, t.constant(x), {
        context: t.constant(c),
        nu: t.constant(
          dev.tensor(
            Array.from({ length: 2 * rows }, (_, i) => central[i & 1]),
            [rows, 2],
          ),
        ),
      });
      assert.equal(seen, [[], [], []]);
      assert.equal(Array.from(none.s.value.data), new Array(2 * rows).fill(0));
      // ν with a gradient: every net runs on every row (d/dν needs the coefficients at ν̃ = 0 too).
      const g = new Tape(dev);
      layer.coefficientsVar(g, g.constant(x), { context: g.constant(c), nu: g.leaf(nuZeros) });
      assert.equal(seen, [[5], [5], [5]]);
    } finally {
      nets.forEach((n, k) => (n.forwardDistinct = plain[k]));
    }
  });

  test(`${dev.backend}: rows with ν̃ = 0: gradients w.r.t. x and every parameter`, () => {
    const rx = gradcheck(
      dev,
      (tape, [xv]) => {
        const f = layer.forwardVar(tape, xv, { context: tape.constant(c), nu: tape.constant(nuZeros) });
        return concatCols([f.s, f.t, f.y]);
      },
      [x],
    );
    assert.ok(rx.ok, rx.where);
    const rp = gradcheckParams(
      dev,
      (tape) => {
        const f = layer.forwardVar(tape, tape.constant(x), { context: tape.constant(c), nu: tape.constant(nuZeros) });
        return concatCols([f.s, f.t, f.y]);
      },
      ps.params,
    );
    assert.ok(rp.ok, rp.where);
  });
}

test.run();
