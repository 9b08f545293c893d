/**
 * Values and gradients of the ops at the ends of float32, on every backend: the activations keep
 * their limits and finite gradients far past where a naive formula overflows (softplus, sigmoid,
 * tanh, elu, relu, alone and fused into a layer); exp, log, sqrt and 1/x report an overflow or a
 * pole as ±∞ (which the gradient checker and the trainer's finiteness checks then catch) instead
 * of hiding it; the spline's identity tails pass any x outside [−B, B], infinities included.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Tape, type Var } from '../src/autodiff/tape.js';
import { Act } from '../src/backend/kernels.js';
import type { Device } from '../src/backend/device.js';
import * as op from '../src/ops/index.js';
import { allDevices, randomValues } from './helpers/devices.js';

const devices = await allDevices();
const XS = [-1000, -100, -20, 20, 100, 1000];

/** y = f(x) and dy/dx for each x, from one backward of Σ f(x). */
function valueAndGrad(dev: Device, xs: number[], f: (x: Var) => Var): { y: number[]; dx: number[] } {
  const tape = new Tape(dev);
  const x = tape.leaf(dev.tensor(xs, [xs.length, 1]));
  const y = f(x);
  tape.backward(op.sum(y));
  return { y: Array.from(y.value.data), dx: Array.from(x.grad!.data) };
}

function near(got: number[], want: number[], what: string, tol = 1e-6): void {
  got.forEach((g, i) =>
    assert.ok(
      Math.abs(g - want[i]) <= tol * Math.max(1, Math.abs(want[i])),
      `${what}[${i}]: got ${g}, want ${want[i]}`,
    ),
  );
}

const sign = (x: number) => (x > 0 ? 1 : 0);
// Limits at |x| ≥ 20 in float32: e^−20 ≈ 2e−9 is below every tolerance used here.
const LIMITS: [string, (x: Var) => Var, Act | null, (x: number) => number, (x: number) => number][] = [
  ['softplus', op.softplus, null, (x) => Math.max(x, 0), sign],
  ['sigmoid', op.sigmoid, null, sign, () => 0],
  ['tanh', op.tanh, Act.Tanh, Math.sign, () => 0],
  ['elu', op.elu, Act.Elu, (x) => (x > 0 ? x : -1), sign],
  ['relu', op.relu, Act.Relu, (x) => Math.max(x, 0), sign],
];

for (const dev of devices) {
  for (const [name, f, act, value, deriv] of LIMITS) {
    test(`${dev.backend}: ${name} at ±20 … ±1000: its limits and a finite gradient (no overflow)`, () => {
      const r = valueAndGrad(dev, XS, f);
      near(r.y, XS.map(value), `${name}(x)`);
      near(r.dx, XS.map(deriv), `d${name}/dx`, 1e-6);
      assert.ok([...r.y, ...r.dx].every(Number.isFinite), `${name}: finite everywhere`);
      if (act === null) return;
      // The same activation fused into a layer (the matmul's finishing pass and actBackward).
      const fused = valueAndGrad(dev, XS, (x) =>
        op.linear(x, x.tape.constant(dev.tensor([1], [1, 1])), null, { activation: act }),
      );
      assert.equal(fused.y, r.y, `linear(${name}): the unfused values`);
      assert.equal(fused.dx, r.dx, `linear(${name}): the unfused gradients`);
    });
  }

  test(`${dev.backend}: exp overflows to +∞ and underflows to 0, its gradient with it`, () => {
    const r = valueAndGrad(dev, [-1000, -104, 88, 89, 1000], op.exp);
    assert.equal(r.y.slice(0, 2), [0, 0]);
    assert.ok(Number.isFinite(r.y[2]) && r.y[2] > 1e38, `e^88 = ${r.y[2]} is finite in float32`);
    assert.equal(r.y.slice(3), [Infinity, Infinity]);
    assert.equal(r.dx, r.y, 'd eˣ/dx = eˣ, overflow included');
  });

  test(`${dev.backend}: log, sqrt and 1/x at 0: the pole as ±∞, never NaN`, () => {
    const log = valueAndGrad(dev, [0, 1], op.log);
    assert.equal(log.y, [-Infinity, 0]);
    assert.equal(log.dx, [Infinity, 1]);
    const sqrt = valueAndGrad(dev, [0, 4], op.sqrt);
    assert.equal(sqrt.y, [0, 2]);
    assert.equal(sqrt.dx, [Infinity, 0.25]);
    const inv = valueAndGrad(dev, [0, 2], op.reciprocal);
    assert.equal(inv.y, [Infinity, 0.5]);
    assert.equal(inv.dx, [-Infinity, -0.25]);
  });

  test(`${dev.backend}: spline tails through the op: y = x, ln|dy/dx| = 0, dx = gy, no parameter gradient`, () => {
    const spec = { bins: 4, bound: 5, slope: 1e-3 };
    const xs = [-Infinity, -1e30, -100, -5.5, 5.5, 100, 1e30, Infinity];
    const n = xs.length;
    const tape = new Tape(dev);
    const x = tape.leaf(dev.tensor(xs, [n, 1]));
    const p = tape.leaf(dev.tensor(randomValues(n * 11, 3, -3, 3), [n, 11]));
    const { y, ladj } = op.spline(x, p, spec);
    const gy = dev.tensor(
      xs.map((_, i) => i + 0.5),
      [n, 1],
    );
    tape.backward(
      op.add(op.mul(y, tape.constant(gy)), op.mul(ladj, 3)),
      dev.tensor(new Float32Array(n).fill(1), [n, 1]),
    );
    assert.equal(Array.from(y.value.data), xs.map(Math.fround));
    assert.equal(Array.from(ladj.value.data), new Array(n).fill(0));
    assert.equal(Array.from(x.grad!.data), Array.from(gy.data));
    assert.ok(
      p.grad!.data.every((v) => v === 0),
      'the tails do not depend on the parameters',
    );
  });
}

test.run();
