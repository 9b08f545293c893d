/**
 * Demo figures from synthetic data, one per primitive kind, so the look can be judged:
 *   node dist/src/plot/demo.js [outDir]     (default /tmp/fnflow-plot-demo)
 * Densities are exact (closed-form Gaussians on a grid), samples come from a seeded generator.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { COLORS, sampleColors } from './colors.js';
import { addHistogramStack, shareRatioRange } from './compose.js';
import { Figure } from './figure.js';
import { gridCellArea, gridFromFunction, type Grid2D } from './grid.js';
import { histogram1d, linspace, autoRange } from './histogram.js';
import { hpdLevels } from './levels.js';

/** Small seeded generator (mulberry32 + Box–Muller): reproducible demo samples. */
function rng(seed: number): { normal(): number } {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    normal: () => {
      const u = Math.max(uniform(), 1e-12);
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
    },
  };
}

const gauss2 =
  (mx: number, my: number, sx: number, sy: number, rho = 0) =>
  (x: number, y: number) => {
    const u = (x - mx) / sx;
    const v = (y - my) / sy;
    const q = (u * u - 2 * rho * u * v + v * v) / (1 - rho * rho);
    return Math.exp(-q / 2) / (2 * Math.PI * sx * sy * Math.sqrt(1 - rho * rho));
  };

const MASSES = [0.99, 0.95, 0.8, 0.5, 0.2];
const levelsOf = (g: Grid2D) => hpdLevels(g.values, gridCellArea(g), MASSES).sort((a, b) => a - b);

/** Filled truth + dashed model contours for two classes (validation 2-D style). */
function contourDemo(out: string): string {
  const xr: [number, number] = [-3, 2.5];
  const yr: [number, number] = [-2, 2];
  const fig = new Figure({
    width: 1300,
    height: 620,
    cols: 2,
    suptitle: 'Kin model — 2D validation  p(x | c)   (exact densities, contours enclose 20/50/80/95/99 % mass)',
  });
  const classes = [
    { name: 'Class A', t: gauss2(-0.5, 0, 0.9, 0.6), m: gauss2(-0.45, 0.02, 0.92, 0.58, 0.05), cmap: 'Blues' as const },
    { name: 'Class B', t: gauss2(0.5, 0, 0.6, 0.4), m: gauss2(0.52, 0, 0.61, 0.41), cmap: 'Oranges' as const },
  ];
  classes.forEach((c, k) => {
    const truth = gridFromFunction(c.t, xr, yr, 220, 160);
    const model = gridFromFunction(c.m, xr, yr, 220, 160);
    fig
      .panel(0, k, {
        title: `${c.name}  p(x | c)`,
        xLabel: 'x₁',
        yLabel: 'x₂',
        aspect: 'equal',
        xRange: xr,
        yRange: yr,
      })
      .contourFill(truth, levelsOf(truth), { cmap: c.cmap, alpha: 0.75, label: 'Truth' })
      .contourLines(model, levelsOf(model), { color: COLORS.model, dash: [6, 4], width: 1.5, label: 'Model' })
      .note(k === 0 ? 'KL(T‖M) = 0.004' : 'KL(T‖M) = 0.001', 'lower left');
  });
  return fig.savePng(join(out, 'demo_contours.png'));
}

/** 1-D marginals with ratio panels, two classes × two dims (validation 1-D style). */
function histDemo(out: string): string {
  const r = rng(7);
  const n = 10000;
  const fig = new Figure({
    width: 1200,
    height: 1000,
    rows: 4,
    cols: 2,
    heightRatios: [3, 1.35, 3, 1.35],
    suptitle: 'Kin model — 1D marginals  p(x | c)',
  });
  const spec = [
    { name: 'Class A', mu: [-0.5, 0], sd: [0.9, 0.6], color: COLORS.classA },
    { name: 'Class B', mu: [0.5, 0], sd: [0.6, 0.4], color: COLORS.classB },
  ];
  const samples = spec.map((s) =>
    [0, 1].map((d) => ({
      truth: Float64Array.from({ length: n }, () => s.mu[d] + s.sd[d] * r.normal()),
      model: Float64Array.from({ length: n }, () => s.mu[d] + 0.02 + s.sd[d] * 1.03 * r.normal()),
    })),
  );
  const stacks: ReturnType<typeof addHistogramStack>[] = [];
  for (let d = 0; d < 2; d++) {
    const range = autoRange(samples.flatMap((c) => [c[d].truth, c[d].model]));
    const edges = linspace(range[0], range[1], 41);
    spec.forEach((s, c) => {
      const dimName = d === 0 ? 'x₁' : 'x₂';
      stacks.push(
        addHistogramStack(fig, 2 * c, d, {
          title: `${s.name} — ${dimName}`,
          xLabel: dimName,
          edges,
          truth: { counts: histogram1d(samples[c][d].truth, edges).values, label: 'Truth', color: s.color },
          models: [{ counts: histogram1d(samples[c][d].model, edges).values, label: 'Model', color: s.color }],
        }),
      );
    });
  }
  shareRatioRange(stacks);
  return fig.savePng(join(out, 'demo_hist_ratio.png'));
}

/** Diverging heat maps with colour bars (cross-term style). */
function heatmapDemo(out: string): string {
  const fig = new Figure({
    width: 1400,
    height: 860,
    rows: 2,
    cols: 3,
    suptitle: 'Residual kin — nuisance cross-term on x₁  (class A, forward map)\nprobe x = (1, 0.5)',
  });
  const r: [number, number] = [-2, 2];
  const s = (a: number, b: number) => 0.2 * b - 0.003 * a + 0.0004 * a * b;
  const d = (a: number, b: number) => 0.3 * a - 0.35 * b + 0.05 * b * b + 0.01 * a * b;
  const rows = [
    { f: s, name: 'log-scale  s' },
    { f: d, name: 'shift  Δx₁' },
  ];
  rows.forEach((row, i) => {
    const full = gridFromFunction(row.f, r, r, 41, 41);
    const add = gridFromFunction((a, b) => row.f(a, 0) + row.f(0, b) - row.f(0, 0), r, r, 41, 41);
    const cross = { ...full, values: full.values.map((v, k) => v - add.values[k]) };
    let mf = 0;
    let mc = 0;
    for (let k = 0; k < full.values.length; k++) {
      mf = Math.max(mf, Math.abs(full.values[k]));
      mc = Math.max(mc, Math.abs(cross.values[k]));
    }
    const panels: [Grid2D, string, number][] = [
      [full, 'full', mf],
      [add, 'additive', mf],
      [cross, 'cross-term (full − additive)', mc],
    ];
    panels.forEach(([g, name, lim], j) => {
      const p = fig
        .panel(i, j, { title: `${row.name} — ${name}`, xLabel: 'ν_{shift}', yLabel: 'ν_{squeeze}', aspect: 'equal' })
        .heatmap(g, { diverging: true, limit: lim, colorbar: row.name.split('  ')[1] ?? row.name })
        .hline(0, { color: '#000', dash: [2, 3], width: 1 })
        .vline(0, { color: '#000', dash: [2, 3], width: 1 });
      if (j === 2) p.options.subtitle = `max|cross| / max|full| = ${(mc / mf).toExponential(1)}`;
    });
  });
  return fig.savePng(join(out, 'demo_heatmap.png'));
}

/** Arrow fields over contours (displacement-field style). */
function quiverDemo(out: string): string {
  const xr: [number, number] = [-2.6, 2];
  const yr: [number, number] = [-1.5, 1.5];
  const fig = new Figure({
    width: 1250,
    height: 870,
    rows: 2,
    cols: 2,
    suptitle: 'Displacement field   Δx = T⁻¹(x, ν) − x   (the map that deforms nominal → distorted)',
    legend: [
      { kind: 'line', label: 'Model ρ(x | ν)', color: COLORS.classA, width: 2 },
      { kind: 'line', label: 'Truth ρ(x | ν)', color: '#000000', width: 1.2 },
      { kind: 'line', label: 'Nominal ρ(x | 0)', color: '#808080', dash: [5, 4], width: 1.2 },
    ],
  });
  const g = { nx: 16, ny: 12, x0: xr[0] + 0.15, x1: xr[1] - 0.15, y0: yr[0] + 0.12, y1: yr[1] - 0.12 };
  const classes = [
    { name: 'Class A', mu: [-0.5, 0], sd: [0.9, 0.6], color: COLORS.classA, sgn: -1 },
    { name: 'Class B', mu: [0.5, 0], sd: [0.6, 0.4], color: COLORS.classB, sgn: 1 },
  ];
  for (let k = 0; k < 2; k++) {
    classes.forEach((c, j) => {
      // k = 0: shift by 0.3 along x₁; k = 1: squeeze about the class centre.
      const alpha = 0.2;
      const map = (x: number, y: number): [number, number] =>
        k === 0
          ? [x - c.sgn * 0.3, y]
          : [c.mu[0] + (x - c.mu[0]) * Math.exp(-c.sgn * alpha), c.mu[1] + (y - c.mu[1]) * Math.exp(c.sgn * alpha)];
      const nominal = gridFromFunction(gauss2(c.mu[0], c.mu[1], c.sd[0], c.sd[1]), xr, yr, 200, 140);
      const sd = k === 0 ? c.sd : [c.sd[0] * Math.exp(-c.sgn * alpha), c.sd[1] * Math.exp(c.sgn * alpha)];
      const mu = k === 0 ? [c.mu[0] - c.sgn * 0.3, c.mu[1]] : c.mu;
      const distorted = gridFromFunction(gauss2(mu[0], mu[1], sd[0], sd[1]), xr, yr, 200, 140);
      const model = gridFromFunction(gauss2(mu[0] + 0.01, mu[1], sd[0] * 1.01, sd[1]), xr, yr, 200, 140);
      const u = new Float64Array(g.nx * g.ny);
      const v = new Float64Array(g.nx * g.ny);
      const xs = linspace(g.x0, g.x1, g.nx);
      const ys = linspace(g.y0, g.y1, g.ny);
      for (let jj = 0; jj < g.ny; jj++)
        for (let ii = 0; ii < g.nx; ii++) {
          const [tx, ty] = map(xs[ii], ys[jj]);
          u[ii + jj * g.nx] = tx - xs[ii];
          v[ii + jj * g.nx] = ty - ys[jj];
        }
      fig
        .panel(k, j, {
          title: `${c.name} — ${k === 0 ? 'ν_{shift}' : 'ν_{squeeze}'} = +1.0`,
          xLabel: 'x₁',
          yLabel: 'x₂',
          aspect: 'equal',
          xRange: xr,
          yRange: yr,
        })
        .contourLines(nominal, levelsOf(nominal), { color: '#808080', dash: [5, 4], width: 1.1 })
        .contourLines(distorted, levelsOf(distorted), { color: '#000000', width: 1.1, alpha: 0.8 })
        .contourLines(model, levelsOf(model), { color: c.color, width: 1.8, alpha: 0.9 })
        .quiver(g, u, v, { colorbar: '|Δx|', colorRange: [0, 0.6], keyLabel: (len) => `${len}` });
    });
  }
  return fig.savePng(join(out, 'demo_quiver.png'));
}

/** Lines, markers with error bars, bands, log-y and a scatter with contour overlay. */
function linesDemo(out: string): string {
  const fig = new Figure({
    width: 1300,
    height: 980,
    rows: 2,
    cols: 2,
    suptitle: 'Line primitives — scans, response curves, training curve, scatter',
  });
  const m = linspace(-1.5, 1.5, 13);
  const truthA = m.map((v) => -0.5 - 0.3 * v);
  const truthB = m.map((v) => 0.5 + 0.3 * v);
  const r = rng(3);
  const pA = fig.panel(0, 0, { title: '⟨x₁⟩ vs ν_{shift}', xLabel: 'ν_{shift}', yLabel: '⟨x₁⟩' });
  const fine = linspace(-1.5, 1.5, 61);
  pA.band(
    fine,
    fine.map((v) => -0.5 - 0.3 * v - 0.03),
    fine.map((v) => -0.5 - 0.3 * v + 0.03),
    { color: COLORS.classA, alpha: 0.15, label: 'Truth ± σ/√n (A)' },
  )
    .line(m, truthA, { color: COLORS.classA, dash: [6, 4], width: 1.5, label: 'Truth A' })
    .line(m, truthB, { color: COLORS.classB, dash: [6, 4], width: 1.5, label: 'Truth B' })
    .errorbar(
      m,
      truthA.map((t) => t + 0.01 * r.normal()),
      m.map(() => 0.012),
      { color: COLORS.classA, line: true, marker: 4, label: 'Model A' },
    )
    .errorbar(
      m,
      truthB.map((t) => t + 0.01 * r.normal()),
      m.map(() => 0.012),
      { color: COLORS.classB, line: true, marker: 4, label: 'Model B' },
    )
    .vline(0, { color: '#000', dash: [2, 3], width: 1 });
  const nu = linspace(-2, 2, 41);
  const cols = sampleColors('viridis', 5);
  const pB = fig.panel(0, 1, {
    title: 'x₁ scale — ν_{squeeze}',
    xLabel: 'ν_{squeeze}',
    yLabel: 'scale  e^{s} on x₁',
    legend: 'inside',
    legendCorner: 'best',
  });
  cols.forEach((c, i) => {
    pB.line(
      nu,
      nu.map((v) => Math.exp(-0.2 * v * (1 + 0.05 * i))),
      { color: c, width: 1.8, label: i === 0 ? 'x = (0, 0)' : `x = (${i}, 0)` },
    );
    pB.line(
      nu,
      nu.map((v) => Math.exp(0.2 * v * (1 + 0.05 * i))),
      { color: c, width: 1.8, dash: [6, 4] },
    );
  });
  pB.hline(1, { color: '#808080' })
    .legendEntry({ kind: 'line', label: 'Class A', color: '#000', width: 1.8 })
    .legendEntry({ kind: 'line', label: 'Class B', color: '#000', width: 1.8, dash: [6, 4] });
  const ep = linspace(1, 200, 200);
  const loss = ep.map((e) => 2 * Math.exp(-e / 30) + 0.05 + 0.01 * Math.abs(r.normal()));
  const val = ep.map((e) => 2.1 * Math.exp(-e / 30) + 0.06 + 0.015 * Math.abs(r.normal()));
  fig
    .panel(1, 0, { title: 'Training curve (log y)', xLabel: 'epoch', yLabel: 'loss − min', logY: true })
    .line(ep, loss, { color: COLORS.classA, label: 'train' })
    .line(ep, val, { color: COLORS.classB, label: 'validation' });
  const n = 3000;
  const xs = Float64Array.from({ length: n }, () => r.normal());
  const ys = xs.map((x) => 0.8 * x + 0.6 * r.normal());
  const dens = gridFromFunction(gauss2(0, 0, 1, 1, 0.8), [-3.5, 3.5], [-3.5, 3.5], 200, 200);
  fig
    .panel(1, 1, {
      title: 'Samples with exact density contours',
      xLabel: 'y₁',
      yLabel: 'y₂',
      aspect: 'equal',
      xRange: [-3.5, 3.5],
      yRange: [-3.5, 3.5],
      legend: 'inside',
    })
    .scatter(xs, ys, { color: COLORS.classA, alpha: 0.3, label: 'samples' })
    .contourLines(dens, levelsOf(dens), { color: '#000', width: 1.4, label: 'density (20–99 % mass)' });
  return fig.savePng(join(out, 'demo_lines.png'));
}

/** Draws every demo figure into outDir; returns the written paths. */
export function renderDemo(outDir: string): string[] {
  return [contourDemo(outDir), histDemo(outDir), heatmapDemo(outDir), quiverDemo(outDir), linesDemo(outDir)];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const t0 = Date.now();
  const paths = renderDemo(process.argv[2] ?? '/tmp/fnflow-plot-demo');
  console.log(`${paths.join('\n')}\n(${Date.now() - t0} ms)`);
}
