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
  residualLogProb,
  residualLogProbAndNuGrad,
  residualNuisances,
  type NSF,
  type SystematicCorrectedModel,
} from './model-adapter.js';
import { truthLogProbAndNuGrad } from './truth-grad.js';

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
}

/** Caches the last evaluation by ν (exact equality: the minimizer repeats points exactly). */
abstract class CachedSource implements DensitySource {
  private last: { nu: number[]; grad: boolean; out: ClassDensities } | null = null;
  abstract readonly name: ModelName;
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
    const out = this.compute(nu, grad);
    this.last = { nu: [...nu], grad, out };
    return out;
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

/** The residual models: log p = log p_kin(x | c, ν) + log p_score(y | x, c, ν). */
export class FlowSource extends CachedSource {
  readonly name = 'flow' as const;
  private readonly ctx: [Float32Array, Float32Array];
  private readonly sctx: [Float32Array, Float32Array] | null;

  constructor(
    private readonly models: FlowModels,
    events: FitEvents,
  ) {
    const K = residualNuisances(models.kin);
    if (models.score && residualNuisances(models.score) !== K) {
      throw new Error(
        `flow density: the kin residual has ${K} nuisances, the score residual ${residualNuisances(models.score)}`,
      );
    }
    super(K, events);
    this.ctx = [classContext(events.n, 0), classContext(events.n, 1)];
    this.sctx = models.score && events.y ? [scoreContext(events.x, 0), scoreContext(events.x, 1)] : null;
  }

  protected compute(nu: readonly number[], grad: boolean): ClassDensities {
    const per = (cls: 0 | 1) => {
      const ev = this.events;
      if (!grad) {
        const l = f64(residualLogProb(this.models.kin, ev.x, this.ctx[cls], nu));
        if (this.sctx) addInto(l, residualLogProb(this.models.score!, ev.y!, this.sctx[cls], nu));
        return { l, d: null };
      }
      const k = residualLogProbAndNuGrad(this.models.kin, ev.x, this.ctx[cls], nu);
      const l = f64(k.logp);
      const d = f64(k.dnu);
      if (this.sctx) {
        const s = residualLogProbAndNuGrad(this.models.score!, ev.y!, this.sctx[cls], nu);
        addInto(l, s.logp);
        addInto(d, s.dnu);
      }
      return { l, d };
    };
    const a = per(0);
    const b = per(1);
    return { lA: a.l, lB: b.l, dA: a.d, dB: b.d };
  }
}

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
