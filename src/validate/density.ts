/**
 * Exact densities on a grid, for the contour figures (figures.md §C.1): the truth from the toy's
 * closed forms, the model through its logProb at the grid points, both through one signature
 * `(points [m, 2], context [m, C]) → log p`, so truth and model are gridded the same way.
 *
 * p(y | c) marginalised over x is a mixture ∫ p(y | x, c) p(x | c) dx; it is evaluated as a
 * weighted average of the conditional densities at a fixed set of x nodes (Gauss–Hermite in the
 * Gaussian's whitened coordinates), the SAME nodes for truth and model, so a difference between
 * the two panels is the model's and not the quadrature's.
 */
import type { Grid2D } from '../plot/index.js';
import { oneHot } from '../analysis/classes.js';
import { gridPoints, gridSpec, type Range2 } from '../analysis/grid.js';
import { logProbXBatch, logProbYBatch, xParams, type GeneratorConfig } from '../toy/index.js';

/** log p at m points ([m, 2]) with context rows ([m, C], or null). */
export type LogDensityFn = (points: Float32Array, ctx: Float32Array | null) => ArrayLike<number>;

export interface DensityGrid extends Grid2D {
  values: Float64Array;
}

function tile(src: Float32Array, times: number): Float32Array {
  const out = new Float32Array(src.length * times);
  for (let t = 0; t < times; t++) out.set(src, t * src.length);
  return out;
}

/**
 * Σ_k w_k · exp(log p(· | ctx_k)) on the grid, with one batched call of `f` for all nodes
 * (weights need not be normalised; they are used as given). `ctxRows` is [K, C] (C may be 0:
 * pass null and one weight).
 */
export function mixtureGrid(
  f: LogDensityFn,
  xr: Range2,
  yr: Range2,
  nx: number,
  ny: number,
  ctxRows: Float32Array | null,
  weights: ArrayLike<number>,
): DensityGrid {
  const G = nx * ny;
  const K = weights.length;
  const spec = gridSpec(xr, yr, nx, ny);
  const pts = gridPoints(spec);
  const C = ctxRows ? ctxRows.length / K : 0;
  if (ctxRows && !Number.isInteger(C))
    throw new Error(`validate/density mixtureGrid: ${ctxRows.length} context values for ${K} weights`);
  const allPts = tile(pts, K);
  let ctx: Float32Array | null = null;
  if (ctxRows) {
    ctx = new Float32Array(K * G * C);
    for (let k = 0; k < K; k++) {
      const row = ctxRows.subarray(k * C, (k + 1) * C);
      for (let g = 0; g < G; g++) ctx.set(row, (k * G + g) * C);
    }
  }
  const lp = f(allPts, ctx);
  if (lp.length !== K * G)
    throw new Error(`validate/density mixtureGrid: density returned ${lp.length} values for ${K * G} points`);
  const values = new Float64Array(G);
  for (let k = 0; k < K; k++) {
    const w = weights[k];
    for (let g = 0; g < G; g++) values[g] += w * Math.exp(lp[k * G + g]);
  }
  return { ...spec, values };
}

/** The density at one context row (or none). */
export function densityGrid(
  f: LogDensityFn,
  xr: Range2,
  yr: Range2,
  nx: number,
  ny: number,
  ctxRow: ArrayLike<number> | null,
): DensityGrid {
  return mixtureGrid(f, xr, yr, nx, ny, ctxRow ? Float32Array.from(ctxRow) : null, [1]);
}

/**
 * Gauss–Hermite rule for E[g(t)], t ~ N(0, 1): k nodes and weights summing to 1 (Newton on the
 * physicists' Hermite recurrence, Numerical Recipes' gauher, then t = √2·u, w/√π).
 */
export function gaussHermite(k: number): { nodes: number[]; weights: number[] } {
  if (!Number.isInteger(k) || k < 1 || k > 40)
    throw new Error(`validate/density gaussHermite: k must be an integer in [1, 40], got ${k}`);
  const u = new Array<number>(k).fill(0);
  const w = new Array<number>(k).fill(0);
  const m = Math.floor((k + 1) / 2);
  const PIM4 = Math.pow(Math.PI, -0.25);
  let z = 0;
  for (let i = 0; i < m; i++) {
    if (i === 0) z = Math.sqrt(2 * k + 1) - 1.85575 * Math.pow(2 * k + 1, -0.16667);
    else if (i === 1) z -= (1.14 * Math.pow(k, 0.426)) / z;
    else if (i === 2) z = 1.86 * z - 0.86 * u[0];
    else if (i === 3) z = 1.91 * z - 0.91 * u[1];
    else z = 2 * z - u[i - 2];
    let pp = 0;
    for (let it = 0; it < 100; it++) {
      let p1 = PIM4;
      let p2 = 0;
      for (let j = 0; j < k; j++) {
        const p3 = p2;
        p2 = p1;
        p1 = z * Math.sqrt(2 / (j + 1)) * p2 - Math.sqrt(j / (j + 1)) * p3;
      }
      pp = Math.sqrt(2 * k) * p2;
      const z1 = z;
      z = z1 - p1 / pp;
      if (Math.abs(z - z1) <= 1e-14) break;
    }
    u[i] = z;
    u[k - 1 - i] = -z;
    w[i] = 2 / (pp * pp);
    w[k - 1 - i] = w[i];
  }
  const order = u.map((_, i) => i).sort((a, b) => u[a] - u[b]);
  return { nodes: order.map((i) => Math.SQRT2 * u[i]), weights: order.map((i) => w[i] / Math.sqrt(Math.PI)) };
}

/**
 * Nodes for E_{x ~ p(x | c)}[·]: a k1×k2 Gauss–Hermite product rule in the whitened
 * coordinates ε of x = mean + A·ε, dropping product nodes whose weight is below `minWeight`
 * (corners that hold almost no mass) and renormalising. Anisotropic by default: the score's
 * mean oscillates along x₁ (sin 1.5x₁) and is smooth along x₂, so ε₁ needs many more nodes
 * (24 × 4 reproduces class A's p(y | c) to a grid KL ≈ 2e-4 against 20 000 x draws, 36 nodes).
 * Returns the context rows [one-hot(c), x] ([K, 4]), the x and the weights.
 */
export function xNodes(
  cfg: Readonly<GeneratorConfig>,
  c: number,
  k1 = 24,
  k2 = 4,
  minWeight = 3e-4,
): { ctx: Float32Array; x: Float32Array; weights: Float64Array } {
  const { mean, factor } = xParams(c, cfg);
  const g1 = gaussHermite(k1);
  const g2 = gaussHermite(k2);
  const keep: [number, number, number][] = [];
  for (let i = 0; i < k1; i++)
    for (let j = 0; j < k2; j++) {
      const w = g1.weights[i] * g2.weights[j];
      if (w >= minWeight) keep.push([g1.nodes[i], g2.nodes[j], w]);
    }
  if (keep.length === 0)
    throw new Error(`validate/density xNodes: minWeight ${minWeight} drops every node of the ${k1}×${k2} rule`);
  const total = keep.reduce((s, v) => s + v[2], 0);
  const ctx = new Float32Array(keep.length * 4);
  const x = new Float32Array(keep.length * 2);
  const weights = new Float64Array(keep.length);
  keep.forEach(([e0, e1, w], r) => {
    const x1 = mean[0] + factor[0] * e0 + factor[1] * e1;
    const x2 = mean[1] + factor[2] * e0 + factor[3] * e1;
    ctx.set([...oneHot(c), x1, x2], 4 * r);
    x.set([x1, x2], 2 * r);
    weights[r] = w / total;
  });
  return { ctx, x, weights };
}

function classesFromOneHot(ctx: Float32Array, C: number, m: number): Uint8Array {
  const c = new Uint8Array(m);
  for (let i = 0; i < m; i++) c[i] = ctx[i * C + 1] > 0.5 ? 1 : 0;
  return c;
}

/** Truth log p(x | c) of `cfg` in the LogDensityFn shape (context = one-hot). */
export function truthKinDensity(cfg: Readonly<GeneratorConfig>): LogDensityFn {
  return (pts, ctx) => {
    const m = pts.length / 2;
    if (!ctx) throw new Error('validate/density truthKinDensity: needs the one-hot context');
    return logProbXBatch(pts, classesFromOneHot(ctx, 2, m), cfg);
  };
}

/** Truth log p(y | x, c) of `cfg` (pre-sigmoid) in the LogDensityFn shape (context = [one-hot, x]). */
export function truthScoreDensity(cfg: Readonly<GeneratorConfig>): LogDensityFn {
  return (pts, ctx) => {
    const m = pts.length / 2;
    if (!ctx) throw new Error('validate/density truthScoreDensity: needs the [one-hot, x] context');
    const x = new Float32Array(2 * m);
    for (let i = 0; i < m; i++) {
      x[2 * i] = ctx[4 * i + 2];
      x[2 * i + 1] = ctx[4 * i + 3];
    }
    return logProbYBatch(pts, x, classesFromOneHot(ctx, 4, m), cfg, { sigmoid: false });
  };
}
