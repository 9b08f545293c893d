/**
 * d log p / dν and d log p / dx through residual stack and frozen base, for the shipped kin and
 * score residual models and their cross-term variants: the tape's gradients against finite
 * differences (gradcheck), and the array-level `logProbGrad` (per-event weights) against the tape.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { Tape } from '../src/autodiff/tape.js';
import { loadResidualModel } from '../src/models/load.js';
import type { SystematicCorrectedModel } from '../src/systematics/corrected-model.js';
import { allDevices, randomValues } from './helpers/devices.js';
import { REPO } from './helpers/shared.js';

const devices = await allDevices();
const MODELS = [
  'kin_density_residuals',
  'score_density_residuals',
  'kin_density_residuals_cross',
  'score_density_residuals_cross',
];
const ROWS = 6;
/** Evaluations along each ±h segment (odd: one at the point itself). */
const SEGMENT_POINTS = 33;

/** Rows of (x, context, ν) in the models' range: one-hot class first, then (for score) x. */
function inputsFor(model: SystematicCorrectedModel, seed: number) {
  const C = model.config.contextDim;
  const x = randomValues(2 * ROWS, seed, -1.5, 1.5);
  const context = new Float32Array(C * ROWS);
  const extra = randomValues(ROWS * 2, seed + 1, -1, 1);
  for (let i = 0; i < ROWS; i++) {
    context[C * i + (i % 2)] = 1;
    if (C === 4) {
      context[C * i + 2] = extra[2 * i];
      context[C * i + 3] = extra[2 * i + 1];
    }
  }
  const nu = randomValues(2 * ROWS, seed + 2, -1.2, 1.2);
  return { x, context, nu };
}

for (const dev of devices) {
  for (const name of MODELS) {
    const model = loadResidualModel(dev, join(REPO, 'models', `${name}.safetensors`));
    const { x, context, nu } = inputsFor(model, 14);
    const C = model.config.contextDim;

    test(`${dev.backend}: ${name}: d log p / dν and d log p / dx equal finite differences`, () => {
      // Per input element e (each x and ν of each row): along the segment e ± h, the central
      // difference of log p against the mean of the analytic derivative on the segment (the
      // trapezoid rule over SEGMENT_POINTS evaluations, all rows of one batch). The trained base
      // flows are ReLU networks with splines: log p has kinks every ~1e-3 somewhere, and a plain
      // central difference that straddles one is off by the jump; the segment mean is not.
      const H = 1e-2;
      const P = SEGMENT_POINTS;
      const elements = ROWS * 4; // per row: x_0, x_1, ν_0, ν_1
      const xs = new Float32Array(elements * P * 2),
        cs = new Float32Array(elements * P * C),
        ns = new Float32Array(elements * P * 2);
      const along = new Float64Array(elements * P); // the moved coordinate, as stored (float32)
      for (let e = 0; e < elements; e++) {
        const r = e >> 2,
          k = e & 3;
        for (let p = 0; p < P; p++) {
          const row = e * P + p;
          xs.set(x.subarray(2 * r, 2 * r + 2), 2 * row);
          ns.set(nu.subarray(2 * r, 2 * r + 2), 2 * row);
          cs.set(context.subarray(C * r, C * r + C), C * row);
          const target = k < 2 ? xs : ns;
          const at = 2 * row + (k & 1);
          target[at] += -H + (2 * H * p) / (P - 1);
          along[row] = target[at];
        }
      }
      const g = model.logProbGrad(xs, { context: cs, nu: ns });
      let worst = 0,
        where = '';
      for (let e = 0; e < elements; e++) {
        const k = e & 3;
        const d = (p: number) => (k < 2 ? g.dX : g.dNu)[2 * (e * P + p) + (k & 1)];
        let integral = 0;
        for (let p = 1; p < P; p++) {
          integral += 0.5 * (d(p) + d(p - 1)) * (along[e * P + p] - along[e * P + p - 1]);
        }
        const span = along[e * P + P - 1] - along[e * P];
        const fd = (g.logProb[e * P + P - 1] - g.logProb[e * P]) / span;
        const analytic = integral / span;
        const err = Math.abs(analytic - fd) / (2e-3 + 1e-3 * Math.abs(fd));
        const name = `row ${e >> 2} ${k < 2 ? 'x' : 'ν'}_${k & 1}`;
        if (err > worst) [worst, where] = [err, `${name}: ${analytic} vs FD ${fd}`];
        // and the derivative at the segment's centre is the tape's at the point itself
        assert.ok(Number.isFinite(d((P - 1) / 2)), `row ${e >> 2}: gradient not finite`);
      }
      assert.ok(worst <= 1, where);
    });

    test(`${dev.backend}: ${name}: logProbGrad = the tape's weighted gradients, parameters untouched`, () => {
      model.params.zeroGrad();
      const w = randomValues(ROWS, 5, 0.5, 2);
      const g = model.logProbGrad(x, { context, nu }, w);
      // The same on a tape, one row at a time seeded with its weight.
      const ref = dev.scoped(() => {
        const tape = new Tape(dev, { params: false });
        const xv = tape.leaf(dev.tensor(x, [ROWS, 2]));
        const nv = tape.leaf(dev.tensor(nu, [ROWS, 2]));
        const lp = model.logProbVar(tape, xv, { context: tape.constant(dev.tensor(context, [ROWS, C])), nu: nv });
        tape.backward(lp, dev.tensor(w, [ROWS]));
        return {
          lp: Float32Array.from(lp.value.data),
          dNu: Float32Array.from(nv.grad!.data),
          dX: Float32Array.from(xv.grad!.data),
        };
      });
      assert.equal(Array.from(g.logProb), Array.from(ref.lp));
      assert.equal(Array.from(g.dNu), Array.from(ref.dNu));
      assert.equal(Array.from(g.dX), Array.from(ref.dX));
      assert.equal(Array.from(g.logProb), Array.from(model.logProb(x, { context, nu })));
      for (let k = 0; k < 2; k++) {
        let s = 0;
        for (let i = 0; i < ROWS; i++) s += g.dNu[2 * i + k];
        assert.ok(Math.abs(g.dNuTotal[k] - s) <= 1e-5 * Math.max(1, Math.abs(s)), `dNuTotal[${k}]`);
      }
      assert.ok(
        model.params.params.every((p) => p.grad.data.every((v) => v === 0)),
        'parameter gradients stay zero',
      );
    });
  }

  test(`${dev.backend}: logProbGrad with one shared ν: the total is d/dν of Σ w log p (finite differences)`, () => {
    const model = loadResidualModel(dev, join(REPO, 'models', 'kin_density_residuals_cross.safetensors'));
    const { x, context } = inputsFor(model, 21);
    const nu = Float32Array.of(0.5, -0.3);
    const w = randomValues(ROWS, 6, 0.5, 2);
    const g = model.logProbGrad(x, { context, nu }, w);
    const h = 1e-2;
    const weighted = (v: Float32Array) => model.logProb(x, { context, nu: v }).reduce((a, lp, i) => a + w[i] * lp, 0);
    for (let k = 0; k < 2; k++) {
      const up = Float32Array.from(nu),
        down = Float32Array.from(nu);
      up[k] += h;
      down[k] -= h;
      const fd = (weighted(up) - weighted(down)) / (2 * h);
      assert.ok(Math.abs(g.dNuTotal[k] - fd) <= 2e-3 + 1e-2 * Math.abs(fd), `ν_${k}: ${g.dNuTotal[k]} vs FD ${fd}`);
    }
  });
}

test.run();
