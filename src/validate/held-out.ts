/**
 * Validation without an exact truth (events read from files): the weighted held-out NLL of each
 * model on each sample's held-out events, and for the residual models the frozen base alone on
 * the same events. On data the NLL has no floor to compare with (the truth's entropy is unknown),
 * but differences between models on the same events are meaningful: nll_base − nll_model > 0 is
 * what the residual gains at that template's ν. The held-out events are those training set aside
 * (same seed, same `holdout`), so the numbers are never measured on training events.
 */
import type { Device } from '../backend/device.js';
import { Tape, type Var } from '../autodiff/tape.js';
import type { Batch } from '../train/batches.js';

export type LogProbFn = (tape: Tape, x: Var, context: Var, nu: Var | null) => Var;

export interface HeldOutNll {
  events: number;
  /** Σ w (−log p) / Σ w */
  nll: number;
  /** Its standard error, √(Σ w² (v − nll)²) / Σ w (v = −log p), as for a weighted mean. */
  se: number;
}

/** −log p per event of `batches` (their rows in order), evaluated without gradients. */
export function negLogProbs(dev: Device, logProb: LogProbFn, batches: Batch[]): Float64Array {
  const out = new Float64Array(batches.reduce((a, b) => a + b.n, 0));
  let o = 0;
  for (const b of batches) {
    const tape = new Tape(dev, { grad: false });
    const C = b.context.length / b.n;
    const x = tape.constant(dev.tensor(b.x, [b.n, 2]));
    const context = tape.constant(dev.tensor(b.context, [b.n, C]));
    const nu = b.nu ? tape.constant(dev.tensor(b.nu, [b.n, b.nu.length / b.n])) : null;
    const lp = logProb(tape, x, context, nu).value.data;
    for (let i = 0; i < b.n; i++) out[o + i] = -lp[i];
    o += b.n;
    dev.arena.reset();
  }
  return out;
}

/** The weighted mean of `values` and its standard error (weights: each batch's `w`, else 1). */
export function weightedNll(values: Float64Array, batches: Batch[]): HeldOutNll {
  const w = new Float64Array(values.length);
  let o = 0;
  for (const b of batches) {
    for (let i = 0; i < b.n; i++) w[o + i] = b.w ? b.w[i] : 1;
    o += b.n;
  }
  let sw = 0;
  let swv = 0;
  for (let i = 0; i < values.length; i++) {
    sw += w[i];
    swv += w[i] * values[i];
  }
  const mean = swv / sw;
  let s2 = 0;
  for (let i = 0; i < values.length; i++) s2 += w[i] * w[i] * (values[i] - mean) ** 2;
  return { events: values.length, nll: mean, se: Math.sqrt(s2) / Math.abs(sw) };
}

/** One row of held-out.json. */
export interface HeldOutRow {
  model: string;
  sample: string;
  nu?: number[];
  events: number;
  nll_model: number;
  nll_model_se: number;
  /** Residual rows: the frozen base alone on the same events. */
  nll_base?: number;
  /** nll_base − nll_model, per event paired (so its error is that of the difference). */
  gain?: number;
  gain_se?: number;
  /** χ²/ndf of data vs model draws per feature (marginals.ts), and the ndf. */
  marginal_chi2_ndf?: number[];
  marginal_ndf?: number;
  /** Classifier two-sample test (two-sample.ts): ROC AUC, 0.5 for a perfect model. */
  auc?: number;
  auc_se?: number;
  /** Which checks were made (those that need no truth). */
  checks: string;
}

/** A row for `model` on one sample's held-out batches; with `base`, the paired gain over it. */
export function heldOutRow(
  dev: Device,
  label: { model: string; sample: string; nu?: number[] },
  batches: Batch[],
  model: LogProbFn,
  base?: LogProbFn,
): HeldOutRow {
  const vm = negLogProbs(dev, model, batches);
  const m = weightedNll(vm, batches);
  const row: HeldOutRow = {
    ...label,
    events: m.events,
    nll_model: m.nll,
    nll_model_se: m.se,
    checks: 'held-out NLL',
  };
  if (base) {
    const vb = negLogProbs(dev, base, batches);
    const diff = vb.map((v, i) => v - vm[i]);
    const g = weightedNll(diff, batches);
    row.nll_base = weightedNll(vb, batches).nll;
    row.gain = g.nll;
    row.gain_se = g.se;
  }
  return row;
}

/** held-out.md: what the numbers mean and the table. */
export function heldOutMarkdown(rows: HeldOutRow[]): string {
  const f = (v: number | undefined, d = 4) => (v === undefined ? '' : v.toFixed(d));
  return [
    '# Held-out NLL on events from files (no exact truth)',
    '',
    'NLL = Σ w (−log p) / Σ w over the events training held out (± standard error). "gain" = NLL of the frozen',
    'base alone − NLL of the residual model on the same events (paired): > 0 where the residual describes the',
    'template better. AUC: ROC AUC of a small MLP trained to tell the held-out events from model samples at the same',
    "context (± Hanley–McNeil standard error); 0.5 is a perfect model. χ²/ndf: each feature's marginal, held-out data",
    'against as many model draws, on equal-count bins of the data. Checks that need the truth (KL) do not apply.',
    '',
    '| model | sample | ν | events | NLL model | NLL base | gain | χ²/ndf (1, 2) | AUC | checks |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|---|',
    ...rows.map(
      (r) =>
        `| ${r.model} | ${r.sample} | ${r.nu ? `(${r.nu.join(', ')})` : ''} | ${r.events} | ` +
        `${f(r.nll_model)} ± ${f(r.nll_model_se)} | ${f(r.nll_base)} | ` +
        `${r.gain === undefined ? '' : `${f(r.gain)} ± ${f(r.gain_se)}`} | ` +
        `${r.marginal_chi2_ndf ? r.marginal_chi2_ndf.map((c) => c.toFixed(2)).join(', ') : ''} | ` +
        `${r.auc === undefined ? '' : `${f(r.auc, 3)} ± ${f(r.auc_se, 3)}`} | ${r.checks} |`,
    ),
    '',
  ].join('\n');
}
