/**
 * Response curves (figures.md §B.1, `residual_<tag>_response.png`): how the residual map
 * scales and moves representative points as one nuisance is swept over [−2, 2] (the others 0).
 * Rows = feature dims, columns = (scale, shift) per nuisance; colour = probe point, line style =
 * class. Scale = the diagonal Jacobian ∂T_d/∂p_d from autodiff (exactly e^{s_d} for a
 * one-layer stack), so the curves are smooth where the reference's finite differences
 * made staircases.
 */
import { Figure, sampleColors, linspace, type LegendEntry } from '../plot/index.js';
import { jacobianDiagonal, mapWithJacobian, type Direction } from './jacobian.js';
import { CLASSES, CLASS_INDICES } from '../analysis/classes.js';
import { featureName, nuisanceName, type Subject } from './subject.js';
import { formatPoint } from './pure.js';

export const RESPONSE_NU = linspace(-2, 2, 41);

export interface ResponseData {
  nu: number[];
  /** [k][c][probe] → { scale[dim][ν index], shift[dim][ν index] } */
  curves: { scale: Float64Array[]; shift: Float64Array[] }[][][];
}

/** Evaluates every curve in one batched pass (K nuisances × 2 classes × probes × 41 ν). */
export function responseData(s: Subject, direction: Direction, nuValues: number[] = RESPONSE_NU): ResponseData {
  const model = s.model;
  const F = model.features;
  const K = model.numNuisances;
  const P = s.probes.length;
  const V = nuValues.length;
  const rows = K * CLASS_INDICES.length * P * V;
  const pts = new Float32Array(rows * F);
  const ctx = new Float32Array(rows * model.config.contextDim);
  const nu = new Float32Array(rows * K);
  let r = 0;
  for (let k = 0; k < K; k++) {
    for (const c of CLASS_INDICES) {
      const crow = s.context(c);
      for (let p = 0; p < P; p++) {
        for (let v = 0; v < V; v++, r++) {
          pts.set(s.probes[p], r * F);
          ctx.set(crow, r * crow.length);
          nu[r * K + k] = nuValues[v];
        }
      }
    }
  }
  const { mapped, jac } = mapWithJacobian(model, pts, ctx.length ? ctx : null, nu, direction);
  const diag = jacobianDiagonal(jac, F);
  const curves: ResponseData['curves'] = [];
  r = 0;
  for (let k = 0; k < K; k++) {
    const byClass: ResponseData['curves'][number] = [];
    for (const _c of CLASS_INDICES) {
      const byProbe: ResponseData['curves'][number][number] = [];
      for (let p = 0; p < P; p++) {
        const scale = Array.from({ length: F }, () => new Float64Array(V));
        const shift = Array.from({ length: F }, () => new Float64Array(V));
        for (let v = 0; v < V; v++, r++) {
          for (let d = 0; d < F; d++) {
            scale[d][v] = diag[r * F + d];
            shift[d][v] = mapped[r * F + d] - pts[r * F + d];
          }
        }
        byProbe.push({ scale, shift });
      }
      byClass.push(byProbe);
    }
    curves.push(byClass);
  }
  return { nu: nuValues, curves };
}

export function directionWords(direction: Direction): string {
  return direction === 'forward' ? 'forward map T: observed → nominal' : 'inverse map T⁻¹: nominal → observed';
}

/** The response figure for the dims asked for. */
export function responseFigure(s: Subject, data: ResponseData, dims: number[], direction: Direction): Figure {
  const K = data.curves.length;
  const colors = sampleColors('viridis', s.probes.length);
  const pointLabel = (p: number[]) => `${s.symbol} = ${formatPoint(p)}`;
  const legend: LegendEntry[] = [
    ...s.probes.map((p, i) => ({ kind: 'line' as const, label: pointLabel(p), color: colors[i], width: 2.2 })),
    { kind: 'line', label: CLASSES[0].name, color: '#000000', width: 2 },
    { kind: 'line', label: CLASSES[1].name, color: '#000000', width: 2, dash: [7, 4] },
  ];
  const T = direction === 'forward' ? 'T' : 'T^{−1}';
  const fig = new Figure({
    width: 470 * 2 * K,
    height: 150 + 400 * dims.length,
    rows: dims.length,
    cols: 2 * K,
    suptitle:
      `${s.name}${s.where} — scale and shift response vs ν  (${directionWords(direction)})\n` +
      `scale = ∂${T}_{d}/∂${s.symbol}_{d} (autodiff)` +
      `,  shift Δ${s.symbol} = ${T}(${s.symbol}, ν) − ${s.symbol};  the other nuisance at 0`,
    legend,
  });
  dims.forEach((d, row) => {
    const f = featureName(s.symbol, d);
    for (let k = 0; k < K; k++) {
      const nuName = nuisanceName(k);
      const scaleP = fig.panel(row, 2 * k, {
        title: `${f} scale — ${nuName}`,
        xLabel: nuName,
        yLabel: `scale  ∂${T}_{${d + 1}}/∂${s.symbol}_{${d + 1}}`,
        legend: 'none',
      });
      const shiftP = fig.panel(row, 2 * k + 1, {
        title: `${f} shift — ${nuName}`,
        xLabel: nuName,
        yLabel: `shift  Δ${f}`,
        legend: 'none',
      });
      scaleP.hline(1, { color: '#888888', dash: [5, 4], width: 1 });
      shiftP.hline(0, { color: '#888888', dash: [5, 4], width: 1 });
      for (const c of CLASS_INDICES) {
        data.curves[k][c].forEach((curve, p) => {
          const style = { color: colors[p], width: 2, dash: c === 0 ? [] : [7, 4] };
          scaleP.line(data.nu, curve.scale[d], style);
          shiftP.line(data.nu, curve.shift[d], style);
        });
      }
      for (const p of [scaleP, shiftP]) p.vline(0, { color: '#000000', dash: [2, 3], width: 1 });
    }
  });
  return fig;
}
