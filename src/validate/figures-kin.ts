/**
 * Kinematic figures: base flow p(x | c) (figures.md A.1) and residual model p(x | c, ν) (A.3,
 * 2-D and 1-D; the ν scans are in figures-scan.ts). 2-D: exact densities on a grid, truth filled,
 * model dashed, each contoured by the same mass rule; 1-D: model samples against the exact
 * Gaussian bin masses.
 */
import { COLORS, Figure, linspace, shareRatioRange } from '../plot/index.js';
import { xParams, type GeneratorConfig } from '../toy/index.js';
import type { NSF } from '../flows/nsf.js';
import type { SystematicCorrectedModel } from '../systematics/corrected-model.js';
import { evaluationOf, type ValidationContext } from './context.js';
import { CLASSES, oneHot } from '../analysis/classes.js';
import { massLevels } from '../analysis/levels.js';
import { densityPanel } from './density-panel.js';
import { repeatRow } from '../analysis/grid.js';
import { column } from '../analysis/columns.js';
import { classKl, gridKl } from '../analysis/kl.js';
import { densityGrid, truthKinDensity, type LogDensityFn, type DensityGrid } from './density.js';
import { addExactStack, addTemplateStack, gaussianBinCounts } from './hist.js';
import {
  LEVEL_RULE,
  MODEL_LINE,
  NOMINAL_DASH,
  NU_ORDER,
  TEMPLATE_CMAP,
  X_LABEL,
  fmtKl,
  nuText,
  truthModelLegend,
} from './style.js';

export const nsfDensity =
  (f: NSF): LogDensityFn =>
  (p, c) =>
    f.logProb(p, { context: c });
export const residualDensity =
  (m: SystematicCorrectedModel, nu: readonly number[]): LogDensityFn =>
  (p, c) =>
    m.logProb(p, { context: c, nu: repeatRow(nu, p.length / 2) });

function kinGrid(ctx: ValidationContext, f: LogDensityFn, c: number): DensityGrid {
  const w = ctx.kinWindow;
  return densityGrid(f, w.x, w.y, ctx.detail.kin.nx, ctx.detail.kin.ny, oneHot(c));
}

export function figKin2d(ctx: ValidationContext): string {
  const t0 = performance.now();
  const ev = evaluationOf(ctx, 'kin_base');
  const fig = new Figure({
    width: 1400,
    height: 640,
    cols: 2,
    suptitle: `Kin base model — 2D validation  p(x | c)\nexact densities on a grid; ${LEVEL_RULE}`,
    legend: truthModelLegend('Truth', 'classes', 'Model (base flow)'),
  });
  for (const k of CLASSES) {
    const truth = kinGrid(ctx, truthKinDensity(ctx.nominal), k.c);
    const model = kinGrid(ctx, nsfDensity(ctx.models.kinBase), k.c);
    const mc = classKl(ev.logTruth, ev.logModel, ev.truth.c, k.c);
    densityPanel(fig, 0, k.c, {
      title: `${k.name}  p(x | c)`,
      subtitle:
        `KL(T‖M) = ${fmtKl(mc.kl)} ± ${fmtKl(mc.se)} (n = ${ctx.n})` +
        `,  ${fmtKl(gridKl(truth, model))} in the window`,
      labels: X_LABEL,
      window: ctx.kinWindow,
      truth,
      cmap: k.cmap,
    }).contourLines(model, massLevels(model), MODEL_LINE);
  }
  return ctx.sink.save(fig, 'val_kin_2d.png', t0);
}

function kinEdges(ctx: ValidationContext, d: number): number[] {
  const r = d === 0 ? ctx.kinWindow.x : ctx.kinWindow.y;
  return linspace(r[0], r[1], 61);
}

export function figKin1d(ctx: ValidationContext): string {
  const t0 = performance.now();
  const stacks: ReturnType<typeof addExactStack>[] = [];
  const ev = evaluationOf(ctx, 'kin_base');
  const m = ctx.budgets.hist;
  const classes = ev.truth.c.subarray(0, m);
  const sample = ctx.models.kinBase.sample(
    m,
    { context: ev.truth.cOneHot.subarray(0, 2 * m) },
    ctx.streams.get('fig/kin_1d'),
  );
  const fig = new Figure({
    width: 1300,
    height: 1050,
    rows: 4,
    cols: 2,
    heightRatios: [3, 1.3, 3, 1.3],
    suptitle: `Kin base model — 1D marginals  p(x_{d} | c)   (model: ${m} samples; truth: exact bin masses)`,
    legend: [
      { kind: 'patch', label: 'Truth (exact, class colour)', color: '#888888', alpha: 0.35 },
      { kind: 'line', label: 'Model samples', color: '#333333', width: 2 },
      { kind: 'marker', label: 'M/T ratio ± model Poisson error', color: '#333333', errorBar: true },
    ],
  });
  for (const k of CLASSES) {
    const p = xParams(k.c, ctx.nominal);
    for (let d = 0; d < 2; d++) {
      const edges = kinEdges(ctx, d);
      const model = column(sample, 2, d, classes, k.c);
      stacks.push(
        addExactStack(fig, 2 * k.c, d, {
          edges,
          truth: gaussianBinCounts(edges, p.mean[d], p.sd[d], model.length),
          truthLabel: 'Truth',
          truthColor: k.color,
          model,
          modelLabel: 'Model',
          modelColor: k.color,
          title: `${k.name} — ${X_LABEL[d]}`,
          xLabel: X_LABEL[d],
        }),
      );
    }
  }
  shareRatioRange(stacks);
  return ctx.sink.save(fig, 'val_kin_1d_marginals.png', t0);
}

// ---------------------------------------------------------------------------------------------
// Residual kin model (A.3)

export function figSysKinCentral(ctx: ValidationContext): string {
  const t0 = performance.now();
  const model = ctx.models.kinResidual!;
  const fig = new Figure({
    width: 1400,
    height: 640,
    cols: 2,
    suptitle:
      `Residual kin model — central point  p(x | c, ν = 0)   (${NU_ORDER})` +
      `\nexact densities on a grid; ${LEVEL_RULE}`,
    legend: truthModelLegend('Truth, nominal generator', 'classes', 'Model at ν = (0, 0)'),
  });
  for (const k of CLASSES) {
    const truth = kinGrid(ctx, truthKinDensity(ctx.nominal), k.c);
    const mg = kinGrid(ctx, residualDensity(model, [0, 0]), k.c);
    densityPanel(fig, 0, k.c, {
      title: `${k.name} — central (ν = 0)`,
      subtitle: `KL(T‖M) = ${fmtKl(gridKl(truth, mg))} in the window`,
      labels: X_LABEL,
      window: ctx.kinWindow,
      truth,
      cmap: k.cmap,
    }).contourLines(mg, massLevels(mg), MODEL_LINE);
  }
  return ctx.sink.save(fig, 'val_sys_kin_central.png', t0);
}

export function figSysKinTemplate(ctx: ValidationContext, name: string, m: number[], gen: GeneratorConfig): string {
  const t0 = performance.now();
  const model = ctx.models.kinResidual!;
  const ev = evaluationOf(ctx, 'kin_residual', name);
  const fig = new Figure({
    width: 1400,
    height: 1060,
    rows: 2,
    cols: 2,
    suptitle:
      `Residual kin model — template ${name}   ${nuText(m)}   (${NU_ORDER})` +
      `\nexact densities on a grid; ${LEVEL_RULE}`,
    legend: truthModelLegend(`Truth ${name}`, TEMPLATE_CMAP, `Model at ${nuText(m)}`, [
      {
        kind: 'line',
        label: 'Truth, nominal generator (class colour)',
        color: '#555555',
        dash: NOMINAL_DASH,
        width: 1.4,
      },
    ]),
  });
  for (const k of CLASSES) {
    const truth = kinGrid(ctx, truthKinDensity(gen), k.c);
    const nominal = kinGrid(ctx, truthKinDensity(ctx.nominal), k.c);
    const mg = kinGrid(ctx, residualDensity(model, m), k.c);
    const noRes = kinGrid(ctx, nsfDensity(model.base), k.c);
    const panel = { labels: X_LABEL, window: ctx.kinWindow, truth, cmap: TEMPLATE_CMAP };
    densityPanel(fig, k.c, 0, {
      ...panel,
      title: `${k.name} — truth: ${name} vs nominal`,
      subtitle: `KL(template‖nominal) = ${fmtKl(gridKl(truth, nominal))} in the window`,
    }).contourLines(nominal, massLevels(nominal), { color: k.color, dash: NOMINAL_DASH, width: 1.5 });
    const mc = classKl(ev.logTruth, ev.logModel, ev.truth.c, k.c);
    const nr = classKl(ev.logTruth, ev.logNoResidual!, ev.truth.c, k.c);
    densityPanel(fig, k.c, 1, {
      ...panel,
      title: `${k.name} — model at ${nuText(m)}`,
      subtitle:
        `KL(T‖M) = ${fmtKl(mc.kl)} ± ${fmtKl(mc.se)}, base alone ${fmtKl(nr.kl)}` +
        `;  in the window ${fmtKl(gridKl(truth, mg))}, base alone ${fmtKl(gridKl(truth, noRes))}`,
    }).contourLines(mg, massLevels(mg), MODEL_LINE);
  }
  return ctx.sink.save(fig, `val_sys_kin_${name}.png`, t0);
}

export function figSysKin1d(ctx: ValidationContext): string {
  const t0 = performance.now();
  const stacks: ReturnType<typeof addExactStack>[] = [];
  const model = ctx.models.kinResidual!;
  const temps = ctx.kinTemplates;
  const m = ctx.budgets.sysHist;
  // One base sample (common random numbers) pushed through the residual inverse at each template.
  const ev = evaluationOf(ctx, 'kin_base');
  const classes = ev.truth.c.subarray(0, m);
  const oh = ev.truth.cOneHot.subarray(0, 2 * m);
  const xNom = model.base.sample(m, { context: oh }, ctx.streams.get('fig/sys_kin_1d'));
  const rows = temps.length;
  const fig = new Figure({
    width: 1800,
    height: 400 * rows + 110,
    rows: 2 * rows,
    cols: 4,
    heightRatios: Array.from({ length: 2 * rows }, (_, i) => (i % 2 === 0 ? 3 : 1.5)),
    suptitle:
      `Residual kin model — 1D closure at each template   (${NU_ORDER})` +
      `\nmodel: ${m} samples at the template's ν (the same latent draws for every template)` +
      `; truth: exact bin masses`,
    legend: [
      { kind: 'patch', label: 'Truth at the template (exact)', color: COLORS.truth, alpha: 0.35 },
      { kind: 'line', label: 'Model at the template ν', color: COLORS.model, width: 2 },
      { kind: 'line', label: 'Truth, nominal (class colour)', color: '#555555', dash: [5, 4], width: 1.3 },
    ],
  });
  temps.forEach((t, r) => {
    const x = model.inverse(xNom, { context: oh, nu: repeatRow(t.m, m) }).x;
    for (const k of CLASSES) {
      const pt = xParams(k.c, t.generator);
      const pn = xParams(k.c, ctx.nominal);
      for (let d = 0; d < 2; d++) {
        const edges = kinEdges(ctx, d);
        const sample = column(x, 2, d, classes, k.c);
        stacks.push(
          addTemplateStack(
            fig,
            { template: t, row: r, cls: k, d, axis: X_LABEL[d] },
            {
              edges,
              truth: gaussianBinCounts(edges, pt.mean[d], pt.sd[d], sample.length),
              nominal: gaussianBinCounts(edges, pn.mean[d], pn.sd[d], sample.length),
              model: sample,
            },
          ),
        );
      }
    }
  });
  shareRatioRange(stacks);
  return ctx.sink.save(fig, 'val_sys_kin_1d_marginals.png', t0);
}
