/**
 * `fnf validate` end to end: load the models, compute the closure report, draw the figures.
 * The CLI command is a thin wrapper around `runValidation` (tests call it directly).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Device } from '../backend/device.js';
import { writeFileAtomic } from '../io/atomic.js';
import type { BaseFlowsConfig, SystematicsConfig } from '../config/load.js';
import { loadBaseFlow, loadResidualModel } from '../models/load.js';
import { Rng } from '../random/rng.js';
import { generateBatch, type GeneratorConfig } from '../toy/index.js';
import { autoRange, type SaveFigure } from '../plot/index.js';
import {
  closureMarkdown,
  closureText,
  computeClosure,
  type ClosureModels,
  type ClosureReport,
  type ClosureSetup,
  type ClosureSharing,
} from './closure.js';
import type { ValidationContext } from './context.js';
import { figKin1d, figKin2d, figSysKin1d, figSysKinCentral, figSysKinTemplate } from './figures-kin.js';
import {
  figScore1d,
  figScore2dGlobal,
  figScore2dSlices,
  figScoreLogprob,
  figScoreX1Slices,
  figSysScore1d,
  figSysScoreCentral,
  figSysScoreTemplate,
} from './figures-score.js';
import { figScanKin, figScanScore } from './figures-scan.js';
import { nuisanceGenerator, formatNu } from './nuisance.js';
import { Streams } from './sampling.js';
import { roundOut } from '../analysis/windows.js';
import { budgetsFor, FigureSink, FULL_DETAIL, kinWindow, QUICK_DETAIL } from './style.js';

export interface ValidationOptions {
  base: BaseFlowsConfig;
  sys?: SystematicsConfig;
  n: number;
  seed: number;
  outDir: string;
  /** Coarse grids and small figure samples (tests); the closure keeps the full n. Default false. */
  quick?: boolean;
  /** Progress lines (stderr in the CLI). */
  log?: (line: string) => void;
  /** How figures reach their files (default: written before runValidation returns; see plot/saves.ts). */
  saveFigure?: SaveFigure;
  /** Called once closure.json and closure.md are written, before the figures (start overlaps other work). */
  onClosure?: (report: ClosureReport) => void;
  /** Closure rows shared with another thread (fnf start; see closure.ts ClosureSharing). */
  closureSharing?: ClosureSharing;
}

export interface ValidationResult {
  report: ClosureReport;
  files: string[];
  /** Seconds per stage. */
  timings: Record<string, number>;
}

/** The default seed when neither --seed nor the config gives one (the output is reproducible). */
export const VALIDATE_DEFAULT_SEED = 20240611;

/** The report files, replaced atomically (a reader never sees half a closure table). */
function writeReport(path: string, text: string): void {
  writeFileAtomic(path, new TextEncoder().encode(text));
}

/** The y window of the marginal score figures: pooled truth y (nominal and templates), 0.2–99.8 %, 5 % padding. */
export function scoreWindow(gens: GeneratorConfig[], seed: number): { x: [number, number]; y: [number, number] } {
  const rng = Rng.fromSeed(seed);
  const ys = gens.map((g) => generateBatch(rng, 20000, g).y);
  const dim = (d: number) => ys.map((y) => Float64Array.from({ length: y.length / 2 }, (_, i) => y[2 * i + d]));
  return {
    x: roundOut(autoRange(dim(0), { lo: 0.002, hi: 0.998 })),
    y: roundOut(autoRange(dim(1), { lo: 0.002, hi: 0.998 })),
  };
}

/** The models the closure and the figures evaluate (residual models only with a systematics config). */
export function loadClosureModels(dev: Device, base: BaseFlowsConfig, sys?: SystematicsConfig): ClosureModels {
  const models: ClosureModels = {
    kinBase: loadBaseFlow(dev, base.kin.paths.model, base.kin.flow, 'kin_flow'),
    scoreBase: loadBaseFlow(dev, base.score.paths.model, base.score.flow, 'score_flow'),
  };
  if (sys) {
    const { kin, score } = sys;
    models.kinResidual = loadResidualModel(dev, kin.paths.residual, kin, 'residual_kin_model');
    models.scoreResidual = loadResidualModel(dev, score.paths.residual, score, 'residual_score_model');
  }
  return models;
}

/** What selects the closure rows (the same in every thread that shares them). */
export function closureSetup(base: BaseFlowsConfig, sys?: SystematicsConfig): Omit<ClosureSetup, 'n' | 'streams'> {
  return { nominal: base.generator, kinTemplates: sys?.kin.templates, scoreTemplates: sys?.score.templates };
}

export function runValidation(dev: Device, o: ValidationOptions): ValidationResult {
  const log = o.log ?? (() => {});
  const timings: Record<string, number> = {};
  let t = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    timings[name] = (now - t) / 1000;
    t = now;
  };
  mkdirSync(o.outDir, { recursive: true });

  const models = loadClosureModels(dev, o.base, o.sys);
  lap('load models');

  const streams = new Streams(o.seed);
  const nominal = o.base.generator;
  log(`closure: n = ${o.n} events per row`);
  const { report, evaluations } = computeClosure(
    models,
    {
      ...closureSetup(o.base, o.sys),
      n: o.n,
      streams,
      onRow: (ev) =>
        log(`  ${ev.row.model} ${ev.row.template ?? formatNu(ev.row.nu)}: KL ${ev.row.kl.toExponential(2)}`),
    },
    o.closureSharing,
  );
  writeReport(join(o.outDir, 'closure.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeReport(join(o.outDir, 'closure.md'), closureMarkdown(report));
  lap('closure');
  o.onClosure?.(report);

  const kinTemplates = o.sys?.kin.templates ?? [];
  const scoreTemplates = o.sys?.score.templates ?? [];
  const sink = new FigureSink(o.outDir, log, o.saveFigure);
  const ctx: ValidationContext = {
    n: o.n,
    budgets: budgetsFor(o.n, o.quick),
    detail: o.quick ? QUICK_DETAIL : FULL_DETAIL,
    streams,
    sink,
    nominal,
    models,
    kinTemplates,
    scoreTemplates,
    kinGenAt: o.sys ? nuisanceGenerator(kinTemplates, 'kin_systematics') : null,
    scoreGenAt: o.sys ? nuisanceGenerator(scoreTemplates, 'score_systematics') : null,
    evaluations,
    kinWindow: kinWindow([nominal, ...kinTemplates.map((tp) => tp.generator)]),
    scoreWindow: scoreWindow([nominal, ...scoreTemplates.map((tp) => tp.generator)], o.seed),
  };
  log('figures:');
  figKin2d(ctx);
  figKin1d(ctx);
  lap('figures kin base');
  figScore2dGlobal(ctx);
  figScore2dSlices(ctx);
  figScore1d(ctx);
  figScoreX1Slices(ctx);
  figScoreLogprob(ctx);
  lap('figures score base');
  if (o.sys) {
    figSysKinCentral(ctx);
    for (const tp of kinTemplates) figSysKinTemplate(ctx, tp.name, tp.m, tp.generator);
    figSysKin1d(ctx);
    figScanKin(ctx);
    lap('figures kin residual');
    figSysScoreCentral(ctx);
    for (const tp of scoreTemplates) figSysScoreTemplate(ctx, tp.name, tp.m, tp.generator);
    figSysScore1d(ctx);
    figScanScore(ctx);
    lap('figures score residual');
  }
  return { report, files: sink.written.map((w) => w.file), timings };
}

export { closureText };
