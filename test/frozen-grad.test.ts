/**
 * A frozen masked network passes gradients only to the inputs that want one (a frozen base flow
 * under a trained residual): the units no wanted gradient passes through are skipped on the way
 * back (MaskedMLP.liveRanges). The gradients that reach x must not change by a single bit, and
 * the skipped work must really be skipped.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gradcheck } from '../src/autodiff/gradcheck.js';
import { Tape } from '../src/autodiff/tape.js';
import type { Device } from '../src/backend/device.js';
import { NSF } from '../src/flows/nsf.js';
import { sum } from '../src/ops/index.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { Rng } from '../src/random/rng.js';
import { allDevices, randomValues } from './helpers/devices.js';
import { sameBits } from './helpers/tensors.js';
import { watchMatmulNN } from './helpers/spy.js';

const devices = await allDevices();
const rows = 37;

/** Rows of matmulNN work (Σ over columns of hi − lo) the function asks the kernels for. */
function nnWork(dev: Device, fn: () => void): number {
  let work = 0;
  watchMatmulNN(
    dev,
    (_out, _a, b, _acc, ranges) => {
      const r = ranges?.data;
      if (r) for (let j = 0; j < r.length; j += 2) work += r[j + 1] - r[j];
      else work += b.rows * b.cols;
    },
    fn,
  );
  return work;
}

for (const dev of devices) {
  const flow = new NSF(dev, {
    features: 2,
    context: 3,
    bins: 6,
    transforms: 2,
    hiddenFeatures: [16, 16],
    slope: 1e-3,
    bound: 5,
  }).init(Rng.fromSeed(4));
  const x = dev.tensor(randomValues(rows * 2, 11, -2, 2), [rows, 2]);
  const c = dev.tensor(randomValues(rows * 3, 12, -1, 1), [rows, 3]);

  /** Gradients of Σ log p w.r.t. x (and the context when `withContext`), and the matmulNN work. */
  function gradients(frozen: boolean, withContext: boolean): { gx: Tensor; gc: Tensor | null; work: number } {
    for (const p of flow.params.params) p.frozen = frozen;
    let gx: Tensor | null = null,
      gc: Tensor | null = null;
    const work = nnWork(dev, () => {
      const tape = new Tape(dev);
      const xv = tape.leaf(x);
      const cv = withContext ? tape.leaf(c) : tape.constant(c);
      tape.backward(sum(flow.logProbVar(tape, xv, { context: cv })));
      gx = xv.grad;
      gc = withContext ? cv.grad : null;
    });
    for (const p of flow.params.params) p.frozen = false;
    return { gx: gx!, gc, work };
  }

  test(`${dev.backend}: frozen flow: the input gradient is bit-identical and a quarter of the dx work`, () => {
    const full = gradients(false, false);
    const frozen = gradients(true, false);
    sameBits('d log p / dx', frozen.gx.data, full.gx.data);
    // 16-unit layers in two groups: the dead 8 columns of a hidden layer (3/4 of its work in block
    // layout) drop out; only the 8 × 8 live block is left.
    assert.ok(frozen.work < 0.6 * full.work, `dx work ${frozen.work} vs ${full.work}`);
  });

  test(`${dev.backend}: frozen flow with a context that wants a gradient: nothing is skipped`, () => {
    const full = gradients(false, true);
    const frozen = gradients(true, true);
    sameBits('d log p / dx', frozen.gx.data, full.gx.data);
    sameBits('d log p / dc', frozen.gc!.data, full.gc!.data);
    assert.is(frozen.work, full.work);
  });

  test(`${dev.backend}: frozen flow: d log p / dx by finite differences`, () => {
    flow.params.freeze();
    try {
      // A few rows: ReLU and spline-knot kinks make the derivative jump, and a central difference
      // across one is meaningless; with 8 rows and a small step none lies in between.
      const few = 8;
      const xs = dev.tensor(x.data.subarray(0, 2 * few), [few, 2]),
        cs = dev.tensor(c.data.subarray(0, 3 * few), [few, 3]);
      const r = gradcheck(dev, (tape, [xv]) => flow.logProbVar(tape, xv, { context: tape.constant(cs) }), [xs], {
        step: 1e-3,
        atol: 2e-3,
      });
      assert.ok(r.ok, r.where);
    } finally {
      for (const p of flow.params.params) p.frozen = false;
    }
  });
}

test.run();
