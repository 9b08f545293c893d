/**
 * Asymptotic distributions of profile-likelihood test statistics, after Cowan, Cranmer, Gross and Vitells,
 * "Asymptotic formulae for likelihood-based tests of new physics" (EPJC 71 (2011) 1554, arXiv:1007.1727).
 *
 * Notation: μ is the tested signal strength, μ′ the one the data come from, μ̂ the fitted value, σ the
 * standard deviation of μ̂ (Wald: −2 ln λ(μ) ≈ (μ − μ̂)²/σ²), found from an Asimov data set:
 * σ² = (μ − μ′)² / q_{μ,A} (sigmaFromAsimov). All functions are pure functions of numbers; the statistics
 * themselves come from the caller's fits as differences of the negative log-likelihood (ΔNLL), so
 * −2 ln λ = 2·ΔNLL.
 *
 *   t_μ  = −2 ln λ(μ)                                   two-sided, p = 2(1 − Φ(√t))
 *   q₀   = −2 ln λ(0) if μ̂ ≥ 0, else 0                  discovery, p₀ = 1 − Φ(√q₀), Z = √q₀
 *   q_μ  = −2 ln λ(μ) if μ̂ ≤ μ, else 0                  upper limits, p = 1 − Φ(√q_μ)
 *   q̃_μ  = −2 ln [L(μ)/L(0)]   if μ̂ < 0                 upper limits with μ ≥ 0 (μ̂ constrained)
 *        = −2 ln [L(μ)/L(μ̂)]   if 0 ≤ μ̂ ≤ μ
 *        = 0                   if μ̂ > μ
 * CLs = p_μ / (1 − p_b), both from the distribution of q̃_μ, under μ and under μ′ = 0. With a constant σ the
 * 95 % CLs upper limit is closed-form, μ_up = μ̂ + σ·Φ⁻¹(1 − α·Φ(μ̂/σ)), and its expected band under the
 * background-only hypothesis (μ̂ = N·σ) is σ·(N + Φ⁻¹(1 − α·Φ(N))), N = 0, ±1, ±2.
 */
import { normalCdf, normalIsf, normalSf } from './normal.js';

function checkSigma(sigma: number, what: string): void {
  if (!(sigma > 0) || !Number.isFinite(sigma)) throw new RangeError(`${what}: sigma must be positive, got ${sigma}`);
}

function checkStatistic(q: number, what: string): void {
  if (!(q >= 0)) throw new RangeError(`${what}: the test statistic must be ≥ 0, got ${q}`);
}

// ── The statistics from fitted NLL values ───────────────────────────────────────────────────────────────────

/** t_μ = 2·(NLL(μ, profiled) − NLL_min); rounding below the minimum is clipped to 0. */
export function tMu(nllAtMu: number, nllMin: number): number {
  return Math.max(0, 2 * (nllAtMu - nllMin));
}

/** q₀ = 2·(NLL(0) − NLL_min) for μ̂ ≥ 0, else 0 (a deficit is no evidence for a signal). */
export function qZero(nllAtZero: number, nllMin: number, muHat: number): number {
  return muHat >= 0 ? tMu(nllAtZero, nllMin) : 0;
}

/** q_μ = 2·(NLL(μ) − NLL_min) for μ̂ ≤ μ, else 0 (an excess above μ is no evidence against μ). */
export function qMu(nllAtMu: number, nllMin: number, muHat: number, mu: number): number {
  return muHat <= mu ? tMu(nllAtMu, nllMin) : 0;
}

/** q̃_μ: like q_μ, but for μ̂ < 0 the reference is the best physical point μ = 0. */
export function qTildeMu(nllAtMu: number, nllAtZero: number, nllMin: number, muHat: number, mu: number): number {
  if (muHat > mu) return 0;
  return muHat < 0 ? tMu(nllAtMu, nllAtZero) : tMu(nllAtMu, nllMin);
}

// ── Their asymptotic (Wald) values ──────────────────────────────────────────────────────────────────────────

/** t_μ ≈ ((μ − μ̂)/σ)². */
export function tMuWald(mu: number, muHat: number, sigma: number): number {
  checkSigma(sigma, 'tMuWald');
  return ((mu - muHat) / sigma) ** 2;
}

/** q̃_μ ≈ (μ² − 2μμ̂)/σ² for μ̂ < 0, (μ − μ̂)²/σ² for 0 ≤ μ̂ ≤ μ, 0 for μ̂ > μ. */
export function qTildeWald(mu: number, muHat: number, sigma: number): number {
  checkSigma(sigma, 'qTildeWald');
  if (muHat > mu) return 0;
  if (muHat < 0) return (mu * mu - 2 * mu * muHat) / (sigma * sigma);
  return ((mu - muHat) / sigma) ** 2;
}

/** σ of μ̂ from the Asimov data set generated at μ′ and tested at μ: σ = |μ − μ′| / √q_{μ,A}. */
export function sigmaFromAsimov(mu: number, muPrime: number, qAsimov: number): number {
  if (!(qAsimov > 0)) throw new RangeError(`sigmaFromAsimov: the Asimov statistic must be > 0, got ${qAsimov}`);
  if (mu === muPrime) throw new RangeError('sigmaFromAsimov: μ and μ′ must differ (the Asimov q would be 0)');
  return Math.abs(mu - muPrime) / Math.sqrt(qAsimov);
}

// ── Distributions and p-values ──────────────────────────────────────────────────────────────────────────────

/** p-value of t_μ under μ (χ² with one degree of freedom): 2·(1 − Φ(√t)). */
export function pValueTMu(t: number): number {
  checkStatistic(t, 'pValueTMu');
  return 2 * normalSf(Math.sqrt(t));
}

/** F(t_μ | μ′) = Φ(√t + (μ − μ′)/σ) + Φ(√t − (μ − μ′)/σ) − 1. */
export function cdfTMu(t: number, mu: number, muPrime: number, sigma: number): number {
  checkStatistic(t, 'cdfTMu');
  checkSigma(sigma, 'cdfTMu');
  const r = Math.sqrt(t);
  const d = (mu - muPrime) / sigma;
  return normalCdf(r + d) - normalSf(r - d); // = Φ(r + d) + Φ(r − d) − 1 without cancellation of the 1
}

/** Discovery significance Z = √q₀. */
export function significance(q0: number): number {
  checkStatistic(q0, 'significance');
  return Math.sqrt(q0);
}

/** p₀ = 1 − Φ(√q₀). */
export function pValueQZero(q0: number): number {
  checkStatistic(q0, 'pValueQZero');
  return normalSf(Math.sqrt(q0));
}

/** The Z of a one-sided p-value: Z = Φ⁻¹(1 − p). */
export function zFromPValue(p: number): number {
  return normalIsf(p);
}

/** F(q₀ | μ′) = Φ(√q₀ − μ′/σ) (for q₀ > 0). */
export function cdfQZero(q0: number, muPrime: number, sigma: number): number {
  checkStatistic(q0, 'cdfQZero');
  checkSigma(sigma, 'cdfQZero');
  return normalCdf(Math.sqrt(q0) - muPrime / sigma);
}

/** p_μ of q_μ under μ: 1 − Φ(√q_μ). */
export function pValueQMu(q: number): number {
  checkStatistic(q, 'pValueQMu');
  return normalSf(Math.sqrt(q));
}

/** F(q_μ | μ′) = Φ(√q_μ − (μ − μ′)/σ) (for q_μ > 0). */
export function cdfQMu(q: number, mu: number, muPrime: number, sigma: number): number {
  checkStatistic(q, 'cdfQMu');
  checkSigma(sigma, 'cdfQMu');
  return normalCdf(Math.sqrt(q) - (mu - muPrime) / sigma);
}

/**
 * 1 − F(q̃_μ | μ′), the survival function of q̃_μ (for q̃ > 0):
 *   q̃ ≤ μ²/σ²:  1 − Φ(√q̃ − (μ − μ′)/σ)
 *   q̃ > μ²/σ²:  1 − Φ((q̃ − (μ² − 2μμ′)/σ²) / (2μ/σ))
 */
export function survivalQTilde(q: number, mu: number, muPrime: number, sigma: number): number {
  checkStatistic(q, 'survivalQTilde');
  checkSigma(sigma, 'survivalQTilde');
  if (!(mu > 0)) throw new RangeError(`survivalQTilde: q̃_μ needs μ > 0, got ${mu}`);
  const edge = (mu * mu) / (sigma * sigma);
  if (q <= edge) return normalSf(Math.sqrt(q) - (mu - muPrime) / sigma);
  return normalSf((q - (mu * mu - 2 * mu * muPrime) / (sigma * sigma)) / ((2 * mu) / sigma));
}

/** F(q̃_μ | μ′). */
export function cdfQTilde(q: number, mu: number, muPrime: number, sigma: number): number {
  return 1 - survivalQTilde(q, mu, muPrime, sigma);
}

/** p_μ of q̃_μ under μ. */
export function pValueQTilde(q: number, mu: number, sigma: number): number {
  return survivalQTilde(q, mu, mu, sigma);
}

/** CLs = p_μ / (1 − p_b) for an observed q̃_μ: the signal p-value over the background-only one. */
export function clsQTilde(q: number, mu: number, sigma: number): number {
  return survivalQTilde(q, mu, mu, sigma) / survivalQTilde(q, mu, 0, sigma);
}

// ── Upper limits ────────────────────────────────────────────────────────────────────────────────────────────

/** The observed CLs upper limit at confidence 1 − α for μ̂ and a constant σ: μ̂ + σ·Φ⁻¹(1 − α·Φ(μ̂/σ)). */
export function clsUpperLimit(muHat: number, sigma: number, alpha = 0.05): number {
  checkSigma(sigma, 'clsUpperLimit');
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`clsUpperLimit: alpha must lie in (0, 1), got ${alpha}`);
  return muHat + sigma * normalIsf(alpha * normalCdf(muHat / sigma));
}

export interface ExpectedBand {
  minus2: number;
  minus1: number;
  median: number;
  plus1: number;
  plus2: number;
}

/**
 * The expected CLs upper limit under the background-only hypothesis and its ±1σ, ±2σ band:
 * μ_up(N) = σ·(N + Φ⁻¹(1 − α·Φ(N))), σ from the Asimov data set at μ′ = 0.
 */
export function expectedClsBand(sigma: number, alpha = 0.05): ExpectedBand {
  checkSigma(sigma, 'expectedClsBand');
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`expectedClsBand: alpha must lie in (0, 1), got ${alpha}`);
  const at = (n: number) => sigma * (n + normalIsf(alpha * normalCdf(n)));
  return { minus2: at(-2), minus1: at(-1), median: at(0), plus1: at(1), plus2: at(2) };
}

/**
 * The μ where a decreasing CLs(μ) crosses α, for a CLs from scans (σ varying with μ): bisection refined by
 * the secant on ln CLs, between muLow (CLs > α) and muHigh (CLs < α), to |Δμ| ≤ tol.
 */
export function solveUpperLimit(
  cls: (mu: number) => number,
  muLow: number,
  muHigh: number,
  alpha = 0.05,
  tol = 1e-8,
): number {
  let lo = muLow;
  let hi = muHigh;
  let fLo = Math.log(cls(lo)) - Math.log(alpha);
  let fHi = Math.log(cls(hi)) - Math.log(alpha);
  if (!(fLo > 0 && fHi < 0))
    throw new RangeError(`solveUpperLimit: CLs must be above ${alpha} at ${muLow} and below it at ${muHigh}`);
  for (let it = 0; it < 200 && hi - lo > tol; it++) {
    const secant = lo - (fLo * (hi - lo)) / (fHi - fLo);
    const mid = 0.5 * (lo + hi);
    // Secant when it lands well inside, bisection otherwise: never slower than bisection.
    const mu = secant > lo + 0.1 * (hi - lo) && secant < hi - 0.1 * (hi - lo) ? secant : mid;
    const f = Math.log(cls(mu)) - Math.log(alpha);
    if (f > 0) {
      lo = mu;
      fLo = f;
    } else {
      hi = mu;
      fHi = f;
    }
  }
  return 0.5 * (lo + hi);
}
