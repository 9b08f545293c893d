/**
 * The unbinned mixture likelihood of the fit and its exact gradient.
 *
 *   p(e | μ, ν) = μ p(e | A, ν) + (1 − μ) p(e | B, ν)             (signal = class A)
 *   NLL(μ, ν)  = −Σ_i w_i log p(e_i | μ, ν) + ½ Σ_k ((ν_k − ν̃_k)/σ_k)²
 * Extended: yields s (signal) and b (background) instead of μ, with the Poisson term:
 *   NLL(s, b, ν) = (s + b) − Σ_i w_i log(s p_A,i + b p_B,i) + constraint.
 * Given log p_A, log p_B and their ν-gradients at ν (density-source.ts; cached), the NLL and its
 * derivatives in μ (or the yields) are a pass over the events; the ν-gradient weighs each event's
 * ∂log p_c/∂ν by its class responsibility. Each event is computed relative to max(log p_A, log p_B)
 * so that no exp overflows or underflows to 0/0.
 */
import type { Fcn, ParameterSpec } from './minimize/types.js';
import type { DensitySource } from './density-source.js';
import { checkEvents, totalWeight, type FitEvents } from './events.js';

export interface LikelihoodOptions {
  /** Names of the nuisances (parameters `nu_<name>`). */
  nuisanceNames: readonly string[];
  /** Global observables ν̃ (0 for data; randomized per toy). */
  globalObs?: readonly number[];
  /** Constraint widths σ_k (default 1). */
  sigmas?: readonly number[];
  /** Signal and background yields with the Poisson term instead of μ. */
  extended?: boolean;
  /** Hold μ at this value (not with `extended`). */
  fixedMu?: number;
  /** Starting values: μ (default: its conditional minimum at the starting ν), ν (default ν̃). */
  startMu?: number;
  startNu?: readonly number[];
}

export class MixtureLikelihood {
  readonly names: string[];
  readonly K: number;
  readonly globalObs: number[];
  readonly sigmas: number[];
  readonly extended: boolean;
  /** Σ w_i: the expected-yield scale of the extended fit. */
  readonly sumW: number;
  nfcn = 0;
  ngrad = 0;

  constructor(
    readonly source: DensitySource,
    readonly events: FitEvents,
    readonly opts: LikelihoodOptions,
  ) {
    checkEvents(events, 'MixtureLikelihood: events');
    this.K = source.numNuisances;
    if (opts.nuisanceNames.length !== this.K) {
      throw new Error(
        `likelihood: ${opts.nuisanceNames.length} nuisance names for a ${source.name} model with ${this.K} nuisances`,
      );
    }
    this.extended = !!opts.extended;
    if (this.extended && opts.fixedMu !== undefined) {
      throw new Error('likelihood: a fixed μ and the extended likelihood (yields) do not go together');
    }
    this.globalObs = [...(opts.globalObs ?? new Array(this.K).fill(0))];
    this.sigmas = [...(opts.sigmas ?? new Array(this.K).fill(1))];
    if (this.globalObs.length !== this.K || this.sigmas.length !== this.K) {
      throw new Error(`likelihood: global observables and σ need ${this.K} values each`);
    }
    this.sumW = totalWeight(events);
    const yieldNames = this.extended ? ['n_sig', 'n_bkg'] : ['mu'];
    this.names = [...yieldNames, ...opts.nuisanceNames.map((n) => `nu_${n}`)];
  }

  /** Index of the first nuisance in θ. */
  get nuOffset(): number {
    return this.extended ? 2 : 1;
  }

  /**
   * The parameter list for the minimizer (μ bounded to [0, 1], yields ≥ 0). Without a given start, μ
   * starts at its best value at the starting ν (conditionalMu): that costs the density evaluation the
   * minimizer makes first anyway (cached), and spares MIGRAD the first steps a far-off μ drags ν along.
   */
  parameters(): ParameterSpec[] {
    const o = this.opts;
    const nuStart = o.startNu ?? this.globalObs;
    const mu0 = o.fixedMu ?? o.startMu ?? (this.extended ? 0.5 : this.conditionalMu(nuStart));
    if (!this.extended && !(mu0 >= 0 && mu0 <= 1)) {
      throw new Error(`likelihood: μ must start within its bounds [0, 1], got ${mu0}`);
    }
    const nu0 = nuStart;
    const nus: ParameterSpec[] = this.opts.nuisanceNames.map((n, k) => ({
      name: `nu_${n}`,
      value: nu0[k],
      step: 0.1 * this.sigmas[k],
    }));
    if (this.extended) {
      const N = this.sumW;
      return [
        { name: 'n_sig', value: mu0 * N, step: 0.05 * N + 1, lower: 0 },
        { name: 'n_bkg', value: (1 - mu0) * N, step: 0.05 * N + 1, lower: 0 },
        ...nus,
      ];
    }
    return [{ name: 'mu', value: mu0, step: 0.02, lower: 0, upper: 1, fixed: o.fixedMu !== undefined }, ...nus];
  }

  /**
   * argmin over μ of the NLL at fixed ν, kept within [0.01, 0.99] (a start on a bound is a stationary point
   * of the bound transform). The NLL is convex in μ: −Σ w log(1 + μ(r − 1)) + const with r = p_A/p_B, so its
   * derivative is decreasing and bisection finds the root; 0.5 when the densities are not finite there.
   */
  conditionalMu(nu: readonly number[]): number {
    if (nu.length !== this.K || !nu.every(Number.isFinite)) return 0.5;
    const d = this.source.evaluate(nu, true);
    const ev = this.events;
    const rm1 = new Float64Array(ev.n);
    for (let i = 0; i < ev.n; i++) rm1[i] = Math.exp(Math.min(d.lA[i] - d.lB[i], 700)) - 1;
    if (!rm1.every(Number.isFinite)) return 0.5;
    const slope = (mu: number) => {
      let g = 0;
      for (let i = 0; i < ev.n; i++) g -= ((ev.weights ? ev.weights[i] : 1) * rm1[i]) / (1 + mu * rm1[i]);
      return g;
    };
    let lo = 0.01;
    let hi = 0.99;
    if (slope(lo) >= 0) return lo;
    if (slope(hi) <= 0) return hi;
    for (let it = 0; it < 40; it++) {
      const mid = 0.5 * (lo + hi);
      if (slope(mid) < 0) lo = mid;
      else hi = mid;
    }
    return 0.5 * (lo + hi);
  }

  /**
   * The outer-product (BHHH) estimate of the NLL's Hessian at θ over the parameters `free` (indices into θ):
   * Σ_i w_i s_i s_iᵀ, s_i = ∂ log p(e_i | θ)/∂θ per event, plus the constraints' 1/σ_k². It needs only the
   * densities and ν-gradients at θ's ν, which the start has evaluated already (cached), so it seeds MIGRAD's
   * metric without the strategy-1 seed's finite differences (one model evaluation per nuisance). In
   * expectation it is the Hessian (the Fisher information), and it is positive semi-definite by construction.
   * Null when the densities are not finite there. With `squaredWeights`, Σ_i w_i² s_i s_iᵀ (+ the same
   * constraint term): the variance of the weighted score, the middle of the sandwich covariance of a
   * fit to weighted events (run-fit.ts).
   */
  outerProductHessian(theta: ArrayLike<number>, free: readonly number[], squaredWeights = false): Float64Array | null {
    const K = this.K;
    const off = this.nuOffset;
    const np = off + K;
    const nu = this.nuOf(theta);
    if (!nu.every(Number.isFinite)) return null;
    const d = this.source.evaluate(nu, true);
    const ev = this.events;
    const [a, b] = this.yields(theta);
    const full = new Float64Array(np * np);
    const sc = new Float64Array(np);
    for (let i = 0; i < ev.n; i++) {
      const m = Math.max(d.lA[i], d.lB[i]);
      const eA = Math.exp(d.lA[i] - m);
      const eB = Math.exp(d.lB[i] - m);
      const p = a * eA + b * eB;
      if (this.extended) {
        sc[0] = eA / p;
        sc[1] = eB / p;
      } else sc[0] = (eA - eB) / p;
      for (let k = 0; k < K; k++) sc[off + k] = (a * eA * d.dA![i * K + k] + b * eB * d.dB![i * K + k]) / p;
      const wi = ev.weights ? (squaredWeights ? ev.weights[i] * ev.weights[i] : ev.weights[i]) : 1;
      for (let r = 0; r < np; r++) for (let c = 0; c <= r; c++) full[r * np + c] += wi * sc[r] * sc[c];
    }
    for (let k = 0; k < K; k++) full[(off + k) * np + off + k] += 1 / (this.sigmas[k] * this.sigmas[k]);
    const nf = free.length;
    const h = new Float64Array(nf * nf);
    for (let r = 0; r < nf; r++) {
      for (let c = 0; c < nf; c++) {
        const [hi, lo] = free[r] >= free[c] ? [free[r], free[c]] : [free[c], free[r]];
        h[r * nf + c] = full[hi * np + lo];
      }
    }
    return h.every(Number.isFinite) ? h : null;
  }

  /**
   * Each event's term of the NLL at θ, w_i·(−log p(e_i | θ)) (the constraint and the extended Poisson
   * term are not per event), from the densities at θ's ν without gradients and outside the cache.
   */
  eventTerms(theta: ArrayLike<number>): Float64Array {
    return this.weighTerms(this.eventNegLogP(theta));
  }

  /** w_i·(−log p_i) from eventNegLogP's −log p_i (the terms themselves without weights). */
  weighTerms(negLogP: Float64Array): Float64Array {
    const w = this.events.weights;
    return w ? negLogP.map((v, i) => w[i] * v) : negLogP;
  }

  /**
   * Each event's −log p(e_i | θ) without its weight: how well the model supports the event itself, which
   * a weight (a cross-section, a reweighting factor) says nothing about.
   */
  eventNegLogP(theta: ArrayLike<number>): Float64Array {
    const d = this.source.valuesAt(this.nuOf(theta));
    const [a, b] = this.yields(theta);
    const out = new Float64Array(this.events.n);
    for (let i = 0; i < out.length; i++) {
      const m = Math.max(d.lA[i], d.lB[i]);
      // Zero density in both classes: −log p is +∞ (not the NaN of −∞ − (−∞) in the exponents).
      out[i] = m === -Infinity ? Infinity : -(m + Math.log(a * Math.exp(d.lA[i] - m) + b * Math.exp(d.lB[i] - m)));
    }
    return out;
  }

  /** θ's nuisance parameters. */
  private nuOf(theta: ArrayLike<number>): number[] {
    return Array.from({ length: this.K }, (_, k) => theta[this.nuOffset + k]);
  }

  /** The mixture's weights of classes A and B: (n_A, n_B) extended, else (μ, 1 − μ). */
  private yields(theta: ArrayLike<number>): [number, number] {
    return this.extended ? [theta[0], theta[1]] : [theta[0], 1 - theta[0]];
  }

  /** The objective for the minimizer. */
  readonly fcn: Fcn = (theta, grad) => this.value(theta, grad);

  value(theta: ArrayLike<number>, grad: Float64Array | null): number {
    this.nfcn++;
    if (grad) this.ngrad++;
    const K = this.K;
    const off = this.nuOffset;
    const nu = this.nuOf(theta);
    const d = this.source.evaluate(nu, grad !== null);
    const ev = this.events;
    const w = ev.weights;
    const [a, b] = this.yields(theta);
    let nll = this.extended ? a + b : 0;
    let ga = this.extended ? 1 : 0;
    let gb = this.extended ? 1 : 0;
    const gnu = new Float64Array(K);
    for (let i = 0; i < ev.n; i++) {
      const lA = d.lA[i];
      const lB = d.lB[i];
      const m = Math.max(lA, lB);
      const eA = Math.exp(lA - m);
      const eB = Math.exp(lB - m);
      const p = a * eA + b * eB;
      const wi = w ? w[i] : 1;
      nll -= wi * (m + Math.log(p));
      if (grad) {
        ga -= (wi * eA) / p;
        gb -= (wi * eB) / p;
        const rA = (wi * a * eA) / p;
        const rB = (wi * b * eB) / p;
        for (let k = 0; k < K; k++) gnu[k] -= rA * d.dA![i * K + k] + rB * d.dB![i * K + k];
      }
    }
    for (let k = 0; k < K; k++) {
      const z = (nu[k] - this.globalObs[k]) / this.sigmas[k];
      nll += 0.5 * z * z;
      gnu[k] += z / this.sigmas[k];
    }
    if (grad) {
      if (this.extended) {
        grad[0] = ga;
        grad[1] = gb;
      } else grad[0] = ga - gb; // ∂/∂μ of (μ, 1 − μ)
      for (let k = 0; k < K; k++) grad[off + k] = gnu[k];
    }
    return Number.isFinite(nll) ? nll : Infinity;
  }
}
