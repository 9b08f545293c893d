/**
 * The summary of a toy study, per model and parameter, over the toys whose fit is valid:
 *   pull = (θ̂ − θ_true)/σ̂ (HESSE σ): mean ± σ_pull/√N, width (standard deviation) ± σ_pull/√(2(N − 1));
 *   coverage of θ̂ ± 1σ̂ (68.27 %) and θ̂ ± 1.96σ̂ (95 %), and of the MINOS interval of each parameter it
 *   was run for, each with its band ±2√(p(1 − p)/N) around the nominal p;
 *   the share of valid fits (failed and invalid fits count against it); the fits in which one event
 *   dominated a parameter's curvature (event-influence.ts), and the pull width without them;
 * and flow against truth per toy (both valid): (μ̂_flow − μ̂_truth)/σ_truth and σ_flow/σ_truth.
 */
import type { ToyFitRecord, ToyRecord, ToyStudyMeta } from './toys.js';
import { trueValues } from './toys.js';

export interface Coverage {
  nominal: number;
  observed: number;
  band: [number, number];
  within: boolean;
}

export interface ParameterSummary {
  name: string;
  truth: number;
  n: number;
  pull_mean: number;
  pull_mean_err: number;
  pull_width: number;
  pull_width_err: number;
  /** mean of θ̂ − θ_true */
  bias: number;
  coverage_68: Coverage;
  coverage_95: Coverage;
  coverage_68_minos?: Coverage;
  /** Mean over the toys of the MINOS interval's half-width over the HESSE error (1 where the NLL is parabolic). */
  minos_over_hesse?: number;
  /** Valid fits in which one event dominated this parameter's curvature (ToyFitRecord.dominated), when any. */
  single_event?: number;
  /** The pull width over the other fits, when some were. */
  pull_width_others?: number;
}

export interface ModelSummary {
  n_toys: number;
  valid_share: number;
  parameters: ParameterSummary[];
}

export interface ToySummary {
  models: Record<string, ModelSummary>;
  flow_vs_truth: {
    n: number;
    /** mean and standard deviation of (μ̂_flow − μ̂_truth)/σ_truth, and the mean of its absolute value. */
    delta_mean: number;
    delta_sd: number;
    abs_delta_mean: number;
    /** mean of σ_flow/σ_truth. */
    sigma_ratio_mean: number;
  } | null;
}

const isFit = (f: ToyFitRecord | { failed: string } | undefined): f is ToyFitRecord => !!f && !('failed' in f);

export function coverage(hits: number, n: number, nominal: number): Coverage {
  const observed = n > 0 ? hits / n : NaN;
  const half = n > 0 ? 2 * Math.sqrt((nominal * (1 - nominal)) / n) : NaN;
  const band: [number, number] = [nominal - half, nominal + half];
  return { nominal, observed, band, within: observed >= band[0] && observed <= band[1] };
}

function meanSd(v: number[]): { mean: number; sd: number } {
  const n = v.length;
  if (n === 0) return { mean: NaN, sd: NaN };
  let s = 0;
  for (const x of v) s += x;
  const mean = s / n;
  let q = 0;
  for (const x of v) q += (x - mean) * (x - mean);
  return { mean, sd: n > 1 ? Math.sqrt(q / (n - 1)) : NaN };
}

export function summarizeToys(meta: ToyStudyMeta, toys: readonly ToyRecord[]): ToySummary {
  const models: Record<string, ModelSummary> = {};
  for (const m of meta.models) {
    const fits = toys.map((t) => t.fits[m]).filter(isFit);
    const valid = fits.filter((f) => f.valid);
    const names = valid[0]?.names ?? fits[0]?.names ?? [];
    const truths = trueValues(names, meta);
    const parameters = names.map((name, j) => {
      const pulls: number[] = [];
      const diffs: number[] = [];
      let h68 = 0,
        h95 = 0,
        hMinos = 0,
        nMinos = 0;
      const minosRatios: number[] = [];
      const othersPulls: number[] = [];
      let single = 0;
      for (const f of valid) {
        const d = f.values[j] - truths[j];
        const e = f.errors[j];
        if (!(e > 0)) continue;
        pulls.push(d / e);
        if (f.dominated?.includes(name)) single++;
        else othersPulls.push(d / e);
        diffs.push(d);
        if (Math.abs(d) <= e) h68++;
        if (Math.abs(d) <= 1.959964 * e) h95++;
        const m = f.minos?.[j];
        if (m) {
          nMinos++;
          minosRatios.push((m[1] - m[0]) / 2 / e);
          if (m[0] <= truths[j] && truths[j] <= m[1]) hMinos++;
        }
      }
      const n = pulls.length;
      const p = meanSd(pulls);
      const ps: ParameterSummary = {
        name,
        truth: truths[j],
        n,
        pull_mean: p.mean,
        pull_mean_err: p.sd / Math.sqrt(n),
        pull_width: p.sd,
        pull_width_err: p.sd / Math.sqrt(2 * (n - 1)),
        bias: meanSd(diffs).mean,
        coverage_68: coverage(h68, n, 0.6827),
        coverage_95: coverage(h95, n, 0.95),
      };
      if (nMinos > 0) {
        ps.coverage_68_minos = coverage(hMinos, nMinos, 0.6827);
        ps.minos_over_hesse = meanSd(minosRatios).mean;
      }
      if (single > 0) {
        ps.single_event = single;
        ps.pull_width_others = meanSd(othersPulls).sd;
      }
      return ps;
    });
    models[m] = { n_toys: toys.length, valid_share: toys.length ? valid.length / toys.length : NaN, parameters };
  }
  return { models, flow_vs_truth: flowVsTruth(toys) };
}

function flowVsTruth(toys: readonly ToyRecord[]): ToySummary['flow_vs_truth'] {
  const deltas: number[] = [];
  const ratios: number[] = [];
  for (const t of toys) {
    const f = t.fits.flow;
    const r = t.fits.truth;
    if (!isFit(f) || !isFit(r) || !f.valid || !r.valid || !(r.errors[0] > 0)) continue;
    deltas.push((f.values[0] - r.values[0]) / r.errors[0]);
    ratios.push(f.errors[0] / r.errors[0]);
  }
  if (deltas.length === 0) return null;
  const d = meanSd(deltas);
  return {
    n: deltas.length,
    delta_mean: d.mean,
    delta_sd: d.sd,
    abs_delta_mean: meanSd(deltas.map(Math.abs)).mean,
    sigma_ratio_mean: meanSd(ratios).mean,
  };
}

/** The summary as a Markdown table (README, stdout). */
export function summaryMarkdown(meta: ToyStudyMeta, s: ToySummary): string {
  const f = (v: number, d = 3) => (Number.isFinite(v) ? v.toFixed(d) : '—');
  // MINOS columns only when some parameter has intervals (a study with --minos)
  const withMinos = Object.values(s.models).some((ms) => ms.parameters.some((p) => p.coverage_68_minos));
  const lines = [
    `${meta.n_toys} toys × ${meta.events} events at μ = ${meta.truth.mu}, ν = (${meta.truth.nu.join(', ')}); ` +
      `observables ${meta.observables}` +
      (meta.generator === 'flow' ? '; pseudo-data from the flow model (these models have no exact truth)' : ''),
    '',
    '| model | parameter | valid | pull mean | pull width | cov. 68.27 % | cov. 95 % | bias |' +
      (withMinos ? ' cov. 68.27 % MINOS | MINOS ½-width / HESSE |' : ''),
    '|---|---|---|---|---|---|---|---|' + (withMinos ? '---|---|' : ''),
  ];
  const cov = (c: Coverage) => `${f(c.observed)} ${c.within ? '' : '(out of band) '}[${f(c.band[0])}, ${f(c.band[1])}]`;
  for (const [m, ms] of Object.entries(s.models)) {
    for (const p of ms.parameters) {
      const minosCells = !withMinos
        ? ''
        : p.coverage_68_minos
          ? ` ${cov(p.coverage_68_minos)} | ${f(p.minos_over_hesse ?? NaN)} |`
          : ' — | — |';
      lines.push(
        `| ${m} | ${p.name} | ${f(ms.valid_share, 3)} | ${f(p.pull_mean)} ± ${f(p.pull_mean_err)} | ` +
          `${f(p.pull_width)} ± ${f(p.pull_width_err)} | ${cov(p.coverage_68)} | ${cov(p.coverage_95)} | ` +
          `${f(p.bias, 4)} |${minosCells}`,
      );
    }
  }
  const dominated = Object.entries(s.models).flatMap(([m, ms]) =>
    ms.parameters.flatMap((p) =>
      p.single_event
        ? [
            `${m} ${p.name}: ${p.single_event} fit(s) rest on one event (it gives over a quarter of the curvature ` +
              `at the minimum: the model's density for it changes sharply with ν); pull width without them ` +
              `${f(p.pull_width_others ?? NaN)}`,
          ]
        : [],
    ),
  );
  if (dominated.length) lines.push('', ...dominated);
  if (s.flow_vs_truth) {
    const v = s.flow_vs_truth;
    lines.push(
      '',
      `flow vs truth (${v.n} toys): mean |μ̂_flow − μ̂_truth|/σ_truth = ${f(v.abs_delta_mean)}, ` +
        `mean (μ̂_flow − μ̂_truth)/σ_truth = ${f(v.delta_mean)} (sd ${f(v.delta_sd)}), ` +
        `mean σ_flow/σ_truth = ${f(v.sigma_ratio_mean)}`,
    );
  }
  return lines.join('\n') + '\n';
}
