/**
 * Everything the page shows, computed from the models and the exact truth: the kinematic grid
 * of both classes at ν (one batched model call), log p at the probe points, the score
 * conditional at a chosen x, the displacement field, and KL(truth‖model) on a fixed sample.
 * The same helpers as `fnf validate` (validate/density.ts, sampling.ts, stats.ts), so the page
 * and the figures agree by construction. No DOM here: the engine worker runs it.
 */
import type { NSF } from '../../../src/flows/nsf.js';
import type { SystematicCorrectedModel } from '../../../src/systematics/corrected-model.js';
import { ResidualOnSample } from '../../../src/systematics/on-sample.js';
import { Rng } from '../../../src/random/rng.js';
import { logProbXBatch, logProbYBatch, type GeneratorConfig } from '../../../src/toy/index.js';
import { gridPoints, gridSpec, repeatRow } from '../../../src/analysis/grid.js';
import { klEstimate } from '../../../src/analysis/kl.js';
import { nuisanceGenerator } from '../../../src/validate/nuisance.js';
import { drawTruth } from '../../../src/validate/sampling.js';
import type { SystematicTemplate } from '../../../src/config/schema.js';
import type { ExtraResult, KinResult, ViewState } from './protocol.js';
import type { ResidualKind, WebSetup } from './setup.js';
import { fitToy, type ToyFitRequest, type ToyFitResult } from './fit-toy.js';

export interface SceneModels {
  kinBase: NSF;
  scoreBase: NSF;
  kin: Record<ResidualKind, SystematicCorrectedModel>;
  score: Record<ResidualKind, SystematicCorrectedModel>;
}

/** Rows of one point set repeated for class A then class B, with the one-hot context. */
function bothClasses(points: ArrayLike<number>): { x: Float32Array; ctx: Float32Array; c: Uint8Array } {
  const m = points.length / 2;
  const x = new Float32Array(4 * m);
  const ctx = new Float32Array(4 * m);
  const c = new Uint8Array(2 * m);
  for (let k = 0; k < 2; k++)
    for (let i = 0; i < m; i++) {
      const r = k * m + i;
      x[2 * r] = points[2 * i];
      x[2 * r + 1] = points[2 * i + 1];
      ctx[2 * r + k] = 1;
      c[r] = k;
    }
  return { x, ctx, c };
}

/**
 * Rows per chunk of the kin evaluation: one class's grid and probes (16 388 rows) at a time, so
 * the call is two rounds of kernel calls, not five (each call wakes the kernel pool's workers).
 */
const KIN_CHUNK_ROWS = 16_388;

/**
 * An n × n grid's rows (`width` values each) transposed: x₁-fastest order becomes x₂-fastest and,
 * the permutation being its own inverse, back. The kin model is evaluated in x₂-fastest order: its
 * first spline transform's parameters depend on x₁ (and the class) only, so consecutive rows then
 * share them and the spline kernel reuses their masses and knots (most of a spline's cost)
 * instead of computing them again for every row.
 */
function transposeGrid(values: Float32Array, n: number, width: number): Float32Array {
  const out = new Float32Array(n * n * width);
  for (let iy = 0; iy < n; iy++)
    for (let ix = 0; ix < n; ix++) {
      const from = width * (iy * n + ix),
        to = width * (ix * n + iy);
      for (let j = 0; j < width; j++) out[to + j] = values[from + j];
    }
  return out;
}

export class Scene {
  readonly kinGenAt: (nu: readonly number[]) => GeneratorConfig;
  readonly scoreGenAt: (nu: readonly number[]) => GeneratorConfig;
  /** Kin grid points [n·n, 2] followed by the probe points, both classes. */
  private readonly kinRows: { x: Float32Array; ctx: Float32Array; c: Uint8Array };
  private readonly gridCount: number;
  /**
   * Per residual model, its evaluator on the kin rows: the residual layer's nets never see ν, so
   * their outputs on the fixed grid are computed once (on first use) and a slider move only
   * contracts them with ν before the frozen base flow.
   */
  private readonly kinOnGrid = new Map<ResidualKind, ResidualOnSample>();
  /** The score grid's evaluators (in pieces) at the last chosen point and model. */
  private scoreCache: { key: string; pieces: ResidualOnSample[] } | null = null;

  constructor(
    readonly setup: WebSetup,
    readonly models: SceneModels,
  ) {
    // Only the generator and m of a template define the truth at ν (nuisance.ts).
    const asTemplates = (t: WebSetup['kinTemplates']) => t as unknown as SystematicTemplate[];
    this.kinGenAt = nuisanceGenerator(asTemplates(setup.kinTemplates), 'setup.json kinTemplates');
    this.scoreGenAt = nuisanceGenerator(asTemplates(setup.scoreTemplates), 'setup.json scoreTemplates');
    const n = setup.grid.kin;
    const w = setup.kinWindow;
    const grid = transposeGrid(gridPoints(gridSpec(w.x, w.y, n, n)), n, 2);
    this.gridCount = n * n;
    const all = new Float32Array(grid.length + setup.probePoints.length);
    all.set(grid);
    all.set(setup.probePoints, grid.length);
    this.kinRows = bothClasses(all);
  }

  private kinModelLogProb(s: ViewState, x: Float32Array, ctx: Float32Array): Float32Array {
    if (s.baseOnly) return this.models.kinBase.logProb(x, { context: ctx });
    return this.models.kin[s.residual].logProb(x, { context: ctx, nu: repeatRow(s.nu, x.length / 2) });
  }

  private scoreModelLogProb(s: ViewState, y: Float32Array, ctx: Float32Array): Float32Array {
    if (s.baseOnly) return this.models.scoreBase.logProb(y, { context: ctx });
    return this.models.score[s.residual].logProb(y, { context: ctx, nu: repeatRow(s.nu, y.length / 2) });
  }

  /** The model's log p(x | c, ν) on the kin rows (grid and probes, both classes). */
  private kinGridLogProb(s: ViewState): Float32Array {
    const { x, ctx } = this.kinRows;
    if (s.baseOnly) return this.models.kinBase.logProb(x, { context: ctx });
    let onGrid = this.kinOnGrid.get(s.residual);
    if (!onGrid) {
      onGrid = new ResidualOnSample(this.models.kin[s.residual], x, ctx, { chunkRows: KIN_CHUNK_ROWS });
      this.kinOnGrid.set(s.residual, onGrid);
    }
    return onGrid.logProb(s.nu);
  }

  /** A toy at the request's ν from the exact generator (the kin templates', as `fnf fit`), fitted. */
  fitToy(req: ToyFitRequest): ToyFitResult {
    const models = { kin: this.models.kin[req.residual], score: this.models.score[req.residual] };
    return fitToy(models, this.kinGenAt, req);
  }

  /** log p(x | c, ν) of model and truth on the kin grid, and the model at the probe points. */
  kin(id: number, s: ViewState): KinResult {
    const t0 = performance.now();
    const { x, c } = this.kinRows;
    const all = this.kinGridLogProb(s);
    const G = this.gridCount;
    const rowsPerClass = all.length / 2;
    const P = rowsPerClass - G;
    const model = new Float32Array(2 * G);
    const probe = new Float32Array(2 * P);
    const n = this.setup.grid.kin;
    for (let k = 0; k < 2; k++) {
      model.set(transposeGrid(all.subarray(k * rowsPerClass, k * rowsPerClass + G), n, 1), k * G);
      probe.set(all.subarray(k * rowsPerClass + G, (k + 1) * rowsPerClass), k * P);
    }
    const truthAll = logProbXBatch(x, c, this.kinGenAt(s.nu), new Float32Array(c.length));
    const truth = new Float32Array(2 * G);
    for (let k = 0; k < 2; k++) {
      truth.set(transposeGrid(truthAll.subarray(k * rowsPerClass, k * rowsPerClass + G), n, 1), k * G);
    }
    return { type: 'kin', id, state: s, model, truth, probe, ms: performance.now() - t0 };
  }

  /** The score panel, the displacement arrows and the KL at the current view, in one go. */
  extra(id: number, s: ViewState): ExtraResult {
    const steps = this.extraSteps(id, s);
    for (;;) {
      const r = steps.next();
      if (r.done) return r.value;
    }
  }

  /**
   * The same, as steps of a few milliseconds: the engine worker lets a newer slider move in
   * between two steps (and then drops these extras), so a move never waits for a whole KL.
   */
  *extraSteps(id: number, s: ViewState): Generator<void, ExtraResult> {
    const t0 = performance.now();
    const { setup } = this;
    const scoreGen = this.scoreGenAt(s.nu);
    const ys = this.scoreRows(s.point);
    const scoreModel = s.baseOnly
      ? yield* inPieces(ys.c.length, SCORE_PIECE_ROWS, (r0, r1) =>
          this.models.scoreBase.logProb(ys.x.subarray(2 * r0, 2 * r1), { context: ys.ctx.subarray(4 * r0, 4 * r1) }),
        )
      : yield* this.scoreOnGrid(s, ys);
    const scoreTruth = logProbYBatch(ys.x, ys.xs, ys.c, scoreGen, { sigmoid: false }, new Float32Array(ys.c.length));
    yield;

    let arrows: Float32Array | null = null;
    if (s.arrows && !s.baseOnly) {
      const m = setup.grid.arrows;
      const w = setup.kinWindow;
      const pts = bothClasses(gridPoints(gridSpec(w.x, w.y, m, m)));
      const { xNom } = this.models.kin[s.residual].forward(pts.x, {
        context: pts.ctx,
        nu: repeatRow(s.nu, pts.c.length),
      });
      arrows = new Float32Array(xNom.length);
      for (let i = 0; i < xNom.length; i++) arrows[i] = xNom[i] - pts.x[i];
      yield;
    }

    const kinGen = this.kinGenAt(s.nu);
    const tk = drawTruth(Rng.fromSeed(setup.kl.seed), setup.kl.n, kinGen);
    const kinModel = yield* inPieces(setup.kl.n, KIN_PIECE_ROWS, (r0, r1) =>
      this.kinModelLogProb(s, tk.x.subarray(2 * r0, 2 * r1), tk.cOneHot.subarray(2 * r0, 2 * r1)),
    );
    const kinKl = klEstimate(logProbXBatch(tk.x, tk.c, kinGen), kinModel);
    const ts = drawTruth(Rng.fromSeed(setup.kl.seed + 1), setup.kl.n, scoreGen);
    const C = ts.scoreCtx.length / setup.kl.n;
    const scoreKlModel = yield* inPieces(setup.kl.n, SCORE_PIECE_ROWS, (r0, r1) =>
      this.scoreModelLogProb(s, ts.y.subarray(2 * r0, 2 * r1), ts.scoreCtx.subarray(C * r0, C * r1)),
    );
    const scoreKl = klEstimate(logProbYBatch(ts.y, ts.x, ts.c, scoreGen, { sigmoid: false }), scoreKlModel);
    return {
      type: 'extra',
      id,
      state: s,
      scoreModel,
      scoreTruth,
      arrows,
      kl: { kin: kinKl.kl, kinSe: kinKl.klSe, score: scoreKl.kl, scoreSe: scoreKl.klSe },
      ms: performance.now() - t0,
    };
  }

  /** The score grid's rows at the chosen x: y, the context [one-hot c, x], and x per row. */
  private scoreRows(point: readonly [number, number]) {
    const sw = this.setup.scoreWindow;
    const ny = this.setup.grid.score;
    const ys = bothClasses(gridPoints(gridSpec(sw.x, sw.y, ny, ny)));
    const rows = ys.c.length;
    const ctx = new Float32Array(4 * rows);
    const xs = new Float32Array(2 * rows);
    for (let r = 0; r < rows; r++) {
      ctx.set([ys.ctx[2 * r], ys.ctx[2 * r + 1], point[0], point[1]], 4 * r);
      xs.set(point, 2 * r);
    }
    return { x: ys.x, ctx, c: ys.c, xs };
  }

  /**
   * The score model on the score grid, piece by piece: per piece a fixed-sample evaluator (the
   * first residual layer's nets once per chosen point and model, kept while they stay).
   */
  private *scoreOnGrid(s: ViewState, ys: { x: Float32Array; ctx: Float32Array; c: Uint8Array }) {
    const key = `${s.residual} ${s.point[0]} ${s.point[1]}`;
    if (this.scoreCache?.key !== key) this.scoreCache = { key, pieces: [] };
    const pieces = this.scoreCache.pieces;
    const rows = ys.c.length;
    const out = new Float32Array(rows);
    for (let k = 0, r0 = 0; r0 < rows; k++, r0 += SCORE_PIECE_ROWS) {
      const r1 = Math.min(rows, r0 + SCORE_PIECE_ROWS);
      if (!pieces[k]) {
        const model = this.models.score[s.residual];
        pieces[k] = new ResidualOnSample(model, ys.x.slice(2 * r0, 2 * r1), ys.ctx.slice(4 * r0, 4 * r1));
        yield;
      }
      out.set(pieces[k].logProb(s.nu), r0);
      yield;
    }
    return out;
  }
}

/** Rows per step of the extras: a few milliseconds of model work each. */
const KIN_PIECE_ROWS = 4096;
const SCORE_PIECE_ROWS = 1024;

/** f over rows [0, n) in pieces, a step (yield) after each. */
function* inPieces(n: number, rows: number, f: (r0: number, r1: number) => Float32Array) {
  const out = new Float32Array(n);
  for (let r0 = 0; r0 < n; r0 += rows) {
    out.set(f(r0, Math.min(n, r0 + rows)), r0);
    yield;
  }
  return out;
}
