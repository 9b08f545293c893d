/**
 * The pure arithmetic behind the residual-transform showcase (figures.md §B): no model, no
 * drawing, so each piece is tested on its own.
 *
 *  - additive / cross-term decomposition of a field on the (ν_i, ν_j) plane;
 *  - inverting a small Jacobian (the inverse map's Jacobian by the inverse function theorem);
 *  - number and file-name formatting (%g as the reference writes `_nup1`).
 *
 * Grids, windows and grid KL are shared with the validation: src/analysis/.
 */

/** Index of the value nearest to `target` (first one on ties). */
export function nearestIndex(values: ArrayLike<number>, target: number): number {
  if (values.length === 0) throw new Error('visualize/pure nearestIndex: empty array');
  let best = 0;
  for (let i = 1; i < values.length; i++) {
    if (Math.abs(values[i] - target) < Math.abs(values[best] - target)) best = i;
  }
  return best;
}

export interface CrossDecomposition {
  /** F(ν_i, ν_j) as given. */
  full: Float64Array;
  /** F(ν_i, 0) + F(0, ν_j) − F(0, 0), through the grid row and column nearest 0. */
  additive: Float64Array;
  /** full − additive: zero on both axes by construction. */
  cross: Float64Array;
}

/**
 * Splits a field on an nx × ny grid of (ν_i = xs[a], ν_j = ys[b]) (value at a + b·nx, row b = 0
 * at the smallest ν_j) into its additive part and the rest (the nuisance cross-term).
 */
export function crossDecompose(
  full: ArrayLike<number>,
  xs: ArrayLike<number>,
  ys: ArrayLike<number>,
): CrossDecomposition {
  const nx = xs.length;
  const ny = ys.length;
  if (full.length !== nx * ny)
    throw new Error(`visualize/pure crossDecompose: ${full.length} values for a ${nx} × ${ny} grid`);
  const a0 = nearestIndex(xs, 0);
  const b0 = nearestIndex(ys, 0);
  const f = Float64Array.from(full);
  const additive = new Float64Array(nx * ny);
  const cross = new Float64Array(nx * ny);
  const origin = f[a0 + b0 * nx];
  for (let b = 0; b < ny; b++) {
    for (let a = 0; a < nx; a++) {
      const k = a + b * nx;
      additive[k] = f[a + b0 * nx] + f[a0 + b * nx] - origin;
      cross[k] = f[k] - additive[k];
    }
  }
  return { full: f, additive, cross };
}

/** max |v| over finite values (0 for none). */
export function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) {
    const a = Math.abs(values[i]);
    if (Number.isFinite(a) && a > m) m = a;
  }
  return m;
}

/**
 * Inverse of an F × F matrix (row-major) by Gauss–Jordan with partial pivoting; throws on a
 * singular matrix. F is the feature count (2 here), so no library is worth pulling in.
 */
export function invertMatrix(m: ArrayLike<number>, F: number): Float64Array {
  if (m.length !== F * F) throw new Error(`visualize/pure invertMatrix: ${m.length} values for ${F} × ${F}`);
  const a = Float64Array.from(m);
  const inv = new Float64Array(F * F);
  for (let i = 0; i < F; i++) inv[i * F + i] = 1;
  for (let c = 0; c < F; c++) {
    let p = c;
    for (let r = c + 1; r < F; r++) if (Math.abs(a[r * F + c]) > Math.abs(a[p * F + c])) p = r;
    const piv = a[p * F + c];
    if (!(Math.abs(piv) > 0) || !Number.isFinite(piv))
      throw new Error(`visualize/pure invertMatrix: singular Jacobian (pivot ${piv} in column ${c})`);
    if (p !== c) {
      for (let k = 0; k < F; k++) {
        [a[p * F + k], a[c * F + k]] = [a[c * F + k], a[p * F + k]];
        [inv[p * F + k], inv[c * F + k]] = [inv[c * F + k], inv[p * F + k]];
      }
    }
    for (let k = 0; k < F; k++) {
      a[c * F + k] /= piv;
      inv[c * F + k] /= piv;
    }
    for (let r = 0; r < F; r++) {
      if (r === c) continue;
      const f = a[r * F + c];
      if (f === 0) continue;
      for (let k = 0; k < F; k++) {
        a[r * F + k] -= f * a[c * F + k];
        inv[r * F + k] -= f * inv[c * F + k];
      }
    }
  }
  return inv;
}

/** Python's `%g` for ordinary numbers (1 → "1", 0.5 → "0.5", 1e-5 → "1e-05"): file-name suffixes as the reference. */
export function formatG(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const exp = Math.floor(Math.log10(Math.abs(v)));
  if (exp < -4 || exp >= 6) {
    const [mant, e] = v.toExponential(5).split('e');
    const m = mant.replace(/\.?0+$/, '');
    const en = Number(e);
    return `${m}e${en < 0 ? '-' : '+'}${String(Math.abs(en)).padStart(2, '0')}`;
  }
  return String(Number(v.toPrecision(6)));
}

/** A compact number for titles and labels: up to 3 significant digits, no trailing zeros ("1.5", "0", "-0.8"). */
export function formatShort(v: number): string {
  if (v === 0 || Object.is(v, -0)) return '0';
  return String(Number(v.toPrecision(3)));
}

/** "(1, 0.5)" */
export function formatPoint(p: ArrayLike<number>): string {
  return `(${Array.from(p, formatShort).join(', ')})`;
}

/** ±1.0 style with one decimal and an explicit sign, as the reference's panel titles. */
export function formatSigned(v: number): string {
  return `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(1)}`;
}

/** A ratio such as 3.9e-3 for the cross-term notes. */
export function formatSci(v: number): string {
  if (v === 0) return '0';
  return v.toExponential(1).replace('e+0', '').replace('e+', 'e').replace('e-', 'e-');
}
