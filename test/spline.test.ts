/**
 * Rational-quadratic spline kernels (src/backend/ts/spline.ts, assembly/spline.ts):
 * (a) golden values of Zuko on the reference checkpoints, (b) inverse round trips,
 * (c) float64 finite-difference checks of the hand-derived backward, (d) wasm-vs-ts parity.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Memory } from '../src/tensor/memory.js';
import { Heap } from '../src/tensor/allocator.js';
import { Tensor } from '../src/tensor/tensor.js';
import { sameBits } from './helpers/tensors.js';
import type { SplineSpec } from '../src/backend/kernels.js';
import type { KernelExports } from '../src/backend/wasm/kernel-module.js';
import { uniformStream } from '../src/backend/gpu/parity-probe.js';
import {
  backwardElement,
  forwardElement,
  inverseElement,
  newBinGradient,
  paramsPerElement,
  prepareKnots,
  roundF32,
  roundF64,
  searchBin,
  splineBackwardTs,
  splineForwardTs,
  splineInverseTs,
  splineShape,
  SplineKnots,
  type SplinePoint,
} from '../src/backend/ts/spline.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const GOLDEN = [join(repoRoot, 'shared', 'golden'), '/work/shared/golden'].find((d) => existsSync(d))!;
const SPEC: SplineSpec = { bins: 20, bound: 5, slope: 1e-3 };
const K = SPEC.bins;
const P = paramsPerElement(K);

// ------------------------------------------------------------------------------ helpers

/** Deterministic uniform numbers in [0, 1) (xorshift32). */
const rng = uniformStream;

const memory = new Memory(64 << 20);
const heap = new Heap(memory);

function tensor(values: ArrayLike<number> | number, shape?: number[]): Tensor {
  const n = typeof values === 'number' ? values : values.length;
  const t = new Tensor(memory, heap.alloc(4 * n), shape ?? [n]);
  if (typeof values !== 'number') t.data.set(values);
  else t.data.fill(0);
  return t;
}

/** Raw parameters for n elements: moderate (|raw| ≲ 3) or saturated (|raw| up to 50). */
function randomParams(n: number, seed: number, scale = 3): Float32Array {
  const u = rng(seed);
  const p = new Float32Array(n * P);
  for (let i = 0; i < p.length; i++) p[i] = (2 * u() - 1) * scale;
  return p;
}

const nextUp = (v: number): number => {
  const f = new Float32Array([v]);
  const i = new Int32Array(f.buffer);
  i[0] += v >= 0 ? 1 : -1;
  return f[0];
};
const nextDown = (v: number): number => -nextUp(-v);

/**
 * Interesting inputs for the spline of element e: knots (f32), their float neighbours, ±B and
 * neighbours, just inside/outside, tails, random interior points.
 */
function interestingInputs(params: Float32Array, e: number, u: () => number): number[] {
  const knots = new SplineKnots(K);
  prepareKnots(knots, params, e * P, splineShape(SPEC, roundF32), roundF32);
  const pts: number[] = [];
  for (let j = 0; j <= K; j++) pts.push(knots.xs[j], nextUp(knots.xs[j]), nextDown(knots.xs[j]));
  pts.push(-5, 5, nextUp(-5), nextDown(-5), nextUp(5), nextDown(5), -5.001, 5.001, -4.999, 4.999);
  pts.push(-6, 6, 0, -1e-7, 1e-7, -100, 100);
  for (let i = 0; i < 20; i++) pts.push(Math.fround(-5 + 10 * u()));
  return pts.map(Math.fround);
}

// ------------------------------------------------------------------------- (a) golden

interface GoldenBase {
  forward: {
    inputs: { x: number[][]; y?: number[][] };
    f32: { per_transform: { out: number[][]; ladj: number[] }[] };
  };
  debug: { hyper_raw_first4: { f32: number[][][] } };
}

function goldenCheck(file: string, inputKey: 'x' | 'y', transforms: number): void {
  const g = JSON.parse(readFileSync(join(GOLDEN, file), 'utf8')) as GoldenBase;
  const per = g.forward.f32.per_transform;
  assert.is(per.length, transforms);
  for (let t = 0; t < transforms; t++) {
    const raw = g.debug.hyper_raw_first4.f32[t];
    const rows = raw.length; // 4
    const input = t === 0 ? g.forward.inputs[inputKey]! : per[t - 1].out;
    const x = tensor(rows * 2);
    const params = tensor(rows * 2 * P, [rows * 2, P]);
    const pd = params.data;
    for (let row = 0; row < rows; row++) {
      for (let f = 0; f < 2; f++) {
        x.data[row * 2 + f] = input[row][f];
        for (let p = 0; p < P; p++) pd[(row * 2 + f) * P + p] = raw[row][f * P + p];
      }
    }
    const y = tensor(rows * 2);
    const ladj = tensor(rows * 2);
    splineForwardTs(y, ladj, x, params, SPEC);
    const back = tensor(rows * 2);
    const ladjInv = tensor(rows * 2);
    splineInverseTs(back, ladjInv, y, params, SPEC);
    for (let row = 0; row < rows; row++) {
      for (let f = 0; f < 2; f++) {
        const i = row * 2 + f;
        const want = per[t].out[row][f];
        assert.ok(Math.abs(y.data[i] - want) <= 1e-4, `${file} t${t} row ${row} f${f}: y ${y.data[i]} vs ${want}`);
        assert.ok(Math.abs(back.data[i] - x.data[i]) <= 1e-4, `${file} t${t} row ${row} f${f}: inverse`);
      }
      const l = ladj.data[row * 2] + ladj.data[row * 2 + 1];
      const want = per[t].ladj[row];
      assert.ok(Math.abs(l - want) <= 1e-4 + 5e-6 * Math.abs(want), `${file} t${t} row ${row}: ladj ${l} vs ${want}`);
      const li = ladjInv.data[row * 2] + ladjInv.data[row * 2 + 1];
      assert.ok(Math.abs(li + want) <= 1e-4 + 5e-6 * Math.abs(want), `${file} t${t} row ${row}: inverse ladj`);
    }
  }
}

test('golden: kin base NSF, both transforms, rows 0..3 (Zuko f32 values)', () => {
  goldenCheck('kin_base.json', 'x', 2);
});

test('golden: score base NSF, three transforms, rows 0..3', () => {
  goldenCheck('score_base.json', 'y', 3);
});

test('bin search is "strictly less": a knot belongs to the bin on its left; tails are outside', () => {
  const xs = new Float64Array([-5, -1, 2, 5]);
  assert.is(searchBin(xs, -5), -1);
  assert.is(searchBin(xs, -4.9), 0);
  assert.is(searchBin(xs, -1), 0);
  assert.is(searchBin(xs, 2), 1);
  assert.is(searchBin(xs, 5), 2);
  assert.is(searchBin(xs, 5.0001), 3);
  assert.is(searchBin(xs, NaN), -1);
});

test('identity tails: y = x, ladj = 0, dx = gy, dparams = 0 outside [−B, x_K]', () => {
  const xs = [-100, -6, -5, nextDown(-5), 5.01, 6, 1e30, -Infinity, Infinity];
  const n = xs.length;
  const x = tensor(xs);
  const params = tensor(randomParams(n, 7), [n, P]);
  const y = tensor(n);
  const ladj = tensor(n);
  splineForwardTs(y, ladj, x, params, SPEC);
  const dx = tensor(n);
  const dp = tensor(n * P, [n, P]);
  dp.data.fill(123);
  const gy = tensor(xs.map((_, i) => i + 0.5));
  const gl = tensor(xs.map(() => 2));
  splineBackwardTs(dx, dp, gy, gl, x, params, SPEC);
  for (let i = 0; i < n; i++) {
    assert.is(y.data[i], Math.fround(xs[i]));
    assert.is(ladj.data[i], 0);
    assert.is(dx.data[i], i + 0.5);
  }
  assert.ok(dp.data.every((v) => v === 0));
});

test('shape errors name the kernel, the argument and the expected size', () => {
  const x = tensor(3);
  const params = tensor(3 * P - 1);
  assert.throws(
    () => splineForwardTs(tensor(3), tensor(3), x, params, SPEC),
    /splineForward: params has 176 elements.*expected 177/,
  );
  assert.throws(() => splineInverseTs(tensor(2), tensor(3), x, tensor(3 * P), SPEC), /splineInverse: x has 2/);
  assert.throws(() => splineForwardTs(tensor(3), tensor(3), x, tensor(3 * P), { ...SPEC, bins: 0 }), /bins must be/);
});

// ------------------------------------------------------------------- (b) round trips

const ulpOf = (v: number): number => 2 ** (Math.floor(Math.log2(Math.max(Math.abs(v), 2 ** -20))) - 23);

/**
 * x → y → x̂ → ŷ in float32 over many interesting points of 40 random splines (raw parameters
 * uniform in ±scale). Reports, as worst ratios to their allowance (≤ 1 passes):
 *  - x: |x̂ − x| against 1e-5 + c/J (an error δ in y costs δ/J in x; J = min(J(x), J(x̂)));
 *  - ladj: |ladj_inv(y) + ladj(x̂)| against 1e-5 + 4·|d ln J/dx|·ulp(x̂) (the inverse's ladj is
 *    minus the forward one at the recovered x̂, re-localised in its bin by a rounded division);
 *  - y (backward stability): |ŷ − y| against 4e-6 + 32·J(x̂)·ulp(x̂).
 */
function roundTrip(scale: number, seed: number, c: number) {
  const u = rng(seed);
  const sets = 40;
  const base = randomParams(sets, seed, scale);
  const xs: number[] = [];
  const ps: number[] = [];
  for (let e = 0; e < sets; e++) {
    for (const v of interestingInputs(base, e, u)) {
      xs.push(v);
      for (let p = 0; p < P; p++) ps.push(base[e * P + p]);
    }
  }
  const n = xs.length;
  const x = tensor(xs);
  const params = tensor(ps, [n, P]);
  const y = tensor(n);
  const ladj = tensor(n);
  const back = tensor(n);
  const ladjInv = tensor(n);
  const yBack = tensor(n);
  const ladjBack = tensor(n);
  splineForwardTs(y, ladj, x, params, SPEC);
  splineInverseTs(back, ladjInv, y, params, SPEC);
  splineForwardTs(yBack, ladjBack, back, params, SPEC);
  // d ln J / dx at x̂ (the backward with gy = 0, gl = 1): ln J's own float32 conditioning.
  const dLadj = tensor(n);
  splineBackwardTs(dLadj, tensor(n * P, [n, P]), tensor(n), tensor(new Float32Array(n).fill(1)), back, params, SPEC);
  let maxX = 0;
  const worst = { x: 0, ladj: 0, y: 0 };
  for (let i = 0; i < n; i++) {
    const ex = Math.abs(back.data[i] - x.data[i]);
    maxX = Math.max(maxX, ex);
    const jMin = Math.exp(Math.min(ladj.data[i], ladjBack.data[i]));
    worst.x = Math.max(worst.x, ex / (1e-5 + c / jMin));
    const ladjAllowance = 1e-5 + 4 * Math.abs(dLadj.data[i]) * ulpOf(back.data[i]);
    worst.ladj = Math.max(worst.ladj, Math.abs(ladjInv.data[i] + ladjBack.data[i]) / ladjAllowance);
    const ey = Math.abs(yBack.data[i] - y.data[i]);
    worst.y = Math.max(worst.y, ey / (4e-6 + 32 * Math.exp(ladjBack.data[i]) * ulpOf(back.data[i])));
    assert.ok(Number.isFinite(back.data[i]) && Number.isFinite(ladjInv.data[i]), `finite at x = ${x.data[i]}`);
  }
  return { maxX, worst, count: n };
}

test('inverse round trip x → y → x to 1e-5 (knots, ±B, just inside/outside, tails)', () => {
  const r = roundTrip(1.5, 11, 0);
  assert.ok(r.count > 3000);
  assert.ok(r.maxX <= 1e-5, `max |x̂ − x| = ${r.maxX}`);
  assert.ok(r.worst.ladj <= 1, `|ladj_inv(y) + ladj(x̂)| ratio ${r.worst.ladj}`);
  assert.ok(r.worst.y <= 1, `backward error ratio ${r.worst.y}`);
});

test('inverse round trip with steep and flat bins: within float32 conditioning', () => {
  const steep = roundTrip(3, 13, 2e-6);
  assert.ok(steep.worst.x <= 1, `|x̂ − x| / (1e-5 + 2e-6/J) = ${steep.worst.x}`);
  assert.ok(steep.worst.ladj <= 1, `ladj ratio ${steep.worst.ladj}`);
  assert.ok(steep.worst.y <= 1, `backward error ratio ${steep.worst.y}`);
  // Saturated raw parameters (bins 1000× apart, knot slopes 1e-3..1e3): the spline can be
  // flat to below float32 resolution over a whole bin, so x̂ is only determined up to what
  // y resolves; the inverse must still be backward stable and finite.
  const saturated = roundTrip(50, 14, 2e-6);
  assert.ok(saturated.worst.y <= 1, `saturated: backward error ratio ${saturated.worst.y}`);
});

test('inverse round trip in float64 is exact up to conditioning, including saturated parameters', () => {
  const u = rng(5);
  const shape = splineShape(SPEC, roundF64);
  const knots = new SplineKnots(K);
  const fwd: SplinePoint = { value: 0, ladj: 0 };
  const inv: SplinePoint = { value: 0, ladj: 0 };
  for (const scale of [3, 50]) {
    const params = randomParams(20, 3 + scale, scale);
    for (let e = 0; e < 20; e++) {
      prepareKnots(knots, params, e * P, shape, roundF64);
      for (const v of interestingInputs(params, e, u)) {
        forwardElement(fwd, v, knots, roundF64);
        inverseElement(inv, fwd.value, knots, roundF64);
        const allowance = 1e-12 + 1e-13 / Math.exp(fwd.ladj);
        assert.ok(Math.abs(inv.value - v) <= allowance, `x ${v}: ${inv.value}`);
        forwardElement(fwd, inv.value, knots, roundF64);
        assert.ok(Math.abs(inv.ladj + fwd.ladj) <= 1e-9, `ladj_inv(y) + ladj(x̂) at ${v}`);
      }
    }
  }
});

// ------------------------------------------------------------ (c) gradient checks (f64)

/**
 * Central differences in float64 of L = gy·y + gl·ladj w.r.t. x and every raw parameter, with
 * the bin index fixed at the one of the unperturbed point (the backward's assumption), or
 * re-searched (`freeBin`) where the function is smooth enough for that.
 */
function gradcheck(
  raw: Float64Array,
  x: number,
  gy: number,
  gl: number,
  freeBin: boolean,
  step = 1e-4,
  tol = 1e-6,
): number {
  const shape = splineShape(SPEC, roundF64);
  const knots = new SplineKnots(K);
  const pt: SplinePoint = { value: 0, ladj: 0 };
  prepareKnots(knots, raw, 0, shape, roundF64);
  const bin = searchBin(knots.xs, x);
  const grad = new Float64Array(P);
  const dx = backwardElement(grad, 0, gy, gl, x, raw, 0, knots, shape, roundF64, newBinGradient(), bin);
  const loss = (p: Float64Array, v: number): number => {
    prepareKnots(knots, p, 0, shape, roundF64);
    forwardElement(pt, v, knots, roundF64, freeBin ? searchBin(knots.xs, v) : bin);
    return gy * pt.value + gl * pt.ladj;
  };
  // Richardson-extrapolated central differences, O(h⁴), at six step sizes h·10⁻ᵐ: the best
  // match counts (a large step loses to tiny steep bins — at a knot the fixed-bin formula is
  // even extrapolated past ζ = 1, where a saturated bin turns singular within ~1e-7 — a small
  // step loses to roundoff).
  const central = (f: (h: number) => number, h: number): number => {
    const d1 = (f(h) - f(-h)) / (2 * h);
    const d2 = (f(h / 2) - f(-h / 2)) / h;
    return (4 * d2 - d1) / 3;
  };
  let gscale = Math.max(1, Math.abs(dx));
  for (const v of grad) gscale = Math.max(gscale, Math.abs(v));
  let worst = 0;
  const compare = (analytic: number, f: (h: number) => number, h: number, what: string) => {
    let best = Infinity;
    let numeric = NaN;
    for (let m = 0, hh = h; m < 6; m++, hh /= 10) {
      const nv = central(f, hh);
      const err = Math.min(
        Math.abs(analytic - nv) / (Math.abs(nv) + Math.abs(analytic) + 1e-300),
        Math.abs(analytic - nv) / (1e-2 * gscale),
      );
      if (err < best) [best, numeric] = [err, nv];
    }
    worst = Math.max(worst, best);
    assert.ok(
      best <= tol,
      `${what} at x = ${x} (bin ${bin}, gl ${gl}, ${freeBin ? 'free' : 'fixed'} bin, step ${h})` +
        `: analytic ${analytic}, numeric ${numeric}`,
    );
  };
  // Step in x: a small fraction of the bin width (bins can be ~5e-4 wide when saturated).
  const hx = bin >= 0 && bin < K ? step * (knots.xs[bin + 1] - knots.xs[bin]) : step;
  compare(dx, (h) => loss(raw, x + h), hx, 'd/dx');
  const p = Float64Array.from(raw);
  for (let i = 0; i < P; i++) {
    const f = (h: number) => {
      p[i] = raw[i] + h;
      const l = loss(p, x);
      p[i] = raw[i];
      return l;
    };
    compare(grad[i], f, step * Math.max(1, Math.abs(raw[i])), `d/draw[${i}]`);
  }
  return worst;
}

function gradcheckPoints(raw: Float64Array, u: () => number): { x: number; onKnot: boolean }[] {
  const knots = new SplineKnots(K);
  prepareKnots(knots, raw, 0, splineShape(SPEC, roundF64), roundF64);
  const pts: { x: number; onKnot: boolean }[] = [];
  for (let i = 0; i < 6; i++) pts.push({ x: -5 + 10 * u(), onKnot: false });
  for (const j of [1, 2, 7, 13, K - 1, K]) pts.push({ x: knots.xs[j], onKnot: true });
  for (const x of [-5, 5, -5 + 1e-4, 5 - 1e-4, -5 - 1e-4, 5 + 1e-4, -7, 7]) pts.push({ x, onKnot: true });
  return pts;
}

for (const [label, scale] of [
  ['moderate raw parameters', 3],
  ['saturated raw parameters (|w|, |h|, |d| ~ 50)', 50],
] as const) {
  test(`backward = central differences (float64), ${label}`, () => {
    const u = rng(scale === 3 ? 21 : 22);
    for (let trial = 0; trial < 6; trial++) {
      const raw = Float64Array.from({ length: P }, () => (2 * u() - 1) * scale);
      if (scale === 50) for (let i = 0; i < P; i += 3) raw[i] = (u() < 0.5 ? -1 : 1) * (40 + 10 * u());
      for (const { x, onKnot } of gradcheckPoints(raw, u)) {
        const gy = 2 * u() - 1;
        const gl = 2 * u() - 1;
        // Fixed bin everywhere (the backward's own assumption, exact to O(h⁴)).
        gradcheck(raw, x, gy, gl, false);
        // With a re-searched bin: away from knots the same function; across a knot only y is
        // C¹ (in x and in the parameters; ln J is not), and the difference error there is
        // O(h·jump of y″) — checkable with a tiny step for moderate parameters only (a
        // saturated bin's y″ jumps by ~1e5).
        if (onKnot && scale === 3) gradcheck(raw, x, gy, 0, true, 1e-7, 1e-3);
        if (!onKnot) gradcheck(raw, x, gy, gl, true);
      }
    }
  });
}

test('float32 backward stays close to the float64 backward', () => {
  const u = rng(31);
  const params = randomParams(50, 31, 3);
  const s32 = splineShape(SPEC, roundF32);
  const s64 = splineShape(SPEC, roundF64);
  const k32 = new SplineKnots(K);
  const k64 = new SplineKnots(K);
  const g32 = new Float64Array(P);
  const g64 = new Float64Array(P);
  for (let e = 0; e < 50; e++) {
    const x = Math.fround(-4.9 + 9.8 * u());
    prepareKnots(k32, params, e * P, s32, roundF32);
    prepareKnots(k64, params, e * P, s64, roundF64);
    const bin = searchBin(k32.xs, x);
    const d32 = backwardElement(g32, 0, 0.7, -0.3, x, params, e * P, k32, s32, roundF32, newBinGradient(), bin);
    const d64 = backwardElement(g64, 0, 0.7, -0.3, x, params, e * P, k64, s64, roundF64, newBinGradient(), bin);
    let scale = Math.abs(d64);
    for (const v of g64) scale = Math.max(scale, Math.abs(v));
    assert.ok(Math.abs(d32 - d64) <= 1e-4 * scale, `dx at element ${e}`);
    for (let i = 0; i < P; i++) assert.ok(Math.abs(g32[i] - g64[i]) <= 1e-4 * scale, `dparams[${i}] at element ${e}`);
  }
});

// ------------------------------------------------------------------ (d) wasm parity

/** The spline exports of the kernel module (optional there: older builds lacked them; required here). */
type SplineExports = Required<
  Pick<KernelExports, 'spline_scratch_bytes' | 'spline_forward' | 'spline_inverse' | 'spline_backward'>
>;

const wasmPath = join(repoRoot, 'build', 'kernels-simd.wasm');
const wasm = (await WebAssembly.instantiate(readFileSync(wasmPath), { env: { memory: memory.wasm, abort() {} } }))
  .instance.exports as unknown as SplineExports;
const LOG_SLOPE = Math.fround(Math.log(SPEC.slope));
/** The forward / inverse scratch, big enough for every bin count below. */
const SCRATCH = heap.alloc(wasm.spline_scratch_bytes(1024));

function parityInputs(n: number, seed: number): { xs: Float32Array; params: Float32Array } {
  const u = rng(seed);
  const params = randomParams(n, seed, 3);
  // Every fourth element saturated.
  for (let e = 0; e < n; e += 4) for (let p = 0; p < P; p++) params[e * P + p] = (2 * u() - 1) * 50;
  const xs = new Float32Array(n);
  for (let e = 0; e < n; e++) {
    const pts = interestingInputs(params, e, u);
    xs[e] = pts[Math.floor(u() * pts.length)];
  }
  return { xs, params };
}

function close(a: Float32Array, b: Float32Array, what: string, tol = 1e-6): number {
  assert.is(a.length, b.length);
  let bitExact = 0;
  for (let i = 0; i < a.length; i++) {
    if (Object.is(a[i], b[i])) bitExact++;
    else
      assert.ok(Math.abs(a[i] - b[i]) <= tol * Math.max(1, Math.abs(a[i])), `${what}[${i}]: ts ${a[i]} wasm ${b[i]}`);
  }
  return bitExact;
}

for (const n of [1, 3, 5, 127, 129, 2048]) {
  test(`wasm = ts for forward, inverse, backward (n = ${n})`, () => {
    const { xs, params: ps } = parityInputs(n, 1000 + n);
    const x = tensor(xs);
    const params = tensor(ps, [n, P]);
    const yT = tensor(n),
      lT = tensor(n),
      yW = tensor(n),
      lW = tensor(n);
    splineForwardTs(yT, lT, x, params, SPEC);
    // Two ranges, as a worker pool would split the call.
    const mid = n >> 1;
    wasm.spline_forward(yW.ptr, lW.ptr, x.ptr, params.ptr, 0, mid, K, SPEC.bound, LOG_SLOPE, SCRATCH, 0);
    wasm.spline_forward(yW.ptr, lW.ptr, x.ptr, params.ptr, mid, n, K, SPEC.bound, LOG_SLOPE, SCRATCH, 0);
    // Same float32 operations in the same order: bit-identical except rare 1-ulp log ties.
    const exact = (count: number, what: string) =>
      assert.ok(count >= 0.99 * n, `${what}: only ${count}/${n} bit-identical`);
    exact(close(yT.data, yW.data, 'forward y'), 'forward y');
    exact(close(lT.data, lW.data, 'forward ladj'), 'forward ladj');

    const xT = tensor(n),
      liT = tensor(n),
      xW = tensor(n),
      liW = tensor(n);
    splineInverseTs(xT, liT, yT, params, SPEC);
    wasm.spline_inverse(xW.ptr, liW.ptr, yT.ptr, params.ptr, 0, n, K, SPEC.bound, LOG_SLOPE, SCRATCH);
    exact(close(xT.data, xW.data, 'inverse x'), 'inverse x');
    exact(close(liT.data, liW.data, 'inverse ladj'), 'inverse ladj');

    const u = rng(n);
    const gy = tensor(Float32Array.from({ length: n }, () => 2 * u() - 1));
    const gl = tensor(Float32Array.from({ length: n }, () => 2 * u() - 1));
    const dxT = tensor(n),
      dxW = tensor(n);
    const dpT = tensor(n * P, [n, P]),
      dpW = tensor(n * P, [n, P]);
    dpW.data.fill(NaN);
    splineBackwardTs(dxT, dpT, gy, gl, x, params, SPEC);
    wasm.spline_backward(dxW.ptr, dpW.ptr, gy.ptr, gl.ptr, x.ptr, params.ptr, 0, mid, K, SPEC.bound, LOG_SLOPE, 0);
    wasm.spline_backward(dxW.ptr, dpW.ptr, gy.ptr, gl.ptr, x.ptr, params.ptr, mid, n, K, SPEC.bound, LOG_SLOPE, 0);
    exact(close(dxT.data, dxW.data, 'backward dx'), 'backward dx');
    // With the masses the forward saved, the backward copies them instead: the same bits.
    const saved = tensor(n * 2 * K, [n, 2 * K]);
    const ySv = tensor(n),
      lSv = tensor(n),
      dxSv = tensor(n),
      dpSv = tensor(n * P, [n, P]);
    wasm.spline_forward(ySv.ptr, lSv.ptr, x.ptr, params.ptr, 0, mid, K, SPEC.bound, LOG_SLOPE, SCRATCH, saved.ptr);
    wasm.spline_forward(ySv.ptr, lSv.ptr, x.ptr, params.ptr, mid, n, K, SPEC.bound, LOG_SLOPE, SCRATCH, saved.ptr);
    sameBits('forward y (saving masses)', ySv.data, yW.data);
    wasm.spline_backward(
      dxSv.ptr,
      dpSv.ptr,
      gy.ptr,
      gl.ptr,
      x.ptr,
      params.ptr,
      mid,
      n,
      K,
      SPEC.bound,
      LOG_SLOPE,
      saved.ptr,
    );
    wasm.spline_backward(
      dxSv.ptr,
      dpSv.ptr,
      gy.ptr,
      gl.ptr,
      x.ptr,
      params.ptr,
      0,
      mid,
      K,
      SPEC.bound,
      LOG_SLOPE,
      saved.ptr,
    );
    sameBits('backward dx (saved masses)', dxSv.data, dxW.data);
    sameBits('backward dparams (saved masses)', dpSv.data, dpW.data);
    let dpExact = 0;
    for (let i = 0; i < n * P; i++) if (Object.is(dpT.data[i], dpW.data[i])) dpExact++;
    assert.ok(dpExact >= 0.99 * n * P, `dparams: only ${dpExact}/${n * P} bit-identical`);
    // Gradients are compared relative to the element's largest gradient.
    for (let e = 0; e < n; e++) {
      const a = dpT.data.subarray(e * P, e * P + P);
      const b = dpW.data.subarray(e * P, e * P + P);
      let scale = 1;
      for (const v of a) scale = Math.max(scale, Math.abs(v));
      for (let p = 0; p < P; p++) {
        assert.ok(Math.abs(a[p] - b[p]) <= 1e-6 * scale, `backward dparams[${e}, ${p}]: ts ${a[p]} wasm ${b[p]}`);
      }
    }
  });
}

test('wasm = ts for bin counts that are not a multiple of 4 (K = 1, 2, 3, 5, 6, 7, 9)', () => {
  for (const bins of [1, 2, 3, 5, 6, 7, 9]) {
    const spec: SplineSpec = { ...SPEC, bins };
    const Pk = paramsPerElement(bins);
    const n = 37;
    const u = rng(bins);
    const ps = Float32Array.from({ length: n * Pk }, () => (2 * u() - 1) * 1.5);
    const x = tensor(Float32Array.from({ length: n }, () => -5.5 + 11 * u()));
    const params = tensor(ps, [n, Pk]);
    const [yT, lT, yW, lW, xT, xW, dxT, dxW] = Array.from({ length: 8 }, () => tensor(n));
    const [dpT, dpW] = [tensor(n * Pk, [n, Pk]), tensor(n * Pk, [n, Pk])];
    const gy = tensor(Float32Array.from({ length: n }, () => 2 * u() - 1));
    const gl = tensor(Float32Array.from({ length: n }, () => 2 * u() - 1));
    splineForwardTs(yT, lT, x, params, spec);
    wasm.spline_forward(yW.ptr, lW.ptr, x.ptr, params.ptr, 0, n, bins, spec.bound, LOG_SLOPE, SCRATCH, 0);
    close(yT.data, yW.data, `K=${bins} forward y`);
    close(lT.data, lW.data, `K=${bins} forward ladj`);
    splineInverseTs(xT, lT, yT, params, spec);
    wasm.spline_inverse(xW.ptr, lW.ptr, yT.ptr, params.ptr, 0, n, bins, spec.bound, LOG_SLOPE, SCRATCH);
    close(xT.data, xW.data, `K=${bins} inverse x`);
    close(lT.data, lW.data, `K=${bins} inverse ladj`);
    for (let i = 0; i < n; i++) assert.ok(Math.abs(xT.data[i] - x.data[i]) <= 1e-5, `K=${bins} round trip`);
    splineBackwardTs(dxT, dpT, gy, gl, x, params, spec);
    wasm.spline_backward(dxW.ptr, dpW.ptr, gy.ptr, gl.ptr, x.ptr, params.ptr, 0, n, bins, spec.bound, LOG_SLOPE, 0);
    close(dxT.data, dxW.data, `K=${bins} backward dx`);
    close(dpT.data, dpW.data, `K=${bins} backward dparams`, 1e-5);
  }
});

test('wasm golden: kin transform 0 through the wasm kernel matches Zuko', () => {
  const g = JSON.parse(readFileSync(join(GOLDEN, 'kin_base.json'), 'utf8')) as GoldenBase;
  const raw = g.debug.hyper_raw_first4.f32[0];
  const x = tensor(raw.flatMap((_, row) => g.forward.inputs.x[row]));
  const params = tensor(raw.flat(), [8, P]);
  const y = tensor(8),
    l = tensor(8);
  wasm.spline_forward(y.ptr, l.ptr, x.ptr, params.ptr, 0, 8, K, SPEC.bound, LOG_SLOPE, SCRATCH, 0);
  for (let row = 0; row < 4; row++) {
    for (let f = 0; f < 2; f++)
      assert.ok(Math.abs(y.data[row * 2 + f] - g.forward.f32.per_transform[0].out[row][f]) <= 1e-4);
    const want = g.forward.f32.per_transform[0].ladj[row];
    assert.ok(Math.abs(l.data[row * 2] + l.data[row * 2 + 1] - want) <= 1e-4 + 5e-6 * Math.abs(want));
  }
});

test.run();
