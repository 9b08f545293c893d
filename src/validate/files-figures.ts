/**
 * Data-versus-model marginal figures of `fnf validate-files` (no exact truth): per class and
 * feature, the held-out events' histogram (filled, class colour) against as many draws from the
 * flow at the same contexts (step), with a model/data ratio panel below, in the layout of the
 * val_*_1d_marginals figures. The subtitles give the χ²/ndf of marginals.ts for that class and
 * feature, the suptitle the one over both classes that held-out.md reports. Event weights enter
 * the data histogram; the ratio's error bars then treat Σw per bin as a count (a guide for the
 * eye, the χ² uses Σw² properly).
 */
import { autoRange, Figure, histogram1d, linspace, addHistogramStack, shareRatioRange } from '../plot/index.js';
import { marginalChi2 } from './marginals.js';
import { CLASSES } from '../analysis/classes.js';
import type { FigureSink } from './style.js';

/** The figure's size in pixels (the test checks the PNG against it). */
export const MARGINAL_FIGURE_SIZE = { width: 1300, height: 1050 } as const;

/** Bins of the drawn histograms (the χ² keeps its own equal-count bins). */
const DRAWN_BINS = 40;

export interface MarginalFigureInput {
  /** e.g. "kin_residual — shift_up.parquet, ν = (1, 0)" */
  title: string;
  /** Axis label per feature, e.g. X_LABEL. */
  labels: readonly string[];
  /** [n, F] rows: features first, then the context (whose first two columns are the one-hot class). */
  data: Float32Array;
  model: Float32Array;
  F: number;
  /** The data events' weights (model draws weigh 1). */
  weights?: Float64Array;
  /** χ²/ndf per feature over both classes (as in held-out.md). */
  chi2ndf: readonly number[];
}

/** Rows of class c (one-hot context at columns 2, 3), as a compact [m, F] array and their weights. */
function classRows(rows: Float32Array, F: number, c: number, weights?: Float64Array) {
  const n = rows.length / F;
  const keep: number[] = [];
  for (let i = 0; i < n; i++) if ((rows[i * F + 3] > 0.5 ? 1 : 0) === c) keep.push(i);
  const out = new Float32Array(keep.length * F);
  keep.forEach((i, k) => out.set(rows.subarray(i * F, i * F + F), k * F));
  return { rows: out, weights: weights ? Float64Array.from(keep, (i) => weights[i]) : undefined };
}

const column = (rows: Float32Array, F: number, d: number) =>
  Float64Array.from({ length: rows.length / F }, (_, i) => rows[i * F + d]);

/** Draws the figure and saves it through `sink` as `name`; returns the path written. */
export function figDataModelMarginals(sink: FigureSink, name: string, inp: MarginalFigureInput): string {
  const t0 = performance.now();
  const fig = new Figure({
    ...MARGINAL_FIGURE_SIZE,
    rows: 4,
    cols: 2,
    heightRatios: [3, 1.3, 3, 1.3],
    suptitle:
      `${inp.title} — held-out data vs model draws at the same contexts\n` +
      `χ²/ndf over both classes: ${inp.labels.map((l, d) => `${l} ${inp.chi2ndf[d].toFixed(2)}`).join(',  ')}`,
    legend: [
      { kind: 'patch', label: 'Held-out data (class colour)', color: '#888888', alpha: 0.35 },
      { kind: 'line', label: 'Model draws', color: '#333333', width: 2 },
      { kind: 'marker', label: 'M/D ratio ± Poisson error', color: '#333333', errorBar: true },
    ],
  });
  const stacks: ReturnType<typeof addHistogramStack>[] = [];
  for (const k of CLASSES) {
    const d = classRows(inp.data, inp.F, k.c, inp.weights);
    const m = classRows(inp.model, inp.F, k.c);
    for (let f = 0; f < inp.labels.length; f++) {
      const dv = column(d.rows, inp.F, f);
      const mv = column(m.rows, inp.F, f);
      const edges = linspace(...autoRange([dv, mv]), DRAWN_BINS + 1);
      const chi2 = d.rows.length >= 4 ? marginalChi2(d.rows, m.rows, inp.F, f, d.weights) : undefined;
      const stack = addHistogramStack(fig, 2 * k.c, f, {
        title: `${k.name} — ${inp.labels[f]}`,
        xLabel: inp.labels[f],
        ratioLabel: 'M/D',
        edges,
        truth: {
          counts: histogram1d(dv, edges, { weights: d.weights }).values,
          label: 'Data',
          color: k.color,
        },
        models: [{ counts: histogram1d(mv, edges).values, label: 'Model', color: k.color }],
        legend: 'none',
      });
      stacks.push(stack);
      if (chi2) stack.main.options.subtitle = `χ²/ndf = ${(chi2.chi2 / chi2.ndf).toFixed(2)} (ndf ${chi2.ndf})`;
    }
  }
  shareRatioRange(stacks);
  return sink.save(fig, name, t0);
}
