/**
 * The standard normal CDF, for bin masses of exact Gaussian truths (hand-written: a few lines).
 * Moments and the KL estimators are in src/analysis/.
 */

/**
 * erfc for x ≥ 0 (W. J. Cody's rational Chebyshev fit as given in Numerical Recipes' erfcc,
 * fractional error < 1.2e-7 everywhere), extended to x < 0 by erfc(−x) = 2 − erfc(x).
 */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** Standard normal CDF Φ(x). */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

/** Probability mass of N(mu, sd²) in each bin [edges[k], edges[k+1]), added (× weight) to out. */
export function addGaussianBinMass(
  out: Float64Array,
  edges: ArrayLike<number>,
  mu: number,
  sd: number,
  weight = 1,
): void {
  let prev = normalCdf((edges[0] - mu) / sd);
  for (let k = 0; k < out.length; k++) {
    const next = normalCdf((edges[k + 1] - mu) / sd);
    out[k] += weight * (next - prev);
    prev = next;
  }
}
