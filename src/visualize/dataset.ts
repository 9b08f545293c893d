/**
 * Figures of a dataset file (`fnf visualize-dataset`), the set of the reference's
 * visualize_dataset.py: x and y per class in 2-D and 1-D, y in slices of x₁, and the class
 * stack of the mixture, plus a printed summary. Only samples exist here (the file does not say
 * which generator made it), so densities are smoothed histograms; contours enclose fixed
 * fractions of the histogram mass, and the x₁ slices are class quantiles, so none is empty.
 */
import { join } from 'node:path';
import { readCheckpoint } from '../io/checkpoint.js';
import { toFloat32, type StateDict } from '../io/state-dict.js';
import {
  Figure,
  autoRange,
  gaussianFilter2d,
  histogram1d,
  histogram2d,
  linspace,
  percentileSorted,
  type Grid2D,
  type Panel,
  type ColorMapName,
} from '../plot/index.js';
import { CLASSES } from '../analysis/classes.js';
import { column as classColumn, interleavePairs, meanStd } from '../analysis/columns.js';
import { readColumns } from '../io/columns/index.js';
import { massLevels } from '../analysis/levels.js';
import { featureName } from './subject.js';

export interface Dataset {
  /** Class index per event (0 = A, 1 = B). */
  cls: Uint8Array;
  X: Float32Array;
  y: Float32Array;
  n: number;
}

/** Reads c (one-hot [n,2] or indices [n]), X [n,2], y [n,2] from a safetensors (or tensor-dict .pt) file. */
export function readDataset(path: string): Dataset {
  const dict: StateDict = readCheckpoint(path).dict;
  const get = (key: string) => {
    const t = dict.get(key);
    if (!t)
      throw new Error(
        `${path}: dataset has no tensor '${key}' (expected c, X, y; found ${[...dict.keys()].join(', ') || 'none'})`,
      );
    return t;
  };
  const c = get('c');
  const X = get('X');
  const y = get('y');
  const n = X.shape[0];
  for (const [name, t] of [
    ['X', X],
    ['y', y],
  ] as const) {
    if (t.shape.length !== 2 || t.shape[1] !== 2 || t.shape[0] !== n) {
      throw new Error(`${path}: tensor '${name}' has shape [${t.shape.join(', ')}], expected [${n}, 2]`);
    }
  }
  const cv = toFloat32(c);
  const cls = new Uint8Array(n);
  if (c.shape.length === 2 && c.shape[1] === 2 && c.shape[0] === n) {
    for (let i = 0; i < n; i++) cls[i] = cv[2 * i + 1] > cv[2 * i] ? 1 : 0;
  } else if (c.shape.length === 1 && c.shape[0] === n) {
    for (let i = 0; i < n; i++) cls[i] = cv[i] > 0.5 ? 1 : 0;
  } else {
    throw new Error(
      `${path}: tensor 'c' has shape [${c.shape.join(', ')}], expected one-hot [${n}, 2] or class indices [${n}]`,
    );
  }
  return { cls, X: toFloat32(X), y: toFloat32(y), n };
}

/**
 * The events of a column file of `fnf generate-dataset --format parquet|npz|csv` (or a user's file
 * with the same columns, any format src/io/columns reads): x1, x2, y1, y2 and label (0 = class A,
 * 1 = class B).
 */
export async function readDatasetColumns(path: string): Promise<Dataset> {
  const d = await readColumns(path, { x1: 'float32', x2: 'float32', y1: 'float32', y2: 'float32', label: 'int32' });
  const { x1, x2, y1, y2, label } = d.columns;
  const cls = new Uint8Array(d.rows);
  for (let i = 0; i < d.rows; i++) {
    if (label[i] !== 0 && label[i] !== 1) {
      throw new Error(`${path}: column 'label' has ${label[i]} at row ${i}, expected 0 (class A) or 1 (class B)`);
    }
    cls[i] = label[i];
  }
  return { cls, X: interleavePairs(x1, x2), y: interleavePairs(y1, y2), n: d.rows };
}

/** Column d of the events of class c (all classes when c is null), optionally filtered. */
export function column(
  ds: Dataset,
  arr: Float32Array,
  d: number,
  c: 0 | 1 | null,
  keep?: (i: number) => boolean,
): Float64Array {
  return c === null ? classColumn(arr, 2, d, undefined, undefined, keep) : classColumn(arr, 2, d, ds.cls, c, keep);
}

const mean = (a: Float64Array) => meanStd(a).mean;
const std = (a: Float64Array) => meanStd(a).std;

/** The printed summary (counts, ranges, per-class moments). */
export function datasetSummary(ds: Dataset): string {
  const nB = ds.cls.reduce((s, v) => s + v, 0);
  const nA = ds.n - nB;
  const pct = (k: number) => ((100 * k) / ds.n).toFixed(2);
  const f = (v: number) => `${v >= 0 ? '+' : ''}${v.toFixed(3)}`;
  const lines = [`N total = ${ds.n}`, `N class A = ${nA} (${pct(nA)} %)`, `N class B = ${nB} (${pct(nB)} %)`];
  for (const [name, arr] of [
    ['x', ds.X],
    ['y', ds.y],
  ] as const) {
    const r = [0, 1].map((d) => {
      // a loop, not Math.min(...col): spreading a million values overflowed the call stack
      let lo = Infinity,
        hi = -Infinity;
      for (const v of column(ds, arr, d, null)) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      return `${name}${d + 1} [${f(lo)}, ${f(hi)}]`;
    });
    lines.push(`range ${r.join('   ')}`);
  }
  for (const c of [0, 1] as const) {
    const mx = [0, 1].map((d) => column(ds, ds.X, d, c));
    const my = [0, 1].map((d) => column(ds, ds.y, d, c));
    lines.push(
      `${CLASSES[c].name}: <x> = (${mx.map((a) => f(mean(a))).join(', ')})` +
        `, σ(x) = (${mx.map((a) => std(a).toFixed(3)).join(', ')})` +
        `, <y> = (${my.map((a) => f(mean(a))).join(', ')})`,
    );
  }
  return lines.join('\n');
}

/** Smoothed density histogram of (a, b) on a bins × bins grid over the window. */
function smoothedDensity(
  a: Float64Array,
  b: Float64Array,
  xr: [number, number],
  yr: [number, number],
  bins: number,
  sigma: number,
): Grid2D {
  const h = histogram2d(a, b, linspace(xr[0], xr[1], bins + 1), linspace(yr[0], yr[1], bins + 1), { density: true });
  return { ...h, values: gaussianFilter2d(h.values, h.nx, h.ny, sigma) };
}

/** The contour rule on a smoothed histogram, its masses of the histogram's sum. */
const levels = (g: Grid2D) => massLevels(g, { normalize: true });

/**
 * Filled contours of a smoothed histogram, or a note when it holds no events: a user's file with
 * one class only (or none in the window) has nothing to draw, and the contour rule refuses an
 * empty field, which crashed the command with an internal error.
 */
function contoursOrNote(p: Panel, g: Grid2D, cmap: ColorMapName, empty: string): void {
  if (Array.prototype.some.call(g.values, (v: number) => v > 0)) p.contourFill(g, levels(g), { cmap, alpha: 0.8 });
  else p.note(empty, 'upper left');
}

/** "no events of class B in this file", for the panels of a class the file lacks. */
const noEventsOf = (c: 0 | 1) => `no events of ${CLASSES[c].name} in this file`;

function window2d(ds: Dataset, arr: Float32Array): [[number, number], [number, number]] {
  return [
    autoRange(column(ds, arr, 0, null), { lo: 0.001, hi: 0.999, pad: 0.1 }),
    autoRange(column(ds, arr, 1, null), { lo: 0.001, hi: 0.999, pad: 0.1 }),
  ];
}

function density2dFigure(ds: Dataset, arr: Float32Array, sym: string, name: string, title: string): Figure {
  const [xr, yr] = window2d(ds, arr);
  const fig = new Figure({
    width: 1300,
    height: 640,
    cols: 2,
    suptitle: `${title}  (smoothed histogram; contours enclose 20/50/80/95 % of the events)`,
  });
  for (const c of [0, 1] as const) {
    const g = smoothedDensity(column(ds, arr, 0, c), column(ds, arr, 1, c), xr, yr, 80, 1.2);
    const p = fig.panel(0, c, {
      title: `${CLASSES[c].name} — ${name}`,
      xLabel: featureName(sym, 0),
      yLabel: featureName(sym, 1),
      aspect: 'equal',
      xRange: xr,
      yRange: yr,
    });
    contoursOrNote(p, g, CLASSES[c].cmap, noEventsOf(c));
  }
  return fig;
}

function marginalsFigure(ds: Dataset, arr: Float32Array, sym: string, title: string): Figure {
  const fig = new Figure({ width: 1200, height: 820, rows: 2, cols: 2, suptitle: title });
  for (let d = 0; d < 2; d++) {
    const edges = linspace(...autoRange(column(ds, arr, d, null), { lo: 0.001, hi: 0.999, pad: 0.1 }), 61);
    for (const c of [0, 1] as const) {
      const values = column(ds, arr, d, c);
      const p = fig.panel(c, d, {
        title: `${CLASSES[c].name} — ${featureName(sym, d)}`,
        xLabel: featureName(sym, d),
        yLabel: 'density',
        legend: 'none',
      });
      if (values.length === 0) p.note(noEventsOf(c), 'upper left');
      else
        p.hist(edges, histogram1d(values, edges, { density: true }).values, {
          color: CLASSES[c].color,
          filled: true,
          fillAlpha: 0.45,
          width: 1.5,
        });
    }
  }
  return fig;
}

/** y in four x₁ slices per class (class quantiles, so every slice holds a quarter of the class), |x₂| < 0.5. */
function yBinnedFigure(ds: Dataset): Figure {
  const [xr, yr] = window2d(ds, ds.y);
  const central = (i: number) => Math.abs(ds.X[2 * i + 1]) < 0.5;
  const fig = new Figure({
    width: 1600,
    height: 900,
    rows: 2,
    cols: 4,
    suptitle: 'Dataset — p(y | x₁, c) in x₁ slices with |x₂| < 0.5  (slices: class quartiles of x₁)',
  });
  for (const c of [0, 1] as const) {
    const x1 = column(ds, ds.X, 0, c, central).sort();
    if (x1.length === 0) {
      // No slices to cut (a class the file lacks, or x₂ on another scale than the toy's).
      for (let b = 0; b < 4; b++) {
        fig
          .panel(c, b, { title: CLASSES[c].name, xLabel: 'y₁', yLabel: 'y₂', aspect: 'equal', xRange: xr, yRange: yr })
          .note(`no events of ${CLASSES[c].name} with |x₂| < 0.5`, 'upper left');
      }
      continue;
    }
    const edges = [0, 0.25, 0.5, 0.75, 1].map((q) => percentileSorted(x1, q));
    for (let b = 0; b < 4; b++) {
      const inSlice = (i: number) =>
        central(i) && ds.X[2 * i] >= edges[b] && (b === 3 ? ds.X[2 * i] <= edges[b + 1] : ds.X[2 * i] < edges[b + 1]);
      const a0 = column(ds, ds.y, 0, c, inSlice);
      const a1 = column(ds, ds.y, 1, c, inSlice);
      const p = fig.panel(c, b, {
        title: `${CLASSES[c].name}  x₁ ∈ [${edges[b].toFixed(2)}, ${edges[b + 1].toFixed(2)}]`,
        subtitle: `${a0.length} events`,
        xLabel: 'y₁',
        yLabel: 'y₂',
        aspect: 'equal',
        xRange: xr,
        yRange: yr,
      });
      if (a0.length >= 50) {
        contoursOrNote(p, smoothedDensity(a0, a1, xr, yr, 40, 1.5), CLASSES[c].cmap, 'no events in the window');
      } else {
        p.note(`only ${a0.length} events`, 'upper left');
      }
    }
  }
  return fig;
}

function stackedFigure(ds: Dataset, arr: Float32Array, sym: string, title: string): Figure {
  const fig = new Figure({ width: 1300, height: 560, cols: 2, suptitle: title });
  for (let d = 0; d < 2; d++) {
    const edges = linspace(...autoRange(column(ds, arr, d, null), { lo: 0.001, hi: 0.999, pad: 0.1 }), 61);
    const a = histogram1d(column(ds, arr, d, 0), edges).values;
    const b = histogram1d(column(ds, arr, d, 1), edges).values;
    const total = a.map((v, i) => v + b[i]);
    const nA = ds.cls.length - ds.cls.reduce((s, v) => s + v, 0);
    fig
      .panel(0, d, { title: `Stacked — ${featureName(sym, d)}`, xLabel: featureName(sym, d), yLabel: 'events / bin' })
      .hist(edges, total, {
        color: CLASSES[1].color,
        filled: true,
        fillAlpha: 1,
        width: 1,
        label: `${CLASSES[1].name} (${ds.n - nA})`,
      })
      .hist(edges, a, {
        color: CLASSES[0].color,
        filled: true,
        fillAlpha: 1,
        width: 1,
        label: `${CLASSES[0].name} (${nA})`,
      });
  }
  return fig;
}

/** Writes the seven dataset figures; returns their paths. */
export function renderDataset(ds: Dataset, outDir: string): string[] {
  const figs: [Figure, string][] = [
    [density2dFigure(ds, ds.X, 'x', 'p(x | c)', 'Dataset — x per class'), 'ds_x_2d'],
    [marginalsFigure(ds, ds.X, 'x', 'Dataset — x marginals per class'), 'ds_x_1d'],
    [density2dFigure(ds, ds.y, 'y', 'p(y | c)', 'Dataset — y per class'), 'ds_y_2d'],
    [marginalsFigure(ds, ds.y, 'y', 'Dataset — y marginals per class'), 'ds_y_1d'],
    [yBinnedFigure(ds), 'ds_y_xbinned'],
    [stackedFigure(ds, ds.X, 'x', 'Dataset — x mixture, stacked by class (A below B)'), 'ds_stacked_x'],
    [stackedFigure(ds, ds.y, 'y', 'Dataset — y mixture, stacked by class (A below B)'), 'ds_stacked_y'],
  ];
  return figs.map(([f, name]) => f.savePng(join(outDir, `${name}.png`)));
}
