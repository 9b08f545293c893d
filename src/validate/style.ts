/**
 * What all validation figures share: class names and colours, the one contour rule, the
 * notation, the fixed windows per observable, sample budgets, and saving with timing.
 */
import { join } from 'node:path';
import { COLORS, saveNow, type ColorMapName, type Figure, type LegendEntry, type SaveFigure } from '../plot/index.js';
import { xParams, type GeneratorConfig } from '../toy/index.js';
import { CLASSES } from '../analysis/classes.js';
import { CONTOUR_MASSES } from '../analysis/levels.js';
import { gaussianWindow, roundOut } from '../analysis/windows.js';
import { formatNu } from './nuisance.js';

/** The contour rule (analysis/levels.ts) as the figures state it. */
const PERCENTS_DESCENDING = CONTOUR_MASSES.map((m) => Math.round(m * 100)).join('/');
export const LEVEL_RULE = `contours enclose ${PERCENTS_DESCENDING} % of each density's mass`;

export const TEMPLATE_CMAP: ColorMapName = 'Greens';
export const MODEL_DASH = [7, 4];
export const NOMINAL_DASH = [2, 3];
/** The model's contour lines and the truth's filled contours, alike in every density figure. */
export const MODEL_LINE = { color: COLORS.model, dash: MODEL_DASH, width: 1.6 };
export const truthFill = (cmap: ColorMapName) => ({ cmap, alpha: 0.75 });

/** Observable and nuisance notation used on every figure. */
export const X_LABEL = ['x_{1}', 'x_{2}'];
export const Y_LABEL = ['y_{1}', 'y_{2}'];
export const NU_LABEL = ['ν_{shift}', 'ν_{squeeze}'];
/** "ν = (1, 0)". */
export const nuText = (nu: readonly number[]) => `ν = ${formatNu(nu)}`;
/** "ν = (ν_shift, ν_squeeze)": the figures' reminder of the order. */
export const NU_ORDER = 'ν = (ν_{shift}, ν_{squeeze})';

export const fmtKl = (v: number) =>
  Number.isFinite(v) ? (Math.abs(v) < 1e-2 ? v.toExponential(1) : v.toFixed(3)) : String(v);
export const fmtX = (v: number) => (Math.abs(v) < 5e-10 ? '0' : Number(v.toFixed(2)).toString().replace('-', '−'));

/** Legend entries for "truth filled / model dashed" figures. */
export function truthModelLegend(
  truthLabel: string,
  truthCmap: ColorMapName | 'classes',
  modelLabel: string,
  extra: LegendEntry[] = [],
): LegendEntry[] {
  const truth: LegendEntry[] =
    truthCmap === 'classes'
      ? CLASSES.map((k): LegendEntry => ({
          kind: 'cmap',
          label: `${truthLabel}, ${k.name}`,
          cmap: k.cmap,
          range: [0.25, 0.95],
          alpha: 0.75,
        }))
      : [{ kind: 'cmap', label: truthLabel, cmap: truthCmap, range: [0.25, 0.95], alpha: 0.75 }];
  return [...truth, { kind: 'line', label: modelLabel, ...MODEL_LINE }, ...extra];
}

/**
 * The kinematic window shared by every x figure: the union over the given generators and both
 * classes of mean ± 3σ per axis (the 95 % contour sits at 2.45σ, so no contour touches the
 * frame; rounding out to 0.25 adds the rest of the margin).
 */
export function kinWindow(gens: readonly GeneratorConfig[]): { x: [number, number]; y: [number, number] } {
  const [x, y] = gaussianWindow(
    gens.flatMap((g) => CLASSES.map((k) => xParams(k.c, g))),
    3,
  );
  return { x: roundOut(x), y: roundOut(y) };
}

/** Sample budgets of the figures (the closure always uses the full n). */
export interface Budgets {
  /** Events per histogram sample set of the base models (1-D marginals, log-prob diagnostics). */
  hist: number;
  /** Events per template in the residual models' 1-D closure figures (a residual sample costs ~3× a base one). */
  sysHist: number;
  /** Events per point of a ν scan (common random numbers across the points). */
  scan: number;
  /** Events per conditional slice (score x₁ slices). */
  slice: number;
}

export function budgetsFor(n: number, quick = false): Budgets {
  if (quick)
    return { hist: Math.min(n, 2000), sysHist: Math.min(n, 1000), scan: Math.min(n, 400), slice: Math.min(n, 300) };
  return {
    hist: Math.min(n, 20000),
    sysHist: Math.min(n, 10000),
    scan: Math.min(n, 3000),
    slice: Math.max(Math.min(n, 2000), Math.floor(Math.min(n, 20000) / 10)),
  };
}

/** Grid sizes for exact densities, and the x quadrature of p(y | c) (see density.ts xNodes). */
export interface Detail {
  kin: { nx: number; ny: number };
  score: { nx: number; ny: number };
  scoreMarginal: { nx: number; ny: number };
  xNodes: [number, number];
}

export const FULL_DETAIL: Detail = {
  kin: { nx: 130, ny: 90 },
  score: { nx: 80, ny: 80 },
  scoreMarginal: { nx: 56, ny: 56 },
  xNodes: [24, 4],
};
/** Coarse grids for quick runs (tests): the same figures, a fraction of the model evaluations. */
export const QUICK_DETAIL: Detail = {
  kin: { nx: 48, ny: 36 },
  score: { nx: 32, ny: 32 },
  scoreMarginal: { nx: 28, ny: 28 },
  xNodes: [8, 3],
};

/** Writes figures into one folder and remembers what was written and how long each took. */
export class FigureSink {
  readonly written: { file: string; ms: number }[] = [];

  /** `saveFigure`: how a figure reaches its file (default: drawn, encoded and written at once). */
  constructor(
    readonly outDir: string,
    private readonly log: (line: string) => void = () => {},
    private readonly saveFigure: SaveFigure = saveNow,
  ) {}

  save(fig: Figure, name: string, startedAt: number): string {
    const path = this.saveFigure(fig, join(this.outDir, name));
    const ms = performance.now() - startedAt;
    this.written.push({ file: path, ms });
    this.log(`  ${name}  (${(ms / 1000).toFixed(1)} s)`);
    return path;
  }
}
