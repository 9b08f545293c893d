/**
 * Data-versus-model marginals without an exact truth: per feature, the held-out events and as
 * many model draws (at the same contexts) histogrammed on common bins (equal-count bins of the
 * data, so every bin is populated), and χ² = Σ (d − m)² / (σ_d² + σ_m²) over the bins with
 * ndf = bins − 1 (the model sample is normalised to the data's Σw). σ² is Σw² per bin (Poisson
 * with weights). χ²/ndf ≈ 1 when the model describes that marginal to the samples' precision.
 */

export interface MarginalChi2 {
  chi2: number;
  ndf: number;
}

/** Column `dim` of [n, F] rows, with the data's weights (model rows weigh 1). */
export function marginalChi2(
  data: Float32Array,
  model: Float32Array,
  F: number,
  dim: number,
  weights: Float64Array | undefined,
  bins = 20,
): MarginalChi2 {
  const n = data.length / F;
  const m = model.length / F;
  const sorted = Float64Array.from({ length: n }, (_, i) => data[i * F + dim]).sort();
  // Inner edges at the data's quantiles; the outer bins are open, so no event falls outside.
  const edges: number[] = [];
  for (let b = 1; b < bins; b++) {
    const e = sorted[Math.min(n - 1, Math.floor((b * n) / bins))];
    if (edges.length === 0 || e > edges[edges.length - 1]) edges.push(e);
  }
  const k = edges.length + 1;
  const d = new Float64Array(k);
  const d2 = new Float64Array(k);
  const mc = new Float64Array(k);
  const bin = (v: number) => {
    let lo = 0;
    let hi = edges.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (edges[mid] <= v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  let sumW = 0;
  for (let i = 0; i < n; i++) {
    const w = weights ? weights[i] : 1;
    const b = bin(data[i * F + dim]);
    d[b] += w;
    d2[b] += w * w;
    sumW += w;
  }
  for (let j = 0; j < m; j++) mc[bin(model[j * F + dim])]++;
  const scale = sumW / m;
  let chi2 = 0;
  for (let b = 0; b < k; b++) {
    const variance = d2[b] + mc[b] * scale * scale;
    if (variance > 0) chi2 += (d[b] - mc[b] * scale) ** 2 / variance;
  }
  return { chi2, ndf: k - 1 };
}
