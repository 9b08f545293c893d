/**
 * Finite-difference gradient check of every differentiable op, on every backend: each broadcast
 * layout in both operand orders, with either operand a constant (the backward's `needs` branches),
 * every fused activation, masked layers, and the spline's tails and single outputs.
 * Single ops pass at atol 1e-4, rtol 1e-3, ten times tighter than gradcheck's defaults (which
 * leave room for whole networks); a case can loosen that only with a reason beside it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Act } from '../src/backend/kernels.js';
import { gradcheck, type GradFn } from '../src/autodiff/gradcheck.js';
import type { Tape, Var } from '../src/autodiff/tape.js';
import type { Shape } from '../src/tensor/tensor.js';
import * as op from '../src/ops/index.js';
import { allDevices, randomValues } from './helpers/devices.js';

const devices = await allDevices();

type Case = {
  name: string;
  fn: GradFn;
  shapes: number[][];
  range?: [number, number];
  check?: number[];
  step?: number;
  rtol?: number;
  atol?: number;
};

/** A fixed operand that gets no gradient (its backward branch must not run, the other must still be right). */
const konst = (t: Tape, shape: Shape, seed: number, lo = -1.5, hi = 1.5): Var =>
  t.constant(
    t.device.tensor(
      randomValues(
        shape.reduce((a, b) => a * b, 1),
        seed,
        lo,
        hi,
      ),
      shape,
    ),
  );
const spec = { bins: 4, bound: 5, slope: 1e-3 };

const M = 5,
  N = 3;
const cases: Case[] = [
  {
    name: 'add same',
    fn: (_, [a, b]) => op.add(a, b),
    shapes: [
      [M, N],
      [M, N],
    ],
  },
  { name: 'add row', fn: (_, [a, b]) => op.add(a, b), shapes: [[M, N], [N]] },
  { name: 'add row first', fn: (_, [a, b]) => op.add(b, a), shapes: [[M, N], [N]] },
  {
    name: 'add col',
    fn: (_, [a, b]) => op.add(a, b),
    shapes: [
      [M, N],
      [M, 1],
    ],
  },
  { name: 'add scalar', fn: (_, [a, b]) => op.add(a, b), shapes: [[M, N], [1]] },
  {
    name: 'sub same',
    fn: (_, [a, b]) => op.sub(a, b),
    shapes: [
      [M, N],
      [M, N],
    ],
  },
  { name: 'sub row', fn: (_, [a, b]) => op.sub(a, b), shapes: [[M, N], [N]] },
  {
    name: 'sub small first',
    fn: (_, [a, b]) => op.sub(b, a),
    shapes: [
      [M, N],
      [M, 1],
    ],
  },
  {
    name: 'mul same',
    fn: (_, [a, b]) => op.mul(a, b),
    shapes: [
      [M, N],
      [M, N],
    ],
  },
  {
    name: 'mul col',
    fn: (_, [a, b]) => op.mul(a, b),
    shapes: [
      [M, N],
      [M, 1],
    ],
  },
  { name: 'mul scalar', fn: (_, [a, b]) => op.mul(b, a), shapes: [[M, N], [1]] },
  { name: 'mul number', fn: (_, [a]) => op.mul(a, 0.7), shapes: [[M, N]] },
  {
    name: 'div same',
    fn: (_, [a, b]) => op.div(a, b),
    shapes: [
      [M, N],
      [M, N],
    ],
    range: [0.5, 2],
  },
  { name: 'div row', fn: (_, [a, b]) => op.div(a, b), shapes: [[M, N], [N]], range: [0.5, 2] },
  { name: 'div small first', fn: (_, [a, b]) => op.div(b, a), shapes: [[M, N], [N]], range: [0.5, 2] },
  { name: 'neg', fn: (_, [a]) => op.neg(a), shapes: [[M, N]] },
  { name: 'reciprocal', fn: (_, [a]) => op.reciprocal(a), shapes: [[M, N]], range: [0.5, 2] },
  { name: 'exp', fn: (_, [a]) => op.exp(a), shapes: [[M, N]] },
  { name: 'log', fn: (_, [a]) => op.log(a), shapes: [[M, N]], range: [0.5, 3] },
  { name: 'square', fn: (_, [a]) => op.square(a), shapes: [[M, N]] },
  { name: 'sqrt', fn: (_, [a]) => op.sqrt(a), shapes: [[M, N]], range: [0.5, 3] },
  { name: 'softplus', fn: (_, [a]) => op.softplus(a), shapes: [[M, N]], range: [-4, 4] },
  { name: 'sigmoid', fn: (_, [a]) => op.sigmoid(a), shapes: [[M, N]], range: [-4, 4] },
  { name: 'tanh', fn: (_, [a]) => op.tanh(a), shapes: [[M, N]], range: [-2, 2] },
  { name: 'relu', fn: (_, [a]) => op.relu(a), shapes: [[M, N]], range: [-2, 2] },
  { name: 'elu', fn: (_, [a]) => op.elu(a), shapes: [[M, N]], range: [-2, 2] },
  { name: 'abs', fn: (_, [a]) => op.abs(a), shapes: [[M, N]], range: [-2, 2] },
  { name: 'sum', fn: (_, [a]) => op.sum(a), shapes: [[M, N]] },
  { name: 'mean', fn: (_, [a]) => op.mean(a), shapes: [[M, N]] },
  { name: 'sumRows', fn: (_, [a]) => op.sumRows(a), shapes: [[M, N]] },
  { name: 'sumCols', fn: (_, [a]) => op.sumCols(a), shapes: [[M, N]] },
  { name: 'meanRows', fn: (_, [a]) => op.meanRows(a), shapes: [[M, N]] },
  {
    name: 'concatCols',
    fn: (_, [a, b]) => op.concatCols([a, b, a]),
    shapes: [
      [M, 2],
      [M, 3],
    ],
  },
  { name: 'sliceCols', fn: (_, [a]) => op.sliceCols(a, 1, 3), shapes: [[M, 4]] },
  { name: 'gatherCols', fn: (_, [a]) => op.gatherCols(a, [2, 0, 2]), shapes: [[M, 3]] },
  { name: 'reshape', fn: (_, [a]) => op.mul(op.reshape(a, [N, M]), op.reshape(a, [N, M])), shapes: [[M, N]] },
  {
    name: 'matmul',
    fn: (_, [a, b]) => op.matmul(a, b),
    shapes: [
      [M, 4],
      [4, N],
    ],
  },
  { name: 'linear', fn: (_, [x, W, b]) => op.linear(x, W, b), shapes: [[M, 4], [N, 4], [N]] },
  {
    name: 'linear relu',
    fn: (_, [x, W, b]) => op.linear(x, W, b, { activation: Act.Relu }),
    shapes: [[M, 4], [N, 4], [N]],
  },
  {
    name: 'linear elu',
    fn: (_, [x, W, b]) => op.linear(x, W, b, { activation: Act.Elu }),
    shapes: [[M, 4], [N, 4], [N]],
  },
  {
    name: 'linear tanh',
    fn: (_, [x, W, b]) => op.linear(x, W, b, { activation: Act.Tanh }),
    shapes: [[M, 4], [N, 4], [N]],
  },
  {
    name: 'linear no bias',
    fn: (_, [x, W]) => op.linear(x, W, null),
    shapes: [
      [M, 4],
      [N, 4],
    ],
  },
  // Broadcast layouts in the other operand order, numbers, and constants on either side.
  {
    name: 'add col first',
    fn: (_, [a, b]) => op.add(b, a),
    shapes: [
      [M, N],
      [M, 1],
    ],
  },
  { name: 'add number first', fn: (_, [a]) => op.add(2, a), shapes: [[M, N]] },
  { name: 'add, small constant', fn: (t, [a]) => op.add(konst(t, [N], 1), a), shapes: [[M, N]] },
  { name: 'add, big constant', fn: (t, [b]) => op.add(konst(t, [M, N], 2), b), shapes: [[N]] },
  {
    name: 'sub col',
    fn: (_, [a, b]) => op.sub(a, b),
    shapes: [
      [M, N],
      [M, 1],
    ],
  },
  { name: 'sub scalar', fn: (_, [a, b]) => op.sub(a, b), shapes: [[M, N], [1]] },
  { name: 'sub row first', fn: (_, [a, b]) => op.sub(b, a), shapes: [[M, N], [N]] },
  { name: 'sub number first', fn: (_, [a]) => op.sub(1, a), shapes: [[M, N]] },
  { name: 'sub number second', fn: (_, [a]) => op.sub(a, 1), shapes: [[M, N]] },
  { name: 'sub, small constant', fn: (t, [a]) => op.sub(a, konst(t, [M, 1], 3)), shapes: [[M, N]] },
  { name: 'sub, big constant', fn: (t, [b]) => op.sub(konst(t, [M, N], 4), b), shapes: [[N]] },
  { name: 'mul row', fn: (_, [a, b]) => op.mul(a, b), shapes: [[M, N], [N]] },
  {
    name: 'mul col first',
    fn: (_, [a, b]) => op.mul(b, a),
    shapes: [
      [M, N],
      [M, 1],
    ],
  },
  { name: 'mul scalar second', fn: (_, [a, b]) => op.mul(a, b), shapes: [[M, N], [1]] },
  { name: 'mul number first', fn: (_, [a]) => op.mul(-1.3, a), shapes: [[M, N]] },
  { name: 'mul, small constant', fn: (t, [a]) => op.mul(a, konst(t, [N], 5)), shapes: [[M, N]] },
  { name: 'mul, big constant first', fn: (t, [b]) => op.mul(konst(t, [M, N], 6), b), shapes: [[M, 1]] },
  { name: 'mul, big constant second', fn: (t, [b]) => op.mul(b, konst(t, [M, N], 7)), shapes: [[1]] },
  {
    name: 'div col',
    fn: (_, [a, b]) => op.div(a, b),
    shapes: [
      [M, N],
      [M, 1],
    ],
    range: [0.5, 2],
  },
  { name: 'div scalar', fn: (_, [a, b]) => op.div(a, b), shapes: [[M, N], [1]], range: [0.5, 2] },
  {
    name: 'div col first',
    fn: (_, [a, b]) => op.div(b, a),
    shapes: [
      [M, N],
      [M, 1],
    ],
    range: [0.5, 2],
  },
  { name: 'div number first', fn: (_, [a]) => op.div(2, a), shapes: [[M, N]], range: [0.5, 2] },
  { name: 'div number second', fn: (_, [a]) => op.div(a, 4), shapes: [[M, N]] },
  { name: 'div, constant divisor', fn: (t, [a]) => op.div(a, konst(t, [N], 8, 0.5, 2)), shapes: [[M, N]] },
  {
    name: 'div, constant dividend',
    fn: (t, [b]) => op.div(konst(t, [M, N], 9), b),
    shapes: [[M, 1]],
    range: [0.5, 2],
  },
  {
    name: 'where, b constant',
    fn: (t, [a]) => op.where(t.device.tensor([1, 0, 0, 1, 1, 0], [3, 2]), a, konst(t, [3, 2], 10)),
    shapes: [[3, 2]],
  },
  {
    name: 'where, a constant',
    fn: (t, [b]) => op.where(t.device.tensor([1, 0, 0, 1, 1, 0], [3, 2]), konst(t, [3, 2], 11), b),
    shapes: [[3, 2]],
  },
  {
    name: 'concatCols, a constant part',
    fn: (t, [a]) => op.concatCols([konst(t, [M, 2], 12), a]),
    shapes: [[M, 3]],
  },
  {
    name: 'matmul, constant a',
    fn: (t, [b]) => op.matmul(konst(t, [M, 4], 13), b),
    shapes: [[4, N]],
  },
  {
    name: 'matmul, constant b',
    fn: (t, [a]) => op.matmul(a, konst(t, [4, N], 14)),
    shapes: [[M, 4]],
  },
  // The masked layer with its bias, each activation, and with constant weights (an input gradient only).
  ...[Act.None, Act.Relu, Act.Elu, Act.Tanh].map((act): Case => ({
    name: `linear masked, act ${act}`,
    fn: (t, [x, W, b]) =>
      op.linear(x, W, b, { mask: t.device.tensor([1, 0, 1, 1, 0, 1, 1, 1, 0, 0, 1, 1], [N, 4]), activation: act }),
    shapes: [[M, 4], [N, 4], [N]],
  })),
  {
    name: 'linear, constant W and b',
    fn: (t, [x]) => op.linear(x, konst(t, [N, 4], 15), konst(t, [N], 16), { activation: Act.Elu }),
    shapes: [[M, 4]],
  },
  {
    name: 'linear, constant x',
    fn: (t, [W, b]) => op.linear(konst(t, [M, 4], 17), W, b, { activation: Act.Tanh }),
    shapes: [[N, 4], [N]],
  },
  {
    // x outside [−B, B] (B = 5): the identity tails, y = x and ln|dy/dx| = 0 whatever the params;
    // rows mix tail and interior elements. With these inputs 6·x reaches both tails (6 of its 10
    // elements) and stays 0.25 or more from ±B, where the tail joins the spline.
    name: 'spline tails',
    fn: (_, [x, p]) => {
      const s = op.spline(op.mul(x, 6), p, spec);
      return op.concatCols([s.y, s.ladj]);
    },
    shapes: [
      [M, 2],
      [M, 22],
    ],
    step: 1e-3,
    rtol: 3e-2,
    atol: 1e-3,
  },
  {
    name: 'spline, y only (the unused ln|dy/dx| gets a zero gradient)',
    fn: (_, [x, p]) => op.spline(op.mul(x, 3), p, spec).y,
    shapes: [
      [M, 2],
      [M, 22],
    ],
    step: 1e-3,
    rtol: 3e-2,
    atol: 1e-3,
  },
  {
    name: 'spline, ln|dy/dx| only',
    fn: (_, [x, p]) => op.spline(op.mul(x, 3), p, spec).ladj,
    shapes: [
      [M, 2],
      [M, 22],
    ],
    step: 1e-3,
    rtol: 3e-2,
    atol: 1e-3,
  },
  {
    name: 'spline, constant params (d/dx only)',
    fn: (t, [x]) => {
      const s = op.spline(op.mul(x, 3), konst(t, [M, 22], 18), spec);
      return op.concatCols([s.y, s.ladj]);
    },
    shapes: [[M, 2]],
    step: 1e-3,
    rtol: 3e-2,
    atol: 1e-3,
  },
  {
    // K = 4 bins → 11 raw values per element; x and the params both get gradients, y and ladj both used
    name: 'spline (y and ln|dy/dx|)',
    fn: (_, [x, p]) => {
      const s = op.spline(op.mul(x, 3), p, { bins: 4, bound: 5, slope: 1e-3 });
      return op.concatCols([s.y, s.ladj]);
    },
    shapes: [
      [M, 2],
      [M, 22],
    ],
    // ln|dy/dx| is only C⁰ across knots: a small step keeps the difference inside one bin, at
    // the price of float32 noise; this checks the op's wiring (which gradient goes where), the
    // kernel's own gradients are checked in float64 to 1e-6 by test/spline.test.ts.
    step: 1e-3,
    rtol: 3e-2,
    atol: 1e-3,
  },
];

for (const dev of devices) {
  for (const c of cases) {
    test(`${dev.backend}: gradcheck ${c.name}`, () => {
      const [lo, hi] = c.range ?? [-1.5, 1.5];
      const inputs = c.shapes.map((s, i) =>
        dev.tensor(
          randomValues(
            s.reduce((a, b) => a * b, 1),
            11 + 7 * i,
            lo,
            hi,
          ),
          s,
        ),
      );
      // Keep relu/abs away from the kink at 0, where the derivative is not defined.
      for (const t of inputs) for (let i = 0; i < t.size; i++) if (Math.abs(t.data[i]) < 0.05) t.data[i] += 0.1;
      const r = gradcheck(dev, c.fn, inputs, {
        check: c.check,
        step: c.step,
        rtol: c.rtol ?? 1e-3,
        atol: c.atol ?? 1e-4,
      });
      assert.ok(r.ok, `${c.name} on ${dev.backend}: worst ${r.worst.toFixed(3)} at ${r.where}`);
    });
  }

  test(`${dev.backend}: masked linear gives masked weights zero gradient and matches composition`, () => {
    const x = dev.tensor(randomValues(12, 3), [4, 3]);
    const W = dev.tensor(randomValues(6, 4), [2, 3]);
    const mask = dev.tensor([1, 0, 1, 0, 1, 1], [2, 3]);
    const r = gradcheck(dev, (_, [xv, Wv]) => op.linear(xv, Wv, null, { mask, activation: Act.Tanh }), [x, W]);
    assert.ok(r.ok, r.where);
    const { Tape } = awaitTape;
    const tape = new Tape(dev);
    const Wv = tape.leaf(W);
    tape.backward(op.sum(op.linear(tape.constant(x), Wv, null, { mask })));
    assert.is(Wv.grad!.data[1], 0);
    assert.is(Wv.grad!.data[3], 0);
  });

  test(`${dev.backend}: where routes gradients by the mask`, () => {
    const mask = dev.tensor([1, 0, 0, 1, 1, 0], [3, 2]);
    const r = gradcheck(dev, (_, [a, b]) => op.mul(op.where(mask, a, b), a), [
      dev.tensor(randomValues(6, 5), [3, 2]),
      dev.tensor(randomValues(6, 6), [3, 2]),
    ]);
    assert.ok(r.ok, r.where);
  });
}

const awaitTape = await import('../src/autodiff/tape.js');

test.run();
