/**
 * The gpu.js kernel functions of the gpu backend.
 *
 * gpu.js compiles each function from its source text (Function.prototype.toString, parsed with
 * acorn) to GLSL, WGSL, wasm or plain JS, so everything in this file is written in gpu.js's
 * kernel subset: scalar `let`/`const`, `for`/`if`, ternaries, `Math.*`, flat array reads,
 * `this.thread`, and calls to the helper functions listed in `HELPERS`. No closures, no local
 * arrays, no imports used inside a body — a body that uses them would compile on the cpu mode
 * and fail on a GPU. One value comes out per thread.
 *
 * Multi-output kernels (spline forward/inverse: value + ladj; spline backward: dx + P parameter
 * gradients; AdamW: param, m, v) are one 2-D dispatch whose second coordinate says which output
 * a thread writes: one upload and one readback per call instead of one per output. The price is
 * recomputation — every thread of an element rebuilds that element's spline (O(K) each), which
 * a GPU absorbs and the cpu test mode only pays for on small test sizes.
 *
 * Arithmetic is the device's float32 (float64 in gpu.js's cpu mode), so results agree with the
 * ts reference to rounding, not bit for bit: exp/log/tanh are the device's own.
 *
 * The spline math mirrors src/backend/ts/spline.ts step for step (same names in comments);
 * derivations live there.
 */

/** What `this` is inside a kernel body. */
export interface KernelThis {
  thread: { x: number; y: number; z: number };
}

// ---------------------------------------------------------------- helper functions
// gpu.js inlines/compiles these next to the kernels (settings.functions). Scalars only.

/** Activation codes as in kernels.ts `Act`: 0 none, 1 relu, 2 elu, 3 tanh. */
export function gpuApplyAct(v: number, act: number): number {
  if (act == 1) return v > 0 ? v : 0;
  if (act == 2) return v > 0 ? v : Math.exp(v) - 1;
  if (act == 3) {
    // tanh from one exp; saturates cleanly (exp overflow → 1, underflow → −1). GLSL ES 1.0
    // has no tanh, and WGSL's overflows to NaN on some drivers for |v| > ~44.
    return 1 - 2 / (Math.exp(2 * v) + 1);
  }
  return v;
}

/** Zuko's soft clamp c(v) = v / (1 + |f·v/λ|). */
export function gpuSoftClamp(v: number, f: number, lambda: number): number {
  return v / (1 + Math.abs((f * v) / lambda));
}

/** dc/dv = 1 / (1 + |f·v/λ|)². */
export function gpuSoftClampGrad(v: number, f: number, lambda: number): number {
  const q = 1 + Math.abs((f * v) / lambda);
  return 1 / (q * q);
}

/** ln J at ζ, J = s²(2sζ(1−ζ) + d_lo(1−ζ)² + d_hi ζ²) / den² (Zuko's order). */
export function gpuLogJacobian(z: number, s: number, dlo: number, dhi: number): number {
  const omz = 1 - z;
  const den = s + (dlo + dhi - 2 * s) * z * omz;
  const q = 2 * s * z * omz + dlo * (omz * omz) + dhi * (z * z);
  return Math.log((s * s * q) / (den * den));
}

export const HELPERS = [gpuApplyAct, gpuSoftClamp, gpuSoftClampGrad, gpuLogJacobian];

// ---------------------------------------------------------------------------- matmuls
// Output [N, M] in gpu.js order (x = column j, y = row i).

/** out[i, j] = act(Σ_k x[i,k]·w[j,k] + bias[j]); hasBias 0 → bias is a 1-element dummy. */
export function gpuMatmulNT(
  this: KernelThis,
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array,
  hasBias: number,
  act: number,
  K: number,
): number {
  const j = this.thread.x;
  const i = this.thread.y;
  let s = 0;
  if (hasBias > 0) s = bias[j];
  for (let k = 0; k < K; k++) {
    s += x[i * K + k] * w[j * K + k];
  }
  return gpuApplyAct(s, act);
}

/** out[i, j] = (acc ? prev[i, j] : 0) + Σ_k a[i,k]·b[k,j]. */
export function gpuMatmulNN(
  this: KernelThis,
  a: Float32Array,
  b: Float32Array,
  prev: Float32Array,
  accumulate: number,
  K: number,
  N: number,
): number {
  const j = this.thread.x;
  const i = this.thread.y;
  let s = 0;
  if (accumulate > 0) s = prev[i * N + j];
  for (let k = 0; k < K; k++) {
    s += a[i * K + k] * b[k * N + j];
  }
  return s;
}

/** out[i, j] = (acc ? prev[i, j] : 0) + Σ_r a[r,i]·b[r,j]. */
export function gpuMatmulTN(
  this: KernelThis,
  a: Float32Array,
  b: Float32Array,
  prev: Float32Array,
  accumulate: number,
  R: number,
  M: number,
  N: number,
): number {
  const j = this.thread.x;
  const i = this.thread.y;
  let s = 0;
  if (accumulate > 0) s = prev[i * N + j];
  for (let r = 0; r < R; r++) {
    s += a[r * M + i] * b[r * N + j];
  }
  return s;
}

// ------------------------------------------------------------------ reduction, AdamW

/** out[i] = Σ_j x[i, j] (the per-event log-det sum). Output [M]. */
export function gpuSumCols(this: KernelThis, x: Float32Array, N: number): number {
  const i = this.thread.x;
  let s = 0;
  for (let j = 0; j < N; j++) {
    s += x[i * N + j];
  }
  return s;
}

/**
 * One AdamW step, PyTorch order (decay, moments, bias-corrected step). Output [n, 3]:
 * y = 0 the new parameter, 1 the new m, 2 the new v. The bias corrections come in as
 * `stepSize` = lr / (1 − β1ᵗ) and `bc2Sqrt` = √(1 − β2ᵗ), computed once on the host in float64;
 * so are 1 − β1 and 1 − β2 (in float32, 1 − f32(0.999) is off by 1.3e-5 relative).
 */
export function gpuAdamW(
  this: KernelThis,
  param: Float32Array,
  grad: Float32Array,
  m: Float32Array,
  v: Float32Array,
  decay: number,
  beta1: number,
  oneMinusBeta1: number,
  beta2: number,
  oneMinusBeta2: number,
  eps: number,
  stepSize: number,
  bc2Sqrt: number,
): number {
  const e = this.thread.x;
  const which = this.thread.y;
  const g = grad[e];
  const mNew = m[e] * beta1 + g * oneMinusBeta1;
  const vNew = v[e] * beta2 + g * g * oneMinusBeta2;
  if (which == 1) return mNew;
  if (which == 2) return vNew;
  const denom = Math.sqrt(vNew) / bc2Sqrt + eps;
  return param[e] * decay - stepSize * (mNew / denom);
}

// ------------------------------------------------------------------------- splines
// Per element e: raw parameters raw[e·P .. e·P + P) = [K widths, K heights, K − 1 derivatives].

/**
 * Forward (inverse = 0) or inverse (inverse = 1) spline. Output [n, 2]: y = 0 the value
 * (y forward, x inverse), y = 1 the log-derivative.
 */
export function gpuSpline(
  this: KernelThis,
  v: Float32Array,
  raw: Float32Array,
  inverse: number,
  K: number,
  P: number,
  B: number,
  lambda: number,
): number {
  const e = this.thread.x;
  const which = this.thread.y;
  const t = v[e];
  const base = e * P;
  // Step 1: softmax of the clamped widths and heights (max-subtracted).
  let maxW = -3.0e38;
  let maxH = -3.0e38;
  for (let j1 = 0; j1 < K; j1++) {
    maxW = Math.max(maxW, gpuSoftClamp(raw[base + j1], 2, lambda));
    maxH = Math.max(maxH, gpuSoftClamp(raw[base + K + j1], 2, lambda));
  }
  let sumW = 0;
  let sumH = 0;
  for (let j2 = 0; j2 < K; j2++) {
    sumW += Math.exp(gpuSoftClamp(raw[base + j2], 2, lambda) - maxW);
    sumH += Math.exp(gpuSoftClamp(raw[base + K + j2], 2, lambda) - maxH);
  }
  const invW = 1 / sumW;
  const invH = 1 / sumH;
  // Step 2: walk the knots (prefix sums) once; k = #{ knots < t } − 1 on the x-knots
  // (forward) or the y-knots (inverse). Knots are non-decreasing, so the knots below t are a
  // prefix and the first knot not below t is knot k + 1.
  let k = -1;
  let xlo = 0;
  let xhi = 0;
  let ylo = 0;
  let yhi = 0;
  let haveHi = 0;
  let accW = 0;
  let accH = 0;
  for (let j3 = 0; j3 <= K; j3++) {
    let kx = -B;
    let ky = -B;
    if (j3 > 0) {
      kx = B * (2 * accW - 1);
      ky = B * (2 * accH - 1);
    }
    let key = kx;
    if (inverse > 0) key = ky;
    if (key < t) {
      k = j3;
      xlo = kx;
      ylo = ky;
    } else if (haveHi == 0) {
      xhi = kx;
      yhi = ky;
      haveHi = 1;
    }
    if (j3 < K) {
      accW += Math.exp(gpuSoftClamp(raw[base + j3], 2, lambda) - maxW) * invW;
      accH += Math.exp(gpuSoftClamp(raw[base + K + j3], 2, lambda) - maxH) * invH;
    }
  }
  // Outside [−B, x_K] (and NaN): the identity with log-derivative 0.
  if (k < 0 || k >= K) {
    if (which == 0) return t;
    return 0;
  }
  let dlo = 1;
  let dhi = 1;
  if (k > 0) dlo = Math.exp(gpuSoftClamp(raw[base + 2 * K + k - 1], 1, lambda));
  if (k < K - 1) dhi = Math.exp(gpuSoftClamp(raw[base + 2 * K + k], 1, lambda));
  const dxw = xhi - xlo;
  const dyh = yhi - ylo;
  const s = dyh / dxw;
  if (inverse == 0) {
    // Step 3, forward.
    const zf = (t - xlo) / dxw;
    const omzf = 1 - zf;
    if (which == 1) return gpuLogJacobian(zf, s, dlo, dhi);
    const den = s + (dlo + dhi - 2 * s) * zf * omzf;
    const num = s * (zf * zf) + dlo * zf * omzf;
    return ylo + (dyh * num) / den;
  }
  // Step 3, inverse: the cancellation-free root of aζ² + bζ + c = 0 (see ts/spline.ts).
  const below = t - ylo;
  const above = yhi - t;
  const a = s * (above - below) - dlo * above + dhi * below;
  const b = dlo * above - dhi * below + 2 * s * below;
  const c = -s * below;
  const sq = Math.sqrt(Math.max(b * b - 4 * a * c, 0));
  let root = (sq - b) / (2 * a);
  if (b >= 0) root = (2 * c) / (-b - sq);
  const z = Math.min(Math.max(root, 0), 1);
  const x = xlo + z * dxw;
  if (which == 0) return x;
  return -gpuLogJacobian((x - xlo) / dxw, s, dlo, dhi);
}

/**
 * Backward of the forward spline. Output [n, P + 1]: y = 0 is ∂L/∂x, y = 1 + p is ∂L/∂raw_p
 * (the caller scatters it into the [n, P] layout). The bin index is a constant of the backward.
 */
export function gpuSplineBackward(
  this: KernelThis,
  gyIn: Float32Array,
  glIn: Float32Array,
  xIn: Float32Array,
  raw: Float32Array,
  K: number,
  P: number,
  B: number,
  lambda: number,
): number {
  const e = this.thread.x;
  const q = this.thread.y;
  const t = xIn[e];
  const gy = gyIn[e];
  const gl = glIn[e];
  const base = e * P;
  let maxW = -3.0e38;
  let maxH = -3.0e38;
  for (let j1 = 0; j1 < K; j1++) {
    maxW = Math.max(maxW, gpuSoftClamp(raw[base + j1], 2, lambda));
    maxH = Math.max(maxH, gpuSoftClamp(raw[base + K + j1], 2, lambda));
  }
  let sumW = 0;
  let sumH = 0;
  for (let j2 = 0; j2 < K; j2++) {
    sumW += Math.exp(gpuSoftClamp(raw[base + j2], 2, lambda) - maxW);
    sumH += Math.exp(gpuSoftClamp(raw[base + K + j2], 2, lambda) - maxH);
  }
  const invW = 1 / sumW;
  const invH = 1 / sumH;
  // Knot walk as in gpuSpline, also keeping S_k (mass below bin k) and the bin's own masses.
  let k = -1;
  let xlo = 0;
  let xhi = 0;
  let ylo = 0;
  let yhi = 0;
  let haveHi = 0;
  let accW = 0;
  let accH = 0;
  let belowW = 0;
  let belowH = 0;
  let massWk = 0;
  let massHk = 0;
  for (let j3 = 0; j3 <= K; j3++) {
    let kx = -B;
    let ky = -B;
    if (j3 > 0) {
      kx = B * (2 * accW - 1);
      ky = B * (2 * accH - 1);
    }
    if (kx < t) {
      k = j3;
      xlo = kx;
      ylo = ky;
      belowW = accW;
      belowH = accH;
    } else if (haveHi == 0) {
      xhi = kx;
      yhi = ky;
      haveHi = 1;
    }
    if (j3 < K) {
      const mw = Math.exp(gpuSoftClamp(raw[base + j3], 2, lambda) - maxW) * invW;
      const mh = Math.exp(gpuSoftClamp(raw[base + K + j3], 2, lambda) - maxH) * invH;
      if (j3 == k) {
        massWk = mw;
        massHk = mh;
      }
      accW += mw;
      accH += mh;
    }
  }
  if (k < 0 || k >= K) {
    if (q == 0) return gy;
    return 0;
  }
  let dlo = 1;
  let dhi = 1;
  if (k > 0) dlo = Math.exp(gpuSoftClamp(raw[base + 2 * K + k - 1], 1, lambda));
  if (k < K - 1) dhi = Math.exp(gpuSoftClamp(raw[base + 2 * K + k], 1, lambda));
  // backwardInBin (ts/spline.ts), same names.
  const dxw = xhi - xlo;
  const dyh = yhi - ylo;
  const s = dyh / dxw;
  const z = (t - xlo) / dxw;
  const omz = 1 - z;
  const w = z * omz;
  const zz = z * z;
  const omz2 = omz * omz;
  const dsum = dlo + dhi - 2 * s;
  const den = s + dsum * z * omz;
  const num = s * zz + dlo * z * omz;
  const qq = 2 * s * z * omz + dlo * omz2 + dhi * zz;
  const den2 = den * den;
  const oneM2z = 1 - 2 * z;
  const oneM2w = 1 - 2 * w;
  const ratio = num / den;
  const rZ = (s * qq) / den2;
  const rS = (w * (dhi * zz - dlo * omz2)) / den2;
  const rDlo = (w * (s * omz2 + dhi * w)) / den2;
  const rDhi = -((w * num) / den2);
  const qZ = 2 * s * oneM2z - 2 * dlo * omz + 2 * dhi * z;
  const lZ = qZ / qq - (2 * (dsum * oneM2z)) / den;
  const lS = 2 / s + (2 * w) / qq - (2 * oneM2w) / den;
  const twoWoverD = (2 * w) / den;
  const lDlo = omz2 / qq - twoWoverD;
  const lDhi = zz / qq - twoWoverD;
  const gyd = gy * dyh;
  const gz = gyd * rZ + gl * lZ;
  const gs = gyd * rS + gl * lS;
  const gDlo = gyd * rDlo + gl * lDlo;
  const gDhi = gyd * rDhi + gl * lDhi;
  const gDy = gy * ratio + gs / dxw;
  const gDx = -((gs * s + gz * z) / dxw);
  const gx = gz / dxw;
  if (q == 0) return gx;
  const p = q - 1;
  if (p < 2 * K) {
    // massesBackward: widths (p < K, knot gradients x_lo, x_hi) or heights (y_lo, y_hi).
    let jj = p;
    let gLo = -gx - gDx;
    let gHi = gDx;
    let below = belowW;
    let massK = massWk;
    let mx = maxW;
    let inv = invW;
    if (p >= K) {
      jj = p - K;
      gLo = gy - gDy;
      gHi = gDy;
      below = belowH;
      massK = massHk;
      mx = maxH;
      inv = invH;
    }
    const rawJ = raw[base + p];
    const massJ = Math.exp(gpuSoftClamp(rawJ, 2, lambda) - mx) * inv;
    const gBelow = 2 * B * (gLo + gHi);
    const gAt = 2 * B * gHi;
    // Σ_i mass_i·∂L/∂mass_i: gBelow on every bin under k, gAt on bin k.
    const dot = below * gBelow + massK * gAt;
    let gMass = 0;
    if (jj < k) gMass = gBelow;
    if (jj == k) gMass = gAt;
    return massJ * (gMass - dot) * gpuSoftClampGrad(rawJ, 2, lambda);
  }
  // Interior derivative i = p − 2K feeds δ_{i+1}: the bin's d_lo when i = k − 1, d_hi when i = k.
  const i = p - 2 * K;
  const rawD = raw[base + p];
  if (i == k - 1) return gDlo * dlo * gpuSoftClampGrad(rawD, 1, lambda);
  if (i == k) return gDhi * dhi * gpuSoftClampGrad(rawD, 1, lambda);
  return 0;
}

/** Every kernel by the name the runner knows it under. */
export const KERNEL_SOURCES = {
  matmulNT: gpuMatmulNT,
  matmulNN: gpuMatmulNN,
  matmulTN: gpuMatmulTN,
  sumCols: gpuSumCols,
  adamw: gpuAdamW,
  spline: gpuSpline,
  splineBackward: gpuSplineBackward,
} as const;

export type GpuKernelName = keyof typeof KERNEL_SOURCES;
