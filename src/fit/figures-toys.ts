/**
 * Toy-study figures: toys_pulls.png, the pull distribution of every model (rows) and parameter
 * (columns) with the unit Gaussian and the Gaussian of the fitted mean and width; toys_coverage.png,
 * the observed coverage of the 68.27 % and 95 % intervals per model and parameter (binomial error
 * bars) with the band ±2√(p(1 − p)/N) around the nominal value.
 */
import { Figure, type LegendEntry } from '../plot/index.js';
import { trueValues, type ToyFile, type ToyFitRecord } from './toys.js';
import { MODEL_COLORS, paramLabel, savePng } from './figure-style.js';

const COVERAGE_BAND_TEXT = '±2√(p(1 − p)/N) around the nominal p';

const gauss = (x: number, m: number, s: number) => Math.exp(-0.5 * ((x - m) / s) ** 2) / (s * Math.sqrt(2 * Math.PI));

export function toyFigures(dir: string, f: ToyFile): string[] {
  if (!f.summary) return [];
  const out: string[] = [];
  const models = f.meta.models;
  const names = Object.values(f.summary.models)[0]?.parameters.map((p) => p.name) ?? [];
  const truths = trueValues(names, f.meta);
  const edges = Array.from({ length: 25 }, (_, i) => -4 + (8 * i) / 24);
  const xs = Array.from({ length: 161 }, (_, i) => -4 + i * 0.05);
  const legend: LegendEntry[] = [
    { kind: 'line', label: 'unit Gaussian', color: '#888888', dash: [6, 4], width: 1.5 },
    { kind: 'line', label: 'Gaussian of the fitted pull mean and width', color: '#2ca02c', width: 2 },
  ];
  const fig = new Figure({
    width: 480 * names.length,
    height: 320 * models.length + 110,
    rows: models.length,
    cols: names.length,
    legend,
    suptitle:
      `Pulls (θ̂ − θ_true)/σ̂_HESSE over ${f.meta.n_toys} toys × ${f.meta.events} events at ` +
      `μ = ${f.meta.truth.mu}, ν = (${f.meta.truth.nu.join(', ')}), valid fits only` +
      (f.meta.generator === 'flow' ? '; pseudo-data from the flow model' : ''),
  });
  models.forEach((m, r) => {
    const ms = f.summary!.models[m];
    names.forEach((name, j) => {
      const pulls: number[] = [];
      for (const t of f.toys) {
        const fit = t.fits[m] as ToyFitRecord | { failed: string } | undefined;
        if (!fit || 'failed' in fit || !fit.valid || !(fit.errors[j] > 0)) continue;
        pulls.push((fit.values[j] - truths[j]) / fit.errors[j]);
      }
      const counts = new Float64Array(edges.length - 1);
      const w = edges[1] - edges[0];
      for (const p of pulls) {
        const b = Math.floor((p - edges[0]) / w);
        if (b >= 0 && b < counts.length) counts[b]++;
      }
      const dens = Array.from(counts, (c) => c / Math.max(1, pulls.length) / w);
      const ps = ms.parameters[j];
      const p = fig.panel(r, j, {
        title: `${m}: ${paramLabel(name)}`,
        xLabel: `pull of ${paramLabel(name)}`,
        yLabel: 'density',
        legend: 'none',
        xRange: [-4, 4],
      });
      p.hist(edges, dens, { color: MODEL_COLORS[m] ?? '#444444', filled: true, fillAlpha: 0.35 });
      p.line(
        xs,
        xs.map((x) => gauss(x, 0, 1)),
        { color: '#888888', dash: [6, 4], width: 1.5 },
      );
      if (Number.isFinite(ps.pull_width) && ps.pull_width > 0) {
        p.line(
          xs,
          xs.map((x) => gauss(x, ps.pull_mean, ps.pull_width)),
          { color: '#2ca02c', width: 2 },
        );
      }
      p.note(
        `mean ${ps.pull_mean.toFixed(3)} ± ${ps.pull_mean_err.toFixed(3)}\n` +
          `width ${ps.pull_width.toFixed(3)} ± ${ps.pull_width_err.toFixed(3)}\nN = ${ps.n}` +
          (ps.single_event
            ? `\n${ps.single_event} on one event;\nwidth without ${(ps.pull_width_others ?? NaN).toFixed(3)}`
            : ''),
        'upper right',
      );
    });
  });
  out.push(savePng(dir, 'toys_pulls.png', fig));

  const cf = new Figure({
    width: 1100,
    height: 520,
    cols: 2,
    legend: models.map((m): LegendEntry => ({ kind: 'marker', label: m, color: MODEL_COLORS[m] ?? '#444444' })),
    suptitle: `Coverage of θ̂ ± zσ̂ (${f.meta.n_toys} toys; bars ±√(p̂(1 − p̂)/N), grey ${COVERAGE_BAND_TEXT})`,
  });
  (['coverage_68', 'coverage_95'] as const).forEach((key, col) => {
    const nominal = key === 'coverage_68' ? 0.6827 : 0.95;
    const p = cf.panel(0, col, {
      title: key === 'coverage_68' ? '68.27 % intervals (±1σ̂)' : '95 % intervals (±1.96σ̂)',
      yLabel: 'observed coverage',
      legend: 'none',
      xRange: [-0.5, names.length - 0.5],
      xCategories: names.map(paramLabel),
      yRange: [Math.max(0, nominal - 0.3), Math.min(1.02, nominal + 0.2)],
    });
    // The band of the first model's first parameter: every one has about the same N (its valid fits).
    const band0 = f.summary!.models[models[0]].parameters[0]?.[key].band;
    if (band0) p.hspan(band0[0], band0[1], { color: '#808080', alpha: 0.18 });
    p.hline(nominal, { color: '#555555', width: 1.5 });
    models.forEach((m, mi) => {
      const ps = f.summary!.models[m].parameters;
      const x = ps.map((_, j) => j + (mi - (models.length - 1) / 2) * 0.15);
      const y = ps.map((q) => q[key].observed);
      const err = ps.map((q) => Math.sqrt((q[key].observed * (1 - q[key].observed)) / Math.max(1, q.n)));
      p.errorbar(x, y, err, { color: MODEL_COLORS[m] ?? '#444444', marker: 5 });
    });
  });
  out.push(savePng(dir, 'toys_coverage.png', cf));
  return out;
}
