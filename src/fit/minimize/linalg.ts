/**
 * The few dense linear-algebra routines the minimizer needs, on small symmetric matrices stored row-major in
 * one Float64Array (n is the number of free parameters: a handful, so O(n³) is nothing next to one call of the
 * objective). Written here rather than taken from a library because the whole need is ~100 lines (Cholesky,
 * an SPD inverse, Jacobi eigenvalues) and the callers want in-place work on preallocated buffers, which the
 * general-purpose JS matrix libraries do not offer without allocation.
 */

/** In-place Cholesky factor (lower triangle, a = L·Lᵀ); false when a is not positive definite. */
export function choleskyInPlace(a: Float64Array, n: number): boolean {
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j];
    for (let k = 0; k < j; k++) d -= a[j * n + k] * a[j * n + k];
    if (!(d > 0) || !Number.isFinite(d)) return false;
    const ljj = Math.sqrt(d);
    a[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = s / ljj;
    }
  }
  return true;
}

/**
 * out = a⁻¹ for symmetric positive-definite a (a is left unchanged; work holds n² scratch).
 * False when a is not positive definite; out is then unspecified.
 */
export function invertSpd(a: Float64Array, n: number, out: Float64Array, work: Float64Array): boolean {
  work.set(a.subarray(0, n * n));
  if (!choleskyInPlace(work, n)) return false;
  // Solve L·Lᵀ·X = I column by column.
  for (let c = 0; c < n; c++) {
    for (let i = 0; i < n; i++) {
      let s = i === c ? 1 : 0;
      for (let k = 0; k < i; k++) s -= work[i * n + k] * out[k * n + c];
      out[i * n + c] = s / work[i * n + i];
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = out[i * n + c];
      for (let k = i + 1; k < n; k++) s -= work[k * n + i] * out[k * n + c];
      out[i * n + c] = s / work[i * n + i];
    }
  }
  symmetrize(out, n);
  return true;
}

export function symmetrize(a: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const m = 0.5 * (a[i * n + j] + a[j * n + i]);
      a[i * n + j] = m;
      a[j * n + i] = m;
    }
  }
}

/** Largest |a_ij − a_ji| / √(|a_ii a_jj|): how far a finite-difference Hessian is from symmetric. */
export function relativeAsymmetry(a: Float64Array, n: number): number {
  let worst = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const scale = Math.sqrt(Math.abs(a[i * n + i] * a[j * n + j])) || 1;
      worst = Math.max(worst, Math.abs(a[i * n + j] - a[j * n + i]) / scale);
    }
  }
  return worst;
}

/** Eigenvalues of a symmetric matrix by cyclic Jacobi rotations (a is left unchanged). */
export function symmetricEigenvalues(a: Float64Array, n: number): Float64Array {
  const m = Float64Array.from(a.subarray(0, n * n));
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) off += m[i * n + j] * m[i * n + j];
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q];
        if (apq === 0) continue;
        // The rotation angle that zeroes m[p][q]: t = tan θ, the smaller root of t² + 2τt − 1 = 0.
        const tau = (m[q * n + q] - m[p * n + p]) / (2 * apq);
        const t = Math.sign(tau || 1) / (Math.abs(tau) + Math.sqrt(1 + tau * tau));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const mkp = m[k * n + p];
          const mkq = m[k * n + q];
          m[k * n + p] = c * mkp - s * mkq;
          m[k * n + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p * n + k];
          const mqk = m[q * n + k];
          m[p * n + k] = c * mpk - s * mqk;
          m[q * n + k] = s * mpk + c * mqk;
        }
      }
    }
  }
  const ev = new Float64Array(n);
  for (let i = 0; i < n; i++) ev[i] = m[i * n + i];
  return ev;
}

/** out = a·x. */
export function matVec(a: Float64Array, n: number, x: Float64Array, out: Float64Array): void {
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += a[i * n + j] * x[j];
    out[i] = s;
  }
}

export function dot(x: Float64Array, y: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += x[i] * y[i];
  return s;
}

/** xᵀ·a·x. */
export function quadraticForm(a: Float64Array, n: number, x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    let r = 0;
    for (let j = 0; j < n; j++) r += a[i * n + j] * x[j];
    s += x[i] * r;
  }
  return s;
}
