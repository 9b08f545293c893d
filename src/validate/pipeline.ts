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
  type ClosureEvaluation,
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
  /** Called once closure.json and closure.md are written, before the figures (start hands them on). */
  onClosure?: (report: ClosureReport, evaluations: ClosureEvaluation[]) => void;
  /** Closure rows shared with another thread (fnf start; see closure.ts ClosureSharing). */
  closureSharing?: ClosureSharing;
  /**
   * Figure steps shared with another thread: claim numbers 0, 1, 2, … index figureSteps(); the
   * steps this thread does not claim are drawn elsewhere (and are not in `files`).
   */
  figureSharing?: { claim(): number };
}

export interface ValidationResult {
  report: ClosureReport;
  files: string[];
  /** Seconds per stage. */
  timings: Record<string, number>;
}

/**
 * The fewest events per sample set: the per-class KL estimates need two events of each class,
 * and below a hundred the closure numbers and figures say nothing anyway.
 */
export const VALIDATE_MIN_N = 100;

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
  if (!Number.isInteger(o.n) || o.n < VALIDATE_MIN_N) {
    throw new Error(`runValidation: n must be an integer ≥ ${VALIDATE_MIN_N} events per sample set, got ${o.n}`);
  }
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
  o.onClosure?.(report, evaluations);

  const sink = new FigureSink(o.outDir, log, o.saveFigure);
  const ctx = validationContext(o, models, streams, evaluations, sink);
  log('figures:');
  const steps = figureSteps(ctx);
  let next = 0;
  const claim = o.figureSharing ? () => o.figureSharing!.claim() : () => next++;
  let stage = steps[0]?.stage;
  for (let k = claim(); k < steps.length; k = claim()) {
    if (steps[k].stage !== stage) {
      lap(`figures ${stage}`);
      stage = steps[k].stage;
    }
    steps[k].draw(ctx);
  }
  if (stage) lap(`figures ${stage}`);
  return { report, files: sink.written.map((w) => w.file), timings };
}

/** What the figures read, from the closure's evaluations (also built by the thread that shares them). */
export function validationContext(
  o: Pick<ValidationOptions, 'base' | 'sys' | 'n' | 'seed' | 'quick'>,
  models: ClosureModels,
  streams: Streams,
  evaluations: ClosureEvaluation[],
  sink: FigureSink,
): ValidationContext {
  const nominal = o.base.generator;
  const kinTemplates = o.sys?.kin.templates ?? [];
  const scoreTemplates = o.sys?.score.templates ?? [];
  return {
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
}

/** One step of the validation figures: a figure (one per template for the template figures). */
export interface FigureStep {
  stage: 'kin base' | 'score base' | 'kin residual' | 'score residual';
  draw: (ctx: ValidationContext) => void;
}

/**
 * The figure steps in drawing order. Each figure draws from its own named streams, so the
 * order, and which thread draws which step, changes no figure.
 */
export function figureSteps(ctx: ValidationContext): FigureStep[] {
  const steps: FigureStep[] = [];
  const add = (stage: FigureStep['stage'], ...draws: FigureStep['draw'][]) =>
    draws.forEach((draw) => steps.push({ stage, draw }));
  add('kin base', figKin2d, figKin1d);
  add('score base', figScore2dGlobal, figScore2dSlices, figScore1d, figScoreX1Slices, figScoreLogprob);
  if (ctx.models.kinResidual && ctx.models.scoreResidual) {
    add(
      'kin residual',
      figSysKinCentral,
      ...ctx.kinTemplates.map((tp) => (c: ValidationContext) => void figSysKinTemplate(c, tp.name, tp.m, tp.generator)),
      figSysKin1d,
      figScanKin,
    );
    add(
      'score residual',
      figSysScoreCentral,
      ...ctx.scoreTemplates.map(
        (tp) => (c: ValidationContext) => void figSysScoreTemplate(c, tp.name, tp.m, tp.generator),
      ),
      figSysScore1d,
      figScanScore,
    );
  }
  return steps;
}

export { closureText };
