/**
 * The minimizer on functions whose minima, covariances and intervals are known in closed form: a correlated
 * quadratic, the Rosenbrock valley, a bound active at the minimum, an asymmetric profile for MINOS; the
 * transform's derivatives against finite differences; the EDM rule, the retry and the failure flags.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  correlation,
  hesse,
  migrad,
  minos,
  profile,
  profile2d,
  type Fcn,
  type ParameterSpec,
} from '../src/fit/minimize/index.js';
import { BoundKind, boundsOf, d2ExtDInt2, dExtDInt, toExternal, toInternal } from '../src/fit/minimize/transform.js';
import { FitProblem } from '../src/fit/minimize/problem.js';
import { uniformStream } from '../src/backend/gpu/parity-probe.js';

function close(actual: number, expected: number, tol: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: got ${actual}, expected ${expected} ± ${tol}`);
}

/** f = ½ (θ − m)ᵀ C⁻¹ (θ − m): with errordef ½ the covariance is C exactly. */
function quadratic(c: number[][], m: number[]): Fcn {
  const n = m.length;
  const a = invert(c);
  return (t, g) => {
    let f = 0;
    for (let i = 0; i < n; i++) {
      let r = 0;
      for (let j = 0; j < n; j++) r += a[i][j] * (t[j] - m[j]);
      f += 0.5 * (t[i] - m[i]) * r;
      if (g) g[i] = r;
    }
    return f;
  };
}

function invert(m: number[][]): number[][] {
  const n = m.length;
  const a = m.map((row, i) => [...row, ...row.map((_, j) => (i === j ? 1 : 0))]);
  for (let i = 0; i < n; i++) {
    const p = a[i][i];
    for (let j = 0; j < 2 * n; j++) a[i][j] /= p;
    for (let k = 0; k < n; k++) {
      if (k === i) continue;
      const f = a[k][i];
      for (let j = 0; j < 2 * n; j++) a[k][j] -= f * a[i][j];
    }
  }
  return a.map((row) => row.slice(n));
}

const rosenbrock: Fcn = (t, g) => {
  const [x, y] = t;
  if (g) {
    g[0] = -400 * x * (y - x * x) - 2 * (1 - x);
    g[1] = 200 * (y - x * x);
  }
  return 100 * (y - x * x) ** 2 + (1 - x) ** 2;
};

const C3 = [
  [4, 1.2, 0.3],
  [1.2, 1, -0.2],
  [0.3, -0.2, 0.25],
];
const M3 = [1, -2, 0.5];
const start3 = (): ParameterSpec[] => ['a', 'b', 'c'].map((name) => ({ name, value: 0 }));

test('transform: round trip and both derivatives against finite differences, for every kind of bound', () => {
  const kinds = [boundsOf(undefined, undefined), boundsOf(-1, undefined), boundsOf(undefined, 2), boundsOf(-1, 2)];
  assert.equal(
    kinds.map((b) => b.kind),
    [BoundKind.None, BoundKind.Lower, BoundKind.Upper, BoundKind.Both],
  );
  for (const b of kinds) {
    for (const ext of [-0.7, 0.1, 1.3]) close(toExternal(b, toInternal(b, ext)), ext, 1e-12, `round trip ${b.kind}`);
    for (const int of [-1.1, -0.3, 0.2, 0.9]) {
      const h = 1e-5;
      const d1 = (toExternal(b, int + h) - toExternal(b, int - h)) / (2 * h);
      const d2 = (dExtDInt(b, int + h) - dExtDInt(b, int - h)) / (2 * h);
      close(dExtDInt(b, int), d1, 1e-8, `dext/dint kind ${b.kind} at ${int}`);
      close(d2ExtDInt2(b, int), d2, 1e-8, `d²ext/dint² kind ${b.kind} at ${int}`);
    }
  }
  // Every internal value maps inside the bounds.
  const both = boundsOf(0, 1);
  for (const int of [-100, -1.5708, 3, 100]) {
    const e = toExternal(both, int);
    assert.ok(e >= 0 && e <= 1, `ext ${e}`);
  }
});

test('the internal gradient is the chain rule of the exact external one (checked by finite differences)', () => {
  const fcn: Fcn = (t, g) => {
    if (g) {
      g[0] = Math.cos(t[0]) * t[1] + 2 * t[0];
      g[1] = Math.sin(t[0]) + 3 * t[1] * t[1];
      g[2] = 4 * t[2] ** 3;
    }
    return Math.sin(t[0]) * t[1] + t[0] * t[0] + t[1] ** 3 + t[2] ** 4;
  };
  const params: ParameterSpec[] = [
    { name: 'a', value: 0.3, lower: 0, upper: 1 },
    { name: 'b', value: 0.7, lower: 0.5 },
    { name: 'k', value: 9, fixed: true },
    { name: 'c', value: -0.4, upper: 0 },
  ];
  const shuffled: Fcn = (t, g) => {
    const inner = new Float64Array([t[0], t[1], t[3]]);
    const gi = g ? new Float64Array(3) : null;
    const f = fcn(inner, gi) + t[2];
    if (g && gi) [g[0], g[1], g[3]] = [gi[0], gi[1], gi[2]];
    return f;
  };
  const problem = new FitProblem(shuffled, params);
  const x = new Float64Array(3);
  problem.internalOf(problem.theta, x);
  const gInt = new Float64Array(3);
  problem.evalInternal(x, gInt);
  for (let k = 0; k < 3; k++) {
    const h = 1e-6;
    const xp = Float64Array.from(x);
    const xm = Float64Array.from(x);
    xp[k] += h;
    xm[k] -= h;
    const fd = (problem.evalInternal(xp, null) - problem.evalInternal(xm, null)) / (2 * h);
    close(gInt[k], fd, 1e-7 * Math.max(1, Math.abs(fd)), `∂f/∂int[${k}]`);
  }
  assert.is(problem.theta[2], 9, 'the fixed parameter keeps its value');
});

test('correlated quadratic: exact minimum and covariance for every strategy, few calls', () => {
  const fcn = quadratic(C3, M3);
  for (const strategy of [0, 1, 2] as const) {
    const r = migrad(fcn, start3(), { strategy });
    assert.ok(r.valid && r.accurate && r.posdef && !r.forcedPosdef, `strategy ${strategy}: ${r.message}`);
    for (let i = 0; i < 3; i++) {
      close(r.values[i], M3[i], 1e-7, `value ${i}`);
      for (let j = 0; j < 3; j++) close(r.covariance[i][j], C3[i][j], 1e-7, `cov ${i}${j}`);
      close(r.errors[i], Math.sqrt(C3[i][i]), 1e-7, `error ${i}`);
    }
    assert.ok(r.edm < 0.002 * 0.1 * 0.5);
    assert.ok(r.nfcn <= 25 && r.ngrad <= r.nfcn, `strategy ${strategy}: ${r.nfcn} calls`);
    assert.equal(r.atLimit, [false, false, false]);
  }
  // errordef 1 (a χ²) doubles the covariance of the same function: V = 2·errordef·H⁻¹.
  const chi2 = migrad(fcn, start3(), { errordef: 1 });
  close(chi2.covariance[0][1], 2 * C3[0][1], 1e-7, 'errordef 1');
});

test('a fixed parameter stays put and has zero rows in the covariance', () => {
  const fcn = quadratic(C3, M3);
  const params = start3();
  params[1] = { name: 'b', value: -1, fixed: true };
  const r = migrad(fcn, params);
  assert.ok(r.valid);
  assert.is(r.values[1], -1);
  assert.is(r.errors[1], 0);
  assert.equal(Array.from(r.covariance[1]), [0, 0, 0]);
  const rho = correlation(r);
  assert.equal(Array.from(rho[1]), [0, 0, 0]);
  assert.is(rho[0][0], 1);
  close(rho[0][2], r.covariance[0][2] / (r.errors[0] * r.errors[2]), 1e-15, 'ρ_ac');
  // The conditional minimum of a Gaussian: m_a + C_ab/C_bb·(b − m_b).
  close(r.values[0], M3[0] + (C3[0][1] / C3[1][1]) * (-1 - M3[1]), 1e-5, 'conditional a');
  // and its conditional variance C_aa − C_ab²/C_bb
  close(r.covariance[0][0], C3[0][0] - (C3[0][1] * C3[0][1]) / C3[1][1] + 0, 0.02, 'conditional var (a,c coupled)');
});

test('Rosenbrock valley from (−1.2, 1): converges to (1, 1); HESSE matches the analytic Hessian there', () => {
  for (const strategy of [1, 2] as const) {
    const r = migrad(
      rosenbrock,
      [
        { name: 'x', value: -1.2 },
        { name: 'y', value: 1 },
      ],
      { strategy },
    );
    assert.ok(r.valid && r.accurate, r.message);
    assert.ok(r.fval < 1e-4, `f = ${r.fval}`);
    close(r.values[0], 1, 0.02, 'x');
    close(r.values[1], 1, 0.04, 'y');
    // The covariance is the inverse of the analytic Hessian at the returned point (errordef ½: V = H⁻¹).
    const [x, y] = r.values;
    const h = [
      [1200 * x * x - 400 * y + 2, -400 * x],
      [-400 * x, 200],
    ];
    const v = invert(h);
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 2; j++)
        close(r.covariance[i][j], v[i][j], 2e-3 * Math.abs(v[i][j]), `strategy ${strategy} cov ${i}${j}`);
    assert.ok(r.nfcn < 100, `${r.nfcn} calls`);
  }
});

test('a bound active at the minimum: at limit, on the bound, with the unbounded curvature error', () => {
  // Unbounded minimum at (−1, 1), covariance C = [[4,1],[1,1]]⁻¹; with x ≥ 0 the minimum is x = 0 and
  // y = 1 − C⁻¹_xy/C⁻¹_yy · (0 + 1) = 0.
  const cInv = [
    [4, 1],
    [1, 1],
  ];
  const fcn = quadratic(invert(cInv), [-1, 1]);
  const c = invert(cInv);
  for (const bounds of [{ lower: 0 }, { lower: 0, upper: 1 }]) {
    const r = migrad(fcn, [
      { name: 'x', value: 0.5, ...bounds },
      { name: 'y', value: 0 },
    ]);
    assert.ok(r.valid, r.message);
    assert.equal(r.atLimit, [true, false]);
    assert.ok(r.values[0] >= 0 && r.values[0] < 1e-4, `x = ${r.values[0]}`);
    close(r.values[1], 0, 0.02, 'y at its conditional minimum');
    close(r.errors[0], Math.sqrt(c[0][0]), 1e-6, 'error of x');
    close(r.errors[1], Math.sqrt(c[1][1]), 1e-6, 'error of y');
  }
  // The upper side of a [0, 1] bound, like a signal fraction pulled beyond 1.
  const pull = quadratic([[0.04]], [1.3]);
  const r = migrad(pull, [{ name: 'mu', value: 0.5, lower: 0, upper: 1 }]);
  assert.ok(r.valid && r.atLimit[0] && r.values[0] > 1 - 1e-4 && r.values[0] <= 1);
  close(r.errors[0], 0.2, 1e-6, 'error at the upper bound');
});

test('a start exactly on a bound leaves it when the minimum is inside', () => {
  const fcn = quadratic([[0.01]], [0.3]);
  for (const value of [0, 1]) {
    const r = migrad(fcn, [{ name: 'mu', value, lower: 0, upper: 1 }]);
    assert.ok(r.valid && !r.atLimit[0], r.message);
    close(r.values[0], 0.3, 2e-3, `from ${value}`); // the EDM goal allows ~0.014σ
    close(r.errors[0], 0.1, 1e-6, 'error');
  }
});

test('EDM rule: the fit stops once ½gᵀVg < 0.002·tol·errordef, and the EDM it reports is that quantity', () => {
  // f = eˣ − 2x + (y − x)²: minimum at x = y = ln 2, non-quadratic in x.
  const fcn: Fcn = (t, g) => {
    const [x, y] = t;
    if (g) {
      g[0] = Math.exp(x) - 2 - 2 * (y - x);
      g[1] = 2 * (y - x);
    }
    return Math.exp(x) - 2 * x + (y - x) ** 2;
  };
  const params = (): ParameterSpec[] => [
    { name: 'x', value: 2, step: 0.5 },
    { name: 'y', value: -1, step: 0.5 },
  ];
  for (const tol of [100, 1, 0.01]) {
    for (const errordef of [0.5, 1]) {
      const r = migrad(fcn, params(), { tol, errordef, strategy: 0 });
      const goal = 0.002 * tol * errordef;
      assert.ok(r.valid && r.edm < goal, `tol ${tol}: edm ${r.edm} goal ${goal}`);
      // Independent EDM: exact gradient and exact Hessian at the returned point.
      const [x, y] = r.values;
      const g = [Math.exp(x) - 2 - 2 * (y - x), 2 * (y - x)];
      const hInv = invert([
        [Math.exp(x) + 2, -2],
        [-2, 2],
      ]);
      let edm = 0;
      for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) edm += 0.5 * g[i] * hInv[i][j] * g[j];
      close(r.edm, edm, 1e-3 * edm + 1e-15, `reported EDM at tol ${tol}`);
    }
  }
  // A loose goal stops as soon as it is met (not at a tighter one), farther from the minimum than a tight goal.
  const loose = migrad(fcn, params(), { tol: 100, strategy: 0 });
  const tight = migrad(fcn, params(), { tol: 0.01, strategy: 0 });
  assert.ok(loose.edm > 0.002 * 1 * 0.5, `loose EDM ${loose.edm}`);
  assert.ok(Math.abs(loose.values[0] - Math.LN2) > Math.abs(tight.values[0] - Math.LN2));
});

test('call limit: an invalid result with the reason and the above-max-EDM flag, never an exception', () => {
  const r = migrad(
    rosenbrock,
    [
      { name: 'x', value: -1.2 },
      { name: 'y', value: 1 },
    ],
    { maxfcn: 10 },
  );
  assert.not.ok(r.valid);
  assert.ok(r.aboveMaxEdm && r.retried);
  assert.match(r.message, /call limit reached/);
  assert.ok(r.nfcn <= 2 * 10 + 12, `${r.nfcn} calls`); // two budgets and the final bookkeeping
});

test('retry: a first attempt that runs out of calls is recovered from its best point with strategy 2', () => {
  const r = migrad(
    rosenbrock,
    [
      { name: 'x', value: -1.2 },
      { name: 'y', value: 1 },
    ],
    { maxfcn: 40 },
  );
  assert.ok(r.valid && r.retried, r.message);
  assert.match(r.message, /recovered by a retry with strategy 2; first attempt: call limit reached/);
  close(r.values[0], 1, 0.02, 'x');
});

test('non-finite values: the line search backs off a NaN region; a NaN start is reported, not thrown', () => {
  // f = x − 2 ln x, minimum at x = 2; from x = 0.1 the first Newton step lands at x < 0 where f is NaN.
  const log: Fcn = (t, g) => {
    if (g) g[0] = 1 - 2 / t[0];
    return t[0] - 2 * Math.log(t[0]);
  };
  const r = migrad(log, [{ name: 'x', value: 0.1, step: 1 }]);
  assert.ok(r.valid, r.message);
  close(r.values[0], 2, 0.02, 'x'); // σ = √2; the EDM goal allows ~0.014σ
  const nan = migrad(() => NaN, [{ name: 'x', value: 1 }]);
  assert.not.ok(nan.valid);
  assert.match(nan.message, /not finite at the start/);
});

test('an objective that never writes its gradient is refused; a gradient really NaN is reported as before', () => {
  // f-only: grad stayed zero-filled, so the start looked stationary and came back "valid" at (0, 0).
  const fOnly: Fcn = (t) => (t[0] - 1) ** 2 + (t[1] + 2) ** 2;
  const params = (): ParameterSpec[] => [
    { name: 'a', value: 0 },
    { name: 'b', value: 0 },
  ];
  assert.throws(
    () => migrad(fOnly, params()),
    /minimize: the objective did not write its gradient for "a", "b": fcn\(theta, grad\) must fill grad/,
  );
  // One entry forgotten: that parameter is named.
  const half: Fcn = (t, g) => {
    if (g) g[0] = 2 * (t[0] - 1);
    return (t[0] - 1) ** 2 + (t[1] + 2) ** 2;
  };
  assert.throws(() => migrad(half, params()), /did not write its gradient for "b":/);
  // A fixed parameter's entry is ignored, as documented.
  const r = migrad(half, [
    { name: 'a', value: 0 },
    { name: 'b', value: -2, fixed: true },
  ]);
  assert.ok(r.valid, r.message);
  close(r.values[0], 1, 1e-6, 'a');
  // A gradient that the objective writes as NaN is not an unwritten one: the not-finite start is reported.
  const nanGrad: Fcn = (t, g) => {
    if (g) g.fill(NaN);
    return t[0] * t[0];
  };
  const n = migrad(nanGrad, [{ name: 'x', value: 1 }]);
  assert.not.ok(n.valid);
  assert.match(n.message, /not finite at the start/);
});

test('precision: a function resolved no finer than its stated precision stops at once, flagged, not retried', () => {
  // f = 10⁶ + (x − 1)⁴ + (y − x)²: the quartic converges slowly, so EDM passes through (goal, resolution).
  const quartic: Fcn = (t, g) => {
    const [x, y] = t;
    if (g) {
      g[0] = 4 * (x - 1) ** 3 - 2 * (y - x);
      g[1] = 2 * (y - x);
    }
    return 1e6 + (x - 1) ** 4 + (y - x) ** 2;
  };
  const params = (): ParameterSpec[] => [
    { name: 'x', value: 3 },
    { name: 'y', value: 0 },
  ];
  // Told that f only resolves 1e-7 relative (±0.1 here), the fit stops once the EDM is below ~1.
  const coarse = migrad(quartic, params(), { precision: 1e-7 });
  assert.ok(!coarse.valid && coarse.aboveMaxEdm && !coarse.retried);
  assert.ok(coarse.edm < 1 && coarse.edm > 1e-4, `edm ${coarse.edm}`);
  assert.match(coarse.message, /f is resolved only to ~1\.0e-1 \(precision 1e-7\)/);
  // At full float64 resolution the same function converges.
  const fine = migrad(quartic, params());
  assert.ok(fine.valid, fine.message);
  assert.ok(fine.nfcn > coarse.nfcn);
  assert.throws(() => migrad(quartic, params(), { precision: 0 }), /precision must lie in \(0, 1\)/);
});

test('bad parameters are refused with the parameter named', () => {
  const f = quadratic([[1]], [0]);
  assert.throws(() => migrad(f, [{ name: 'mu', value: 1.5, lower: 0, upper: 1 }]), /"mu".*outside its bounds \[0, 1\]/);
  assert.throws(() => migrad(f, [{ name: 'mu', value: 0.5, lower: 1, upper: 0 }]), /"mu": lower bound 1 must be below/);
  assert.throws(() => migrad(f, [{ name: 'nu', value: NaN }]), /"nu": value must be a finite number/);
  assert.throws(() => migrad(f, [{ name: 'nu', value: 0, step: 0 }]), /"nu": step must be a positive/);
  assert.throws(
    () =>
      migrad(f, [
        { name: 'a', value: 0 },
        { name: 'a', value: 0 },
      ]),
    /"a" appears twice/,
  );
  assert.throws(() => migrad(f, [{ name: 'a', value: 0 }], { strategy: 3 as 0 }), /strategy must be 0, 1 or 2/);
  assert.throws(() => migrad(f, [{ name: 'a', value: 0 }], { errordef: 0 }), /errordef must be a positive number/);
});

test('HESSE alone: the exact covariance after a loose fit; a saddle is forced positive definite and says so', () => {
  const fcn = quadratic(C3, M3);
  const loose = migrad(fcn, start3(), { strategy: 0, tol: 1e3 });
  const r = hesse(fcn, loose, start3(), { strategy: 2 });
  assert.ok(r.accurate && r.posdef);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) close(r.covariance[i][j], C3[i][j], 1e-7, `cov ${i}${j}`);
  assert.ok(r.nfcn > loose.nfcn, 'call counts continue from the input');

  // In the ill-conditioned Rosenbrock valley (condition number ~2500) the steps follow the conditional errors.
  const rosenParams: ParameterSpec[] = [
    { name: 'x', value: -1.2 },
    { name: 'y', value: 1 },
  ];
  const rb = hesse(rosenbrock, migrad(rosenbrock, rosenParams, { strategy: 0 }), rosenParams);
  const [x, y] = rb.values;
  const v = invert([
    [1200 * x * x - 400 * y + 2, -400 * x],
    [-400 * x, 200],
  ]);
  for (let i = 0; i < 2; i++)
    for (let j = 0; j < 2; j++)
      close(rb.covariance[i][j], v[i][j], 2e-3 * Math.abs(v[i][j]), `Rosenbrock cov ${i}${j}`);

  const saddle: Fcn = (t, g) => {
    if (g) {
      g[0] = 2 * t[0];
      g[1] = -t[1];
    }
    return t[0] * t[0] - 0.5 * t[1] * t[1];
  };
  const params: ParameterSpec[] = [
    { name: 'x', value: 0 },
    { name: 'y', value: 0 },
  ];
  const at = { ...loose, values: new Float64Array(2), errors: new Float64Array([1, 1]) };
  const s = hesse(saddle, at, params);
  assert.ok(s.forcedPosdef && !s.posdef && !s.accurate);
  assert.match(s.message, /not positive definite and was forced/);
  assert.ok(s.errors[0] > 0 && s.errors[1] > 0);
});

// f = ½((x − 1)/σ(x))² + ½((y − x)/0.3)², σ(x) = 0.5 + 0.2(x − 1): profiling y gives ½((x − 1)/σ(x))², which
// rises by ½·s² at x − 1 = s·σ(x): δ₊ = s·0.5/(1 − 0.2s), δ₋ = −s·0.5/(1 + 0.2s).
const asymmetric: Fcn = (t, g) => {
  const [x, y] = t;
  const s = 0.5 + 0.2 * (x - 1);
  const u = (x - 1) / s;
  const w = (y - x) / 0.3;
  if (g) {
    g[0] = (u * (s - (x - 1) * 0.2)) / (s * s) - w / 0.3;
    g[1] = w / 0.3;
  }
  return 0.5 * u * u + 0.5 * w * w;
};

test('MINOS: the asymmetric interval of a profiled parameter matches the closed-form crossings', () => {
  const params: ParameterSpec[] = [
    { name: 'x', value: 0.5 },
    { name: 'y', value: 0 },
  ];
  const best = migrad(asymmetric, params, { tol: 1e-4 });
  assert.ok(best.valid);
  for (const sigmas of [1, 2]) {
    const m = minos(asymmetric, best, params, 0, { sigmas });
    assert.ok(m.validLower && m.validUpper && !m.newMinimum, m.message);
    const up = (sigmas * 0.5) / (1 - 0.2 * sigmas);
    const down = (-sigmas * 0.5) / (1 + 0.2 * sigmas);
    // The crossing points themselves (the interval is relative to the fitted value).
    close(best.values[0] + m.upper, 1 + up, 2e-4, `upper crossing, ${sigmas}σ`);
    close(best.values[0] + m.lower, 1 + down, 2e-4, `lower crossing, ${sigmas}σ`);
    assert.ok(m.nfcn < 80, `${m.nfcn} calls`);
  }
  // For a quadratic MINOS equals HESSE.
  const fcn = quadratic(C3, M3);
  const q = migrad(fcn, start3());
  const mq = minos(fcn, q, start3(), 2);
  close(mq.upper, Math.sqrt(C3[2][2]), 1e-4, 'quadratic upper');
  close(mq.lower, -Math.sqrt(C3[2][2]), 1e-4, 'quadratic lower');
});

test('MINOS: a bound inside the interval leaves that side open and flagged', () => {
  const params: ParameterSpec[] = [
    { name: 'x', value: 0.5, upper: 1.3 },
    { name: 'y', value: 0 },
  ];
  const best = migrad(asymmetric, params);
  const m = minos(asymmetric, best, params, 0);
  assert.ok(m.atLimitUpper && !m.validUpper && m.validLower && !m.atLimitLower);
  close(best.values[0] + m.upper, 1.3, 1e-12, 'open side ends at the bound');
  assert.match(m.message, /upper side reaches the parameter bound/);
  assert.throws(() => minos(asymmetric, best, [params[0], { ...params[1], fixed: true }], 1), /"y" is fixed/);
  assert.throws(() => minos(asymmetric, best, params, 5), /index 5 is outside 0..1/);
});

test('profiles of a Gaussian: ½(x − m)²/C_xx in 1D, ½ zᵀ C₂⁻¹ z in 2D, warm-started and cheap', () => {
  const fcn = quadratic(C3, M3);
  const grid = [-3, -1, 0, 0.5, 1, 2, 4];
  const p = profile(fcn, start3(), 0, grid);
  grid.forEach((x, k) => close(p.deltaNll[k], (0.5 * (x - M3[0]) ** 2) / C3[0][0], 1e-6, `Δ at ${x}`));
  assert.ok(p.fits.every((f) => f.valid && f.fixed[0]));
  const gi = [0, 1, 2];
  const gj = [-3, -2, -1.5];
  const p2 = profile2d(fcn, start3(), 0, 1, gi, gj);
  const c2inv = invert([
    [C3[0][0], C3[0][1]],
    [C3[1][0], C3[1][1]],
  ]);
  for (let a = 0; a < 3; a++) {
    for (let b = 0; b < 3; b++) {
      const z = [gi[a] - M3[0], gj[b] - M3[1]];
      let want = 0;
      for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) want += 0.5 * z[i] * c2inv[i][j] * z[j];
      close(p2.deltaNll[a][b], want, 1e-6, `Δ at (${gi[a]}, ${gj[b]})`);
      assert.ok(p2.valid[a][b]);
    }
  }
  // One free parameter left, seeded with the global Hessian: each point is a Newton step away.
  assert.ok(p2.nfcn / 9 <= 6, `${p2.nfcn / 9} calls per point`);
  // A grid that reaches the profiled parameter's bound, with another parameter bounded too.
  const bounded = [{ name: 'a', value: 0, lower: -1 }, { ...start3()[1], upper: 0 }, start3()[2]];
  const pb = profile(fcn, bounded, 0, [-1, 3]);
  // Through the nonlinear transform the fits converge to their EDM goal (1e-4) rather than exactly.
  [-1, 3].forEach((x, k) => close(pb.deltaNll[k], (0.5 * (x - M3[0]) ** 2) / C3[0][0], 2e-4, `bounded Δ at ${x}`));
  assert.throws(() => profile(fcn, bounded, 0, [-2]), /grid value -2 of "a" lies outside \[-1, undefined\]/);
});

/**
 * f(x) = ½x² + Σ_i ε_i |x − k_i|: a unit parabola with 20 000 kinks of ±0.002 at random places (the shape of
 * an NLL of spline flows, whose gradient jumps where an event's spline input crosses a knot). Their jumps
 * average out over ±1σ but not over HESSE's default ±0.02σ, where a few of them make up the difference
 * quotient. The kinks also bend the profile itself a little, so MINOS (the rise of f by errordef) is the
 * reference for each draw.
 */
function kinkedParabola(seed: number): Fcn {
  const rnd = uniformStream(seed);
  const n = 20000;
  const knots = Float64Array.from({ length: n }, () => 6 * rnd() - 3);
  const eps = Float64Array.from({ length: n }, () => (rnd() < 0.5 ? -0.002 : 0.002));
  return (t, g) => {
    let f = 0.5 * t[0] * t[0];
    let d = t[0];
    for (let i = 0; i < n; i++) {
      f += eps[i] * Math.abs(t[0] - knots[i]);
      d += eps[i] * Math.sign(t[0] - knots[i]);
    }
    if (g) g[0] = d;
    return f;
  };
}

test('hesseStep: with many small kinks a step of 1σ agrees with MINOS, the default local step does not', () => {
  const params = [{ name: 'x', value: 0.7, step: 0.5 }];
  let offWide = 0;
  let offLocal = 0;
  const seeds = [1, 2, 3, 4, 5, 6, 7, 8];
  for (const seed of seeds) {
    const fcn = kinkedParabola(seed);
    const wide = migrad(fcn, params, { hesseStep: 1 });
    const local = migrad(fcn, params);
    assert.ok(wide.valid, wide.message);
    const m = minos(fcn, wide, params, 0);
    const half = (m.upper - m.lower) / 2;
    offWide += Math.abs(wide.errors[0] / half - 1) / seeds.length;
    offLocal += Math.abs(local.errors[0] / half - 1) / seeds.length;
  }
  assert.ok(offWide < 0.06, `hesseStep 1: mean |σ_HESSE/σ_MINOS − 1| = ${offWide}`);
  assert.ok(offLocal > 0.2, `default step: mean |σ_HESSE/σ_MINOS − 1| = ${offLocal} (a few kinks decide it)`);
  // on a quadratic the step does not matter
  const q = quadratic([[4]], [1]);
  close(migrad(q, [{ name: 'a', value: 0 }], { hesseStep: 1 }).errors[0], 2, 1e-9, 'quadratic σ with hesseStep 1');
  assert.throws(() => migrad(q, [{ name: 'a', value: 0 }], { hesseStep: 3 }), /hesseStep must lie in \(0, 2\]/);
  assert.throws(() => migrad(q, [{ name: 'a', value: 0 }], { hesseStep: 0 }), /hesseStep must lie in \(0, 2\]/);
});

test.run();
