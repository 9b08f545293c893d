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

test('every accumulation path: a leaf used three times, a parameter twice, a shared gradient reused', () => {
  const dev = tsDevice();
  const ps = new ParamSet(dev, [{ name: 'w', shape: [2] }]);
  ps.get('w').value.data.set([2, -1]);
  const tape = new Tape(dev);
  const x = tape.leaf(dev.tensor([1, 3], [2]));
  const w = tape.param(ps.get('w'));
  // add(x, x) hands x the same tensor twice (by reference, then a new sum); the third use adds in place.
  const a = op.add(op.add(x, x), op.mul(x, w));
  // w: a parameter's grad is its persistent tensor from the start, added into in place.
  const loss = op.sum(op.add(a, op.mul(w, w)));
  tape.backward(loss);
  assert.equal(Array.from(x.grad!.data), [2 + 2, 2 - 1]); // 2 + w
  assert.equal(Array.from(ps.get('w').grad.data), [1 + 4, 3 - 2]); // x + 2w
});

test('parameter gradients accumulate over steps until zeroGrad', () => {
  const dev = tsDevice();
  const ps = new ParamSet(dev, [{ name: 'w', shape: [2] }]);
  ps.get('w').value.data.set([1, 2]);
  const step = (scale: number) => {
    const tape = new Tape(dev);
    tape.backward(op.sum(op.mul(tape.param(ps.get('w')), scale)));
  };
  step(2);
  step(3);
  assert.equal(Array.from(ps.get('w').grad.data), [5, 5]);
  ps.zeroGrad();
  step(1);
  assert.equal(Array.from(ps.get('w').grad.data), [1, 1]);
});

test('backward twice on one loss is refused (it did nothing the second time before)', () => {
  const dev = tsDevice();
  const ps = new ParamSet(dev, [{ name: 'w', shape: [2] }]);
  ps.get('w').value.data.set([1, 2]);
  const tape = new Tape(dev);
  const loss = op.sum(op.square(tape.param(ps.get('w'))));
  tape.backward(loss);
  assert.equal(Array.from(ps.get('w').grad.data), [2, 4]);
  assert.throws(
    () => tape.backward(loss),
    /this loss was computed before an earlier backward\(\), which consumed the graph/,
  );
  assert.equal(Array.from(ps.get('w').grad.data), [2, 4]);
});

test('a value computed before backward cannot carry a later backward, and nothing is written', () => {
  // The path through h was silently dropped: x.grad stayed e^x, not e^x + 2e^x.
  const dev = tsDevice();
  const ps = new ParamSet(dev, [{ name: 'w', shape: [2] }]);
  ps.get('w').value.data.set([1, 2]);
  const tape = new Tape(dev);
  const x = tape.leaf(dev.tensor([0, 1], [2]));
  const w = tape.param(ps.get('w'));
  const h = op.exp(x);
  tape.backward(op.sum(h));
  const e = [1, h.value.data[1]];
  assert.equal(Array.from(x.grad!.data), e);
  // Its value is still usable, as a constant or in ops that are not differentiated.
  assert.is(op.sum(h).value.data[0], e[0] + e[1]);
  tape.backward(op.sum(op.mul(x, tape.constant(h.value))));
  assert.equal(Array.from(x.grad!.data), [e[0] + e[0], e[1] + e[1]]);
  const before = Array.from(ps.get('w').grad.data);
  const again = op.sum(op.add(op.mul(w, 3), op.mul(h, 2)));
  assert.throws(() => tape.backward(again), /input 0 of mul was computed before an earlier backward\(\)/);
  assert.equal(Array.from(x.grad!.data), [e[0] + e[0], e[1] + e[1]]);
  assert.equal(Array.from(ps.get('w').grad.data), before, 'no parameter gradient half-written');
});

test('a tape reused after backward: leaves and parameters keep accumulating, as over steps', () => {
  const dev = tsDevice();
  const tape = new Tape(dev);
  const x = tape.leaf(dev.tensor([1, 2], [2]));
  tape.backward(op.sum(op.square(x)));
  tape.backward(op.sum(op.mul(x, 3)));
  assert.equal(Array.from(x.grad!.data), [2 + 3, 4 + 3]);
  assert.is(tape.size, 0);
});

test('a loss on frozen parameters only: backward says what gets no gradient', () => {
  const dev = tsDevice();
  const ps = new ParamSet(dev, [{ name: 'w', shape: [2] }]);
  ps.freeze();
  const tape = new Tape(dev);
  const loss = op.sum(op.square(tape.param(ps.get('w'))));
  assert.throws(() => tape.backward(loss), /does not depend on any tracked value \(constants, frozen parameters/);
  assert.equal(Array.from(ps.get('w').grad.data), [0, 0]);
});

test('a no-grad tape records nothing and backward refuses', () => {
  const dev = tsDevice();
  const tape = new Tape(dev, { grad: false });
  const x = tape.leaf(dev.tensor([1, 2], [2]));
  const y = op.sum(op.exp(x));
  assert.is(tape.size, 0);
  assert.throws(() => tape.backward(y), /does not depend/);
});

test('a seed gradient of another size than the loss is refused by name', () => {
  // It used to surface as 'exp backward: gradient [3] for input 0', after a read past the loss.
  const dev = tsDevice();
  const tape = new Tape(dev);
  const x = tape.leaf(dev.tensor([1, 2], [2]));
  const y = op.exp(x);
  assert.throws(
    () => tape.backward(y, dev.tensor([1, 2, 3], [3])),
    /backward: the seed gradient has shape \[3\], the loss \[2\]; the seed must hold one value per loss element/,
  );
  assert.throws(() => tape.backward(y), /backward: loss has shape \[2\]; pass a seed gradient for non-scalars/);
  tape.backward(y, dev.tensor([1, 1], [1, 2])); // the same size in another shape is fine
  assert.equal(Array.from(x.grad!.data), Array.from(y.value.data));
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
