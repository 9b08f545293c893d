/**
 * Evaluation on grids (issue 18: the page's slider update): a masked network runs once per
 * distinct row of the inputs its outputs depend on (MaskedMLP.forwardDistinct over gatherRows
 * and distinctRows), a batch of one context takes spreadLinear's plain-bias path, and the spline
 * kernel reuses the masses of repeated parameter rows. Each must give the plain evaluation's
 * numbers: the same bits for values, and the same gradients.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gradcheck } from '../src/autodiff/gradcheck.js';
import { Tape } from '../src/autodiff/tape.js';
import { Act, type Kernels } from '../src/backend/kernels.js';
import { NSF } from '../src/flows/nsf.js';
import { distinctRows } from '../src/nn/distinct-rows.js';
import { autoregressiveAdjacency, inputsReachingOutputs, maskedMlpMasks } from '../src/nn/masks.js';
import * as op from '../src/ops/index.js';
import { SystematicCorrectedModel } from '../src/systematics/corrected-model.js';
import { residualDefaults } from '../src/systematics/config.js';
import { ResidualOnSample } from '../src/systematics/on-sample.js';
import { Rng } from '../src/random/rng.js';
import { gridPoints, gridSpec, repeatRow } from '../src/analysis/grid.js';
import { allDevices, randomValues } from './helpers/devices.js';

const devices = await allDevices();

/**
 * The wasm kernels sum every output element in the same order whatever its row's position or the
 * batch, so there the shortcuts give the same bits; the ts reference backend groups a few sums
 * differently (its matmul adds the bias first), so there they agree to rounding.
 */
function same(dev: { backend: string }, a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  if (dev.backend === 'wasm') {
    assert.equal(Array.from(a), Array.from(b), what);
    return;
  }
  assert.is(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) {
    assert.ok(Math.abs(a[i] - b[i]) <= 2e-6 * (1 + Math.abs(b[i])), `${what}[${i}]: ${a[i]} against ${b[i]}`);
  }
}

/** A 2-feature grid of n × n points for both classes of a one-hot context, x fastest. */
function gridRows(n: number): { x: Float32Array; ctx: Float32Array } {
  const g = gridPoints(gridSpec([-3, 3], [-2.5, 2.5], n, n));
  const m = g.length / 2;
  const x = new Float32Array(4 * m);
  const ctx = new Float32Array(4 * m);
  for (let k = 0; k < 2; k++)
    for (let i = 0; i < m; i++) {
      x.set([g[2 * i], g[2 * i + 1]], 2 * (k * m + i));
      ctx[2 * (k * m + i) + k] = 1;
    }
  return { x, ctx };
}

test('inputsReachingOutputs: an NSF conditioner never depends on the last feature of its order', () => {
  const masks = (order: number[]) => maskedMlpMasks(autoregressiveAdjacency(order, 5, 2), [8, 8]);
  assert.equal(inputsReachingOutputs(masks([0, 1, 2])), [true, true, false, true, true]);
  assert.equal(inputsReachingOutputs(masks([2, 1, 0])), [false, true, true, true, true]);
  assert.equal(inputsReachingOutputs(masks([1, 0])), [false, true, true, true]);
});

for (const dev of devices) {
  test(`${dev.backend}: gradcheck gatherRows (repeated and left-out rows)`, () => {
    const a = dev.tensor(randomValues(12, 3), [4, 3]);
    const rows = Int32Array.from([2, 0, 2, 2, 1]);
    const r = gradcheck(dev, (_, [v]) => op.gatherRows(v, rows), [a]);
    assert.ok(r.ok, r.where);
    const tape = new Tape(dev, { grad: false });
    const out = op.gatherRows(tape.constant(a), rows).value.data;
    assert.equal(Array.from(out.subarray(0, 3)), Array.from(a.data.subarray(6, 9)));
    const wide = dev.tensor(randomValues(3 * 40, 4), [3, 40]); // the copyWithin path
    assert.equal(Array.from(op.gatherRows(tape.constant(wide), Int32Array.from([1, 1])).value.data), [
      ...wide.data.subarray(40, 80),
      ...wide.data.subarray(40, 80),
    ]);
    assert.throws(() => op.gatherRows(tape.constant(a), Int32Array.from([0, 4])), /row index 4 \(at 1\) out of range/);
    // Runs of equal indices (filled by doubling) of every length up to 70, between single rows.
    const runs = Int32Array.from(Array.from({ length: 70 }, (_, L) => [L % 3, ...Array<number>(L).fill(2)]).flat());
    const got = op.gatherRows(tape.constant(wide), runs).value.data;
    runs.forEach((src, r) =>
      assert.equal(
        Array.from(got.subarray(40 * r, 40 * r + 40)),
        Array.from(wide.data.subarray(40 * src, 40 * src + 40)),
      ),
    );
  });

  test(`${dev.backend}: gradcheck scatterRows (rows left as zeros)`, () => {
    const a = dev.tensor(randomValues(9, 5), [3, 3]);
    const rows = Int32Array.from([4, 0, 2]);
    const r = gradcheck(dev, (_, [v]) => op.scatterRows(v, rows, 5), [a]);
    assert.ok(r.ok, r.where);
    const tape = new Tape(dev, { grad: false });
    const out = Array.from(op.scatterRows(tape.constant(a), rows, 5).value.data);
    assert.equal(out.slice(12, 15), Array.from(a.data.subarray(0, 3)));
    assert.equal([...out.slice(3, 6), ...out.slice(9, 12)], new Array(6).fill(0));
    const scatter = (idx: number[]) => () => op.scatterRows(tape.constant(a), Int32Array.from(idx), 5);
    assert.throws(scatter([1, 1, 0]), /row index 1 \(at 1\) repeats/);
    assert.throws(scatter([0, 1, 5]), /index 5 \(at 2\) out of range/);
  });

  test(`${dev.backend}: gatherRows and scatterRows past the kernel threshold: exact gradients`, () => {
    // 300 rows of 64 (19 200 floats, over 2^14): the forward gather and scatterRows' backward run
    // the gatherRows kernel, which the gradchecks above (a few rows) never reach. Both ops are
    // linear, so each gradient is known exactly; integer seeds keep every sum exact.
    const [M, N, R] = [300, 64, 320];
    const a = dev.tensor(randomValues(M * N, 8), [M, N]);
    const rows = Int32Array.from({ length: R }, (_, r) => (r * 37) % M); // repeats: 320 picks of 300 rows
    const seed = dev.tensor(
      Array.from({ length: R * N }, (_, e) => (e % 7) - 3),
      [R, N],
    );
    const tape = new Tape(dev);
    const av = tape.leaf(a);
    const g = op.gatherRows(av, rows);
    tape.backward(g, seed);
    const want = new Float32Array(M * N);
    rows.forEach((src, r) => {
      for (let j = 0; j < N; j++) want[src * N + j] += seed.data[r * N + j];
    });
    assert.equal(Array.from(av.grad!.data), Array.from(want), 'gatherRows: the scatter-add of the seed');
    rows.forEach((src, r) =>
      assert.equal(
        Array.from(g.value.data.subarray(r * N, r * N + N)),
        Array.from(a.data.subarray(src * N, src * N + N)),
      ),
    );
    const distinct = Int32Array.from({ length: M }, (_, r) => (r * 7) % R); // 300 distinct rows of 320
    const t2 = new Tape(dev);
    const bv = t2.leaf(a);
    t2.backward(op.scatterRows(bv, distinct, R), seed);
    const back = Array.from(distinct, (dst) => Array.from(seed.data.subarray(dst * N, dst * N + N))).flat();
    assert.equal(Array.from(bv.grad!.data), back, 'scatterRows: the gather of the seed');
  });

  test(`${dev.backend}: distinctRows, big batches: grouped rows found, continuous ones given up from a sample`, () => {
    const B = 8192;
    // x₀ constant over runs of 64 rows, then repeating (128 distinct values over 8192 rows), x₁ continuous.
    const x = dev.tensor(
      Array.from({ length: 2 * B }, (_, e) => (e % 2 ? Math.sin(e) : Math.floor(e / 128) % 128)),
      [B, 2],
    );
    const grouped = distinctRows([{ value: x, cols: [0] }], B / 4)!;
    assert.is(grouped.first.length, 128);
    for (let b = 0; b < B; b++) assert.is((grouped.first[grouped.which[b]] % 8192) >> 6, (b >> 6) % 128);
    assert.is(distinctRows([{ value: x, cols: [1] }], B / 4), null);
    assert.is(distinctRows([{ value: x, cols: [0, 1] }], B / 4), null);
  });

  test(`${dev.backend}: distinctRows groups rows by the bits of chosen columns, gives up past the limit`, () => {
    const t = dev.tensor([1, 9, 2, 8, 1, 7, 3, 6, 2, 5, -0, 4, 0, 3], [7, 2]);
    const d = distinctRows([{ value: t, cols: [0] }], 7)!;
    assert.equal(Array.from(d.first), [0, 1, 3, 5, 6]); // −0 and +0 differ by bits
    assert.equal(Array.from(d.which), [0, 1, 0, 2, 1, 3, 4]);
    assert.is(distinctRows([{ value: t, cols: [0] }], 4), null);
    const all = distinctRows([{ value: t, cols: [0, 1] }], 7)!;
    assert.is(all.first.length, 7);
    const ctx = dev.tensor([1, 0, 0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 1, 0], [7, 2]);
    const two = distinctRows(
      [
        { value: t, cols: [0] },
        { value: ctx, cols: [0, 1] },
      ],
      7,
    )!;
    assert.equal(Array.from(two.which), [0, 1, 0, 2, 1, 3, 4]);
    assert.equal(Array.from(d.first), Array.from(two.first));
  });

  test(`${dev.backend}: spreadLinear, one distinct context or ranges: the general path's bits, gradients`, () => {
    for (const act of [Act.None, Act.Relu, Act.Elu, Act.Tanh]) {
      const [B, K, N] = [7, 4, 3];
      const x = dev.tensor(randomValues(B * K, 51, -1.5, 1.5), [B, K]);
      const W = dev.tensor(randomValues(N * K, 52, -1.5, 1.5), [N, K]);
      const T = dev.tensor(randomValues(N, 53, -1.5, 1.5), [1, N]);
      const S = dev.tensor(new Float32Array(B).fill(1), [B, 1]);
      const r = gradcheck(dev, (_, [a, w, t]) => op.spreadLinear(a, w, S, t, act), [x, W, T]);
      assert.ok(r.ok, `act ${act}: ${r.where}`);
      // The general path: T spread by a one-hot over two rows whose second is never picked.
      const T2 = dev.tensor([...T.data, ...randomValues(N, 54)], [2, N]);
      const S2 = dev.tensor(
        Array.from({ length: 2 * B }, (_, e) => (e % 2 === 0 ? 1 : 0)),
        [B, 2],
      );
      const tape = new Tape(dev, { grad: false });
      const one = op.spreadLinear(tape.constant(x), tape.constant(W), S, tape.constant(T), act).value.data;
      const two = op.spreadLinear(tape.constant(x), tape.constant(W), S2, tape.constant(T2), act).value.data;
      same(dev, one, two, `act ${act}`);
      // Ranges that skip W's zero rows and columns: the same bits as the full product.
      const Wz = dev.tensor(
        W.toArray().map((v, e) => (Math.floor(e / K) === 1 || e % K === 0 ? 0 : v)),
        [N, K],
      );
      const ranges = dev.tensor([1, K, 0, 0, 1, K], [N, 2]);
      const full = op.spreadLinear(tape.constant(x), tape.constant(Wz), S2, tape.constant(T2), act).value.toArray();
      const skip = op.spreadLinear(tape.constant(x), tape.constant(Wz), S2, tape.constant(T2), act, ranges).value.data;
      assert.equal(Array.from(skip), Array.from(full), `act ${act}, ranges`);
    }
  });

  // A kinematic-like flow and residual model (one-hot class, 2 features), small enough for the ts backend.
  const flow = new NSF(dev, {
    features: 2,
    context: 2,
    bins: 6,
    transforms: 2,
    hiddenFeatures: [16, 16],
    slope: 1e-3,
    bound: 4,
  }).init(Rng.fromSeed(3));
  const { x, ctx } = gridRows(24);
  const B = x.length / 2;
  const X = dev.persistent([B, 2], x);
  const C = dev.persistent([B, 2], ctx);

  test(`${dev.backend}: a conditioner on the distinct rows of a grid gives the plain pass's bits`, () => {
    const hyper = flow.transforms[0].hyper;
    dev.scoped(() => {
      const tape = new Tape(dev, { grad: false });
      const plain = hyper.forward(tape, tape.constant(X), tape.constant(C)).value.toArray();
      // The network's matmuls see the distinct rows only: 24 values of x₀ per class.
      const k = dev.kernels as Kernels;
      const original = k.matmulNT;
      let most = 0;
      k.matmulNT = (...args: Parameters<Kernels['matmulNT']>) => {
        most = Math.max(most, args[1].rows);
        original.apply(k, args);
      };
      let d;
      try {
        d = hyper.forwardDistinct(tape, tape.constant(X), tape.constant(C));
      } finally {
        k.matmulNT = original;
      }
      assert.is(most, 48, 'rows the conditioner ran');
      assert.is(d.value.rows, B);
      same(dev, d.value.data, plain, 'conditioner outputs');
    });
  });

  test(`${dev.backend}: NSF and residual log p on a grid (distinct-row conditioners) equal the plain pass`, () => {
    // The plain pass: x as a leaf on a recording tape (forwardDistinct then runs every row).
    const plainFlow = dev.scoped(() => {
      const tape = new Tape(dev, { params: false });
      return flow.logProbVar(tape, tape.leaf(X), { context: tape.constant(C) }).value.toArray();
    });
    same(dev, flow.logProb(x, { context: ctx }), plainFlow, 'flow log p');

    const model = new SystematicCorrectedModel(
      dev,
      flow,
      residualDefaults({ featuresDim: 2, contextDim: 2, numNuisances: 2, numResidualLayers: 1, hiddenFeatures: [8] }),
    ).init(Rng.fromSeed(4));
    for (const layer of model.layers) for (const n of layer.nets) n.init(Rng.fromSeed(5), false);
    const nu = [0.8, -1.3];
    const plainModel = dev.scoped(() => {
      const tape = new Tape(dev, { params: false });
      const cond = { context: tape.constant(C), nu: tape.constant(dev.tensor(repeatRow(nu, B), [B, 2])) };
      return model.logProbVar(tape, tape.leaf(X), cond).value.toArray();
    });
    same(dev, model.logProb(x, { context: ctx, nu: repeatRow(nu, B) }), plainModel, 'residual model log p');
    // The page's evaluator: residual nets once per grid, one class per chunk.
    const onGrid = new ResidualOnSample(model, x, ctx, { chunkRows: B / 2 });
    same(dev, onGrid.logProb(nu), plainModel, 'ResidualOnSample log p');
    assert.throws(() => new ResidualOnSample(model, x, ctx, { chunkRows: 0 }), /chunkRows must be a positive integer/);
  });

  test(`${dev.backend}: parameter gradients through the distinct-row conditioner equal the plain pass's`, () => {
    for (const p of flow.params.params) p.frozen = false; // ResidualOnSample froze the base above
    const grads = (distinct: boolean) => {
      flow.params.zeroGrad();
      dev.scoped(() => {
        const tape = new Tape(dev);
        // A leaf x that is then not differentiated still forces the plain path; a constant takes the distinct one.
        const xv = distinct ? tape.constant(X) : tape.leaf(X);
        tape.backward(op.sum(flow.logProbVar(tape, xv, { context: tape.constant(C) })));
      });
      return flow.params.params.map((p) => p.grad.toArray());
    };
    const a = grads(true);
    const b = grads(false);
    a.forEach((g, i) => {
      let w = 0;
      for (let j = 0; j < g.length; j++) w = Math.max(w, Math.abs(g[j] - b[i][j]) / (1 + Math.abs(b[i][j])));
      assert.ok(w < 1e-5, `${flow.params.params[i].name}: ${w}`);
    });
    flow.params.zeroGrad();
  });

  test(`${dev.backend}: the spline on repeated parameter rows gives each element's own result`, () => {
    const spec = { bins: 7, bound: 3, slope: 1e-3 };
    const P = 3 * spec.bins - 1;
    const rowsA = randomValues(P, 61, -2, 2);
    const rowsB = randomValues(P, 62, -2, 2);
    const rowsC = randomValues(P, 63, -2, 2);
    // Row A with its knot-derivative parameters changed: same masses, other knot derivatives (the
    // cache's knots and δ must not be reused for it).
    const rowsD = Float32Array.from(rowsA).map((v, j) => (j >= 2 * spec.bins ? v + 0.75 : v));
    // Patterns a cache of recent rows meets: runs, alternation, a third row, a row back after two
    // others, a row differing from A only in a derivative; then long runs (knots filled and read).
    const pattern = [0, 0, 0, 1, 0, 1, 0, 2, 1, 2, 0, 0, 2, 2, 1, 0, 3, 0, 3, 3, 0, 0, ...Array(24).fill(1), 3, 3, 3];
    const n = pattern.length;
    const params = new Float32Array(n * P);
    pattern.forEach((r, e) => params.set([rowsA, rowsB, rowsC, rowsD][r], e * P));
    const xs = randomValues(n, 64, -3.3, 3.3);
    dev.scoped(() => {
      const y = dev.empty([n]),
        l = dev.empty([n]),
        saved = dev.empty([n, 2 * spec.bins]);
      dev.kernels.splineForward(y, l, dev.tensor(xs, [n]), dev.tensor(params, [n, P]), spec, saved);
      for (let e = 0; e < n; e++) {
        const y1 = dev.empty([1]),
          l1 = dev.empty([1]),
          s1 = dev.empty([1, 2 * spec.bins]);
        const p1 = dev.tensor(params.subarray(e * P, (e + 1) * P), [1, P]);
        dev.kernels.splineForward(y1, l1, dev.tensor([xs[e]], [1]), p1, spec, s1);
        assert.is(y.data[e], y1.data[0], `y[${e}]`);
        assert.is(l.data[e], l1.data[0], `ladj[${e}]`);
        // The ts backend may leave `saved` untouched (its backward recomputes the masses).
        if (dev.backend === 'wasm' && Math.abs(xs[e]) < spec.bound) {
          assert.equal(
            Array.from(saved.data.subarray(e * 2 * spec.bins, (e + 1) * 2 * spec.bins)),
            Array.from(s1.data),
            `saved masses of element ${e}`,
          );
        }
        const xb = dev.empty([1]),
          lb = dev.empty([1]);
        dev.kernels.splineInverse(xb, lb, y1, p1, spec);
        const xAll = dev.empty([n]),
          lAll = dev.empty([n]);
        if (e === 0) {
          dev.kernels.splineInverse(xAll, lAll, y, dev.tensor(params, [n, P]), spec);
          for (let k = 0; k < n; k++) {
            const xk = dev.empty([1]),
              lk = dev.empty([1]);
            const yk = dev.tensor([y.data[k]], [1]);
            dev.kernels.splineInverse(xk, lk, yk, dev.tensor(params.subarray(k * P, (k + 1) * P), [1, P]), spec);
            assert.is(xAll.data[k], xk.data[0], `inverse x[${k}]`);
            assert.is(lAll.data[k], lk.data[0], `inverse ladj[${k}]`);
          }
        }
      }
    });
  });
}

test.run();
