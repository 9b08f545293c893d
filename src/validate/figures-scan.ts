/**
 * Moment scans (figures.md A.3/A.4 "vs m", improved per §C.5): the model's per-class mean and
 * standard deviation of each observable while one nuisance moves over −1.5 … 1.5, with common
 * random numbers (one base sample pushed through the residual inverse at every ν, so the
 * curves are smooth) and the exact truth curve. Error bars: σ/√n of the mean, σ/√(2n) of σ.
 * Score scans keep the events' (c, x) fixed at a nominal draw, so only the explicit
 * ν-dependence of p(y | x, c, ν) shows; the truth there is exact given those x:
 * ⟨y_d⟩ = mean_i μ_d(x_i), σ_d² = mean_i σ_d(x_i)² + var_i μ_d(x_i).
 */
import { Figure, linspace, type LegendEntry } from '../plot/index.js';
import { xParams, yParamsBatch, type GeneratorConfig } from '../toy/index.js';
import { evaluationOf, type ValidationContext } from './context.js';
import { repeatRow } from '../analysis/grid.js';
import { scanValues } from './nuisance.js';
import { headOf } from './sampling.js';
import { meanStd } from '../analysis/columns.js';
import { CLASSES } from '../analysis/classes.js';
import { NU_LABEL, NU_ORDER, X_LABEL, Y_LABEL } from './style.js';

/** Per (nuisance k, class c, dim d): arrays over the scan values. */
export interface ScanMoments {
  values: number[];
  mean: Float64Array[][][];
  std: Float64Array[][][];
  n: number[];
}

/** ν with component k = v and the others 0. */
const nuAt = (K: number, k: number, v: number) => Array.from({ length: K }, (_, j) => (j === k ? v : 0));

/** Model moments over the scan: `push(nu)` gives the [n, 2] sample at ν (same latent draws every call). */
export function scanMoments(
  values: number[],
  K: number,
  classes: ArrayLike<number>,
  push: (nu: number[]) => Float32Array,
): ScanMoments {
  const mk = () =>
    Array.from({ length: K }, () =>
      Array.from({ length: 2 }, () => Array.from({ length: 2 }, () => new Float64Array(values.length))),
    );
  const mean = mk();
  const std = mk();
  const counts = [0, 1].map((c) => Array.from(classes).filter((v) => v === c).length);
  let zero: Float32Array | null = null;
  for (let k = 0; k < K; k++) {
    values.forEach((v, i) => {
      const s = v === 0 ? (zero ??= push(nuAt(K, k, 0))) : push(nuAt(K, k, v));
      for (const c of [0, 1])
        for (const d of [0, 1]) {
          const r = meanStd(s, (j) => classes[j] === c, 2, d);
          mean[k][c][d][i] = r.mean;
          std[k][c][d][i] = r.std;
        }
    });
  }
  return { values, mean, std, n: counts };
}

function drawScanFigures(
  ctx: ValidationContext,
  what: 'kin' | 'score',
  s: ScanMoments,
  truth: (k: number, c: number, d: number, v: number) => { mean: number; std: number },
  files: [string, string],
): string[] {
  const labels = what === 'kin' ? X_LABEL : Y_LABEL;
  const K = s.mean.length;
  const fine = linspace(s.values[0], s.values[s.values.length - 1], 61);
  const out: string[] = [];
  for (const moment of ['mean', 'std'] as const) {
    const t0 = performance.now();
    const sym = (d: number) => (moment === 'mean' ? `⟨${labels[d]}⟩` : `σ(${labels[d]})`);
    const legend: LegendEntry[] = [
      ...CLASSES.map((k): LegendEntry => ({
        kind: 'marker',
        label: `${k.name}: model`,
        color: k.color,
        errorBar: true,
        line: true,
      })),
      ...CLASSES.map((k): LegendEntry => ({
        kind: 'line',
        label: `${k.name}: truth`,
        color: k.color,
        dash: [6, 4],
        width: 1.5,
      })),
      { kind: 'line', label: 'template points ν_{k} = ±1', color: '#999999', dash: [2, 3], width: 1 },
    ];
    const fig = new Figure({
      width: 1400,
      height: 380 * K + 120,
      rows: K,
      cols: 2,
      legend,
      suptitle:
        `Residual ${what} model — ${moment === 'mean' ? 'mean' : 'standard deviation'} of ${labels.join(', ')}` +
        ` vs each nuisance (the other at 0; ${NU_ORDER})\n` +
        (what === 'kin'
          ? `model: ${s.n[0] + s.n[1]} samples, the same latent draws at every ν; truth exact`
          : `model: ${s.n[0] + s.n[1]} samples at fixed nominal (c, x)` +
            `, the same latent draws at every ν; truth exact at those x`),
    });
    for (let k = 0; k < K; k++) {
      for (let d = 0; d < 2; d++) {
        const p = fig.panel(k, d, {
          title: `${sym(d)} vs ${NU_LABEL[k] ?? `ν_{${k}}`}`,
          xLabel: NU_LABEL[k] ?? `ν_{${k}}`,
          yLabel: sym(d),
          legend: 'none',
        });
        p.vline(-1, { color: '#999999', dash: [2, 3], width: 1 }).vline(1, {
          color: '#999999',
          dash: [2, 3],
          width: 1,
        });
        for (const cl of CLASSES) {
          const tv = fine.map((v) => truth(k, cl.c, d, v)[moment]);
          p.line(fine, tv, { color: cl.color, dash: [6, 4], width: 1.5 });
          const y = moment === 'mean' ? s.mean[k][cl.c][d] : s.std[k][cl.c][d];
          const nC = s.n[cl.c];
          const err = Float64Array.from(s.std[k][cl.c][d], (sd) =>
            moment === 'mean' ? sd / Math.sqrt(nC) : sd / Math.sqrt(2 * nC),
          );
          p.errorbar(s.values, y, err, { color: cl.color, marker: 3.5, line: true });
        }
      }
    }
    out.push(ctx.sink.save(fig, files[moment === 'mean' ? 0 : 1], t0));
  }
  return out;
}

export function figScanKin(ctx: ValidationContext): string[] {
  const model = ctx.models.kinResidual!;
  const genAt = ctx.kinGenAt!;
  const ev = evaluationOf(ctx, 'kin_base');
  const t = headOf(ev.truth, ctx.budgets.scan);
  const xNom = model.base.sample(t.n, { context: t.cOneHot }, ctx.streams.get('fig/scan_kin'));
  const K = model.numNuisances;
  const s = scanMoments(
    scanValues(),
    K,
    t.c,
    (nu) => model.inverse(xNom, { context: t.cOneHot, nu: repeatRow(nu, t.n) }).x,
  );
  const truth = (k: number, c: number, d: number, v: number) => {
    const p = xParams(c, genAt(nuAt(K, k, v)));
    return { mean: p.mean[d], std: p.sd[d] };
  };
  return drawScanFigures(ctx, 'kin', s, truth, ['val_sys_mean_x_vs_m.png', 'val_sys_std_x_vs_m.png']);
}

/** Exact moments of y_d over the class-c events with x fixed: (mean of μ, sqrt(mean σ² + var μ)). */
export function conditionalMoments(
  x: ArrayLike<number>,
  classes: ArrayLike<number>,
  c: number,
  cfg: Readonly<GeneratorConfig>,
  d: 0 | 1,
): { mean: number; std: number } {
  const p = yParamsBatch(x, classes, cfg);
  let n = 0;
  let sm = 0;
  let sv = 0;
  for (let i = 0; i < classes.length; i++) {
    if (classes[i] !== c) continue;
    sm += p.mu[2 * i + d];
    const s = d === 0 ? p.sigma0[i] : p.sigma1[i];
    sv += s * s;
    n++;
  }
  const mean = sm / n;
  let vm = 0;
  for (let i = 0; i < classes.length; i++) {
    if (classes[i] !== c) continue;
    const e = p.mu[2 * i + d] - mean;
    vm += e * e;
  }
  return { mean, std: Math.sqrt(sv / n + vm / n) };
}

export function figScanScore(ctx: ValidationContext): string[] {
  const model = ctx.models.scoreResidual!;
  const genAt = ctx.scoreGenAt!;
  const ev = evaluationOf(ctx, 'score_base');
  const t = headOf(ev.truth, ctx.budgets.scan);
  const yNom = model.base.sample(t.n, { context: t.scoreCtx }, ctx.streams.get('fig/scan_score'));
  const K = model.numNuisances;
  const s = scanMoments(
    scanValues(),
    K,
    t.c,
    (nu) => model.inverse(yNom, { context: t.scoreCtx, nu: repeatRow(nu, t.n) }).x,
  );
  const cache = new Map<string, { mean: number; std: number }>();
  const truth = (k: number, c: number, d: number, v: number) => {
    const key = `${k}/${c}/${d}/${v}`;
    let r = cache.get(key);
    if (!r) {
      r = conditionalMoments(t.x, t.c, c, genAt(nuAt(K, k, v)), d as 0 | 1);
      cache.set(key, r);
    }
    return r;
  };
  return drawScanFigures(ctx, 'score', s, truth, ['val_sys_score_mean_y_vs_m.png', 'val_sys_score_std_y_vs_m.png']);
}
