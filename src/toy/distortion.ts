/**
 * The pre-sigmoid "data" distortion of y and the output sigmoid, with their exact Jacobians.
 *
 * Distortion (the reference's `apply_distortion_map`), class sign s = −1 (A) / +1 (B), x = (x1, x2):
 *   θ(x, c) = s · G / (0.7·|x| + 0.5) · tanh(x1 / 0.5),
 *   G = 2·distortion_strength·(1 + distortion_shift_scale·ν_shift)
 *   r = R(θ) y,   R(θ) = [[cos θ, −sin θ], [sin θ, cos θ]]          (class-dependent, x-dependent rotation)
 *   D(y; x, c) = M r,   M = [[1 + sk, −sk], [−sk, 1 + sk]],   k = 0.1·(1 + distortion_squeeze_scale·ν_squeeze)
 *                                                                   (class-dependent shear, same at every x)
 *   log|det ∂D/∂y| = log|1 + 2sk|   (det R = 1; constant in y and x)
 *   D⁻¹(d) = R(−θ) M⁻¹ d,   M⁻¹ = [[1 + sk, sk], [sk, 1 + sk]] / (1 + 2sk)
 * θ is odd in x1 and the map is linear in y, so it is smooth and invertible whenever
 * 1 + 2sk ≠ 0, i.e. distortion_squeeze_scale·ν_squeeze ≠ 4 (class A) and ≠ −6 (class B).
 * Note the shear does not scale with distortion_strength: with strength 0 a distorted draw is
 * still sheared (k = 0.1), as in the reference.
 *
 * Sigmoid (sigmoid_y): u = 1 / (1 + e^{−y}) per component;
 *   log p(u) = log p(y) − Σ_i log(u_i (1 − u_i)),  y = logit(u) = log u − log(1 − u).
 */
import type { GeneratorConfig } from './config.js';
import { classIndex, prepareGenerator, type PreparedGenerator } from './prepared.js';

/** The rotation angle θ(x, c) of the distortion. */
export function distortionAngle(x1: number, x2: number, sign: number, g: PreparedGenerator): number {
  if (g.distortThetaGain === 0) return 0;
  return ((sign * g.distortThetaGain) / (0.7 * Math.sqrt(x1 * x1 + x2 * x2) + 0.5)) * Math.tanh(x1 / 0.5);
}

/** log|det ∂D/∂y| for class sign s (throws where the shear is singular). */
export function distortionLogDet(sign: number, g: PreparedGenerator): number {
  const det = 1 + 2 * sign * g.distortShear;
  if (det === 0) {
    throw new Error(
      `distortion: the shear is singular for class ${sign < 0 ? 'A' : 'B'}` +
        ` (1 + 2·s·k = 0 with k = ${g.distortShear}); ` +
        'distortion_squeeze_scale·variation_squeeze must not be 4 (class A) or −6 (class B)',
    );
  }
  return Math.log(Math.abs(det));
}

/** D(y; x, c) for one point, written to out[o], out[o + 1]. */
export function distortInto(
  y0: number,
  y1: number,
  x1: number,
  x2: number,
  sign: number,
  g: PreparedGenerator,
  out: { [i: number]: number },
  o: number,
): void {
  const th = distortionAngle(x1, x2, sign, g);
  const cs = Math.cos(th);
  const sn = Math.sin(th);
  const r0 = cs * y0 - sn * y1;
  const r1 = sn * y0 + cs * y1;
  const k = sign * g.distortShear;
  out[o] = r0 + k * (r0 - r1);
  out[o + 1] = r1 + k * (r1 - r0);
}

/** D⁻¹(d; x, c) for one point, written to out[o], out[o + 1]. */
export function undistortInto(
  d0: number,
  d1: number,
  x1: number,
  x2: number,
  sign: number,
  g: PreparedGenerator,
  out: { [i: number]: number },
  o: number,
): void {
  const k = sign * g.distortShear;
  const det = 1 + 2 * k;
  const r0 = ((1 + k) * d0 + k * d1) / det;
  const r1 = (k * d0 + (1 + k) * d1) / det;
  const th = distortionAngle(x1, x2, sign, g);
  const cs = Math.cos(th);
  const sn = Math.sin(th);
  out[o] = cs * r0 + sn * r1;
  out[o + 1] = -sn * r0 + cs * r1;
}

/** D(y; x, c) with the generator's own ν (y in the unbounded pre-sigmoid space). */
export function distortY(
  y: ArrayLike<number>,
  x: ArrayLike<number>,
  c: number,
  cfg: Readonly<GeneratorConfig>,
): [number, number] {
  const g = prepareGenerator(cfg);
  const sign = g.classes[classIndex(c, 'distortY')].sign;
  distortionLogDet(sign, g); // throws if singular
  const out: [number, number] = [0, 0];
  distortInto(y[0], y[1], x[0], x[1], sign, g, out, 0);
  return out;
}

/** D⁻¹(d; x, c): the undistorted pre-sigmoid y. */
export function undistortY(
  d: ArrayLike<number>,
  x: ArrayLike<number>,
  c: number,
  cfg: Readonly<GeneratorConfig>,
): [number, number] {
  const g = prepareGenerator(cfg);
  const sign = g.classes[classIndex(c, 'undistortY')].sign;
  distortionLogDet(sign, g);
  const out: [number, number] = [0, 0];
  undistortInto(d[0], d[1], x[0], x[1], sign, g, out, 0);
  return out;
}

/** log|det ∂D/∂y| for class c (the same at every y and x). */
export function distortionLogAbsDet(c: number, cfg: Readonly<GeneratorConfig>): number {
  const g = prepareGenerator(cfg);
  return distortionLogDet(g.classes[classIndex(c, 'distortionLogAbsDet')].sign, g);
}

/** Logistic sigmoid, without overflow for large |t|. */
export function sigmoid(t: number): number {
  if (t >= 0) return 1 / (1 + Math.exp(-t));
  const e = Math.exp(t);
  return e / (1 + e);
}

/** Inverse of the sigmoid on (0, 1) (±Infinity at 0 and 1). */
export function logit(u: number): number {
  return Math.log(u) - Math.log1p(-u);
}
