/**
 * Scan figures: fit_profile_mu.png, −2 ln λ(μ) of every model side by side with the 1σ and 2σ
 * lines (−2 ln λ = 1, 4) and the CLs limits in the legend; fit_contours.png, the 68 % and 95 %
 * contours (−2 ln λ = 2.30, 5.99) of each model in (μ, ν_k), one panel per nuisance.
 */
import { Figure, upsampleGrid, type LegendEntry } from '../plot/index.js';
import type { ModelScan } from './scan.js';
import type { TruthPoint } from './truth-spec.js';
import { MODEL_COLORS, MODEL_DASH, paramLabel, savePng } from './figure-style.js';

/** The profile figure's highest −2 ln λ shown (5σ is 25). */
const T_MAX = 25;

/** The files scanFigures may write (the contours only with a 2-D scan); `fnf scan` checks them first. */
export const SCAN_FIGURE_FILES = ['fit_profile_mu.png', 'fit_contours.png'] as const;

export function scanFigures(dir: string, scans: ModelScan[], truth?: TruthPoint): string[] {
  const out: string[] = [];
  const legend: LegendEntry[] = scans.map((s) => ({
    kind: 'line',
    label:
      `${s.model}: μ̂ = ${s.muHat.toFixed(3)}, 95 % CLs μ < ${s.upper_limit_95.toFixed(3)} ` +
      `(exp. ${s.expected_limit_95.median.toFixed(3)})`,
    color: MODEL_COLORS[s.model],
    dash: MODEL_DASH[s.model],
    width: 2,
  }));
  if (truth)
    legend.push({ kind: 'line', label: `toy truth μ = ${truth.mu}`, color: '#2ca02c', dash: [2, 2], width: 1 });
  const fig = new Figure({
    width: 1000,
    height: 640,
    legend,
    suptitle:
      'Profile likelihood of μ (nuisances re-minimized at each point)' + (truth ? ` — toy at μ = ${truth.mu}` : ''),
  });
  const p = fig.panel(0, 0, { xLabel: 'μ', yLabel: '−2 ln λ(μ)', legend: 'none' });
  // Capped at T_MAX so the region of the intervals stays readable; the note says when points lie above.
  let top = 0;
  let above = false;
  for (const s of scans)
    for (const v of s.profile.t_mu) {
      top = Math.max(top, Math.min(v, T_MAX));
      above ||= v > T_MAX;
    }
  p.options.yRange = [0, Math.max(5, top)];
  p.hline(1, { color: '#888888', dash: [3, 3], width: 1 }).hline(4, { color: '#888888', dash: [3, 3], width: 1 });
  const offScale = above ? `; points above ${T_MAX} are off the scale` : '';
  p.note(`dashed grey: 1σ (−2 ln λ = 1) and 2σ (= 4)${offScale}`, 'upper right');
  if (truth) p.vline(truth.mu, { color: '#2ca02c', dash: [2, 2], width: 1 });
  for (const s of scans) {
    p.line(
      s.profile.mu,
      s.profile.t_mu.map((v) => Math.min(v, 1e3)),
      {
        color: MODEL_COLORS[s.model],
        dash: MODEL_DASH[s.model],
        width: 2,
        marker: 2.5,
      },
    );
  }
  out.push(savePng(dir, SCAN_FIGURE_FILES[0], fig));

  const withContours = scans.filter((s) => s.contours.length > 0);
  if (withContours.length > 0) {
    const K = withContours[0].contours.length;
    const cf = new Figure({
      width: 700 * K,
      height: 680,
      cols: K,
      legend: [
        ...withContours.map((s): LegendEntry => ({
          kind: 'line',
          label: s.model,
          color: MODEL_COLORS[s.model],
          width: 2,
        })),
        { kind: 'line', label: '68 % (solid), 95 % (dashed)', color: '#555555', width: 1 },
        ...(truth ? [{ kind: 'marker' as const, label: 'toy truth', color: '#2ca02c' }] : []),
      ],
      suptitle: 'Profile likelihood contours in (μ, ν_{k}), the other nuisance re-minimized: −2 ln λ = 2.30 and 5.99',
    });
    for (let k = 0; k < K; k++) {
      const c0 = withContours[0].contours[k];
      // The frame holds every model's μ grid, and in ν the grids of the models that depend on ν: the
      // base model's ν is held only by its constraint, a contour tens of times wider that would
      // flatten the others to lines (it is drawn clipped, and a note says so).
      const nuModels = withContours.filter((s) => s.model !== 'base');
      const span = (xs: number[][]) => [Math.min(...xs.map((a) => a[0])), Math.max(...xs.map((a) => a[a.length - 1]))];
      const xRange = span(withContours.map((s) => s.contours[k].mu)) as [number, number];
      const yRange = span((nuModels.length > 0 ? nuModels : withContours).map((s) => s.contours[k].nu)) as [
        number,
        number,
      ];
      const panel = cf.panel(0, k, { xLabel: 'μ', yLabel: paramLabel(c0.parameter), legend: 'none', xRange, yRange });
      if (nuModels.length > 0 && nuModels.length < withContours.length) {
        panel.note('base: ν held by its constraint alone (its contours reach beyond the frame)', 'lower right');
      }
      for (const s of withContours) {
        const c = s.contours[k];
        const grid = {
          nx: c.mu.length,
          ny: c.nu.length,
          x0: c.mu[0],
          x1: c.mu[c.mu.length - 1],
          y0: c.nu[0],
          y1: c.nu[c.nu.length - 1],
          values: Float64Array.from({ length: c.mu.length * c.nu.length }, (_, idx) => {
            const ix = idx % c.mu.length;
            const iy = Math.floor(idx / c.mu.length);
            return c.two_delta_nll[ix][iy];
          }),
        };
        // The profile is computed on a coarse grid (one minimization per point); the contour is
        // traced through a 6× finer cubic interpolation of it, not as a polygon through the points.
        const fine = upsampleGrid(grid, 6);
        panel.contourLines(fine, [2.3], { color: MODEL_COLORS[s.model], width: 2 });
        panel.contourLines(fine, [5.99], { color: MODEL_COLORS[s.model], width: 1.5, dash: [6, 4] });
      }
      if (truth) panel.scatter([truth.mu], [truth.nu[k]], { color: '#2ca02c', radius: 6, alpha: 1 });
    }
    out.push(savePng(dir, SCAN_FIGURE_FILES[1], cf));
  }
  return out;
}
