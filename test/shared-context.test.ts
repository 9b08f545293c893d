/**
 * Few distinct contexts in a batch (the kinematic flows' one-hot class): the context side of a
 * masked network runs once per distinct context (MaskedMLP.forwardShared). Its two ops get
 * finite-difference checks; the path as a whole must give the generic path's values and
 * gradients (to rounding: its sums are grouped differently).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gradcheck } from '../src/autodiff/gradcheck.js';
import { Tape, type Var } from '../src/autodiff/tape.js';
import { Act } from '../src/backend/kernels.js';
import type { Device } from '../src/backend/device.js';
import { NSF } from '../src/flows/nsf.js';
import { blockSet } from '../src/nn/context-blocks.js';
import { sharedContext } from '../src/nn/shared-context.js';
import * as op from '../src/ops/index.js';
import { SystematicCorrectedModel } from '../src/systematics/corrected-model.js';
import { residualDefaults } from '../src/systematics/config.js';
import { Rng } from '../src/random/rng.js';
import { allDevices, randomValues } from './helpers/devices.js';
import { watchMatmulNN } from './helpers/spy.js';

const devices = await allDevices();

/** One-hot [B, U] spreading U rows over B, row b → b mod U. */
const spreadOf = (dev: Device, B: number, U: number) =>
  dev.tensor(
    Array.from({ length: B * U }, (_, e) => (Math.floor(e / U) % U === e % U ? 1 : 0)),
    [B, U],
  );

/** Largest |a − b| / (1 + |b|). */
function worst(a: Float32Array, b: Float32Array): number {
  let w = 0;
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])));
  return w;
}

for (const dev of devices) {
  for (const act of [Act.None, Act.Relu, Act.Elu, Act.Tanh]) {
    test(`${dev.backend}: gradcheck spreadLinear (act ${act}) w.r.t. x, W and the per-context bias`, () => {
      const [B, K, N, U] = [7, 4, 3, 2];
      const S = spreadOf(dev, B, U);
      const inputs = [
        [B, K],
        [N, K],
        [U, N],
      ].map((s, i) => dev.tensor(randomValues(s[0] * s[1], 21 + i, -1.5, 1.5), s));
      const r = gradcheck(dev, (_, [x, W, T]) => op.spreadLinear(x, W, S, T, act), inputs);
      assert.ok(r.ok, r.where);
    });
  }

  test(`${dev.backend}: gradcheck weightBlocks (masked, padded blocks, an entry in no block)`, () => {
    const m = [
      [true, false, true],
      [true, true, false],
    ];
    const set = blockSet(dev, m, [
      [[1], [0, 1]],
      [[0, 1], [2]],
    ]); // W[0, 1] belongs to no block
    const W = dev.tensor(randomValues(6, 5), [2, 3]);
    const r = gradcheck(
      dev,
      (_, [w]) => {
        const [a, b] = op.weightBlocks(w, set);
        return op.concatCols([op.reshape(a, [1, 2]), op.reshape(b, [1, 2])]);
      },
      [W],
    );
    assert.ok(r.ok, r.where);
    const tape = new Tape(dev);
    const Wv = tape.leaf(W);
    const [a, b] = op.weightBlocks(Wv, set);
    assert.equal(Array.from(a.value.data), [W.data[3], W.data[4]]);
    assert.equal(Array.from(b.value.data), [W.data[2], 0]); // W[1, 2] is masked
    tape.backward(op.add(op.sum(a), op.sum(b)));
    assert.equal(Array.from(Wv.grad!.data), [0, 0, 1, 1, 1, 0]);
    // One block unused: its span of the way back is zeros (the backward's null-gradient branch).
    const onlyB = gradcheck(dev, (_, [w]) => op.weightBlocks(w, set)[1], [W]);
    assert.ok(onlyB.ok, onlyB.where);
    const t2 = new Tape(dev);
    const W2 = t2.leaf(W);
    t2.backward(op.sum(op.weightBlocks(W2, set)[1]));
    assert.equal(Array.from(W2.grad!.data), [0, 0, 1, 0, 0, 0]);
  });

  test(`${dev.backend}: blockSet refuses overlapping blocks (an entry's gradient would come from one only)`, () => {
    const m = [
      [true, true],
      [true, true],
    ];
    assert.throws(
      () =>
        blockSet(dev, m, [
          [[0], [0, 1]],
          [[0, 1], [1]],
        ]),
      /blockSet: W\[0, 1\] lies in blocks 0 and 1; blocks must not overlap/,
    );
    assert.throws(() => blockSet(dev, m, [[[2], [0]]]), /blockSet: block 0 names W\[2, 0\], outside the 2 × 2 weight/);
  });

  test(`${dev.backend}: sharedContext finds the distinct rows, and declines when most rows differ`, () => {
    const tape = new Tape(dev, { grad: false });
    const rows = [
      [1, 0],
      [0, 1],
      [1, 0],
      [1, 0],
      [0, 1],
      [1, 0],
      [1, 0],
      [0, 1],
    ];
    const s = sharedContext(tape.constant(dev.tensor(rows.flat(), [8, 2])))!;
    assert.equal(Array.from(s.unique.data), [1, 0, 0, 1]);
    assert.equal(Array.from(s.spread.data), rows.flat());
    assert.is(sharedContext(tape.constant(dev.tensor(randomValues(16, 3), [8, 2]))), null);
    assert.is(
      sharedContext(new Tape(dev).leaf(dev.tensor(rows.flat(), [8, 2]))),
      null,
      'a context that wants a gradient',
    );
  });

  // A kinematic-like flow: one-hot class context, 64 rows.
  const B = 64;
  const flow = new NSF(dev, {
    features: 2,
    context: 2,
    bins: 5,
    transforms: 2,
    hiddenFeatures: [12, 12],
    slope: 1e-3,
    bound: 5,
  }).init(Rng.fromSeed(8));
  const x = dev.tensor(randomValues(2 * B, 31, -2.5, 2.5), [B, 2]);
  const c = dev.tensor(
    Array.from({ length: 2 * B }, (_, e) => (((e >> 1) % 3 === 0) === (e % 2 === 0) ? 1 : 0)),
    [B, 2],
  );

  /** Σ log p and its gradients (params, x), with the context shared (constant) or not (a leaf). */
  function run(shared: boolean, frozen = false) {
    flow.params.zeroGrad();
    for (const p of flow.params.params) p.frozen = frozen;
    const tape = new Tape(dev);
    const xv = tape.leaf(x);
    const cv: Var = shared ? tape.constant(c) : tape.leaf(c);
    const lp = flow.logProbVar(tape, xv, { context: cv });
    tape.backward(op.sum(lp));
    for (const p of flow.params.params) p.frozen = false;
    return {
      lp: Float32Array.from(lp.value.data),
      gx: Float32Array.from(xv.grad!.data),
      gp: flow.params.params.map((p) => Float32Array.from(p.grad.data)),
    };
  }

  /** How many per-context biases were spread over rows (matmulNN with accumulate) while fn ran. */
  function spreads(fn: () => void): number {
    let n = 0;
    watchMatmulNN(dev, (_out, _a, _b, acc) => void (acc && n++), fn);
    return n;
  }

  test(`${dev.backend}: a flow on a one-hot context: shared and generic paths agree (values, d/dx, d/dθ)`, () => {
    let a = run(true),
      b = run(false);
    // 2 transforms × (2 hidden layers + the output layer) spread a per-context bias; generic: none.
    assert.is(
      spreads(() => (a = run(true))),
      6,
    );
    assert.is(
      spreads(() => (b = run(false))),
      0,
    );
    assert.ok(worst(a.lp, b.lp) < 2e-6, `log p ${worst(a.lp, b.lp)}`);
    assert.ok(worst(a.gx, b.gx) < 2e-5, `d/dx ${worst(a.gx, b.gx)}`);
    a.gp.forEach((g, i) => assert.ok(worst(g, b.gp[i]) < 2e-5, `${flow.params.params[i].name}: ${worst(g, b.gp[i])}`));
    const f = run(true, true);
    assert.ok(worst(f.gx, b.gx) < 2e-5, `frozen d/dx ${worst(f.gx, b.gx)}`);
  });

  test(`${dev.backend}: the no-grad path (sampling, evaluation) takes the shared path with the same numbers`, () => {
    const tape = new Tape(dev, { grad: false });
    const lp = flow.logProbVar(tape, tape.constant(x), { context: tape.constant(c) }).value.data;
    const b = run(false);
    assert.ok(worst(lp, b.lp) < 2e-6);
    // x back from its latent: the inverse passes run the hyper-networks on the shared context too.
    const latent = flow.forward(Float32Array.from(x.data), { context: Float32Array.from(c.data) }).z;
    const back = flow.inverse(latent, { context: Float32Array.from(c.data) }).x;
    assert.ok(worst(back, Float32Array.from(x.data)) < 2e-5, `round trip ${worst(back, Float32Array.from(x.data))}`);
  });

  test(`${dev.backend}: a residual model on a one-hot context: shared and generic gradients agree`, () => {
    const model = new SystematicCorrectedModel(
      dev,
      flow,
      residualDefaults({
        featuresDim: 2,
        contextDim: 2,
        numNuisances: 2,
        numResidualLayers: 1,
        hiddenFeatures: [12, 12],
      }),
    ).init(Rng.fromSeed(9));
    for (const layer of model.layers) for (const n of layer.nets) n.init(Rng.fromSeed(10), false);
    const nu = dev.tensor(randomValues(2 * B, 41, -1.2, 1.2), [B, 2]);
    const grads = (shared: boolean) => {
      model.params.zeroGrad();
      const tape = new Tape(dev);
      const lp = model.logProbVar(tape, tape.constant(x), {
        context: shared ? tape.constant(c) : tape.leaf(c),
        nu: tape.constant(nu),
      });
      tape.backward(op.sum(lp));
      return {
        lp: Float32Array.from(lp.value.data),
        gp: model.params.params.filter((p) => !p.frozen).map((p) => Float32Array.from(p.grad.data)),
      };
    };
    const a = grads(true),
      b = grads(false);
    assert.ok(a.gp.length > 0);
    assert.ok(worst(a.lp, b.lp) < 2e-6, `log p ${worst(a.lp, b.lp)}`);
    a.gp.forEach((g, i) => assert.ok(worst(g, b.gp[i]) < 2e-5, `param ${i}: ${worst(g, b.gp[i])}`));
  });
}

test.run();
