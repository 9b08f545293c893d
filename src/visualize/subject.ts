/**
 * What one set of showcase figures is about: the kin residual model, or the score residual
 * model at one fixed x context. Everything that differs between the two lives here (names,
 * context rows, probe points, the exact truth density and the window), so the figure code
 * is written once.
 */
import type { SystematicCorrectedModel } from '../systematics/corrected-model.js';
import type { SystematicTemplate } from '../config/load.js';
import {
  copyGeneratorConfig,
  logProbXBatch,
  logProbYBatch,
  xParams,
  yParams,
  type GeneratorConfig,
} from '../toy/index.js';
import { CLASS_INDICES, oneHot, type ClassIndex } from '../analysis/classes.js';
import { gaussianWindow } from '../analysis/windows.js';
import { formatPoint } from './pure.js';

/** Subscript digits for feature names (x₁, y₂). */
const SUB = ['₀', '₁', '₂', '₃', '₄', '₅', '₆', '₇', '₈', '₉'];
export const featureName = (symbol: string, d: number): string =>
  `${symbol}${String(d + 1)
    .split('')
    .map((c) => SUB[Number(c)])
    .join('')}`;

/** Nuisance names as written on every figure (one notation, figures.md §C.11). */
export function nuisanceName(k: number): string {
  return k === 0 ? 'ν_{shift}' : k === 1 ? 'ν_{squeeze}' : `ν_{${k}}`;
}

export interface Subject {
  kind: 'kin' | 'score';
  /** File-name tag: 'kin', 'score_x0', 'score_x1', or 'score' for a single context. */
  fileTag: string;
  model: SystematicCorrectedModel;
  /** "Residual kin model" / "Residual score model". */
  name: string;
  /** Density name without ν: "p(x | c" … closed by the caller, e.g. "p(y | x=(0, 0), c". */
  densityHead: string;
  /** " at x = (0, 0)" for score, '' for kin. */
  where: string;
  /** 'x' or 'y'. */
  symbol: string;
  /** The fixed x context (score only). */
  xContext: number[] | null;
  /** The context row of a class. */
  context(c: ClassIndex): number[];
  /** Probe points of the response curves. */
  probes: number[][];
  /** Probe point of the cross-term maps. */
  crossProbe: number[];
  /**
   * Exact truth log density of the toy generator at ν for points [n·2] of one class, or null
   * when no single-nuisance template lies in ν's direction.
   */
  truthLogDensity(points: Float32Array, c: ClassIndex, nu: number[]): Float64Array | null;
  /** A window holding the truth at ν = 0 and at every given ν (both classes), per axis. */
  window(nus: number[][]): [number, number][];
}

/**
 * The template generator for ν: a template whose m points the same way as ν, with its
 * variations scaled by |ν|/|m| (figures.md §B.2: "variation multiplied by |ν|"). ν = 0: any
 * template with its variations zeroed (the nominal generator with the templates' scales).
 */
export function generatorAt(templates: SystematicTemplate[], nu: number[]): GeneratorConfig | null {
  if (templates.length === 0) return null;
  const norm = Math.hypot(...nu);
  if (norm === 0) {
    const g = copyGeneratorConfig(templates[0].generator);
    g.variation_shift = 0;
    g.variation_squeeze = 0;
    return g;
  }
  for (const t of templates) {
    const mn = Math.hypot(...t.m);
    if (mn === 0 || t.m.length !== nu.length) continue;
    const parallel = t.m.every((m, k) => Math.abs(m / mn - nu[k] / norm) < 1e-9);
    if (!parallel) continue;
    const g = copyGeneratorConfig(t.generator);
    g.variation_shift *= norm / mn;
    g.variation_squeeze *= norm / mn;
    return g;
  }
  return null;
}

export function kinSubject(
  model: SystematicCorrectedModel,
  templates: SystematicTemplate[],
  crossProbe: number[],
): Subject {
  return {
    kind: 'kin',
    fileTag: 'kin',
    model,
    name: 'Residual kin model',
    densityHead: 'p(x | c',
    where: '',
    symbol: 'x',
    xContext: null,
    context: oneHot,
    probes: [
      [0, 0],
      [1, 0],
      [-1, 0],
      [0, 0.8],
      [0, -0.8],
    ],
    crossProbe,
    truthLogDensity(points, c, nu) {
      const g = generatorAt(templates, nu);
      if (!g) return null;
      return logProbXBatch(points, new Float64Array(points.length / 2).fill(c), g, new Float64Array(points.length / 2));
    },
    window(nus) {
      const parts = [];
      for (const nu of [nu0(nus), ...nus]) {
        const g = generatorAt(templates, nu);
        if (!g) continue;
        for (const c of CLASS_INDICES) parts.push(xParams(c, g));
      }
      return gaussianWindow(parts);
    },
  };
}

function nu0(nus: number[][]): number[] {
  return new Array<number>(nus[0]?.length ?? 2).fill(0);
}

export function scoreSubject(
  model: SystematicCorrectedModel,
  templates: SystematicTemplate[],
  xContext: number[],
  tag: string,
  crossProbe: number[],
): Subject {
  const where = ` at x = ${formatPoint(xContext)}`;
  return {
    kind: 'score',
    fileTag: tag,
    model,
    name: 'Residual score model',
    densityHead: `p(y | x, c`,
    where,
    symbol: 'y',
    xContext,
    context: (c) => [...oneHot(c), ...xContext],
    probes: [
      [0, 0],
      [1, 0],
      [-1, 0],
      [0, 1],
      [0, -1],
    ],
    crossProbe,
    truthLogDensity(points, c, nu) {
      const g = generatorAt(templates, nu);
      if (!g) return null;
      const n = points.length / 2;
      const xs = new Float64Array(2 * n);
      for (let i = 0; i < n; i++) {
        xs[2 * i] = xContext[0];
        xs[2 * i + 1] = xContext[1];
      }
      return logProbYBatch(
        points,
        xs,
        new Float64Array(n).fill(c),
        g,
        { distorted: false, sigmoid: false },
        new Float64Array(n),
      );
    },
    window(nus) {
      const parts = [];
      for (const nu of [nu0(nus), ...nus]) {
        const g = generatorAt(templates, nu);
        if (!g) continue;
        for (const c of CLASS_INDICES) {
          const p = yParams(xContext, c, g);
          parts.push({ mean: p.mu, sd: [p.sigma0, p.sigma1] });
        }
      }
      return gaussianWindow(parts);
    },
  };
}
