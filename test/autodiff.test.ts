/** The tape itself: accumulation for reused inputs, frozen parameters, no-grad mode, errors. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Tape } from '../src/autodiff/tape.js';
import { ParamSet } from '../src/autodiff/param.js';
import * as op from '../src/ops/index.js';
import { tsDevice } from './helpers/devices.js';

test('a reused input accumulates both paths: d(x·x + x)/dx = 2x + 1', () => {
  const dev = tsDevice();
  const tape = new Tape(dev);
  const x = tape.leaf(dev.tensor([1, -2, 3], [3]));
  tape.backward(op.sum(op.add(op.mul(x, x), x)));
  assert.equal(Array.from(x.grad!.data), [3, -3, 7]);
});

test('a shared incoming gradient is not corrupted by later accumulation', () => {
  const dev = tsDevice();
  const tape = new Tape(dev);
  const a = tape.leaf(dev.tensor([1, 2], [2]));
  const b = tape.leaf(dev.tensor([3, 4], [2]));
  const s = op.add(a, b); // add hands the same gradient tensor to a and b
  const loss = op.sum(op.add(op.mul(s, 2), op.mul(a, 5)));
  tape.backward(loss);
  assert.equal(Array.from(a.grad!.data), [7, 7]);
  assert.equal(Array.from(b.grad!.data), [2, 2]);
});

test('parameters accumulate into their persistent grad; frozen ones record nothing', () => {
  const dev = tsDevice();
  const ps = new ParamSet(dev, [
    { name: 'w', shape: [2] },
    { name: 'f', shape: [2] },
  ]);
  ps.get('w').value.data.set([1, 2]);
  ps.get('f').value.data.set([3, 4]);
  ps.get('f').frozen = true;
  const tape = new Tape(dev);
  const w = tape.param(ps.get('w'));
  const f = tape.param(ps.get('f'));
  const prod = op.mul(f, f);
  assert.is(tape.size, 0, 'frozen-only work must not be recorded');
  tape.backward(op.sum(op.mul(w, prod)));
  assert.equal(Array.from(ps.get('w').grad.data), [9, 16]);
  assert.equal(Array.from(ps.get('f').grad.data), [0, 0]);
  assert.is(tape.size, 0, 'the tape is consumed by backward');
});

test('a no-grad tape records nothing and backward refuses', () => {
  const dev = tsDevice();
  const tape = new Tape(dev, { grad: false });
  const x = tape.leaf(dev.tensor([1, 2], [2]));
  const y = op.sum(op.exp(x));
  assert.is(tape.size, 0);
  assert.throws(() => tape.backward(y), /does not depend/);
});

test('shape errors name the op and the shapes', () => {
  const dev = tsDevice();
  const tape = new Tape(dev);
  const a = tape.leaf(dev.tensor(new Float32Array(6), [2, 3]));
  const b = tape.leaf(dev.tensor(new Float32Array(4), [2, 2]));
  assert.throws(() => op.add(a, b), /add: shapes \[2, 3\] and \[2, 2\]/);
  assert.throws(() => op.matmul(a, a), /matmul: cannot multiply \[2, 3\] by \[2, 3\]/);
  assert.throws(() => op.linear(a, b, null), /linear: x \[2, 3\], W \[2, 2\]/);
  assert.throws(() => op.sliceCols(a, 2, 5), /sliceCols: columns \[2, 5\) out of range/);
});

test('inputs from different tapes are refused', () => {
  const dev = tsDevice();
  const t1 = new Tape(dev),
    t2 = new Tape(dev);
  assert.throws(() => op.add(t1.leaf(dev.tensor([1], [1])), t2.leaf(dev.tensor([1], [1]))), /different tapes/);
});

test.run();
