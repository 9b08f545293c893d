/**
 * The start-up parity probe refuses wrong kernels, with the reason, so `--backend auto` would not
 * pick them: a spline whose bin index is off by one, a gradient of the wrong sign (spline dx, the
 * weight gradient of a matmul), a half-precision matmul. The wrong kernels wrap the gpu.js CPU
 * mode's kernel table (the ts table where gpu.js is not installed): one entry replaced, the rest
 * delegated. The tolerances are a parameter, not the probe's own constants.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Kernels, SplineSpec } from '../src/backend/kernels.js';
import { tsKernels } from '../src/backend/ts/index.js';
import { GPU_TOLERANCES, probeVerdict, runParityProbe } from '../src/backend/gpu/parity-probe.js';
import { loadGpuKernels } from '../src/backend/gpu/index.js';
import { importGpuJs } from '../src/backend/gpu/gpujs-module.js';
import { Memory } from '../src/tensor/memory.js';
import { Heap } from '../src/tensor/allocator.js';
import { Tensor } from '../src/tensor/tensor.js';

const memory = new Memory();
const heap = new Heap(memory);
const gpujs = (await importGpuJs()).ok ? await loadGpuKernels(memory, heap, { mode: 'cpu' }) : null;
const right: Kernels = gpujs ?? tsKernels;
const MODE = gpujs ? 'cpu' : 'ts';

/** `k` with some entries replaced; everything else is k's own (bound to k). */
function withKernels(k: Kernels, replaced: Partial<Kernels>): Kernels {
  return new Proxy(k, {
    get(target, name, receiver) {
      if (name in replaced) return replaced[name as keyof Kernels];
      const v = Reflect.get(target, name, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

/** A copy of `t` on the heap (the caller releases it). */
function copyOf(t: Tensor): Tensor {
  const c = new Tensor(memory, heap.alloc(Math.max(t.size, 1) * 4), t.shape);
  c.data.set(t.data);
  return c;
}

/**
 * An off-by-one bin: bin j reads the width and height of bin j + 1 (cyclically), as a kernel
 * indexing its knots from the wrong end would.
 */
function offByOneBin(params: Tensor, spec: SplineSpec): Tensor {
  const K = spec.bins;
  const P = 3 * K - 1;
  const shifted = copyOf(params);
  const d = shifted.data;
  for (let r = 0; r < params.size / P; r++) {
    for (const block of [0, K]) {
      for (let j = 0; j < K; j++) d[r * P + block + j] = params.data[r * P + block + ((j + 1) % K)];
    }
  }
  return shifted;
}

const wrongKernels: [string, Partial<Kernels>, RegExp][] = [
  [
    'a spline forward with an off-by-one bin',
    {
      splineForward(y, ladj, x, params, spec, saved) {
        const shifted = offByOneBin(params, spec);
        right.splineForward(y, ladj, x, shifted, spec, saved);
        heap.release(shifted.ptr);
      },
    },
    /splineForward y \(K 8, n 61, raw ±2\): element \d+ is .*, ts says .* \(tolerance /,
  ],
  [
    'a spline inverse with an off-by-one bin',
    {
      splineInverse(x, ladj, y, params, spec) {
        const shifted = offByOneBin(params, spec);
        right.splineInverse(x, ladj, y, shifted, spec);
        heap.release(shifted.ptr);
      },
    },
    /splineInverse x \(K 8/,
  ],
  [
    'a spline backward whose dx has the wrong sign',
    {
      splineBackward(dx, dparams, gy, gl, x, params, spec, saved) {
        right.splineBackward(dx, dparams, gy, gl, x, params, spec, saved);
        for (let i = 0; i < dx.size; i++) dx.data[i] = -dx.data[i];
      },
    },
    /splineBackward dx \(K 8/,
  ],
  [
    'a weight gradient (matmulTN) with the wrong sign',
    {
      matmulTN(out, a, b, accumulate, ranges) {
        right.matmulTN(out, a, b, accumulate, ranges);
        for (let i = 0; i < out.size; i++) out.data[i] = -out.data[i];
      },
    },
    /^matmulTN: element \d+ is/,
  ],
  [
    'a matmul in half precision (10-bit mantissa)',
    {
      matmulNT(out, x, w, bias, act, ranges) {
        right.matmulNT(out, x, w, bias, act, ranges);
        for (let i = 0; i < out.size; i++) out.data[i] = Number(out.data[i].toPrecision(3));
      },
    },
    /^matmulNT: element \d+ is/,
  ],
];

test(`the ${MODE} kernel table itself passes the probe (baseline)`, () => {
  const r = runParityProbe(right, memory, heap);
  assert.ok(r.ok, r.detail);
});

for (const [what, replaced, reason] of wrongKernels) {
  test(`the probe refuses ${what}, so --backend auto would not pick it`, () => {
    const verdict = probeVerdict(withKernels(right, replaced), MODE, memory, heap);
    assert.is(verdict.available, false);
    assert.match(verdict.reason, new RegExp(`^gpu\\.js ${MODE} failed the parity probe: `));
    assert.match(verdict.reason.replace(/^gpu\.js \S+ failed the parity probe: /, ''), reason);
  });
}

test('the tolerances are a parameter: the probe applies the ones it is given', () => {
  // A sign slip in the weight gradient is refused at any tolerance short of absurd…
  const wrong = withKernels(right, wrongKernels[3][1]);
  assert.not.ok(runParityProbe(wrong, memory, heap).ok);
  // …and the same kernels pass when the tolerance allows it: the probe has no hidden bounds.
  assert.ok(runParityProbe(wrong, memory, heap, { ...GPU_TOLERANCES, matmulRel: 1e3 }).ok);
  // Zero tolerance on the splines refuses even the right gpu.js kernels (float64 vs float32);
  // the ts table against itself is bit-identical and still passes.
  const zeroSpline = { ...GPU_TOLERANCES, splineRel: 0, splineKnot: 0, splineBackward: 0 };
  assert.is(runParityProbe(right, memory, heap, zeroSpline).ok, gpujs === null);
  assert.ok(Object.isFrozen(GPU_TOLERANCES));
});

test.after(() => gpujs?.dispose());

test.run();
