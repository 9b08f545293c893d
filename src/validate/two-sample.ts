/**
 * Classifier two-sample test (validation without an exact truth): a small MLP on our own engine
 * learns to tell held-out data events from events sampled from the model with the same context
 * (class, and x for the score model; ν for the residuals). On the other half of the events its
 * ROC AUC is 0.5 for a perfect model; above 0.5 by several standard errors, the classifier found
 * a difference. The AUC is the (weighted) Mann–Whitney statistic; its standard error follows
 * Hanley & McNeil (1982) with Kish's effective counts for weighted data.
 */
import type { Device } from '../backend/device.js';
import { Act } from '../backend/kernels.js';
import { ParamSet } from '../autodiff/param.js';
import { Tape } from '../autodiff/tape.js';
import * as op from '../ops/index.js';
import { AdamW } from '../train/adamw.js';
import type { Rng } from '../random/rng.js';

export interface TwoSampleOptions {
  hidden: number;
  steps: number;
  batch: number;
  lr: number;
}

export const TWO_SAMPLE_DEFAULTS: TwoSampleOptions = { hidden: 32, steps: 400, batch: 256, lr: 3e-3 };

export interface TwoSampleResult {
  auc: number;
  auc_se: number;
  /** Events per side in the evaluation half. */
  events: number;
}

/**
 * `data` and `model` are [n, F] feature rows (event and its context), `weights` the data events'
 * weights (model events weigh 1). Rows with even index train the classifier, odd ones score it.
 */
export function classifierTwoSample(
  dev: Device,
  data: Float32Array,
  model: Float32Array,
  F: number,
  weights: Float64Array | undefined,
  rng: Rng,
  opts: TwoSampleOptions = TWO_SAMPLE_DEFAULTS,
): TwoSampleResult {
  const n = data.length / F;
  if (model.length !== data.length) throw new Error('classifierTwoSample: data and model need as many rows');
  const H = opts.hidden;
  const params = new ParamSet(dev, [
    { name: 'w1', shape: [H, F] },
    { name: 'b1', shape: [H] },
    { name: 'w2', shape: [H, H] },
    { name: 'b2', shape: [H] },
    { name: 'w3', shape: [1, H] },
    { name: 'b3', shape: [1] },
  ]);
  for (const p of params.params) {
    const fanIn = p.shape.length === 2 ? p.shape[1] : 1;
    const d = p.value.data;
    for (let i = 0; i < d.length; i++)
      d[i] = p.shape.length === 2 ? ((rng.uniform() * 2 - 1) * Math.sqrt(3)) / Math.sqrt(fanIn) : 0;
  }
  const opt = new AdamW(params, { weightDecay: 0 });
  const logits = (tape: Tape, x: Float32Array, m: number) => {
    const h1 = op.linear(
      tape.constant(dev.tensor(x, [m, F])),
      tape.param(params.get('w1')),
      tape.param(params.get('b1')),
      {
        activation: Act.Tanh,
      },
    );
    const h2 = op.linear(h1, tape.param(params.get('w2')), tape.param(params.get('b2')), { activation: Act.Tanh });
    return op.linear(h2, tape.param(params.get('w3')), tape.param(params.get('b3')));
  };
  const train = Math.ceil(n / 2);
  const half = Math.max(1, opts.batch >> 1);
  const meanW = weights ? meanOf(weights, (i) => i % 2 === 0) : 1;
  try {
    for (let step = 0; step < opts.steps; step++) {
      // half a batch of data rows, half of model rows, from the training half (even rows)
      const x = new Float32Array(2 * half * F);
      const sign = new Float32Array(2 * half);
      const w = new Float32Array(2 * half);
      for (let k = 0; k < half; k++) {
        const i = 2 * Math.floor(rng.uniform53() * train);
        const j = 2 * Math.floor(rng.uniform53() * train);
        const ii = Math.min(i, 2 * (train - 1));
        const jj = Math.min(j, 2 * (train - 1));
        x.set(data.subarray(ii * F, ii * F + F), k * F);
        x.set(model.subarray(jj * F, jj * F + F), (half + k) * F);
        sign[k] = -1; // data: label 1, loss softplus(−z)
        sign[half + k] = 1; // model: label 0, loss softplus(z)
        w[k] = weights ? weights[ii] / meanW : 1;
        w[half + k] = 1;
      }
      params.zeroGrad();
      const tape = new Tape(dev);
      const z = logits(tape, x, 2 * half);
      const s = tape.constant(dev.tensor(sign, z.value.shape));
      const wt = tape.constant(dev.tensor(w, z.value.shape));
      const loss = op.mean(op.mul(op.softplus(op.mul(z, s)), wt));
      tape.backward(loss);
      opt.step(opts.lr);
      dev.arena.reset();
    }
    // score the evaluation half (odd rows)
    const evalRows = Array.from({ length: Math.floor(n / 2) }, (_, k) => 2 * k + 1);
    const score = (src: Float32Array): Float64Array => {
      const out = new Float64Array(evalRows.length);
      for (let start = 0; start < evalRows.length; start += 4096) {
        const m = Math.min(4096, evalRows.length - start);
        const x = new Float32Array(m * F);
        for (let k = 0; k < m; k++) x.set(src.subarray(evalRows[start + k] * F, evalRows[start + k] * F + F), k * F);
        const tape = new Tape(dev, { grad: false });
        const z = logits(tape, x, m).value.data;
        for (let k = 0; k < m; k++) out[start + k] = z[k];
        dev.arena.reset();
      }
      return out;
    };
    const sData = score(data);
    const sModel = score(model);
    const wData = weights ? Float64Array.from(evalRows, (i) => weights[i]) : undefined;
    return { ...weightedAuc(sData, wData, sModel), events: evalRows.length };
  } finally {
    opt.free();
    params.free();
  }
}

function meanOf(w: Float64Array, keep: (i: number) => boolean): number {
  let s = 0;
  let c = 0;
  for (let i = 0; i < w.length; i++)
    if (keep(i)) {
      s += w[i];
      c++;
    }
  return s / c;
}

/**
 * P(score of a positive > score of a negative) (ties count ½), positives weighted, and the
 * Hanley–McNeil standard error with effective counts (Σw)²/Σw² for the positives.
 */
export function weightedAuc(
  pos: Float64Array,
  posWeights: Float64Array | undefined,
  neg: Float64Array,
): { auc: number; auc_se: number } {
  const negSorted = Float64Array.from(neg).sort();
  let num = 0;
  let sw = 0;
  let sw2 = 0;
  for (let i = 0; i < pos.length; i++) {
    const w = posWeights ? posWeights[i] : 1;
    const below = lowerBound(negSorted, pos[i]);
    const notAbove = upperBound(negSorted, pos[i]);
    num += (w * (below + notAbove)) / 2;
    sw += w;
    sw2 += w * w;
  }
  const auc = num / (sw * neg.length);
  const n1 = (sw * sw) / sw2;
  const n0 = neg.length;
  const q1 = auc / (2 - auc);
  const q2 = (2 * auc * auc) / (1 + auc);
  const variance = (auc * (1 - auc) + (n1 - 1) * (q1 - auc * auc) + (n0 - 1) * (q2 - auc * auc)) / (n1 * n0);
  return { auc, auc_se: Math.sqrt(Math.max(variance, 0)) };
}

/** Number of entries < v. */
function lowerBound(a: Float64Array, v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Number of entries ≤ v. */
function upperBound(a: Float64Array, v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
