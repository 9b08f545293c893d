/**
 * The three interchangeable densities of the fit, each giving per event the class-conditional
 * log densities log p_A, log p_B at a ν and their gradients with respect to ν:
 *   flow  — the residual models over their frozen bases (kin: p(x | c, ν); score: p(y | x, c, ν));
 *   truth — the generator's exact densities at ν (analytic gradient, truth-grad.ts);
 *   base  — the frozen base flows, ν ignored (gradient 0): an analysis that drops the systematic.
 * The last evaluation is kept, so calls that change only μ (or the yields) cost no model work.
 */
import type { GeneratorConfig } from '../toy/index.js';
import { classContext, scoreContext, type FitEvents } from './events.js';
import {
  baseLogProb,
  ResidualOnSample,
  residualNuisances,
  type NSF,
  type SystematicCorrectedModel,
} from './model-adapter.js';
import { truthLogProbAndNuGrad } from './truth-grad.js';
import { concatArrays } from '../analysis/columns.js';

export const MODEL_NAMES = ['flow', 'truth', 'base'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

export interface ClassDensities {
  /** log p(event | A, ν), log p(event | B, ν) per event. */
  lA: Float64Array;
  lB: Float64Array;
  /** ∂lA/∂ν, ∂lB/∂ν, [n, K] row-major; null when not computed. */
  dA: Float64Array | null;
  dB: Float64Array | null;
}

export interface DensitySource {
  readonly name: ModelName;
  readonly numNuisances: number;
  /** The densities at ν, with gradients when `grad` (cached: the same ν returns the same object). */
  evaluate(nu: readonly number[], grad: boolean): ClassDensities;
  /** The densities at ν without gradients and without touching the cache (a look aside from the minimizer's path). */
  valuesAt(nu: readonly number[]): ClassDensities;
}

/** Caches the last evaluation by ν (exact equality: the minimizer repeats points exactly). */
abstract class CachedSource implements DensitySource {
  private last: { nu: number[]; grad: boolean; out: ClassDensities } | null = null;
  abstract readonly name: ModelName;
  /**
   * Compute the gradient even when only the value is asked for: right for a model whose backward costs
   * less than a second forward, since the minimizer asks for the gradient at an accepted point next.
   */
  protected readonly gradAlways: boolean = false;
  constructor(
    readonly numNuisances: number,
    protected readonly events: FitEvents,
  ) {}

  evaluate(nu: readonly number[], grad: boolean): ClassDensities {
    if (nu.length !== this.numNuisances) {
      throw new Error(`${this.name} density: expected ${this.numNuisances} nuisances, got ${nu.length}`);
    }
    const l = this.last;
    if (l && (l.grad || !grad) && l.nu.every((v, k) => v === nu[k])) return l.out;
    const withGrad = grad || this.gradAlways;
    const out = this.compute(nu, withGrad);
    this.last = { nu: [...nu], grad: withGrad, out };
    return out;
  }

  valuesAt(nu: readonly number[]): ClassDensities {
    if (nu.length !== this.numNuisances) {
      throw new Error(`${this.name} density: expected ${this.numNuisances} nuisances, got ${nu.length}`);
    }
    return this.compute(nu, false);
  }

  protected abstract compute(nu: readonly number[], grad: boolean): ClassDensities;
}

const f64 = (a: Float32Array) => Float64Array.from(a);

function addInto(a: Float64Array, b: ArrayLike<number>): void {
  for (let i = 0; i < a.length; i++) a[i] += b[i];
}

export interface FlowModels {
  kin: SystematicCorrectedModel;
  /** null when the fit uses x only. */
  score: SystematicCorrectedModel | null;
}

/**
 * The residual models: log p = log p_kin(x | c, ν) + log p_score(y | x, c, ν).
 * Both classes run in one batched pass per model (the events twice, A's contexts then B's): rows do
 * not interact, so the numbers are those of two passes, with half the calls, tapes and kernel launches.
 */
export class FlowSource extends CachedSource {
  readonly name = 'flow' as const;
  /**
   * A line search that shortens a step asks for f alone, then for f and the gradient at the point it
   * accepts: two forward passes and a backward. With the gradient at once it is one forward and one backward.
   */
  protected override readonly gradAlways = true;
  /** kin over [x; x] with the class contexts [A; B]; score over [y; y] with its contexts [A; B] (or null). */
  private readonly kin: ResidualOnSample;
  private readonly score: ResidualOnSample | null;

  constructor(models: FlowModels, events: FitEvents) {
    const K = residualNuisances(models.kin);
    if (models.score && residualNuisances(models.score) !== K) {
      throw new Error(
        `flow density: the kin residual has ${K} nuisances, the score residual ${residualNuisances(models.score)}`,
      );
    }
    super(K, events);
    const ctx = concat(classContext(events.n, 0), classContext(events.n, 1));
    this.kin = new ResidualOnSample(models.kin, twice(events.x), ctx);
    const sctx = () => concat(scoreContext(events.x, 0), scoreContext(events.x, 1));
    this.score = models.score && events.y ? new ResidualOnSample(models.score, twice(events.y), sctx()) : null;
  }

  protected compute(nu: readonly number[], grad: boolean): ClassDensities {
    const n = this.events.n;
    const K = this.numNuisances;
    const { kin, score } = this;
    if (!grad) {
      const l = f64(kin.logProb(nu));
      if (score) addInto(l, score.logProb(nu));
      return { lA: l.slice(0, n), lB: l.slice(n), dA: null, dB: null };
    }
    const k = kin.logProbAndNuGrad(nu);
    const l = f64(k.logp);
    const d = f64(k.dnu);
    if (score) {
      const s = score.logProbAndNuGrad(nu);
      addInto(l, s.logp);
      addInto(d, s.dnu);
    }
    return { lA: l.slice(0, n), lB: l.slice(n), dA: d.slice(0, n * K), dB: d.slice(n * K) };
  }
}

const concat = (a: Float32Array, b: Float32Array) => concatArrays([a, b], (n) => new Float32Array(n));
const twice = (a: Float32Array) => concat(a, a);

/** The frozen base flows; ν has no effect (computed once). */
export class BaseSource extends CachedSource {
  readonly name = 'base' as const;
  private fixed: ClassDensities | null = null;

  constructor(
    private readonly flows: { kin: NSF; score: NSF | null },
    numNuisances: number,
    events: FitEvents,
  ) {
    super(numNuisances, events);
  }

  protected compute(): ClassDensities {
    if (this.fixed) return this.fixed;
    const ev = this.events;
    const per = (cls: 0 | 1) => {
      const l = f64(baseLogProb(this.flows.kin, ev.x, classContext(ev.n, cls)));
      if (this.flows.score && ev.y) addInto(l, baseLogProb(this.flows.score, ev.y, scoreContext(ev.x, cls)));
      return l;
    };
    const zeros = new Float64Array(ev.n * this.numNuisances);
    this.fixed = { lA: per(0), lB: per(1), dA: zeros, dB: zeros };
    return this.fixed;
  }
}

/** The generator's exact densities at ν (x only, or x and y). */
export class TruthSource extends CachedSource {
  readonly name = 'truth' as const;

  constructor(
    private readonly nominal: Readonly<GeneratorConfig>,
    private readonly useY: boolean,
    events: FitEvents,
  ) {
    super(2, events);
  }

  protected compute(nu: readonly number[]): ClassDensities {
    const ev = this.events;
    const y = this.useY ? ev.y : null;
    const a = truthLogProbAndNuGrad(this.nominal, nu, 0, ev.x, y);
    const b = truthLogProbAndNuGrad(this.nominal, nu, 1, ev.x, y);
    return { lA: a.logp, lB: b.logp, dA: a.dnu, dB: b.dnu };
  }
}
