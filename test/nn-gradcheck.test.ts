/**
 * Finite-difference checks of every parameter gradient of a neural spline flow, through each of
 * the masked network's three paths (src/nn/masked-mlp.ts): the plain block-layout layers, the
 * shared context (few distinct contexts: weightBlocks and spreadLinear) and the distinct rows
 * (a grid: gatherRows). The ops are checked one by one in ops-gradcheck; here their composition,
 * with the parameter gradients summed over the rows the paths group differently.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gradcheckParams } from '../src/autodiff/gradcheck.js';
import type { Tape } from '../src/autodiff/tape.js';
import type { Device } from '../src/backend/device.js';
import type { Kernels } from '../src/backend/kernels.js';
import { NSF } from '../src/flows/nsf.js';
import { Rng } from '../src/random/rng.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { allDevices, randomValues } from './helpers/devices.js';
import { watchMatmulNN } from './helpers/spy.js';

const devices = await allDevices();

/** Smallest row count matmulNT was called with while fn ran (the distinct path runs fewer rows). */
function fewestRows(dev: Device, fn: () => void): number {
  const k = dev.kernels as Kernels;
  const original = k.matmulNT;
  let fewest = Infinity;
  k.matmulNT = (...args: Parameters<Kernels['matmulNT']>) => {
    fewest = Math.min(fewest, args[1].rows);
    original.apply(k, args);
  };
  try {
    fn();
  } finally {
    k.matmulNT = original;
  }
  return fewest;
}

for (const dev of devices) {
  const flow = (context: number) =>
    new NSF(dev, { features: 2, context, bins: 4, transforms: 2, hiddenFeatures: [8, 8], slope: 1e-3, bound: 4 }).init(
      Rng.fromSeed(6),
    );

  /**
   * d(Σ w·log p)/dθ for every parameter, on a few rows. Two limits meet here: float32 rounding of
   * log p makes differences over steps under ~1e-3 noisy (~1e-2 absolute), and ReLU and spline
   * knots make the derivative jump, so some central difference of the ~600 straddles one (the
   * distinct case fails by 36× without `kinks`). With step 3e-3, atol 5e-3 and one-sided
   * differences these inputs pass with a 2× margin or more on ts and wasm; about one input set in
   * four puts two kinks (or a kink and strong curvature) around one parameter, which no finite
   * difference resolves. A wiring error (a wrong row, a dropped block) is far larger.
   */
  function check(f: NSF, x: Tensor, context: Tensor | null): void {
    const fn = (tape: Tape) =>
      f.logProbVar(tape, tape.constant(x), { context: context ? tape.constant(context) : null });
    const r = gradcheckParams(dev, fn, f.params.params, { step: 3e-3, atol: 5e-3, kinks: true });
    assert.ok(r.ok, `worst ${r.worst.toFixed(3)} at ${r.where}`);
  }

  /** How many per-context biases were spread over rows (matmulNN accumulating) while fn ran. */
  function spreads(fn: () => void): number {
    let n = 0;
    watchMatmulNN(dev, (_o, _a, _b, acc) => void (acc && n++), fn);
    return n;
  }

  test(`${dev.backend}: NSF parameter gradients, plain path (continuous context)`, () => {
    const f = flow(2);
    const x = dev.tensor(randomValues(8, 41, -2, 2), [4, 2]);
    const c = dev.tensor(randomValues(8, 42, -1, 1), [4, 2]);
    assert.is(
      spreads(() => check(f, x, c)),
      0,
      'no per-context bias: the plain layers ran',
    );
  });

  test(`${dev.backend}: NSF parameter gradients, shared-context path (one-hot class, 8 rows)`, () => {
    // 8 rows: sharing needs at most a quarter of the rows distinct (2 classes).
    const f = flow(2);
    const x = dev.tensor(randomValues(16, 48, -2, 2), [8, 2]);
    const c = dev.tensor(
      Array.from({ length: 16 }, (_, e) => ((e >> 1) % 2 === e % 2 ? 1 : 0)),
      [8, 2],
    );
    assert.ok(spreads(() => check(f, x, c)) > 0, 'the context side ran once per class (spreadLinear)');
  });

  test(`${dev.backend}: NSF parameter gradients, distinct-rows path (16 rows, 2 distinct)`, () => {
    const f = flow(0);
    const v = randomValues(4, 40, -2, 2); // rows are (v0, v1) or (v2, v3)
    const x = dev.tensor(
      Array.from({ length: 32 }, (_, e) => v[2 * (((e >> 1) % 2) ^ ((e >> 3) % 2)) + (e % 2)]),
      [16, 2],
    );
    // The first transform's conditioner sees a constant x: it runs on the 2 distinct rows. The
    // second's input is the first's output, which carries parameter gradients: all 16 rows.
    assert.is(
      fewestRows(dev, () => check(f, x, null)),
      2,
      'the first conditioner ran on the distinct rows',
    );
  });
}

test.run();
