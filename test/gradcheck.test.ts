/**
 * The gradient checker itself: it must fail, naming where, when an analytic or a numeric value is
 * not finite (NaN compares false with everything, so a plain "worst error" lets it through).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gradcheck, gradcheckParams } from '../src/autodiff/gradcheck.js';
import { ParamSet } from '../src/autodiff/param.js';
import type { Tape, Var } from '../src/autodiff/tape.js';
import * as op from '../src/ops/index.js';
import { tsDevice } from './helpers/devices.js';

const dev = tsDevice();

/** y = x; backward hands back `bad` at element `at` and the true gradient elsewhere. */
function identityWithBadGrad(x: Var, at: number, bad: number): Var {
  const out = dev.tensor(Float32Array.from(x.value.data), x.shape);
  return x.tape.record('bad-grad', out, [x], (g) => {
    const dx = dev.tensor(Float32Array.from(g.data), g.shape);
    dx.data[at] = bad;
    return [dx];
  });
}

/** y = x on a recording tape, NaN at element `at` when evaluated without gradients (the numeric side). */
function identityWithBadValue(x: Var, at: number, bad: number): Var {
  const out = dev.tensor(Float32Array.from(x.value.data), x.shape);
  if (!x.tape.recording) out.data[at] = bad;
  return x.tape.record('bad-value', out, [x], (g) => [dev.tensor(Float32Array.from(g.data), g.shape)]);
}

for (const bad of [NaN, Infinity, -Infinity]) {
  test(`gradcheck fails on a ${bad} analytic gradient and names input and element`, () => {
    const x = dev.tensor([0.5, -1, 2], [3]);
    const r = gradcheck(dev, (_t: Tape, [v]) => identityWithBadGrad(op.mul(v, 1), 1, bad), [x]);
    assert.is(r.ok, false);
    assert.match(r.where, /input 0 element 1/);
    assert.match(r.where, new RegExp(`analytic ${String(bad).replace('+', '\\+')}`));
  });

  test(`gradcheck fails on a ${bad} numeric derivative and names input and element`, () => {
    const x = dev.tensor([0.5, -1, 2], [3]);
    const r = gradcheck(dev, (_t: Tape, [v]) => identityWithBadValue(v, 2, bad), [x]);
    assert.is(r.ok, false);
    assert.match(r.where, /input 0 element \d/);
    assert.match(r.where, /numeric (NaN|-?Infinity)/);
  });

  test(`gradcheckParams fails on a ${bad} analytic gradient and names the parameter element`, () => {
    const ps = new ParamSet(dev, [{ name: 'w', shape: [3] }]);
    ps.get('w').value.data.set([0.5, -1, 2]);
    const r = gradcheckParams(dev, (t) => identityWithBadGrad(op.mul(t.param(ps.get('w')), 1), 2, bad), ps.params);
    assert.is(r.ok, false);
    assert.match(r.where, /w\[2\]/);
  });

  test(`gradcheckParams fails on a ${bad} numeric derivative and names the parameter element`, () => {
    const ps = new ParamSet(dev, [{ name: 'w', shape: [3] }]);
    ps.get('w').value.data.set([0.5, -1, 2]);
    const r = gradcheckParams(dev, (t) => identityWithBadValue(t.param(ps.get('w')), 0, bad), ps.params);
    assert.is(r.ok, false);
    assert.match(r.where, /w\[\d\]: .*numeric (NaN|-?Infinity)/);
  });
}

test('sqrt(0·x) has a finite value and a NaN gradient: gradcheck refuses it', () => {
  const x = dev.tensor([1, 2], [2]);
  const r = gradcheck(dev, (_t, [v]) => op.add(op.sqrt(op.mul(v, 0)), v), [x]);
  assert.is(r.ok, false);
  assert.match(r.where, /analytic NaN/);
});

test('a correct gradient still passes', () => {
  const x = dev.tensor([0.5, -1, 2], [3]);
  const r = gradcheck(dev, (_t, [v]) => op.mul(v, v), [x]);
  assert.ok(r.ok, r.where);
});

test.run();
