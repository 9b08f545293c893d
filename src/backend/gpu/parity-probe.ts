/**
 * The start-up parity probe: every gpu kernel once, on small odd shapes, against the ts
 * reference. A GPU mode that compiles but computes wrongly (half precision, a driver bug, a
 * layout slip) fails here and `--backend auto` stays on wasm. The tolerances live in
 * tolerances.ts (the parity tests use the same ones) and can be passed in.
 */
import { Act, type Kernels, type SplineSpec } from '../kernels.js';
import { tsKernels } from '../ts/index.js';
import type { Memory } from '../../tensor/memory.js';
import type { Heap } from '../../tensor/allocator.js';
import { Tensor } from '../../tensor/tensor.js';
import { GPU_TOLERANCES, type GpuTolerances } from './tolerances.js';

export { GPU_TOLERANCES, type GpuTolerances } from './tolerances.js';

/** Deterministic values in [lo, hi) (xorshift32). */
export function fillUniform(d: Float32Array, seed: number, lo: number, hi: number): void {
  const next = uniformStream(seed);
  for (let i = 0; i < d.length; i++) d[i] = lo + next() * (hi - lo);
}

/** Deterministic uniform numbers in [0, 1) from a seed (xorshift32; seed 0 counts as 1). */
export function uniformStream(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

/** Largest |got − want| − tolerance over the elements (≤ 0 means within tolerance). */
export function worstExcess(
  got: Float32Array,
  want: Float32Array,
  tol: (i: number) => number,
): { excess: number; at: number } {
  let excess = -Infinity;
  let at = -1;
  for (let i = 0; i < want.length; i++) {
    const e = Number.isNaN(got[i]) && Number.isNaN(want[i]) ? -Infinity : Math.abs(got[i] - want[i]) - tol(i);
    if (!(e <= excess)) {
      excess = Number.isNaN(e) ? Infinity : e;
      at = i;
    }
  }
  return { excess, at };
}

export interface ProbeResult {
  ok: boolean;
  /** The first failing check, or a summary. */
  detail: string;
}

/** Run each gpu kernel once against ts on `memory`; frees what it allocates. */
export function runParityProbe(
  k: Kernels,
  memory: Memory,
  heap: Heap,
  tol: Readonly<GpuTolerances> = GPU_TOLERANCES,
): ProbeResult {
  const made: Tensor[] = [];
  let seed = 1;
  const t = (shape: number[], lo = -1, hi = 1): Tensor => {
    const n = shape.reduce((a, b) => a * b, 1);
    const x = new Tensor(memory, heap.alloc(Math.max(n, 1) * 4), shape);
    fillUniform(x.data, seed++ * 7919, lo, hi);
    made.push(x);
    return x;
  };
  const failures: string[] = [];
  const check = (what: string, got: Tensor, want: Tensor, bound: (i: number) => number) => {
    const w = worstExcess(got.data, want.data, bound);
    if (w.excess > 0) failures.push(`${what}: element ${w.at} is ${got.data[w.at]}, ts says ${want.data[w.at]}`);
  };
  try {
    const M = 37,
      K = 29,
      N = 19;
    const x = t([M, K]),
      w = t([N, K]),
      bias = t([N]);
    const a = t([M, N]),
      b = t([M, N]);
    k.matmulNT(a, x, w, bias, Act.Tanh);
    tsKernels.matmulNT(b, x, w, bias, Act.Tanh);
    check('matmulNT', a, b, () => tol.matmulRel * (K + 1));
    const wn = t([K, N]),
      c = t([M, N]),
      d = t([M, N]);
    d.data.set(c.data);
    k.matmulNN(c, x, wn, true);
    tsKernels.matmulNN(d, x, wn, true);
    check('matmulNN', c, d, () => tol.matmulRel * (K + 1));
    const e = t([K, N]),
      f = t([K, N]);
    k.matmulTN(e, x, a, false);
    tsKernels.matmulTN(f, x, a, false);
    check('matmulTN', e, f, () => tol.matmulRel * (M + 1));
    const s1 = t([M]),
      s2 = t([M]);
    k.sumCols(s1, x);
    tsKernels.sumCols(s2, x);
    check('sumCols', s1, s2, () => tol.sumPerTerm * K);

    const p1 = t([53]),
      g = t([53], -2, 2),
      m1 = t([53], 0, 0.1),
      v1 = t([53], 0, 0.1);
    const p2 = t([53]),
      m2 = t([53]),
      v2 = t([53]);
    p2.data.set(p1.data);
    m2.data.set(m1.data);
    v2.data.set(v1.data);
    const h = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, step: 3 };
    k.adamw(p1, g, m1, v1, h);
    tsKernels.adamw(p2, g, m2, v2, h);
    const rel = (want: Tensor, abs: number) => (i: number) => tol.adamwRel * Math.abs(want.data[i]) + abs;
    check('adamw param', p1, p2, rel(p2, tol.adamwAbs));
    check('adamw m', m1, m2, rel(m2, tol.adamwAbs));
    check('adamw v', v1, v2, rel(v2, tol.adamwAbsV));

    failures.push(...checkSplineParity(k, memory, heap, { bins: 8, bound: 5, slope: 1e-3 }, 61, 2, 17, tol));
  } catch (e) {
    failures.push(`a kernel threw: ${(e as Error).message}`);
  } finally {
    for (const x of made) heap.release(x.ptr);
  }
  if (failures.length) return { ok: false, detail: failures.join('; ') };
  return { ok: true, detail: 'matmuls, sumCols, adamw and the splines agree with ts' };
}

/**
 * The three spline kernels of `k` against ts on n elements (x uniform in ±1.1·B, raw
 * parameters uniform in ±span), with the conditioning-aware tolerances above. Returns the
 * failures (empty when all agree); frees what it allocates.
 */
export function checkSplineParity(
  k: Kernels,
  memory: Memory,
  heap: Heap,
  spec: SplineSpec,
  n: number,
  span: number,
  seed: number,
  tol: Readonly<GpuTolerances> = GPU_TOLERANCES,
): string[] {
  const made: Tensor[] = [];
  const t = (shape: number[], lo = -1, hi = 1): Tensor => {
    const size = shape.reduce((a, b) => a * b, 1);
    const x = new Tensor(memory, heap.alloc(Math.max(size, 1) * 4), shape);
    fillUniform(x.data, seed++ * 7919, lo, hi);
    made.push(x);
    return x;
  };
  const failures: string[] = [];
  const tag = `K ${spec.bins}, n ${n}, raw ±${span}`;
  const check = (what: string, got: Tensor, want: Tensor, bound: (i: number) => number) => {
    const w = worstExcess(got.data, want.data, bound);
    if (w.excess > 0)
      failures.push(
        `${what} (${tag}): element ${w.at} is ${got.data[w.at]}, ts says ${want.data[w.at]} (tolerance ${bound(w.at)})`,
      );
  };
  try {
    const P = 3 * spec.bins - 1;
    const { splineRel: V, splineKnot: C } = tol;
    const x = t([n], -1.1 * spec.bound, 1.1 * spec.bound),
      raw = t([n, P], -span, span);
    const zero = t([n], 0, 0),
      one = t([n], 1, 1),
      scratch = t([n, P]);
    // Forward.
    const y1 = t([n]),
      l1 = t([n]),
      y2 = t([n]),
      l2 = t([n]),
      dLdx = t([n]);
    k.splineForward(y1, l1, x, raw, spec);
    tsKernels.splineForward(y2, l2, x, raw, spec);
    tsKernels.splineBackward(dLdx, scratch, zero, one, x, raw, spec); // ∂ladj/∂x
    const base = (w: Tensor, i: number) => V * Math.max(1, Math.abs(w.data[i]));
    check('splineForward y', y1, y2, (i) => base(y2, i) + C * Math.exp(l2.data[i]));
    check('splineForward ladj', l1, l2, (i) => base(l2, i) + C * Math.abs(dLdx.data[i]));
    // Inverse of the reference's y (ladj_inv = ln|dx/dy| = −ln J).
    const x1 = t([n]),
      li1 = t([n]),
      x2 = t([n]),
      li2 = t([n]),
      dLdxInv = t([n]);
    k.splineInverse(x1, li1, y2, raw, spec);
    tsKernels.splineInverse(x2, li2, y2, raw, spec);
    tsKernels.splineBackward(dLdxInv, scratch, zero, one, x2, raw, spec);
    check('splineInverse x', x1, x2, (i) => base(x2, i) + C * Math.exp(li2.data[i]));
    check('splineInverse ladj', li1, li2, (i) => base(li2, i) + C * Math.abs(dLdxInv.data[i]) * Math.exp(li2.data[i]));
    // Backward, with random upstream gradients.
    const gy = t([n]),
      gl = t([n]);
    const dx1 = t([n]),
      dp1 = t([n, P]),
      dx2 = t([n]),
      dp2 = t([n, P]);
    k.splineBackward(dx1, dp1, gy, gl, x, raw, spec);
    tsKernels.splineBackward(dx2, dp2, gy, gl, x, raw, spec);
    const elementScale = (e: number) => {
      let m = Math.max(1, Math.abs(dx2.data[e]));
      for (let q = 0; q < P; q++) m = Math.max(m, Math.abs(dp2.data[e * P + q]));
      return m;
    };
    check('splineBackward dx', dx1, dx2, (e) => tol.splineBackward * elementScale(e));
    check('splineBackward dparams', dp1, dp2, (i) => tol.splineBackward * elementScale(Math.floor(i / P)));
  } catch (e) {
    failures.push(`a spline kernel threw (${tag}): ${(e as Error).message}`);
  } finally {
    for (const x of made) heap.release(x.ptr);
  }
  return failures;
}

/** What `--backend auto` learns about a GPU mode: usable only when its kernels pass the probe. */
export interface GpuProbe {
  /** True when a real GPU mode runs and agrees with the ts reference. */
  available: boolean;
  /** The gpu.js mode found ('webgpu', 'headlessgl', …), or 'none'. */
  mode: string;
  /** Why (not): one phrase for the start-up line. */
  reason: string;
}

/** The probe's verdict on a kernel table in gpu.js mode `mode`: the reason names the first failing check. */
export function probeVerdict(
  k: Kernels,
  mode: string,
  memory: Memory,
  heap: Heap,
  tol: Readonly<GpuTolerances> = GPU_TOLERANCES,
): GpuProbe {
  const probe = runParityProbe(k, memory, heap, tol);
  return probe.ok
    ? { available: true, mode, reason: `gpu.js ${mode} passed the parity probe` }
    : { available: false, mode, reason: `gpu.js ${mode} failed the parity probe: ${probe.detail}` };
}
