/**
 * The standard normal distribution to ~1e-13 relative, tails included: erfc, Φ, its upper tail, and their
 * inverses.
 *
 * Why by hand: the small JavaScript statistics packages (simple-statistics' errorFunction and probit, for
 * one) evaluate a fixed polynomial approximation good to ~1e-7, and the alternatives are large numerics
 * libraries for two functions; significances like Z = 5 (p ≈ 2.9e-7) and CLs ratios of small tail
 * probabilities need full relative precision deep in the tail, and the method below is short and checked
 * against 17-digit values (test/fit-stats.test.ts).
 *
 * erfc(x), x ≥ 0:
 *   x < 2:  1 − erf(x), erf from the all-positive series erf(x) = 2/√π · e^(−x²) · Σ (2x²)ⁿ x / (1·3·…·(2n+1))
 *           (no cancellation inside the sum; 1 − erf loses at most a factor 1/erfc(2) ≈ 200 of relative
 *           precision, ~2e-14);
 *   x ≥ 2:  the continued fraction erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))),
 *           evaluated by the modified Lentz method.
 * Inverse: a starting point from the classical rational approximation in t = √(−2 ln p) (error < 5e-4),
 * then Halley steps on Φ(x) = p, which converge cubically; the lower tail is solved directly so tiny p keep
 * their relative precision.
 */

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const ONE_OVER_SQRT_PI = 1 / Math.sqrt(Math.PI);
const SQRT_HALF = Math.SQRT1_2;
const ONE_OVER_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

function erfSeries(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 0; n < 200; n++) {
    term *= (2 * x2) / (2 * n + 3);
    sum += term;
    if (term < 1e-17 * sum) break;
  }
  return TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
}

function erfcContinuedFraction(x: number): number {
  // f = x + a1/(x + a2/(x + …)), a_n = n/2; modified Lentz.
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 5000; n++) {
    const a = n / 2;
    d = x + a * d;
    d = d === 0 ? tiny : d;
    c = x + a / c;
    c = c === 0 ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return (ONE_OVER_SQRT_PI * Math.exp(-x * x)) / f;
}

/** The complementary error function erfc(x) = 1 − erf(x). */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < 2) return 1 - erfSeries(x);
  if (x > 27.3) return 0; // below the smallest double
  return erfcContinuedFraction(x);
}

export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (Math.abs(x) < 2) return x < 0 ? -erfSeries(-x) : erfSeries(x);
  return x < 0 ? erfc(-x) - 1 : 1 - erfc(x);
}

export function normalPdf(x: number): number {
  return ONE_OVER_SQRT_2PI * Math.exp(-0.5 * x * x);
}

/** Φ(x) = P(Z ≤ x), accurate relative to itself in the lower tail. */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x * SQRT_HALF);
}

/** 1 − Φ(x) = P(Z > x), accurate relative to itself in the upper tail (a p-value). */
export function normalSf(x: number): number {
  return 0.5 * erfc(x * SQRT_HALF);
}

/** The lower-tail quantile for 0 < p ≤ 0.5. */
function lowerQuantile(p: number): number {
  // Start: x ≈ −(t − (c0 + c1 t + c2 t²)/(1 + d1 t + d2 t² + d3 t³)), t = √(−2 ln p), good to ~5e-4.
  const t = Math.sqrt(-2 * Math.log(p));
  let x = -(
    t -
    (2.515517 + 0.802853 * t + 0.010328 * t * t) / (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t ** 3)
  );
  for (let it = 0; it < 20; it++) {
    // Halley on F(x) = Φ(x) − p: F′ = φ, F″ = −xφ, so x ← x − u/(1 + x·u/2) with u = F/φ.
    const u = (normalCdf(x) - p) / normalPdf(x);
    const dx = u / (1 + 0.5 * x * u);
    x -= dx;
    if (Math.abs(dx) <= 1e-15 * Math.max(1, Math.abs(x))) break;
  }
  return x;
}

function checkProbability(p: number, what: string): void {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`${what}: probability must lie in [0, 1], got ${p}`);
}

/** Φ⁻¹(p): the x with P(Z ≤ x) = p. */
export function normalQuantile(p: number): number {
  checkProbability(p, 'normalQuantile');
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  if (p === 0.5) return 0;
  return p < 0.5 ? lowerQuantile(p) : -lowerQuantile(1 - p);
}

/** The x with P(Z > x) = p (inverse survival function): Z from a p-value, precise for tiny p. */
export function normalIsf(p: number): number {
  checkProbability(p, 'normalIsf');
  if (p === 0) return Infinity;
  if (p === 1) return -Infinity;
  if (p === 0.5) return 0;
  return p < 0.5 ? -lowerQuantile(p) : lowerQuantile(1 - p);
}
