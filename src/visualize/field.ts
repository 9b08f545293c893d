/**
 * Displacement fields (figures.md §B.2, `residual_<tag>_field_nu{p,m}<m>.png`): arrows
 * Δ = T(p, ν) − p over the phase space for ν = ±m along each nuisance, over three exact
 * densities on a grid: the model at ν (class colour), the toy truth at ν (black) and the
 * model at ν = 0 (grey dashed). Contours enclose fixed probability masses of each density
 * (the same rule everywhere); no sample histograms, so no sampling noise (§C.1, §C.2).
 * Arrows are auto-scaled with a reference-length key and coloured on a range from 0 shared by
 * the row (§C.8); the window is fixed per subject, holds every truth density and is drawn
 * with equal aspect (§C.10).
 */
import { Figure, type Grid2D, type LegendEntry } from '../plot/index.js';
import { CLASSES, CLASS_INDICES, type ClassIndex } from '../analysis/classes.js';
import { gridPoints, gridShape, repeatRow, type GridSpec } from '../analysis/grid.js';
import { gridKl } from '../analysis/kl.js';
import { CONTOUR_PERCENTS, massLevels } from '../analysis/levels.js';
import { mapPoints, type Direction } from './jacobian.js';
import { featureName, nuisanceName, type Subject } from './subject.js';
import { formatG, formatSci, formatSigned } from './pure.js';
import { directionWords } from './response.js';

/** Density grid points per panel and arrows per panel (about). */
export const DENSITY_POINTS = 6500;
export const ARROW_POINTS = 320;

export interface FieldPanelData {
  nu: number[];
  model: Float64Array;
  truth: Float64Array | null;
  /** KL(truth ‖ model) on the grid, null without truth. */
  kl: number | null;
  u: Float64Array;
  v: Float64Array;
}

export interface FieldData {
  window: [number, number][];
  /** Density grid (values filled per layer). */
  grid: GridSpec;
  arrowGrid: GridSpec;
  /** Nominal model log density per class. */
  nominal: Float64Array[];
  /** [sign 0 = +, 1 = −][k][class] */
  panels: FieldPanelData[][][];
  mValue: number;
}

function nuVector(K: number, k: number, value: number): number[] {
  const nu = new Array<number>(K).fill(0);
  nu[k] = value;
  return nu;
}

/** Every density and arrow of both sign figures, in a few batched model calls. */
export function fieldData(
  s: Subject,
  mValue: number,
  direction: Direction,
  points: { density?: number; arrows?: number } = {},
): FieldData {
  const model = s.model;
  const K = model.numNuisances;
  const C = model.config.contextDim;
  const signs = [1, -1];
  const nus = signs.flatMap((sg) => Array.from({ length: K }, (_, k) => nuVector(K, k, sg * mValue)));
  const window = s.window(nus);
  const [xr, yr] = window;
  const [nx, ny] = gridShape(xr, yr, points.density ?? DENSITY_POINTS);
  const grid = { nx, ny, x0: xr[0], x1: xr[1], y0: yr[0], y1: yr[1] };
  const pts = gridPoints(grid);
  const G = nx * ny;
  // Arrow grid inset by half a spacing so no arrow starts on the frame.
  const [anx, any] = gridShape(xr, yr, points.arrows ?? ARROW_POINTS);
  const hx = (xr[1] - xr[0]) / anx / 2;
  const hy = (yr[1] - yr[0]) / any / 2;
  const arrowGrid = { nx: anx, ny: any, x0: xr[0] + hx, x1: xr[1] - hx, y0: yr[0] + hy, y1: yr[1] - hy };
  const apts = gridPoints(arrowGrid);
  const A = anx * any;

  const nominal = CLASS_INDICES.map((c) =>
    Float64Array.from(model.base.logProb(pts, { context: C ? repeatRow(s.context(c), G) : null })),
  );

  // One batched call per kind over all (sign, k, class) panels.
  const combos: { si: number; k: number; c: ClassIndex; nu: number[] }[] = [];
  signs.forEach((sg, si) => {
    for (let k = 0; k < K; k++)
      for (const c of CLASS_INDICES) combos.push({ si, k, c, nu: nuVector(K, k, sg * mValue) });
  });
  /** Per panel, `n` copies of one row (context, ν) of width w. */
  const perPanelRow = (n: number, w: number, rowOf: (cb: (typeof combos)[number]) => number[]) => {
    const out = new Float32Array(combos.length * n * w);
    combos.forEach((cb, j) => out.set(repeatRow(rowOf(cb), n), j * n * w));
    return out;
  };
  /** The same block of points for every panel. */
  const perPanelBlock = (block: Float32Array) => {
    const out = new Float32Array(combos.length * block.length);
    combos.forEach((_, j) => out.set(block, j * block.length));
    return out;
  };
  const modelLog = model.logProb(perPanelBlock(pts), {
    context: C ? perPanelRow(G, C, (cb) => s.context(cb.c)) : null,
    nu: perPanelRow(G, K, (cb) => cb.nu),
  });
  const allA = perPanelBlock(apts);
  const ctxA = C ? perPanelRow(A, C, (cb) => s.context(cb.c)) : null;
  const nuA = perPanelRow(A, K, (cb) => cb.nu);
  const moved = mapPoints(model, allA, ctxA, nuA, direction);

  const panels: FieldPanelData[][][] = signs.map(() => Array.from({ length: K }, () => [] as FieldPanelData[]));
  combos.forEach((cb, j) => {
    const m = Float64Array.from(modelLog.subarray(j * G, (j + 1) * G));
    const truth = s.truthLogDensity(pts, cb.c, cb.nu);
    const u = new Float64Array(A);
    const v = new Float64Array(A);
    for (let i = 0; i < A; i++) {
      u[i] = moved[(j * A + i) * 2] - apts[i * 2];
      v[i] = moved[(j * A + i) * 2 + 1] - apts[i * 2 + 1];
    }
    const kl = truth ? gridKl(expGrid(grid, truth), expGrid(grid, m), 'plane') : null;
    panels[cb.si][cb.k][cb.c] = { nu: cb.nu, model: m, truth, kl, u, v };
  });
  return { window, grid, arrowGrid, nominal, panels, mValue };
}

/** The density grid of log densities on `grid` (exp of each). */
function expGrid(grid: GridSpec, logd: Float64Array): Grid2D {
  return { ...grid, values: logd.map(Math.exp) };
}

/** File name of a field figure: residual_<tag>_field_nup1.png / _num1.png. */
export function fieldFileName(tag: string, sign: 1 | -1, mValue: number): string {
  return `residual_${tag}_field_nu${sign > 0 ? 'p' : 'm'}${formatG(mValue)}.png`;
}

export function fieldFigure(s: Subject, data: FieldData, signIndex: 0 | 1, direction: Direction): Figure {
  const K = data.panels[signIndex].length;
  const sym = s.symbol;
  const T = direction === 'forward' ? 'T' : 'T^{−1}';
  const carry =
    direction === 'forward'
      ? 'arrows carry the coloured (distorted) contours onto the grey (nominal) ones'
      : 'arrows carry the grey (nominal) contours onto the coloured (distorted) ones';
  const dens = (nu: string) => `${s.densityHead}, ${nu})`;
  const legend: LegendEntry[] = [
    { kind: 'line', label: `Model ${dens('ν')} — ${CLASSES[0].name}`, color: CLASSES[0].color, width: 4, alpha: 0.6 },
    { kind: 'line', label: `— ${CLASSES[1].name}`, color: CLASSES[1].color, width: 4, alpha: 0.6 },
    { kind: 'line', label: `Truth ${dens('ν')}  (generator)`, color: '#000000', width: 1.1 },
    { kind: 'line', label: `Nominal model ${dens('0')}`, color: '#808080', width: 1.3, dash: [5, 4] },
  ];
  const [xr, yr] = data.window;
  const fig = new Figure({
    width: 1400,
    height: 150 + 450 * K,
    rows: K,
    cols: 2,
    suptitle:
      `${s.name}${s.where} — displacement field  Δ${sym} = ${T}(${sym}, ν) − ${sym}  (${directionWords(direction)})\n` +
      `${carry};  contours enclose ${CONTOUR_PERCENTS} % of each exact density`,
    legend,
  });
  for (let k = 0; k < K; k++) {
    const row = data.panels[signIndex][k];
    let rowMax = 0;
    for (const p of row) for (let i = 0; i < p.u.length; i++) rowMax = Math.max(rowMax, Math.hypot(p.u[i], p.v[i]));
    for (const { c, name, color } of CLASSES) {
      const p = row[c];
      const panel = fig.panel(k, c, {
        title: `${name} — ${nuisanceName(k)} = ${formatSigned(p.nu[k])}`,
        subtitle:
          p.kl === null
            ? 'no template for this ν: truth not drawn'
            : `KL(truth ‖ model) = ${formatSci(p.kl)} nats on the plane`,
        xLabel: featureName(sym, 0),
        yLabel: featureName(sym, 1),
        aspect: 'equal',
        xRange: xr,
        yRange: yr,
        legend: 'none',
      });
      const nominal = expGrid(data.grid, data.nominal[c]);
      panel.contourLines(nominal, massLevels(nominal), { color: '#808080', dash: [5, 4], width: 1.2 });
      // The model wide and translucent under the thin black truth, so both stay visible where they agree.
      const model = expGrid(data.grid, p.model);
      panel.contourLines(model, massLevels(model), { color, width: 4, alpha: 0.6 });
      if (p.truth) {
        const truth = expGrid(data.grid, p.truth);
        panel.contourLines(truth, massLevels(truth), { color: '#000000', width: 1.1 });
      }
      panel.quiver(data.arrowGrid, p.u, p.v, {
        colorRange: [0, rowMax > 0 ? rowMax : 1],
        colorbar: `|Δ${sym}|`,
        keyLabel: (len) => `${len}`,
      });
    }
  }
  return fig;
}
