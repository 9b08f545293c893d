/**
 * The base flow's context side computed once per sample (issue 16: fit.nll_grad): a frozen
 * conditioner's hidden units that see only the context, and their terms in the x-side units and
 * the outputs, are per-row constants over a fixed sample (MaskedMLP.contextSide); each evaluation
 * at a new ν runs only the x side (forwardWithContextSide, over rowBiasLinear). Each must give
 * the plain pass's numbers: values and gradients to float rounding (the sums are grouped
 * differently from `forward`'s), on every backend; and ResidualOnSample must do less matmul work.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gradcheck } from '../src/autodiff/gradcheck.js';
import { Tape } from '../src/autodiff/tape.js';
import { Act, type Kernels } from '../src/backend/kernels.js';
import type { Device } from '../src/backend/device.js';
import { NSF } from '../src/flows/nsf.js';
import * as op from '../src/ops/index.js';
import { SystematicCorrectedModel } from '../src/systematics/corrected-model.js';
import { residualDefaults } from '../src/systematics/config.js';
import { ResidualOnSample } from '../src/systematics/on-sample.js';
import { Rng } from '../src/random/rng.js';
import { allDevices, randomValues } from './helpers/devices.js';

const devices = await allDevices();

function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  assert.is(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) {
    assert.ok(Math.abs(a[i] - b[i]) <= tol * (1 + Math.abs(b[i])), `${what}[${i}]: ${a[i]} against ${b[i]}`);
  }
}

/** A residual model over a 2-feature base NSF with a context of C columns, parameters all non-zero. */
function makeModel(dev: Device, C: number, seed: number): SystematicCorrectedModel {
  const flow = new NSF(dev, {
    features: 2,
    context: C,
    bins: 6,
    transforms: 3,
    hiddenFeatures: [16, 16, 16],
    slope: 1e-3,
    bound: 4,
  }).init(Rng.fromSeed(seed));
  const cfg = { featuresDim: 2, contextDim: C, numNuisances: 2, numResidualLayers: 2, hiddenFeatures: [8] };
  const model = new SystematicCorrectedModel(dev, flow, residualDefaults(cfg)).init(Rng.fromSeed(seed + 1));
  for (const layer of model.layers) for (const n of layer.nets) n.init(Rng.fromSeed(seed + 2), false);
  return model;
}

/** The model's own pass, nothing cached: log p and ∂log p/∂ν per row. */
function plainPass(model: SystematicCorrectedModel, v: Float32Array, ctx: Float32Array, nu: number[]) {
  const dev = model.device;
  const n = v.length / 2;
  const K = model.numNuisances;
  return dev.scoped(() => {
    const tape = new Tape(dev, { grad: true });
    const leaf = tape.leaf(
      dev.tensor(
        new Float32Array(n * K).map((_, e) => nu[e % K]),
        [n, K],
      ),
    );
    const cond = { context: tape.constant(dev.tensor(ctx, [n, ctx.length / n])), nu: leaf };
    const lp = model.logProbVar(tape, tape.constant(dev.tensor(v, [n, 2])), cond);
    tape.backward(lp, dev.tensor(new Float32Array(n).fill(1), lp.shape));
    return { logp: Float32Array.from(lp.value.data), dnu: Float32Array.from(leaf.grad!.data) };
  });
}

/** Multiply-adds of every matmulNT call while `fn` runs (rows × W rows × W columns). */
function matmulWork<T>(dev: Device, fn: () => T): { result: T; work: number } {
  const k = dev.kernels as Kernels;
  const original = k.matmulNT;
  let work = 0;
  k.matmulNT = (...args: Parameters<Kernels['matmulNT']>) => {
    work += args[1].rows * args[2].rows * args[2].cols;
    original.apply(k, args);
  };
  try {
    return { result: fn(), work };
  } finally {
    k.matmulNT = original;
  }
}

for (const dev of devices) {
  test(`${dev.backend}: gradcheck rowBiasLinear (every activation, with and without ranges)`, () => {
    const [B, K, N] = [5, 4, 3];
    const x = dev.tensor(randomValues(B * K, 71, -1.5, 1.5), [B, K]);
    const Wz = dev.tensor(
      randomValues(N * K, 72, -1.5, 1.5).map((v, e) => (Math.floor(e / K) === 1 || e % K === 0 ? 0 : v)),
      [N, K],
    );
    const T = dev.tensor(randomValues(B * N, 73, -1.5, 1.5), [B, N]);
    const ranges = dev.tensor([1, K, 0, 0, 1, K], [N, 2]);
    for (const act of [Act.None, Act.Relu, Act.Elu, Act.Tanh]) {
      const g = gradcheck(dev, (_, [a, w, t]) => op.rowBiasLinear(a, w, t, act), [x, Wz, T]);
      assert.ok(g.ok, `act ${act}: ${g.where}`);
      // With ranges W's skipped entries are taken as zeros (a mask), so only x and T are perturbed.
      const gr = gradcheck(dev, (tape, [a, t]) => op.rowBiasLinear(a, tape.constant(Wz), t, act, ranges), [x, T]);
      assert.ok(gr.ok, `act ${act}, ranges: ${gr.where}`);
      // The same function as spreadLinear with one context per row (S the identity).
      const S = dev.tensor(
        Array.from({ length: B * B }, (_, e) => (e % (B + 1) === 0 ? 1 : 0)),
        [B, B],
      );
      const tape = new Tape(dev, { grad: false });
      const [xc, wc, tc] = [x, Wz, T].map((t) => tape.constant(t));
      const mine = op.rowBiasLinear(xc, wc, tc, act, ranges).value.toArray();
      assertClose(mine, op.spreadLinear(xc, wc, S, tc, act).value.toArray(), 1e-6, `act ${act}`);
    }
    const tape = new Tape(dev, { grad: false });
    assert.throws(
      () =>
        op.rowBiasLinear(tape.constant(x), tape.constant(Wz), tape.constant(dev.tensor(randomValues(N, 1), [1, N]))),
      /rowBiasLinear: x \[5, 4\], W \[3, 4\], T \[1, 3\] \(expected x \[B,K\], W \[N,K\], T \[B,N\]\)/,
    );
  });

  test(`${dev.backend}: a conditioner's x side on its cached context side equals the plain network`, () => {
    const flow = makeModel(dev, 3, 11).base;
    const B = 40;
    const X = dev.tensor(randomValues(B * 2, 81, -2, 2), [B, 2]);
    const Cx = dev.tensor(randomValues(B * 3, 82, -2, 2), [B, 3]); // continuous: no shared context
    for (const t of flow.transforms) {
      const hyper = t.hyper;
      for (const p of flow.params.params) p.frozen = true;
      const run = (cached: boolean) =>
        dev.scoped(() => {
          const tape = new Tape(dev);
          const x = tape.leaf(X);
          const c = tape.constant(Cx);
          const side = cached ? hyper.contextSide(tape, c, 2) : null;
          const out = side ? hyper.forwardWithContextSide(tape, x, side) : hyper.forward(tape, x, c);
          const w = dev.tensor(randomValues(out.value.size, 83), out.shape);
          tape.backward(op.sum(op.mul(out, tape.constant(w))));
          return { out: out.value.toArray(), dx: x.grad!.toArray() };
        });
      const [plain, cached] = [run(false), run(true)];
      assertClose(cached.out, plain.out, 1e-6, `${hyper.prefix} outputs`);
      assertClose(cached.dx, plain.dx, 1e-5, `${hyper.prefix} ∂/∂x`);
      const widths = hyper.contextSideWidths(2)!;
      assert.is(widths.length, hyper.layers.length);
      assert.is(widths[widths.length - 1], hyper.layers[hyper.layers.length - 1].weight.shape[0]);
      const tape = new Tape(dev, { grad: false });
      assert.throws(
        () => hyper.forwardWithContextSide(tape, tape.constant(X), []),
        /forwardWithContextSide needs one context term per layer \(4\).*got 0/,
      );
    }
  });

  test(`${dev.backend}: ResidualOnSample, cached context sides (base, later layer) = plain pass for less work`, () => {
    const n = 64;
    const v = randomValues(n * 2, 91, -2, 2);
    // Kin-like (a one-hot class: the plain base shares the context) and score-like (continuous).
    const oneHot = new Float32Array(n * 2).map((_, e) => ((e >> 1) % 3 === 0 ? e % 2 : 1 - (e % 2)));
    const continuous = randomValues(n * 3, 92, -2, 2);
    for (const [name, C, ctx] of [
      ['one-hot', 2, oneHot],
      ['continuous', 3, continuous],
    ] as const) {
      const model = makeModel(dev, C, 21 + C);
      const fast = new ResidualOnSample(model, v, ctx);
      for (const nu of [
        [0.7, -0.45],
        [-1.1, 0.3],
      ]) {
        const plain = matmulWork(dev, () => plainPass(model, v, ctx, nu));
        const cached = matmulWork(dev, () => fast.logProbAndNuGrad(nu));
        assertClose(cached.result.logp, plain.result.logp, 2e-6, `${name} log p at ν ${nu}`);
        assertClose(cached.result.dnu, plain.result.dnu, 2e-5, `${name} ∂log p/∂ν at ν ${nu}`);
        assertClose(fast.logProb(nu), plain.result.logp, 2e-6, `${name} log p without gradient at ν ${nu}`);
        if (name === 'continuous') {
          assert.ok(cached.work < 0.5 * plain.work, `${name}: matmul work ${cached.work} against ${plain.work}`);
        }
      }
    }
  });

  test(`${dev.backend}: ResidualOnSample keeps its context sides within cacheBytes, same numbers without them`, () => {
    const n = 64;
    const v = randomValues(n * 2, 93, -2, 2);
    const ctx = randomValues(n * 3, 94, -2, 2);
    const model = makeModel(dev, 3, 31);
    const nu = [0.4, -0.8];
    const plain = plainPass(model, v, ctx, nu);
    // base sides: 3 transforms × (16 + 16 + 16 + outputs) floats per row; the later layer's: 2 nets × (4 + 8)
    const baseBytes =
      4 * n * model.base.transforms.flatMap((t) => t.hyper.contextSideWidths(2)!).reduce((a, b) => a + b);
    const works = [0, baseBytes, 2 ** 31].map((cacheBytes) => {
      const fast = new ResidualOnSample(model, v, ctx, { cacheBytes });
      const { result, work } = matmulWork(dev, () => fast.logProbAndNuGrad(nu));
      assertClose(result.logp, plain.logp, 2e-6, `log p with cacheBytes ${cacheBytes}`);
      assertClose(result.dnu, plain.dnu, 2e-5, `∂log p/∂ν with cacheBytes ${cacheBytes}`);
      return work;
    });
    assert.ok(works[0] > works[1] && works[1] > works[2], `matmul work by cache size: ${works}`);
    assert.throws(
      () => new ResidualOnSample(model, v, ctx, { cacheBytes: -1 }),
      /cacheBytes must be a number of bytes ≥ 0, got -1/,
    );
  });
}

test.run();
