/**
 * The monotonic rational-quadratic spline as one fused op (Zuko's MonotonicRQSTransform).
 *
 * x [B,F] and params [B, F·P] (P = 3K − 1 raw values per feature, feature-major: exactly what
 * the hyper-network emits) → y [B,F] and ladj [B,F] = ln|dy/dx| per element. The math and the
 * hand-derived gradients live in the kernels (src/backend/ts/spline.ts is the readable one);
 * here is only the bookkeeping: shapes, and which gradients flow where.
 */
import type { SplineSpec } from '../backend/kernels.js';
import type { Var } from '../autodiff/tape.js';
import type { Device } from '../backend/device.js';
import { shapeStr, type Tensor } from '../tensor/tensor.js';

function checkShapes(op: string, x: Tensor, params: Tensor, spec: SplineSpec): void {
  const P = 3 * spec.bins - 1;
  if (params.size !== x.size * P) {
    throw new Error(
      `${op}: params ${shapeStr(params.shape)} do not hold ${P} values (3·${spec.bins} − 1) for each of the ` +
        `${x.size} elements of x ${shapeStr(x.shape)}`,
    );
  }
}

export function spline(x: Var, params: Var, spec: SplineSpec): { y: Var; ladj: Var } {
  checkShapes('spline', x.value, params.value, spec);
  const dev = x.device;
  const y = dev.empty(x.shape);
  const ladj = dev.empty(x.shape);
  // Room for the forward's softmax masses, so the backward need not compute them again
  // (only when a backward will run).
  const saved = x.tape.tracks([x, params]) ? dev.empty([x.value.size, 2 * spec.bins]) : null;
  dev.kernels.splineForward(y, ladj, x.value, params.value, spec, saved);
  const [yv, lv] = x.tape.recordMulti('spline', [y, ladj], [x, params], (gs) => {
    // One fused backward for both outputs; an unused output contributes a zero gradient.
    const gy = gs[0] ?? dev.zeros(x.shape);
    const gl = gs[1] ?? dev.zeros(x.shape);
    const dx = dev.empty(x.shape);
    const dp = dev.empty(params.shape);
    dev.kernels.splineBackward(dx, dp, gy, gl, x.value, params.value, spec, saved);
    return [dx, dp];
  });
  return { y: yv, ladj: lv };
}

/** Inverse (no gradient: sampling only). Returns x and ln|dx/dy| per element. */
export function splineInverse(dev: Device, y: Tensor, params: Tensor, spec: SplineSpec): { x: Tensor; ladj: Tensor } {
  checkShapes('splineInverse', y, params, spec);
  const x = dev.empty(y.shape);
  const ladj = dev.empty(y.shape);
  dev.kernels.splineInverse(x, ladj, y, params, spec);
  return { x, ladj };
}
