/**
 * Score figures: base flow p(y | x, c) (figures.md A.2) and residual model p(y | x, c, ν) (A.4;
 * scans in figures-scan.ts). 2-D panels are exact densities on a grid: p(y | c) marginalised
 * over x by Gauss–Hermite nodes shared by truth and model, conditional panels at named x
 * (no empty bins, figures.md §C.3). 1-D panels: model samples against the truth's bin masses
 * averaged over the same events' x. The log-prob figure shows the exact truth log-density next
 * to the model's, the per-event log-ratio whose mean is the KL, and a real PIT through the flow.
 */
import { COLORS, Figure, autoRange, histogram1d, linspace, shareRatioRange, type Range } from '../plot/index.js';
import { sampleY, xParams, yParams, type GeneratorConfig } from '../toy/index.js';
import type { NSF } from '../flows/nsf.js';
import { CLASSES, oneHot } from '../analysis/classes.js';
import { massLevels } from '../analysis/levels.js';
import { densityPanel } from './density-panel.js';
import { repeatRow } from '../analysis/grid.js';
import { column } from '../analysis/columns.js';
import { classKl, gridKl } from '../analysis/kl.js';
import { gaussianWindow, roundOut } from '../analysis/windows.js';
import { evaluationOf, type ValidationContext } from './context.js';
import { densityGrid, mixtureGrid, truthScoreDensity, xNodes, type DensityGrid, type LogDensityFn } from './density.js';
import { nsfDensity, residualDensity } from './figures-kin.js';
import { addExactStack, addTemplateStack, conditionalBinCounts } from './hist.js';
import { concatColumns, headOf } from './sampling.js';
import { normalCdf } from './stats.js';
import {
  LEVEL_RULE,
  MODEL_DASH,
  MODEL_LINE,
  NOMINAL_DASH,
  NU_ORDER,
  TEMPLATE_CMAP,
  Y_LABEL,
  fmtKl,
  fmtX,
  nuText,
  truthModelLegend,
} from './style.js';

/** A y window around the truth Gaussians p(y | x, c) of the given (x, c, cfg): mean ± 3.2σ, rounded out. */
function conditionalWindow(items: { x: [number, number]; c: number; cfg: GeneratorConfig }[]): { x: Range; y: Range } {
  const [x, y] = gaussianWindow(
    items.map((it) => {
      const p = yParams(it.x, it.c, it.cfg);
      return { mean: p.mu, sd: [p.sigma0, p.sigma1] };
    }),
  );
  return { x: roundOut(x), y: roundOut(y) };
}

function condGrid(
  ctx: ValidationContext,
  f: LogDensityFn,
  w: { x: Range; y: Range },
  x: [number, number],
  c: number,
): DensityGrid {
  return densityGrid(f, w.x, w.y, ctx.detail.score.nx, ctx.detail.score.ny, [...oneHot(c), x[0], x[1]]);
}

const xText = (x: readonly number[]) => `x = (${fmtX(x[0])}, ${fmtX(x[1])})`;

export function figScore2dGlobal(ctx: ValidationContext): string {
  const t0 = performance.now();
  const ev = evaluationOf(ctx, 'score_base');
  const w = ctx.scoreWindow;
  const fig = new Figure({
    width: 1250,
    height: 700,
    cols: 2,
    suptitle:
      `Score base model — p(y | c), marginalised over x` +
      `\nexact densities on a grid, x integrated on shared quadrature nodes; ${LEVEL_RULE}`,
    legend: truthModelLegend('Truth', 'classes', 'Model (base flow)'),
  });
  for (const k of CLASSES) {
    const nodes = xNodes(ctx.nominal, k.c, ctx.detail.xNodes[0], ctx.detail.xNodes[1]);
    const G = ctx.detail.scoreMarginal;
    const truth = mixtureGrid(truthScoreDensity(ctx.nominal), w.x, w.y, G.nx, G.ny, nodes.ctx, nodes.weights);
    const model = mixtureGrid(nsfDensity(ctx.models.scoreBase), w.x, w.y, G.nx, G.ny, nodes.ctx, nodes.weights);
    const mc = classKl(ev.logTruth, ev.logModel, ev.truth.c, k.c);
    densityPanel(fig, 0, k.c, {
      title: `${k.name} — p(y | c)`,
      subtitle:
        `KL(T‖M): p(y | c) in the window ${fmtKl(gridKl(truth, model))}` +
        `;  p(y | x, c) at the truth events ${fmtKl(mc.kl)} ± ${fmtKl(mc.se)}`,
      labels: Y_LABEL,
      window: w,
      truth,
      cmap: k.cmap,
    }).contourLines(model, massLevels(model), MODEL_LINE);
  }
  return ctx.sink.save(fig, 'val_score_2d_global.png', t0);
}

/** Representative x₁ of the reference's x₁ bins [−2.5, −1), [−1, 0), [0, 1), [1, 2.5) (with x₂ = 0). */
export const SLICE_X1_2D = [-1.75, -0.5, 0.5, 1.75];

export function figScore2dSlices(ctx: ValidationContext): string {
  const t0 = performance.now();
  const cols = SLICE_X1_2D.length;
  const fig = new Figure({
    width: 1900,
    height: 1080,
    rows: 2,
    cols,
    suptitle: `Score base model — p(y | x, c) at fixed x (x_{2} = 0)\nexact densities on a grid; ${LEVEL_RULE}`,
    legend: truthModelLegend('Truth', 'classes', 'Model (base flow)'),
  });
  for (const k of CLASSES) {
    SLICE_X1_2D.forEach((x1, j) => {
      const x: [number, number] = [x1, 0];
      const w = conditionalWindow([{ x, c: k.c, cfg: ctx.nominal }]);
      const truth = condGrid(ctx, truthScoreDensity(ctx.nominal), w, x, k.c);
      const model = condGrid(ctx, nsfDensity(ctx.models.scoreBase), w, x, k.c);
      densityPanel(fig, k.c, j, {
        title: `${k.name} — ${xText(x)}`,
        subtitle: `KL(T‖M) = ${fmtKl(gridKl(truth, model))} in the window`,
        labels: Y_LABEL,
        window: w,
        truth,
        cmap: k.cmap,
      }).contourLines(model, massLevels(model), { color: COLORS.model, dash: MODEL_DASH, width: 1.5 });
    });
  }
  return ctx.sink.save(fig, 'val_score_2d_contours_x1binned.png', t0);
}

function scoreEdges(ctx: ValidationContext, d: number, bins = 60): number[] {
  const r = d === 0 ? ctx.scoreWindow.x : ctx.scoreWindow.y;
  return linspace(r[0], r[1], bins + 1);
}

export function figScore1d(ctx: ValidationContext): string {
  const t0 = performance.now();
  const stacks: ReturnType<typeof addExactStack>[] = [];
  const ev = evaluationOf(ctx, 'score_base');
  const t = headOf(ev.truth, ctx.budgets.hist);
  const sample = ctx.models.scoreBase.sample(t.n, { context: t.scoreCtx }, ctx.streams.get('fig/score_1d'));
  const fig = new Figure({
    width: 1300,
    height: 1050,
    rows: 4,
    cols: 2,
    heightRatios: [3, 1.3, 3, 1.3],
    suptitle:
      `Score base model — 1D marginals  p(y_{d} | c)` +
      `   (model: one sample per truth event's (c, x), ${t.n} events` +
      `; truth: exact p(y | x, c) bin masses averaged over the same x)`,
    legend: [
      { kind: 'patch', label: 'Truth (class colour)', color: '#888888', alpha: 0.35 },
      { kind: 'line', label: 'Model samples', color: '#333333', width: 2 },
      { kind: 'marker', label: 'M/T ratio ± model Poisson error', color: '#333333', errorBar: true },
    ],
  });
  for (const k of CLASSES) {
    for (const d of [0, 1] as const) {
      const edges = scoreEdges(ctx, d);
      const model = column(sample, 2, d, t.c, k.c);
      stacks.push(
        addExactStack(fig, 2 * k.c, d, {
          edges,
          truth: conditionalBinCounts(edges, t.x, t.c, k.c, ctx.nominal, d),
          truthLabel: 'Truth',
          truthColor: k.color,
          model,
          modelLabel: 'Model',
          modelColor: k.color,
          title: `${k.name} — ${Y_LABEL[d]}`,
          xLabel: Y_LABEL[d],
        }),
      );
    }
  }
  shareRatioRange(stacks);
  return ctx.sink.save(fig, 'val_score_1d_marginals.png', t0);
}

/** x₁ values of the 1-D conditional slices (centres of the reference's bins −2.5 … 2.5). */
export const SLICE_X1_1D = [-2, -1, 0, 1, 2];

export function figScoreX1Slices(ctx: ValidationContext): string {
  const t0 = performance.now();
  const stacks: ReturnType<typeof addExactStack>[] = [];
  const ns = ctx.budgets.slice;
  const rng = ctx.streams.get('fig/score_x1_slices');
  const cols = SLICE_X1_1D.length;
  const fig = new Figure({
    width: 1900,
    height: 1750,
    rows: 8,
    cols,
    heightRatios: [3, 1.25, 3, 1.25, 3, 1.25, 3, 1.25],
    suptitle:
      `Score base model — conditional slices  p(y_{d} | x_{1}, c)` +
      `, x_{2} drawn from p(x_{2} | x_{1}, c)   (${ns} events per slice)`,
    legend: [
      { kind: 'patch', label: 'Truth: exact bin masses (class colour)', color: '#888888', alpha: 0.35 },
      { kind: 'line', label: 'Model samples', color: '#333333', width: 2 },
      { kind: 'marker', label: 'M/T ratio ± model Poisson error', color: '#333333', errorBar: true },
    ],
  });
  // Contexts of all slices, sampled in one model call.
  const slices: { c: number; x1: number; x: Float32Array; classes: Uint8Array }[] = [];
  for (const k of CLASSES) {
    const p = xParams(k.c, ctx.nominal);
    const condSd = p.sd[1] * Math.sqrt(1 - p.rho * p.rho);
    for (const x1 of SLICE_X1_1D) {
      const condMean = p.mean[1] + ((p.rho * p.sd[1]) / p.sd[0]) * (x1 - p.mean[0]);
      const x = new Float32Array(2 * ns);
      for (let i = 0; i < ns; i++) {
        x[2 * i] = x1;
        x[2 * i + 1] = condMean + condSd * rng.normal();
      }
      slices.push({ c: k.c, x1, x, classes: new Uint8Array(ns).fill(k.c) });
    }
  }
  const allX = new Float32Array(slices.length * 2 * ns);
  const allOh = new Float32Array(slices.length * 2 * ns);
  slices.forEach((s, i) => {
    allX.set(s.x, i * 2 * ns);
    for (let r = 0; r < ns; r++) allOh.set(oneHot(s.c), (i * ns + r) * 2);
  });
  const sample = ctx.models.scoreBase.sample(slices.length * ns, { context: concatColumns(allOh, 2, allX, 2) }, rng);
  slices.forEach((s, i) => {
    const k = CLASSES[s.c];
    const col = SLICE_X1_1D.indexOf(s.x1);
    const ys = sample.subarray(i * 2 * ns, (i + 1) * 2 * ns);
    const truthDraws = sampleY(rng, s.x, s.c, ctx.nominal, { sigmoid: false });
    for (const d of [0, 1] as const) {
      const r = roundOut(autoRange(column(truthDraws, 2, d), { lo: 0.002, hi: 0.998, pad: 0.08 }), 0.25);
      const edges = linspace(r[0], r[1], 31);
      stacks.push(
        addExactStack(fig, 2 * (2 * s.c + d), col, {
          edges,
          truth: conditionalBinCounts(edges, s.x, s.classes, s.c, ctx.nominal, d),
          truthLabel: 'Truth',
          truthColor: k.color,
          model: column(ys, 2, d),
          modelLabel: 'Model',
          modelColor: k.color,
          title: `${k.name} — ${Y_LABEL[d]} | x_{1} = ${fmtX(s.x1)}`,
          xLabel: Y_LABEL[d],
        }),
      );
    }
  });
  shareRatioRange(stacks);
  return ctx.sink.save(fig, 'val_score_x1_binned.png', t0);
}

export function figScoreLogprob(ctx: ValidationContext): string {
  const t0 = performance.now();
  const ev = evaluationOf(ctx, 'score_base');
  const f: NSF = ctx.models.scoreBase;
  const fig = new Figure({
    width: 1900,
    height: 640,
    cols: 3,
    suptitle: `Score base model — log-density diagnostics at ${ctx.n} truth events (c, x, y)`,
  });
  // (1) exact truth log-density next to the model's, at the same events.
  const all = [...Array.from(ev.logTruth), ...Array.from(ev.logModel)].filter(Number.isFinite).sort((a, b) => a - b);
  const lo = all[Math.floor(0.005 * (all.length - 1))];
  const hi = all[Math.floor(0.999 * (all.length - 1))];
  const edges = linspace(lo, hi, 61);
  const p1 = fig.panel(0, 0, {
    title: 'Log-density at the truth events',
    xLabel: 'log p(y | x, c)',
    yLabel: 'density',
    legend: 'inside',
    legendCorner: 'upper left',
  });
  for (const k of CLASSES) {
    p1.hist(edges, histogram1d(column(ev.logTruth, 1, 0, ev.truth.c, k.c), edges, { density: true }).values, {
      filled: true,
      color: k.color,
      fillAlpha: 0.3,
      label: `${k.name}: truth log p_{T}`,
    });
    p1.hist(edges, histogram1d(column(ev.logModel, 1, 0, ev.truth.c, k.c), edges, { density: true }).values, {
      color: k.color,
      width: 2,
      label: `${k.name}: model log p_{M}`,
    });
  }
  // (2) per-event log-ratio; its mean is the KL of the closure report.
  const diff = Float64Array.from(ev.logTruth, (v, i) => v - ev.logModel[i]);
  const dr = autoRange(diff, { lo: 0.005, hi: 0.995, pad: 0.1 });
  const m = Math.max(Math.abs(dr[0]), Math.abs(dr[1]));
  const dEdges = linspace(-m, m, 61);
  const p2 = fig.panel(0, 1, {
    title: 'Per-event log p_{T} − log p_{M}  (mean = KL)',
    xLabel: 'log p_{T}(y | x, c) − log p_{M}(y | x, c)',
    yLabel: 'density',
    legend: 'inside',
    legendCorner: 'upper left',
  });
  const notes: string[] = [];
  for (const k of CLASSES) {
    const kl = classKl(ev.logTruth, ev.logModel, ev.truth.c, k.c);
    p2.hist(dEdges, histogram1d(column(diff, 1, 0, ev.truth.c, k.c), dEdges, { density: true }).values, {
      color: k.color,
      width: 2,
      label: k.name,
    });
    notes.push(`${k.name}: KL = ${fmtKl(kl.kl)} ± ${fmtKl(kl.se)}`);
  }
  p2.vline(0, { color: '#555555', dash: [4, 4], width: 1 });
  p2.options.subtitle = notes.join(';  ');
  // (3) PIT through the flow: for a calibrated model z = T(y; x, c) ~ N(0, I), so Φ(z_d) is uniform.
  const t = headOf(ev.truth, ctx.budgets.hist);
  const z = f.forward(t.y, { context: t.scoreCtx }).z;
  const loc = f.base.loc.data;
  const scale = f.base.scale.data;
  const bins = 20;
  const uEdges = linspace(0, 1, bins + 1);
  const p3 = fig.panel(0, 2, {
    // its own sample size: the PIT uses the first events only (the suptitle's count is the other panels')
    title: `Calibration: PIT u_{d} = Φ(z_{d}), z = flow(y; x, c), first ${t.c.length} events`,
    xLabel: 'u_{d}',
    yLabel: 'density',
    yRange: [0.7, 1.3],
    legend: 'inside',
    legendCorner: 'upper left',
  });
  let nMin = Infinity;
  for (const k of CLASSES) {
    for (const d of [0, 1]) {
      const u = column(z, 2, d, t.c, k.c).map((v) => normalCdf((v - loc[d]) / scale[d]));
      nMin = Math.min(nMin, u.length);
      p3.hist(uEdges, histogram1d(u, uEdges, { density: true }).values, {
        color: k.color,
        width: 2,
        dash: d === 0 ? [] : [6, 3],
        label: `${k.name}, ${Y_LABEL[d]}`,
      });
    }
  }
  const sig = Math.sqrt(bins / Math.max(nMin, 1));
  p3.hspan(1 - 2 * sig, 1 + 2 * sig, { color: '#808080', alpha: 0.18, label: '±2σ for a calibrated model' });
  p3.hline(1, { color: '#555555', dash: [4, 4], width: 1 });
  return ctx.sink.save(fig, 'val_score_logprob.png', t0);
}

// ---------------------------------------------------------------------------------------------
// Residual score model (A.4)

function classCentre(cfg: GeneratorConfig, c: number): [number, number] {
  const m = xParams(c, cfg).mean;
  return [Math.round(m[0] * 100) / 100, Math.round(m[1] * 100) / 100];
}

export function figSysScoreCentral(ctx: ValidationContext): string {
  const t0 = performance.now();
  const model = ctx.models.scoreResidual!;
  const fig = new Figure({
    width: 1250,
    height: 700,
    cols: 2,
    suptitle:
      `Residual score model — central point  p(y | x, c, ν = 0) at the class centre x   (${NU_ORDER})` +
      `\nexact densities on a grid; ${LEVEL_RULE}`,
    legend: truthModelLegend('Truth, nominal generator', 'classes', 'Model at ν = (0, 0)'),
  });
  for (const k of CLASSES) {
    const x = classCentre(ctx.nominal, k.c);
    const w = conditionalWindow([{ x, c: k.c, cfg: ctx.nominal }]);
    const truth = condGrid(ctx, truthScoreDensity(ctx.nominal), w, x, k.c);
    const mg = condGrid(ctx, residualDensity(model, [0, 0]), w, x, k.c);
    densityPanel(fig, 0, k.c, {
      title: `${k.name} — central (ν = 0), ${xText(x)}`,
      subtitle: `KL(T‖M) = ${fmtKl(gridKl(truth, mg))} in the window`,
      labels: Y_LABEL,
      window: w,
      truth,
      cmap: k.cmap,
    }).contourLines(mg, massLevels(mg), MODEL_LINE);
  }
  return ctx.sink.save(fig, 'val_sys_score_central.png', t0);
}

export function figSysScoreTemplate(ctx: ValidationContext, name: string, m: number[], gen: GeneratorConfig): string {
  const t0 = performance.now();
  const model = ctx.models.scoreResidual!;
  const ev = evaluationOf(ctx, 'score_residual', name);
  const fig = new Figure({
    width: 1300,
    height: 720,
    cols: 2,
    suptitle:
      `Residual score model — template ${name},  ${nuText(m)}   (${NU_ORDER})` +
      `\np(y | x, c, ν) at the template's class centre x` +
      `; exact densities on a grid; ${LEVEL_RULE}`,
    legend: truthModelLegend(`Truth ${name}`, TEMPLATE_CMAP, `Model at ${nuText(m)}`, [
      {
        kind: 'line',
        label: 'Truth, nominal generator at the same x (class colour)',
        color: '#555555',
        dash: NOMINAL_DASH,
        width: 1.4,
      },
    ]),
  });
  for (const k of CLASSES) {
    const x = classCentre(gen, k.c);
    const w = conditionalWindow([
      { x, c: k.c, cfg: gen },
      { x, c: k.c, cfg: ctx.nominal },
    ]);
    const truth = condGrid(ctx, truthScoreDensity(gen), w, x, k.c);
    const nominal = condGrid(ctx, truthScoreDensity(ctx.nominal), w, x, k.c);
    const mg = condGrid(ctx, residualDensity(model, m), w, x, k.c);
    const noRes = condGrid(ctx, nsfDensity(model.base), w, x, k.c);
    const mc = classKl(ev.logTruth, ev.logModel, ev.truth.c, k.c);
    const nr = classKl(ev.logTruth, ev.logNoResidual!, ev.truth.c, k.c);
    densityPanel(fig, 0, k.c, {
      title: `${k.name} — ${xText(x)}`,
      subtitle:
        `KL(T‖M) at this x ${fmtKl(gridKl(truth, mg))}, base alone ${fmtKl(gridKl(truth, noRes))}` +
        `;  over all x ${fmtKl(mc.kl)} ± ${fmtKl(mc.se)}, base alone ${fmtKl(nr.kl)}`,
      labels: Y_LABEL,
      window: w,
      truth,
      cmap: TEMPLATE_CMAP,
    })
      .contourLines(nominal, massLevels(nominal), { color: k.color, dash: NOMINAL_DASH, width: 1.5 })
      .contourLines(mg, massLevels(mg), MODEL_LINE);
  }
  return ctx.sink.save(fig, `val_sys_score_${name}.png`, t0);
}

export function figSysScore1d(ctx: ValidationContext): string {
  const t0 = performance.now();
  const stacks: ReturnType<typeof addExactStack>[] = [];
  const model = ctx.models.scoreResidual!;
  const temps = ctx.scoreTemplates;
  const rows = temps.length;
  const rng = ctx.streams.get('fig/sys_score_1d');
  const fig = new Figure({
    width: 1800,
    height: 400 * rows + 110,
    rows: 2 * rows,
    cols: 4,
    heightRatios: Array.from({ length: 2 * rows }, (_, i) => (i % 2 === 0 ? 3 : 1.5)),
    suptitle:
      `Residual score model — 1D closure at each template   (${NU_ORDER})` +
      `\nmodel: one sample per template truth event's (c, x) at the template's ν, ${ctx.budgets.sysHist} events` +
      `; truth: exact p(y | x, c) bin masses over the same x`,
    legend: [
      { kind: 'patch', label: 'Truth at the template', color: COLORS.truth, alpha: 0.35 },
      { kind: 'line', label: 'Model at the template ν', color: COLORS.model, width: 2 },
      {
        kind: 'line',
        label: 'Truth, nominal p(y | x, c) at the same x (class colour)',
        color: '#555555',
        dash: [5, 4],
        width: 1.3,
      },
    ],
  });
  temps.forEach((tp, r) => {
    const t = headOf(evaluationOf(ctx, 'score_residual', tp.name).truth, ctx.budgets.sysHist);
    const y = model.sample(t.n, { context: t.scoreCtx, nu: repeatRow(tp.m, t.n) }, rng);
    for (const k of CLASSES) {
      for (const d of [0, 1] as const) {
        const edges = scoreEdges(ctx, d);
        const sample = column(y, 2, d, t.c, k.c);
        stacks.push(
          addTemplateStack(
            fig,
            { template: tp, row: r, cls: k, d, axis: Y_LABEL[d] },
            {
              edges,
              truth: conditionalBinCounts(edges, t.x, t.c, k.c, tp.generator, d),
              nominal: conditionalBinCounts(edges, t.x, t.c, k.c, ctx.nominal, d),
              model: sample,
            },
          ),
        );
      }
    }
  });
  shareRatioRange(stacks);
  return ctx.sink.save(fig, 'val_sys_score_1d_marginals.png', t0);
}
