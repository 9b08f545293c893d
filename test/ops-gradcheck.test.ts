/** Finite-difference gradient check of every differentiable op, on every backend. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Act } from '../src/backend/kernels.js';
import { gradcheck, type GradFn } from '../src/autodiff/gradcheck.js';
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
};

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
      const r = gradcheck(dev, c.fn, inputs, { check: c.check, step: c.step, rtol: c.rtol });
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
