/** The correlation matrix of a fit: ρ_ij = V_ij / (σ_i σ_j); rows and columns of fixed parameters are 0. */
import type { FitResult } from './types.js';

export function correlation(result: Pick<FitResult, 'covariance'>): Float64Array[] {
  const v = result.covariance;
  const sd = Float64Array.from(v, (row, i) => Math.sqrt(Math.max(0, row[i])));
  return v.map((row, i) =>
    Float64Array.from(row, (vij, j) => (sd[i] > 0 && sd[j] > 0 ? (i === j ? 1 : vij / (sd[i] * sd[j])) : 0)),
  );
}
