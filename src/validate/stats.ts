/**
 * Small statistics for the validation: means and standard deviations, and the standard normal
 * CDF (for bin masses of exact Gaussian truths). The KL estimators are in analysis/kl.ts.
 *
 * Hand-written: each is a few lines, and the conventions (float64 accumulation, population
 * std for moments) are what the report documents.
 */

/** Population mean and standard deviation (÷ n) of v[i] over the indices where `keep(i)`. */
export function meanStd(
  v: ArrayLike<number>,
  keep: (i: number) => boolean = () => true,
  stride = 1,
  offset = 0,
): { mean: number; std: number; n: number } {
  let n = 0;
  let s = 0;
  const count = Math.floor((v.length - offset + stride - 1) / stride);
  for (let i = 0; i < count; i++) {
    if (!keep(i)) continue;
    s += v[i * stride + offset];
    n++;
  }
  const mean = n > 0 ? s / n : NaN;
  let q = 0;
  for (let i = 0; i < count; i++) {
    if (!keep(i)) continue;
    const d = v[i * stride + offset] - mean;
    q += d * d;
  }
  return { mean, std: n > 0 ? Math.sqrt(q / n) : NaN, n };
}

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
