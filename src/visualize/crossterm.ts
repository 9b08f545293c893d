/**
 * Nuisance cross-term maps (figures.md §B.3, `residual_<tag>_crossterm_<dim>_class<A|B>.png`):
 * over the (ν_shift, ν_squeeze) plane at one probe point, the log-scale ln ∂T_d/∂p_d and the
 * shift Δ_d, each split into full, additive (F(ν_s, 0) + F(0, ν_q) − F(0, 0)) and cross =
 * full − additive. With the autodiff Jacobian the log-scale of an exactly additive stack is
 * additive to float32 rounding, not to finite-difference noise; the cross panel says how big
 * it is relative to the full one and never blows rounding up to a saturated colour map.
 */
import { Figure, linspace, type Grid2D } from '../plot/index.js';
import { jacobianDiagonal, mapWithJacobian, type Direction } from './jacobian.js';
import { CLASSES, CLASS_INDICES, type ClassIndex } from '../analysis/classes.js';
import { featureName, nuisanceName, type Subject } from './subject.js';
import { crossDecompose, formatPoint, formatSci, maxAbs, type CrossDecomposition } from './pure.js';
import { directionWords } from './response.js';

export const CROSS_NU = linspace(-2, 2, 41);
/** Relative size below which a cross-term is float32 rounding of an additive map. */
export const ROUNDING_RATIO = 1e-5;

export interface CrosstermData {
  nu: number[];
  /** [class][dim] → log-scale and shift on the ν grid (value at a + b·n, a = ν_shift index). */
  logScale: Float64Array[][];
  shift: Float64Array[][];
}

/** One batched evaluation for both classes and all dims, nuisance pair (0, 1), others 0. */
export function crosstermData(s: Subject, direction: Direction, nuValues: number[] = CROSS_NU): CrosstermData {
  const model = s.model;
  const F = model.features;
  const K = model.numNuisances;
  if (K < 2) throw new Error(`visualize/crossterm: needs at least 2 nuisances, the model has ${K}`);
  const V = nuValues.length;
  const cells = V * V;
  const rows = CLASS_INDICES.length * cells;
  const pts = new Float32Array(rows * F);
  const ctx = new Float32Array(rows * model.config.contextDim);
  const nu = new Float32Array(rows * K);
  let r = 0;
  for (const c of CLASS_INDICES) {
    const crow = s.context(c);
    for (let b = 0; b < V; b++) {
      for (let a = 0; a < V; a++, r++) {
        pts.set(s.crossProbe, r * F);
        ctx.set(crow, r * crow.length);
        nu[r * K] = nuValues[a];
        nu[r * K + 1] = nuValues[b];
      }
    }
  }
  const { mapped, jac } = mapWithJacobian(model, pts, ctx.length ? ctx : null, nu, direction);
  const diag = jacobianDiagonal(jac, F);
  const logScale: Float64Array[][] = [];
  const shift: Float64Array[][] = [];
  for (const c of CLASS_INDICES) {
    const ls = Array.from({ length: F }, () => new Float64Array(cells));
    const sh = Array.from({ length: F }, () => new Float64Array(cells));
    for (let k = 0; k < cells; k++) {
      const row = c * cells + k;
      for (let d = 0; d < F; d++) {
        ls[d][k] = Math.log(Math.max(diag[row * F + d], 1e-12));
        sh[d][k] = mapped[row * F + d] - pts[row * F + d];
      }
    }
    logScale.push(ls);
    shift.push(sh);
  }
  return { nu: nuValues, logScale, shift };
}

/** The limit of a cross panel's colour map and the note saying what it shows. */
export function crossScale(dec: CrossDecomposition): { limit: number; note: string } {
  const mf = maxAbs(dec.full);
  const mc = maxAbs(dec.cross);
  const ratio = mf > 0 ? mc / mf : 0;
  const limit = Math.max(mc, ROUNDING_RATIO * mf, 1e-9);
  const note =
    ratio < ROUNDING_RATIO
      ? `max|cross| / max|full| = ${formatSci(ratio)}: float32 rounding (additive)`
      : `max|cross| / max|full| = ${formatSci(ratio)}`;
  return { limit, note };
}

export function crosstermFigure(
  s: Subject,
  data: CrosstermData,
  c: ClassIndex,
  d: number,
  direction: Direction,
): Figure {
  const f = featureName(s.symbol, d);
  const V = data.nu.length;
  const grid = (values: Float64Array): Grid2D => ({
    nx: V,
    ny: V,
    x0: data.nu[0],
    x1: data.nu[V - 1],
    y0: data.nu[0],
    y1: data.nu[V - 1],
    values,
  });
  const fig = new Figure({
    width: 1500,
    height: 940,
    rows: 2,
    cols: 3,
    suptitle:
      `${s.name}${s.where} — nuisance cross-term on ${f}  (${CLASSES[c].name}, ${directionWords(direction)})\n` +
      `probe ${s.symbol} = ${formatPoint(s.crossProbe)}` +
      `;  additive = F(${nuisanceName(0)}, 0) + F(0, ${nuisanceName(1)}) − F(0, 0)`,
  });
  const T = direction === 'forward' ? 'T' : 'T^{−1}';
  const rowsSpec = [
    { name: `log-scale  ln ∂${T}_{${d + 1}}/∂${s.symbol}_{${d + 1}}`, bar: 'log-scale', values: data.logScale[c][d] },
    { name: `shift  Δ${f}`, bar: `Δ${f}`, values: data.shift[c][d] },
  ];
  rowsSpec.forEach((row, i) => {
    const dec = crossDecompose(row.values, data.nu, data.nu);
    const fullLimit = Math.max(maxAbs(dec.full), 1e-9);
    const cs = crossScale(dec);
    const panels: [Float64Array, string, number, string | undefined][] = [
      [dec.full, 'full', fullLimit, undefined],
      [dec.additive, 'additive', fullLimit, undefined],
      [dec.cross, 'cross-term (full − additive)', cs.limit, cs.note],
    ];
    panels.forEach(([values, what, limit, note], j) => {
      fig
        .panel(i, j, {
          title: `${row.name} — ${what}`,
          subtitle: note,
          xLabel: nuisanceName(0),
          yLabel: nuisanceName(1),
          aspect: 'equal',
        })
        .heatmap(grid(values), { diverging: true, limit, colorbar: row.bar })
        .hline(0, { color: '#000000', dash: [2, 3], width: 1 })
        .vline(0, { color: '#000000', dash: [2, 3], width: 1 });
    });
  });
  return fig;
}
