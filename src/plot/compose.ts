/**
 * Ready-made panel combinations the validation figures repeat: a histogram comparison (truth
 * filled, models as steps) over a ratio panel sharing x.
 */
import { COLORS } from './colors.js';
import type { Figure } from './figure.js';
import { ratioWithErrors, ratioYRange, type RatioPoints } from './histogram.js';
import type { Numbers } from './grid.js';
import type { Panel, PanelOptions, Range } from './panel.js';

export interface HistComparisonSpec {
  edges: Numbers;
  /** Raw counts per bin (errors come from them); `exact`: truth integrated from a density (no noise). */
  truth: { counts: Numbers; label?: string; color?: string; exact?: boolean };
  models: { counts: Numbers; label?: string; color?: string; dash?: number[] }[];
  /** Draw densities (counts / (N·width)) rather than counts. Default true. */
  density?: boolean;
  /** Fixed ratio y-range; default ratioYRange over all model ratios. */
  ratioRange?: Range;
  /** Half-width of the grey band around 1 (default 0.1; 0 = none). */
  band?: number;
}

export interface HistComparisonResult {
  ratios: RatioPoints[];
  ratioRange: Range;
}

function toDensity(counts: Numbers, edges: Numbers): Float64Array {
  let n = 0;
  for (let i = 0; i < counts.length; i++) n += counts[i];
  const out = new Float64Array(counts.length);
  for (let i = 0; i < counts.length; i++) out[i] = n > 0 ? counts[i] / (n * (edges[i + 1] - edges[i])) : 0;
  return out;
}

/**
 * Fills `main` (histograms) and `ratio` (model/truth per bin with errors, y = 1 line, ±band,
 * clipped points marked) and aligns them: same x-range, main without x tick labels.
 */
export function histogramComparison(main: Panel, ratio: Panel, spec: HistComparisonSpec): HistComparisonResult {
  const e = spec.edges;
  const nb = e.length - 1;
  const check = (c: Numbers, what: string) => {
    if (c.length !== nb)
      throw new Error(`plot/compose histogramComparison: ${what} has ${c.length} bins, edges give ${nb}`);
  };
  check(spec.truth.counts, 'truth.counts');
  spec.models.forEach((m, i) => check(m.counts, `models[${i}].counts`));
  const density = spec.density ?? true;
  const shown = (c: Numbers) => (density ? toDensity(c, e) : Float64Array.from(c as ArrayLike<number>));
  const tColor = spec.truth.color ?? COLORS.truth;
  main.hist(e, shown(spec.truth.counts), {
    filled: true,
    color: tColor,
    label: spec.truth.label ?? 'Truth',
    fillAlpha: 0.35,
  });
  const centres = Array.from({ length: nb }, (_, i) => (e[i] + e[i + 1]) / 2);
  const ratios: RatioPoints[] = [];
  for (const m of spec.models) {
    main.hist(e, shown(m.counts), {
      color: m.color ?? COLORS.model,
      label: m.label ?? 'Model',
      width: 2,
      dash: m.dash,
    });
    ratios.push(ratioWithErrors(m.counts, spec.truth.counts, { denExact: spec.truth.exact }));
  }
  const all = ratios.flatMap((r) => Array.from(r.ratio));
  const errs = ratios.flatMap((r) => Array.from(r.err));
  const range = spec.ratioRange ?? ratioYRange(all, { errors: errs });
  const band = spec.band ?? 0.1;
  if (band > 0) ratio.hspan(1 - band, 1 + band, { color: '#808080', alpha: 0.15 });
  ratio.hline(1, { color: '#555555', dash: [5, 4], width: 1.2 });
  spec.models.forEach((m, i) => {
    const offset =
      spec.models.length > 1 ? ((i - (spec.models.length - 1) / 2) * (e[1] - e[0])) / (2.5 * spec.models.length) : 0;
    ratio.errorbar(
      centres.map((c) => c + offset),
      ratios[i].ratio,
      ratios[i].err,
      { color: m.color ?? COLORS.model, marker: 2.5 },
    );
  });
  const xr: Range = [e[0], e[nb]];
  main.options.xRange = xr;
  main.options.hideXTickLabels = true;
  ratio.options.xRange = xr;
  ratio.options.yRange = range;
  ratio.options.grid = ratio.options.grid ?? true;
  return { ratios, ratioRange: range };
}

/**
 * One y-range for the ratio panels of a figure: the widest of the ranges each panel chose for
 * itself, set on all of them, so a ratio reads the same in every panel (a ±25 % swing must not
 * look like a ±20 % one next to it). Returns it; null for no panels.
 */
export function shareRatioRange(stacks: readonly { ratio: Panel; ratioRange: Range }[]): Range | null {
  if (stacks.length === 0) return null;
  const lo = Math.min(...stacks.map((s) => s.ratioRange[0]));
  const hi = Math.max(...stacks.map((s) => s.ratioRange[1]));
  const shared: Range = [lo, hi];
  for (const s of stacks) {
    s.ratio.options.yRange = shared;
    s.ratioRange = shared;
  }
  return shared;
}

export interface HistStackOptions extends HistComparisonSpec {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  ratioLabel?: string;
  legend?: PanelOptions['legend'];
}

/**
 * Creates the main panel at (row, col) and the ratio panel at (row + 1, col) and fills them;
 * use heightRatios like [3, 1] for the two rows.
 */
export function addHistogramStack(
  fig: Figure,
  row: number,
  col: number,
  o: HistStackOptions,
): HistComparisonResult & { main: Panel; ratio: Panel } {
  const main = fig.panel(row, col, {
    title: o.title,
    yLabel: o.yLabel ?? (o.density === false ? 'counts' : 'density'),
    legend: o.legend,
  });
  const ratio = fig.panel(row + 1, col, { xLabel: o.xLabel, yLabel: o.ratioLabel ?? 'M/T', bottomGap: 6 });
  return { main, ratio, ...histogramComparison(main, ratio, o) };
}
