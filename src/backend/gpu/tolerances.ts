/**
 * The tolerances of the GPU parity probe (parity-probe.ts) and of the gpu kernel parity tests,
 * kept apart from the code they judge so that a change to a kernel cannot quietly loosen them.
 *
 * |got − want| ≤ rel·scale + abs. Matmuls and sums: as the wasm parity tests (rel 1e-5 of the
 * largest possible magnitude K + 1; sums 1e-6 per term). AdamW: rel 1e-6 + abs 1e-7 (v: 1e-9).
 *
 * Splines cannot use the wasm test's tolerance: the wasm kernel is bit-identical to ts by
 * construction (the same float32 operations in the same order), a GPU is not (its own exp/log,
 * float32 prefix sums where ts accumulates knots in float64; gpu.js's cpu mode even runs in
 * float64). Both are then within the float32 *conditioning* of the spline from each other: a
 * knot off by a few ulps moves y by J·δ and ln J by |∂ ln J/∂x|·δ. So a value passes when
 *   |Δ| ≤ splineRel·max(1, |want|) + splineKnot·(its sensitivity to a knot shift)
 * — forward y: J; forward ladj: |∂ladj/∂x|; inverse x: 1/J; inverse ladj: |∂ladj/∂x|/J —
 * and the backward when each element's gradients are within splineBackward of that element's
 * largest gradient (or 1). Measured in gpu.js's float32 wasm mode on raw parameters in ±3,
 * K = 8 and 20: at most 0.75 of these bounds; in the cpu mode at most 0.42.
 */
export const GPU_TOLERANCES: Readonly<GpuTolerances> = Object.freeze({
  matmulRel: 1e-5,
  sumPerTerm: 1e-6,
  adamwRel: 1e-6,
  adamwAbs: 1e-7,
  adamwAbsV: 1e-9,
  splineRel: 2e-5,
  splineKnot: 8e-6,
  splineBackward: 2e-3,
});

export interface GpuTolerances {
  /** matmuls: relative to the largest possible magnitude (inner size + 1) */
  matmulRel: number;
  /** sumCols: per summed term */
  sumPerTerm: number;
  adamwRel: number;
  adamwAbs: number;
  /** AdamW's second moment (values ~1e-4 and below) */
  adamwAbsV: number;
  splineRel: number;
  /** the weight of a value's sensitivity to a knot shift */
  splineKnot: number;
  /** backward: relative to the element's largest gradient (or 1) */
  splineBackward: number;
}
