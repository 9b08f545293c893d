/**
 * The gradient checker itself: it must fail, naming where, when an analytic or a numeric value is
 * not finite (NaN compares false with everything, so a plain "worst error" lets it through), when a
 * backward rule is wrong, and when an op claims a gradient for an input it does not read.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gradcheck, gradcheckParams } from '../src/autodiff/gradcheck.js';
import { ParamSet } from '../src/autodiff/param.js';
import { Tape, type Var } from '../src/autodiff/tape.js';
import type { Tensor } from '../src/tensor/tensor.js';
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

test('log at 0 (value −∞, gradient ∞) is refused, not passed', () => {
  const x = dev.tensor([0, 1], [2]);
  const r = gradcheck(dev, (_t, [v]) => op.log(v), [x]);
  assert.is(r.ok, false);
  assert.is(r.worst, Infinity);
  assert.match(r.where, /input 0 element 0: analytic Infinity/);
});

/** y = x², with a backward rule written by `rule` (g, x) → dx, to check that wrong rules are caught. */
function squareWithRule(x: Var, rule: (g: number, x: number, i: number) => number): Var {
  const out = dev.tensor(
    Array.from(x.value.data, (v) => v * v),
    x.shape,
  );
  return x.tape.record('square-rule', out, [x], (g) => [
    dev.tensor(
      Array.from(g.data, (gi, i) => rule(gi, x.value.data[i], i)),
      x.shape,
    ),
  ]);
}

const wrongRules: [string, (g: number, x: number, i: number) => number][] = [
  ['the factor 2 forgotten', (g, x) => g * x],
  ['the wrong sign', (g, x) => -2 * g * x],
  ['the incoming gradient ignored', (_g, x) => 2 * x],
  ['2 % too large', (g, x) => 2.04 * g * x],
  ['two elements swapped', (g, x, i) => (i === 0 ? 2 * g * 1.5 : i === 1 ? 2 * g * 0.5 : 2 * g * x)],
];
for (const [what, rule] of wrongRules) {
  test(`gradcheck rejects a wrong backward rule: ${what}`, () => {
    const x = dev.tensor([0.5, 1.5, -1.2], [3]);
    assert.ok(gradcheck(dev, (_t, [v]) => squareWithRule(v, (g, xi) => 2 * g * xi), [x]).ok, 'the right rule passes');
    const r = gradcheck(dev, (_t, [v]) => squareWithRule(v, rule), [x]);
    assert.is(r.ok, false, `${what}: ${r.where}`);
  });
}

test('a wrong matmul backward (db = a·g instead of aᵀ·g on a square case) is rejected', () => {
  const a = dev.tensor([0.3, -0.7, 1.1, 0.4], [2, 2]);
  const b = dev.tensor([0.9, 0.2, -0.5, 1.3], [2, 2]);
  const wrong = (A: Var, B: Var): Var => {
    const out = op.matmul(A.tape.constant(A.value), B.tape.constant(B.value)).value;
    return A.tape.record('matmul-wrong', out, [A, B], (g) => {
      const tape = new Tape(dev, { grad: false });
      const ga = op.matmul(tape.constant(g), tape.constant(transpose(B.value))).value;
      const gb = op.matmul(tape.constant(A.value), tape.constant(g)).value; // should be Aᵀ·g
      return [ga, gb];
    });
  };
  const r = gradcheck(dev, (_t, [x, y]) => wrong(x, y), [a, b]);
  assert.is(r.ok, false);
  assert.match(r.where, /^input 1 /, 'the input with the wrong rule is named');
});

function transpose(t: Tensor): Tensor {
  const [m, n] = [t.rows, t.cols];
  return dev.tensor(
    Array.from({ length: m * n }, (_, e) => t.data[(e % m) * n + Math.floor(e / m)]),
    [n, m],
  );
}

test('a gradient for an input the op ignores is rejected; no gradient for it passes', () => {
  // y = a; the op says dy/db = g although y does not depend on b.
  const claims = (A: Var, B: Var): Var =>
    A.tape.record('ignores-b', dev.tensor(Float32Array.from(A.value.data), A.shape), [A, B], (g) => [g, g]);
  const inputs = () => [dev.tensor([1, 2], [2]), dev.tensor([3, 4], [2])];
  const r = gradcheck(dev, (_t, [a, b]) => claims(a, b), inputs());
  assert.is(r.ok, false);
  assert.match(r.where, /input 1 element \d: analytic [\d.]+, numeric 0/);
  const honest = (A: Var, B: Var): Var =>
    A.tape.record('ignores-b', dev.tensor(Float32Array.from(A.value.data), A.shape), [A, B], (g) => [g, null]);
  assert.ok(gradcheck(dev, (_t, [a, b]) => honest(a, b), inputs()).ok);
  // A function that never reads an input: its gradient is zero there, and that is right.
  assert.ok(gradcheck(dev, (_t, [a]) => op.mul(a, 2), inputs()).ok);
});

test('tolerances: float32 noise passes at the defaults, a 0.5 % error in an op fails at the op-level bounds', () => {
  // exp at |x| up to 3 with the default step: truncation and float32 rounding well inside 1e-3.
  const x = () => dev.tensor([-3, -1.2, 0.4, 2.2, 3], [5]);
  assert.ok(gradcheck(dev, (_t, [v]) => op.exp(v), [x()], { atol: 1e-4, rtol: 1e-3 }).ok);
  const off = (v: Var) => squareWithRule(v, (g, xi) => 2 * g * xi * 1.005);
  assert.ok(gradcheck(dev, (_t, [v]) => off(v), [x()]).ok, 'the defaults (rtol 1e-2) let 0.5 % through');
  assert.is(gradcheck(dev, (_t, [v]) => off(v), [x()], { atol: 1e-4, rtol: 1e-3 }).ok, false);
});

test('kinks: a right gradient next to a kink passes with one-sided differences; a wrong one still fails', () => {
  // relu at 0.004 with h = 0.01: the central difference averages the slopes 1 and 0 (0.7 of the
  // analytic value; all values are scaled by the contraction weight w₀ ≈ 0.74).
  const x = () => dev.tensor([0.004, -0.6, 0.9], [3]);
  const central = gradcheck(dev, (_t, [v]) => op.relu(v), [x()]);
  assert.is(central.ok, false);
  assert.match(central.where, /^input 0 element 0: /);
  const r = gradcheck(dev, (_t, [v]) => op.relu(v), [x()], { kinks: true });
  assert.ok(r.ok, r.where);
  const wrong = (v: Var) => squareWithRule(op.relu(v), (g, xi) => 2.1 * g * xi);
  assert.is(gradcheck(dev, (_t, [v]) => wrong(v), [x()], { kinks: true }).ok, false);
  // Only a one-sided difference is accepted, not anything in between: a gradient of 0.5 at the kink fails.
  const half = (v: Var) =>
    v.tape.record('half-relu', op.relu(v.tape.constant(v.value)).value, [v], (g) => [
      dev.tensor(
        Array.from(g.data, (gi, i) => gi * (i === 0 ? 0.5 : v.value.data[i] > 0 ? 1 : 0)),
        v.shape,
      ),
    ]);
  const rh = gradcheck(dev, (_t, [v]) => half(v), [x()], { kinks: true });
  assert.is(rh.ok, false);
  const [a, n, right, left] = (rh.where.match(/-?[\d.]+(e-?\d+)?/g) ?? []).slice(2).map(Number);
  assert.match(rh.where, /^input 0 element 0: analytic .* \(right .*, left .*\)$/);
  assert.ok(
    Math.abs(a / right - 0.5) < 1e-6 && Math.abs(n / right - 0.7) < 1e-3 && Math.abs(left / right - 0.4) < 1e-3,
  );
  const p1 = new ParamSet(dev, [{ name: 'k', shape: [3] }]).get('k');
  p1.value.data.set([0.004, -0.6, 0.9]);
  const rp = gradcheckParams(dev, (t) => op.relu(t.param(p1)), [p1], { kinks: true });
  assert.ok(rp.ok, rp.where);
});

test('bad arguments name what was expected', () => {
  const x = dev.tensor([1, 2], [2]);
  assert.throws(
    () => gradcheck(dev, (_t, [v]) => op.exp(v), [x], { check: [1] }),
    /check names input 1; there are 1 inputs/,
  );
  const ps = new ParamSet(dev, [
    { name: 'a', shape: [2] },
    { name: 'b', shape: [2] },
  ]);
  ps.get('b').frozen = true;
  const fn = (t: Tape) => op.mul(t.param(ps.get('a')), t.param(ps.get('b')));
  // Before: "b[1]: analytic 0, numeric 2.8", a failure that never said the parameter was frozen.
  assert.throws(() => gradcheckParams(dev, fn, ps.params), /parameter 'b' is frozen: the tape gives a frozen/);
  assert.ok(gradcheckParams(dev, fn, [ps.get('a')]).ok, 'a frozen parameter left out of the list is fine');
});

test('a correct gradient still passes', () => {
  const x = dev.tensor([0.5, -1, 2], [3]);
  const r = gradcheck(dev, (_t, [v]) => op.mul(v, v), [x]);
  assert.ok(r.ok, r.where);
});

test.run();
