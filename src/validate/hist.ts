/**
 * 1-D comparisons: model sample histograms against the truth integrated over each bin
 * (figures.md §C.12): exact Gaussian bin masses for x | c, and for y the conditional Gaussian
 * masses averaged over the events' x (Rao–Blackwellised: no y-sampling noise in the truth, so
 * the ratio's error bar is the model's Poisson error alone).
 */
import {
  COLORS,
  addHistogramStack,
  histogram1d,
  type Figure,
  type HistStackOptions,
  type Panel,
  type Range,
} from '../plot/index.js';
import { yParamsBatch, type GeneratorConfig } from '../toy/index.js';
import { addGaussianBinMass } from './stats.js';
import { nuText } from './style.js';
import type { ClassStyle } from '../analysis/classes.js';

/** Expected counts N·P(bin) of N(mean, sd²). */
export function gaussianBinCounts(edges: ArrayLike<number>, mean: number, sd: number, N: number): Float64Array {
  const out = new Float64Array(edges.length - 1);
  addGaussianBinMass(out, edges, mean, sd, N);
  return out;
}

/**
 * Expected counts of y_d over the given events: N · mean_i P(bin | x_i, c_i) with the truth's
 * Gaussian p(y | x, c) at `cfg` (events of class `c` only, N = their number unless given).
 */
export function conditionalBinCounts(
  edges: ArrayLike<number>,
  x: ArrayLike<number>,
  classes: ArrayLike<number>,
  c: number,
  cfg: Readonly<GeneratorConfig>,
  d: 0 | 1,
  N?: number,
): Float64Array {
  const p = yParamsBatch(x, classes, cfg);
  const out = new Float64Array(edges.length - 1);
  let m = 0;
  for (let i = 0; i < classes.length; i++) {
    if (classes[i] !== c) continue;
    addGaussianBinMass(out, edges, p.mu[2 * i + d], d === 0 ? p.sigma0[i] : p.sigma1[i]);
    m++;
  }
  const scale = m > 0 ? (N ?? m) / m : 0;
  for (let k = 0; k < out.length; k++) out[k] *= scale;
  return out;
}

export interface StackSpec {
  edges: number[];
  truth: Float64Array;
  truthLabel: string;
  truthColor: string;
  model: ArrayLike<number>;
  modelLabel: string;
  modelColor: string;
  /** Extra reference histogram (expected counts), drawn dashed. */
  reference?: { counts: Float64Array; label: string; color: string };
  title: string;
  xLabel: string;
}

/**
 * A main + ratio stack at (row, col), (row + 1, col): exact truth filled, model step, ratio
 * model/truth. Returns the ratio panel and its range, for shareRatioRange across a figure.
 */
export function addExactStack(
  fig: Figure,
  row: number,
  col: number,
  s: StackSpec,
): { ratio: Panel; ratioRange: Range } {
  const model = histogram1d(s.model, s.edges).values;
  const o: HistStackOptions = {
    title: s.title,
    xLabel: s.xLabel,
    edges: s.edges,
    truth: { counts: s.truth, label: s.truthLabel, color: s.truthColor, exact: true },
    models: [{ counts: model, label: s.modelLabel, color: s.modelColor }],
    legend: 'none',
  };
  const { main, ratio, ratioRange } = addHistogramStack(fig, row, col, o);
  if (s.reference) {
    const r = s.reference;
    let tot = 0;
    for (let k = 0; k < r.counts.length; k++) tot += r.counts[k];
    const dens = Float64Array.from(r.counts, (v, k) => (tot > 0 ? v / (tot * (s.edges[k + 1] - s.edges[k])) : 0));
    main.hist(s.edges, dens, { color: r.color, dash: [5, 4], width: 1.3, label: r.label });
  }
  return { ratio, ratioRange };
}

/** Where a template's stack goes: template row `row`, class `cls`, dimension `d` (its axis label). */
export interface TemplateStackPlace {
  template: { name: string; m: readonly number[] };
  row: number;
  cls: ClassStyle;
  d: number;
  axis: string;
}

/**
 * A template's stack in the residual models' 1-D closure figures: the truth at the template
 * (filled) against the model at the template's ν, with the nominal truth dashed in the class
 * colour; rows by template, columns by class then dimension, as both sectors lay them out.
 */
export function addTemplateStack(
  fig: Figure,
  at: TemplateStackPlace,
  s: { edges: number[]; truth: Float64Array; nominal: Float64Array; model: ArrayLike<number> },
): { ratio: Panel; ratioRange: Range } {
  return addExactStack(fig, 2 * at.row, 2 * at.cls.c + at.d, {
    edges: s.edges,
    truth: s.truth,
    truthLabel: 'Truth',
    truthColor: COLORS.truth,
    model: s.model,
    modelLabel: 'Model',
    modelColor: COLORS.model,
    reference: { counts: s.nominal, label: 'Nominal', color: at.cls.color },
    title: `${at.template.name}, ${nuText(at.template.m)} — ${at.cls.name}, ${at.axis}`,
    xLabel: at.axis,
  });
}
