/**
 * Small statistics for the validation: the KL estimator of the closure report, means and
 * standard deviations, and the standard normal CDF (for bin masses of exact Gaussian truths).
 *
 * Hand-written: each is a few lines, and the conventions (float64 accumulation, population
 * std for moments, sample std for the standard error) are what the report documents.
 */

export interface KlEstimate {
  /** Mean −log p_model over the truth events. */
  nllModel: number;
  /** Mean −log p_truth over the truth events. */
  nllTruth: number;
  /** KL(truth‖model) ≈ mean(log p_truth − log p_model). */
  kl: number;
  /** Standard error of `kl`: std of the per-event difference / √n (n − 1 in the std). */
  klSe: number;
  n: number;
}

/**
 * KL(truth‖model) = E_truth[log p_truth − log p_model] from per-event log-densities at truth
 * samples. Non-finite model values make the estimate infinite (a model that gives 0 density to
 * a truth event has infinite KL), which is reported as such rather than dropped.
 */
export function klEstimate(logTruth: ArrayLike<number>, logModel: ArrayLike<number>): KlEstimate {
  const n = logTruth.length;
  if (logModel.length !== n)
    throw new Error(`validate/stats klEstimate: ${n} truth log-densities but ${logModel.length} model ones`);
  if (n < 2) throw new Error(`validate/stats klEstimate: need at least 2 events, got ${n}`);
  let sT = 0;
  let sM = 0;
  let sD = 0;
  for (let i = 0; i < n; i++) {
    sT += logTruth[i];
    sM += logModel[i];
  }
  const mT = sT / n;
  const mM = sM / n;
  const kl = mT - mM;
  // Second pass about the mean: the differences are tiny next to the log-densities themselves.
  for (let i = 0; i < n; i++) {
    const d = logTruth[i] - logModel[i] - kl;
    sD += d * d;
  }
  const klSe = Number.isFinite(kl) ? Math.sqrt(sD / (n - 1) / n) : NaN;
  return { nllModel: -mM, nllTruth: -mT, kl, klSe, n };
}

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
