/**
 * The toy generator: analytic truth vs golden/generator_truth.json, sampling vs the analytic
 * densities (whitened moments and χ² at fixed seeds), normalisation of the densities with
 * distortion and sigmoid, the PRNG (known answers, jump, determinism, uniformity) and config
 * validation.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type GeneratorConfig,
  defaultGeneratorConfig,
  distortY,
  distortionLogAbsDet,
  generateBatch,
  logProbX,
  logProbXBatch,
  logProbY,
  logProbYBatch,
  logit,
  sampleY,
  sigmoid,
  undistortY,
  withNuisance,
  xParams,
  yParams,
  yParamsBatch,
  REFERENCE_CLASS_DEFAULTS,
} from '../src/toy/index.js';
import { generatorSection } from '../src/config/schema.js';
import { Rng } from '../src/random/rng.js';
import { erfc } from '../src/validate/stats.js';

// ---------------------------------------------------------------- helpers

function goldenDir(): string {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
  const candidates = [process.env.FNFLOW_SHARED, resolve(root, 'shared'), resolve(root, '../shared')]
    .filter((p): p is string => !!p)
    .map((p) => resolve(p, 'golden'));
  const hit = candidates.find((p) => existsSync(resolve(p, 'generator_truth.json')));
  if (!hit) throw new Error(`generator_truth.json not found in ${candidates.join(', ')}`);
  return hit;
}

const Phi = (x: number): number => 0.5 * erfc(-x / Math.SQRT2);

/** Upper-tail p-value of χ² with k degrees of freedom (Wilson–Hilferty; accurate for k ≳ 30). */
function chi2PValue(chi2: number, k: number): number {
  const v = 2 / (9 * k);
  const z = (Math.cbrt(chi2 / k) - (1 - v)) / Math.sqrt(v);
  return 1 - Phi(z);
}

/** Moments and χ² (16 × 16 cells on [−4, 4]² + the rest) of whitened 2-D samples against N(0, I). */
function whitenedStats(z: Float64Array) {
  const n = z.length / 2;
  let m0 = 0,
    m1 = 0;
  for (let i = 0; i < n; i++) {
    m0 += z[2 * i];
    m1 += z[2 * i + 1];
  }
  m0 /= n;
  m1 /= n;
  let v0 = 0,
    v1 = 0,
    c01 = 0;
  for (let i = 0; i < n; i++) {
    const a = z[2 * i] - m0,
      b = z[2 * i + 1] - m1;
    v0 += a * a;
    v1 += b * b;
    c01 += a * b;
  }
  v0 /= n;
  v1 /= n;
  c01 /= n;
  const corr = c01 / Math.sqrt(v0 * v1);
  // 16 × 16 cells on [−4, 4]² + one overflow cell
  const B = 16,
    lo = -4,
    w = 0.5;
  const counts = new Float64Array(B * B + 1);
  for (let i = 0; i < n; i++) {
    const a = Math.floor((z[2 * i] - lo) / w),
      b = Math.floor((z[2 * i + 1] - lo) / w);
    if (a >= 0 && a < B && b >= 0 && b < B) counts[a * B + b]++;
    else counts[B * B]++;
  }
  const pe = new Float64Array(B);
  for (let a = 0; a < B; a++) pe[a] = Phi(lo + (a + 1) * w) - Phi(lo + a * w);
  // cells expecting < 5 events join the overflow cell, so χ² is χ²-distributed
  let chi2 = 0,
    used = 0,
    restCount = 0,
    restProb = 1;
  for (let a = 0; a < B; a++)
    for (let b = 0; b < B; b++) {
      const p = pe[a] * pe[b];
      if (n * p < 5) {
        restCount += counts[a * B + b];
        continue;
      }
      restProb -= p;
      chi2 += (counts[a * B + b] - n * p) ** 2 / (n * p);
      used++;
    }
  restCount += counts[B * B];
  chi2 += (restCount - n * restProb) ** 2 / (n * restProb);
  const ndf = used;
  return {
    n,
    meanZ: [m0 * Math.sqrt(n), m1 * Math.sqrt(n)],
    varZ: [(v0 - 1) / Math.sqrt(2 / n), (v1 - 1) / Math.sqrt(2 / n)],
    corrZ: corr * Math.sqrt(n),
    chi2,
    ndf,
    p: chi2PValue(chi2, ndf),
  };
}

function assertWhitened(label: string, z: Float64Array, zmax = 4.5, pmin = 1e-4): void {
  const s = whitenedStats(z);
  const zs = [...s.meanZ, ...s.varZ, s.corrZ];
  for (const v of zs)
    assert.ok(Math.abs(v) < zmax, `${label}: whitened z-scores ${zs.map((q) => q.toFixed(2)).join(', ')} (n = ${s.n})`);
  assert.ok(s.p > pmin, `${label}: χ² = ${s.chi2.toFixed(1)} / ${s.ndf}, p = ${s.p.toExponential(2)}`);
}

function goldenConfig(constants: Record<string, unknown>): GeneratorConfig {
  const c = constants as Record<string, number | number[] | boolean>;
  return generatorSection(defaultGeneratorConfig())(
    {
      center_A: c.center_A,
      center_B: c.center_B,
      sigma_A: c.sigma_A,
      sigma_B: c.sigma_B,
      shift_scale: c.shift_scale,
      squeeze_scale: c.squeeze_scale,
      y_shift_scale: c.y_shift_scale,
      y_squeeze_scale: c.y_squeeze_scale,
      shift_dir: c.shift_dir,
      sigmoid_y: c.sigmoid_y,
    },
    { file: 'generator_truth.json', path: 'constants', baseDir: '' },
  );
}

const close = (a: number, b: number, tol: number) => Math.abs(a - b) <= tol;

// ---------------------------------------------------------------- golden truth

test('analytic truth matches golden/generator_truth.json to 1e-10 at 32 points × 9 ν', () => {
  const g = JSON.parse(readFileSync(resolve(goldenDir(), 'generator_truth.json'), 'utf8'));
  const base = goldenConfig(g.constants);
  const { x, y, c } = g.inputs as { x: number[][]; y: number[][]; c: number[] };
  assert.is(x.length, 32);
  assert.is(g.settings.length, 9);
  let worst = 0;
  const check = (what: string, got: number, want: number) => {
    const d = Math.abs(got - want);
    worst = Math.max(worst, d);
    assert.ok(d <= 1e-10, `${what}: got ${got}, want ${want} (|Δ| = ${d})`);
  };
  for (const s of g.settings) {
    const cfg = withNuisance(base, [s.nu_shift, s.nu_squeeze]);
    const xb = new Float64Array(x.flat()),
      yb = new Float64Array(y.flat());
    const lpx = logProbXBatch(xb, c, cfg),
      lpy = logProbYBatch(yb, xb, c, cfg);
    for (let i = 0; i < 32; i++) {
      const at = `ν=(${s.nu_shift},${s.nu_squeeze}) point ${i}`;
      check(`log_p_x ${at}`, logProbX(x[i], c[i], cfg), s.log_p_x[i]);
      check(`log_p_x batch ${at}`, lpx[i], s.log_p_x[i]);
      check(`log_p_y ${at}`, logProbY(y[i], x[i], c[i], cfg), s.log_p_y[i]);
      check(`log_p_y batch ${at}`, lpy[i], s.log_p_y[i]);
      const xp = xParams(c[i], cfg);
      for (let j = 0; j < 2; j++) {
        check(`x_mean ${at}`, xp.mean[j], s.x_mean[i][j]);
        check(`x_sd ${at}`, xp.sd[j], s.x_sd[i][j]);
      }
      const yp = yParams(x[i], c[i], cfg);
      check(`y_mu0 ${at}`, yp.mu[0], s.y_mu[i][0]);
      check(`y_mu1 ${at}`, yp.mu[1], s.y_mu[i][1]);
      check(`y_sigma0 ${at}`, yp.sigma0, s.y_sigma0[i]);
      check(`y_sigma1 ${at}`, yp.sigma1, s.y_sigma1[i]);
      check(`y_rho ${at}`, yp.rho, s.y_rho[i]);
    }
  }
  assert.ok(worst < 1e-10);
});

test('defaults are the golden constants; REFERENCE_CLASS_DEFAULTS differ only in y scales and sigmoid', () => {
  const d = defaultGeneratorConfig();
  assert.equal(d.center_A, [-0.5, 0]);
  assert.equal(d.sigma_B, [0.6, 0.4]);
  assert.is(d.shift_scale, 0.3);
  assert.is(d.y_squeeze_scale, 0.2);
  assert.is(d.sigmoid_y, false);
  assert.is(REFERENCE_CLASS_DEFAULTS.y_shift_scale, 0);
  assert.is(REFERENCE_CLASS_DEFAULTS.sigmoid_y, true);
  const nu = withNuisance(d, [1.5, -0.5]);
  assert.is(nu.variation_shift, 1.5);
  assert.is(nu.variation_squeeze, -0.5);
  assert.is(d.variation_shift, 0, 'withNuisance does not mutate its input');
});

// ---------------------------------------------------------------- x systematics order

test('x systematics follow the reference order: rotation (A −θ, B +θ), then squeeze, then shift', () => {
  const cfg: GeneratorConfig = {
    ...defaultGeneratorConfig(),
    variation_rot: 0.8,
    variation_squeeze: -0.7,
    variation_shift: 1.3,
    shift_dir: [2, 1],
  };
  const eps = [1.1, -0.4];
  for (const c of [0, 1]) {
    const sign = c === 0 ? -1 : 1;
    const mu = c === 0 ? cfg.center_A : cfg.center_B;
    const sg = c === 0 ? cfg.sigma_A : cfg.sigma_B;
    // step by step, as the reference's sample_x_conditional does
    let p = [sg[0] * eps[0], sg[1] * eps[1]]; // x − μ
    const th = sign * cfg.rot_scale * cfg.variation_rot;
    p = [Math.cos(th) * p[0] - Math.sin(th) * p[1], Math.sin(th) * p[0] + Math.cos(th) * p[1]];
    const a = cfg.squeeze_scale * cfg.variation_squeeze;
    p = c === 0 ? [p[0] * Math.exp(a), p[1] * Math.exp(-a)] : [p[0] * Math.exp(-a), p[1] * Math.exp(a)];
    const nd = Math.hypot(2, 1);
    const want = [mu[0] + p[0] + (sign * 0.3 * 1.3 * 2) / nd, mu[1] + p[1] + (sign * 0.3 * 1.3 * 1) / nd];
    const xp = xParams(c, cfg);
    const [f00, f01, f10, f11] = xp.factor;
    const got = [xp.mean[0] + f00 * eps[0] + f01 * eps[1], xp.mean[1] + f10 * eps[0] + f11 * eps[1]];
    assert.ok(close(got[0], want[0], 1e-14) && close(got[1], want[1], 1e-14), `class ${c}: ${got} vs ${want}`);
    assert.ok(close(xp.logDet, Math.log(sg[0]) + Math.log(sg[1]), 1e-15));
  }
  // class A rotated by −θ: cov(x1, x2) = (σ1² − σ2²) sin θ cos θ < 0 without squeeze
  const rotOnly = { ...defaultGeneratorConfig(), variation_rot: 1 };
  assert.ok(xParams(0, rotOnly).rho < 0 && xParams(1, rotOnly).rho > 0);
});

// ---------------------------------------------------------------- sampling vs truth

function whitenBatch(cfg: GeneratorConfig, seed: number, n: number) {
  const b = generateBatch(Rng.fromSeed(seed), n, cfg);
  const xp = [xParams(0, cfg), xParams(1, cfg)];
  const inv = xp.map((p) => {
    const [a, b_, c, d] = p.factor;
    const det = a * d - b_ * c;
    return [d / det, -b_ / det, -c / det, a / det];
  });
  const zx: number[][] = [[], []];
  const zy: number[] = [];
  const lpx = logProbXBatch(b.x, b.c, cfg);
  const yp = yParamsBatch(b.x, b.c, cfg);
  const sumLp = [0, 0],
    cnt = [0, 0];
  for (let i = 0; i < n; i++) {
    const c = b.c[i];
    const u0 = b.x[2 * i] - xp[c].mean[0],
      u1 = b.x[2 * i + 1] - xp[c].mean[1];
    const m = inv[c];
    zx[c].push(m[0] * u0 + m[1] * u1, m[2] * u0 + m[3] * u1);
    sumLp[c] += lpx[i];
    cnt[c]++;
    const z0 = (b.y[2 * i] - yp.mu[2 * i]) / yp.sigma0[i];
    const z1 = ((b.y[2 * i + 1] - yp.mu[2 * i + 1]) / yp.sigma1[i] - yp.rho[i] * z0) / Math.sqrt(1 - yp.rho[i] ** 2);
    zy.push(z0, z1);
  }
  return { b, zx: zx.map((a) => Float64Array.from(a)), zy: Float64Array.from(zy), sumLp, cnt, xp };
}

const NU_SETS: [number, number][] = [
  [0, 0],
  [1, 0],
  [0, -1],
  [2, -1.5],
];
for (const [k, nu] of NU_SETS.entries()) {
  test(`200k draws at ν = (${nu}) whiten to N(0, I) (x per class, y | x) and match −entropy`, () => {
    const cfg = withNuisance(defaultGeneratorConfig(), nu);
    const n = 200_000;
    const w = whitenBatch(cfg, 1000 + k, n);
    const fracB = w.cnt[1] / n;
    assert.ok(Math.abs(fracB - 0.5) / Math.sqrt(0.25 / n) < 4.5, `fair coin: fraction B = ${fracB}`);
    assertWhitened(`x | A`, w.zx[0]);
    assertWhitened(`x | B`, w.zx[1]);
    assertWhitened(`y | x`, w.zy);
    for (const c of [0, 1]) {
      // for a 2-D Gaussian, log p = −log 2π − log|det A| − χ²₂/2: mean −H = −log 2π − log|det A| − 1, sd 1
      const minusH = -Math.log(2 * Math.PI) - w.xp[c].logDet - 1;
      const z = (w.sumLp[c] / w.cnt[c] - minusH) * Math.sqrt(w.cnt[c]);
      assert.ok(Math.abs(z) < 4.5, `class ${c}: mean log p_x z-score ${z}`);
    }
  });
}

test('draws with rotation + squeeze + shift + distorted/sigmoid output still whiten to N(0, I)', () => {
  const cfg: GeneratorConfig = {
    ...defaultGeneratorConfig(),
    variation_rot: 1.5,
    variation_squeeze: 0.8,
    variation_shift: -1.2,
    shift_dir: [1, 1],
    distortion_strength: 0.4,
  };
  const w = whitenBatch(cfg, 77, 200_000);
  assertWhitened('x | A (rotated)', w.zx[0]);
  assertWhitened('x | B (rotated)', w.zx[1]);
  assertWhitened('y | x', w.zy);
});

test('sampleY: exact conditional draws at a fixed x (broadcast), also distorted + sigmoid', () => {
  const cfg = withNuisance(defaultGeneratorConfig(), [0.7, -1]);
  const x = [0.8, -0.3];
  const n = 200_000;
  for (const c of [0, 1]) {
    const ys = sampleY(Rng.fromSeed(5 + c), x, c, cfg, { n, out: new Float64Array(2 * n) });
    const p = yParams(x, c, cfg);
    const z = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      const z0 = (ys[2 * i] - p.mu[0]) / p.sigma0;
      z[2 * i] = z0;
      z[2 * i + 1] = ((ys[2 * i + 1] - p.mu[1]) / p.sigma1 - p.rho * z0) / Math.sqrt(1 - p.rho ** 2);
    }
    assertWhitened(`sampleY class ${c}`, z);
  }
  // distorted + sigmoid draws = sigmoid(D(y)) of the same stream
  const dcfg = { ...cfg, distortion_strength: 0.5, sigmoid_y: true };
  const raw = sampleY(Rng.fromSeed(9), x, 1, dcfg, { n: 100, sigmoid: false, out: new Float64Array(200) });
  const obs = sampleY(Rng.fromSeed(9), x, 1, dcfg, { n: 100, distorted: true, out: new Float64Array(200) });
  for (let i = 0; i < 100; i++) {
    const d = distortY([raw[2 * i], raw[2 * i + 1]], x, 1, dcfg);
    assert.ok(close(obs[2 * i], sigmoid(d[0]), 1e-15) && close(obs[2 * i + 1], sigmoid(d[1]), 1e-15));
  }
});

// ---------------------------------------------------------------- normalisation

/** ∫ exp(logp) over a midpoint grid on [lo, hi]², evaluated row by row through `rowLogp`. */
function integrate2(
  lo: number,
  hi: number,
  N: number,
  rowLogp: (grid: Float64Array, out: Float64Array) => void,
): number {
  const h = (hi - lo) / N;
  const grid = new Float64Array(2 * N),
    out = new Float64Array(N);
  let sum = 0;
  for (let a = 0; a < N; a++) {
    for (let b = 0; b < N; b++) {
      grid[2 * b] = lo + (a + 0.5) * h;
      grid[2 * b + 1] = lo + (b + 0.5) * h;
    }
    rowLogp(grid, out);
    for (let b = 0; b < N; b++) sum += Math.exp(out[b]);
  }
  return sum * h * h;
}

test('p(x | c) integrates to 1 (with rotation, squeeze and shift) to 1e-6', () => {
  const cfg: GeneratorConfig = {
    ...defaultGeneratorConfig(),
    variation_rot: 1,
    variation_squeeze: 1.5,
    variation_shift: -2,
  };
  const N = 300; // the midpoint rule converges spectrally for these smooth, decaying densities
  for (const c of [0, 1]) {
    const cls = new Uint8Array(N).fill(c);
    const I = integrate2(-7, 7, N, (g, o) => {
      logProbXBatch(g, cls, cfg, o);
    });
    assert.ok(Math.abs(I - 1) < 1e-6, `class ${c}: ∫ p(x) = ${I}`);
  }
});

test('p(y | x, c) integrates to 1 (to 1e-5) with distortion and sigmoid on (and each alone)', () => {
  const cfg: GeneratorConfig = {
    ...withNuisance(defaultGeneratorConfig(), [1, -1]),
    distortion_strength: 0.6,
    distortion_shift_scale: 0.5,
    distortion_squeeze_scale: 0.8,
    sigmoid_y: true,
  };
  const N = 400;
  for (const c of [0, 1]) {
    const cls = new Uint8Array(N).fill(c);
    for (const x of [
      [-1.2, 0.4],
      [0.3, -0.8],
      [1.5, 1.0],
    ]) {
      const xs = new Float64Array(2 * N);
      for (let i = 0; i < N; i++) {
        xs[2 * i] = x[0];
        xs[2 * i + 1] = x[1];
      }
      const both = integrate2(0, 1, N, (g, o) => {
        logProbYBatch(g, xs, cls, cfg, { distorted: true }, o);
      });
      assert.ok(Math.abs(both - 1) < 1e-5, `c=${c} x=${x}: ∫ p(u) du (distorted, sigmoid) = ${both}`);
      const sig = integrate2(0, 1, N, (g, o) => {
        logProbYBatch(g, xs, cls, cfg, {}, o);
      });
      assert.ok(Math.abs(sig - 1) < 1e-5, `c=${c} x=${x}: ∫ p(u) du (sigmoid) = ${sig}`);
      const dis = integrate2(-9, 9, N, (g, o) => {
        logProbYBatch(g, xs, cls, cfg, { distorted: true, sigmoid: false }, o);
      });
      assert.ok(Math.abs(dis - 1) < 1e-5, `c=${c} x=${x}: ∫ p(y) dy (distorted) = ${dis}`);
    }
  }
});

// ---------------------------------------------------------------- distortion map

test('distortion: inverse round trip, analytic log|det| = finite-difference Jacobian, batch consistency', () => {
  const cfg: GeneratorConfig = {
    ...withNuisance(defaultGeneratorConfig(), [0.6, 1.2]),
    distortion_strength: 0.7,
    distortion_shift_scale: 0.3,
    distortion_squeeze_scale: 0.9,
  };
  const h = 1e-6;
  for (const c of [0, 1])
    for (const [x, y] of [
      [
        [0.5, -1],
        [0.3, 0.9],
      ],
      [
        [-1.4, 0.2],
        [-2, 0.1],
      ],
      [
        [0, 0],
        [1, 1],
      ],
    ]) {
      const d = distortY(y, x, c, cfg);
      const back = undistortY(d, x, c, cfg);
      assert.ok(close(back[0], y[0], 1e-14) && close(back[1], y[1], 1e-14), `round trip ${back} vs ${y}`);
      const dp0 = distortY([y[0] + h, y[1]], x, c, cfg),
        dm0 = distortY([y[0] - h, y[1]], x, c, cfg);
      const dp1 = distortY([y[0], y[1] + h], x, c, cfg),
        dm1 = distortY([y[0], y[1] - h], x, c, cfg);
      const J = [
        (dp0[0] - dm0[0]) / (2 * h),
        (dp1[0] - dm1[0]) / (2 * h),
        (dp0[1] - dm0[1]) / (2 * h),
        (dp1[1] - dm1[1]) / (2 * h),
      ];
      const fd = Math.log(Math.abs(J[0] * J[3] - J[1] * J[2]));
      assert.ok(close(fd, distortionLogAbsDet(c, cfg), 1e-8), `log|det| fd ${fd} vs ${distortionLogAbsDet(c, cfg)}`);
      // density change of variables: log p_D(D(y)) = log p(y) − log|det|
      assert.ok(
        close(logProbY(d, x, c, cfg, { distorted: true }), logProbY(y, x, c, cfg) - distortionLogAbsDet(c, cfg), 1e-12),
      );
    }
  // the batch's distorted score is D of its score (sigmoid on: in logit space)
  const scfg = { ...cfg, sigmoid_y: true };
  const b = generateBatch(Rng.fromSeed(3), 500, scfg, { distorted: true });
  for (let i = 0; i < 500; i++) {
    const x = [b.x[2 * i], b.x[2 * i + 1]];
    const d = distortY([logit(b.y[2 * i]), logit(b.y[2 * i + 1])], x, b.c[i], scfg);
    assert.ok(
      close(logit(b.yDistorted![2 * i]), d[0], 1e-5) && close(logit(b.yDistorted![2 * i + 1]), d[1], 1e-5),
      `event ${i}`,
    );
  }
  // a singular shear is reported, naming the keys
  const bad = { ...cfg, distortion_squeeze_scale: 4, variation_squeeze: 1 };
  assert.throws(() => distortionLogAbsDet(0, bad), /distortion_squeeze_scale/);
});

test('sigmoid density: log p(u) = log p(y) − Σ log(u(1 − u)); outside (0, 1) is −∞', () => {
  const cfg = withNuisance(defaultGeneratorConfig(), [-0.4, 0.9]);
  const x = [0.2, 0.7],
    y = [0.4, -1.1];
  const u = [sigmoid(y[0]), sigmoid(y[1])];
  const want = logProbY(y, x, 1, cfg) - Math.log(u[0] * (1 - u[0]) * u[1] * (1 - u[1]));
  assert.ok(close(logProbY(u, x, 1, cfg, { sigmoid: true }), want, 1e-12));
  assert.is(logProbY([0, 0.5], x, 1, cfg, { sigmoid: true }), -Infinity);
  assert.is(logProbY([0.5, 1], x, 1, cfg, { sigmoid: true }), -Infinity);
});

// ---------------------------------------------------------------- batches

test('generateBatch: determinism, different seeds differ, fixed classes, caller-owned outputs', () => {
  const cfg = withNuisance(defaultGeneratorConfig(), [1, 1]);
  const a = generateBatch(Rng.fromSeed(42), 1024, cfg, { distorted: true });
  const b = generateBatch(Rng.fromSeed(42), 1024, cfg, { distorted: true });
  const d = generateBatch(Rng.fromSeed(43), 1024, cfg, { distorted: true });
  for (const k of ['c', 'cOneHot', 'x', 'y', 'yDistorted'] as const) {
    assert.equal(Array.from(a[k]!), Array.from(b[k]!), `${k} identical for the same seed`);
  }
  assert.not.equal(Array.from(a.x), Array.from(d.x));
  for (let i = 0; i < 1024; i++) {
    assert.is(a.cOneHot[2 * i], 1 - a.c[i]);
    assert.is(a.cOneHot[2 * i + 1], a.c[i]);
  }
  const out = {
    c: new Int32Array(256),
    cOneHot: new Float32Array(512),
    x: new Float32Array(512),
    y: new Float32Array(512),
  };
  const f = generateBatch(Rng.fromSeed(1), 256, cfg, { c: 1, out });
  assert.ok(f.x === out.x && f.c === out.c && f.y === out.y && f.cOneHot === out.cOneHot);
  assert.ok(out.c.every((v) => v === 1));
  assert.is(f.yDistorted, undefined);
  const perEvent = generateBatch(Rng.fromSeed(1), 4, cfg, { c: [0, 1, 1, 0] });
  assert.equal(Array.from(perEvent.c), [0, 1, 1, 0]);
  assert.throws(
    () => generateBatch(Rng.fromSeed(1), 256, cfg, { out: { x: new Float32Array(511) } }),
    /out\.x must have length 512/,
  );
  assert.throws(() => generateBatch(Rng.fromSeed(1), 4, cfg, { c: [0, 1, 2, 0] }), /got 2 at index 2/);
  // filling the chunks of a larger buffer with subarray views (residual training batches)
  const big = new Float32Array(2048);
  generateBatch(Rng.fromSeed(8), 512, cfg, { out: { x: big.subarray(0, 1024) } });
  generateBatch(Rng.fromSeed(8), 512, cfg, { out: { x: big.subarray(1024) } });
  assert.equal(Array.from(big.subarray(0, 1024)), Array.from(big.subarray(1024)));
});

// ---------------------------------------------------------------- PRNG

test('xoshiro128**: known answers from state (1, 2, 3, 4)', () => {
  const r = Rng.fromState([1, 2, 3, 4]);
  const got = Array.from({ length: 6 }, () => r.nextU32());
  // the first three by hand: rotl(2·5, 7)·9 = 11520; s1 becomes 0 → 0; rotl(1029·5, 7)·9 = 5927040
  assert.equal(got.slice(0, 3), [11520, 0, 5927040]);
  assert.equal(got.slice(3), [70819200, 2031721883, 1637235492]);
});

test('jump() equals 2^64 steps (GF(2) matrix power of the state transition)', () => {
  // columns of the 128 × 128 transition matrix T over GF(2): T e_j
  const step = (v: Uint32Array): Uint32Array => {
    const r = Rng.fromState(v.some((w) => w !== 0) ? v : [1, 0, 0, 0]);
    r.nextU32();
    return r.state();
  };
  const apply = (M: Uint32Array[], v: Uint32Array): Uint32Array => {
    const out = new Uint32Array(4);
    for (let j = 0; j < 128; j++) if ((v[j >>> 5] >>> (j & 31)) & 1) for (let w = 0; w < 4; w++) out[w] ^= M[j][w];
    return out;
  };
  let P: Uint32Array[] = [];
  for (let j = 0; j < 128; j++) {
    const e = new Uint32Array(4);
    e[j >>> 5] = 1 << (j & 31);
    P.push(step(e));
  }
  for (let k = 0; k < 64; k++) {
    const Q = P;
    P = Q.map((col) => apply(Q, col));
  } // T^(2^64)
  const r = Rng.fromSeed(2024);
  const want = apply(P, r.state());
  r.jump();
  assert.equal(Array.from(r.state()), Array.from(want));
});

test('Rng: seeds, clone, split, fork are deterministic and distinct', () => {
  const seq = (r: Rng, n = 8) => Array.from({ length: n }, () => r.nextU32());
  assert.equal(seq(Rng.fromSeed(7)), seq(Rng.fromSeed(7)));
  assert.equal(seq(Rng.fromSeed(7n)), seq(Rng.fromSeed(7)));
  assert.not.equal(seq(Rng.fromSeed(7)), seq(Rng.fromSeed(8)));
  const p = Rng.fromSeed(11);
  const clone = p.clone();
  assert.equal(seq(clone), seq(p.clone()));
  const p2 = Rng.fromSeed(11);
  const child = p2.split();
  assert.equal(seq(child), seq(Rng.fromSeed(11)), 'the child continues the parent stream');
  const afterJump = Rng.fromSeed(11);
  afterJump.jump();
  assert.equal(seq(p2), seq(afterJump), 'the parent jumped by 2^64');
  const base = Rng.fromSeed(11);
  assert.equal(seq(base.fork(3)), seq(base.fork(3)), 'fork is deterministic and does not advance the parent');
  assert.not.equal(seq(base.fork(3)), seq(base.fork(4)));
  assert.equal(seq(base), seq(Rng.fromSeed(11)));
  assert.throws(() => Rng.fromSeed(-1), /non-negative/);
  assert.throws(() => Rng.fromSeed(1.5), /non-negative safe integer/);
  assert.throws(() => Rng.fromState([0, 0, 0, 0]), /all zero/);
  // normal() uses both values of a pair; clone copies the cached one
  const r = Rng.fromSeed(5);
  const pair = new Float64Array(2);
  r.clone().normalPair(pair, 0);
  const n0 = r.normal();
  const c = r.clone();
  const n1 = r.normal();
  assert.equal([n0, n1], [pair[0], pair[1]]);
  assert.is(c.normal(), n1);
});

test('uniforms and normals: χ² of 100 bins, bit balance, normal moments (fixed seed)', () => {
  const r = Rng.fromSeed(123);
  const n = 1_000_000,
    bins = new Float64Array(100);
  const bitCounts = new Float64Array(32);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const u32 = r.nextU32();
    for (let b = 0; b < 32; b++) bitCounts[b] += (u32 >>> b) & 1;
    const u = r.uniform53();
    assert.ok(u >= 0 && u < 1);
    bins[Math.floor(u * 100)]++;
    sum += u;
  }
  const e = n / 100;
  const chi2 = bins.reduce((s, c) => s + (c - e) ** 2 / e, 0);
  assert.ok(chi2PValue(chi2, 99) > 1e-4 && chi2PValue(chi2, 99) < 1 - 1e-4, `uniform χ² ${chi2}/99`);
  assert.ok(Math.abs(sum / n - 0.5) / Math.sqrt(1 / 12 / n) < 4.5);
  for (let b = 0; b < 32; b++)
    assert.ok(Math.abs(bitCounts[b] - n / 2) / Math.sqrt(n / 4) < 4.5, `bit ${b}: ${bitCounts[b]}`);
  const z = new Float64Array(n);
  r.fillNormal(z);
  let m1 = 0,
    m2 = 0,
    m3 = 0,
    m4 = 0;
  for (const v of z) {
    m1 += v;
    m2 += v * v;
    m3 += v ** 3;
    m4 += v ** 4;
  }
  m1 /= n;
  m2 /= n;
  m3 /= n;
  m4 /= n;
  assert.ok(Math.abs(m1) * Math.sqrt(n) < 4.5, `mean ${m1}`);
  assert.ok(Math.abs(m2 - 1) / Math.sqrt(2 / n) < 4.5, `var ${m2}`);
  assert.ok(Math.abs(m3) / Math.sqrt(15 / n) < 4.5, `skew ${m3}`);
  assert.ok(Math.abs(m4 - 3) / Math.sqrt(96 / n) < 4.5, `kurtosis ${m4}`);
  // pairs are independent: whitened-pair χ² against N(0, I)
  assertWhitened('Box–Muller pairs', z);
});

// ---------------------------------------------------------------- bad input to the densities

test('the densities reject a bad class and a config with a non-positive sigma, naming them', () => {
  assert.throws(
    () => logProbX([0, 0], 2, defaultGeneratorConfig()),
    /logProbX: class must be 0 \(A\) or 1 \(B\), got 2/,
  );
  assert.throws(
    () => logProbX([0, 0], 0, { ...defaultGeneratorConfig(), sigma_A: [0, 1] }),
    /GeneratorConfig\.sigma_A/,
  );
});

test('the one-point densities take one point: a short or long x or y is refused like the batch forms refuse it', () => {
  const cfg = defaultGeneratorConfig();
  assert.throws(() => logProbX([0.1], 0, cfg), /logProbX: x must be one point of 2 numbers, got 1/);
  assert.throws(() => logProbX([0.1, 0.2, 0.3, 0.4], 0, cfg), /logProbX: x must be one point of 2 numbers, got 4/);
  assert.throws(() => logProbY([0.1], [0.1, 0.2], 0, cfg), /logProbY: y must be one point of 2 numbers, got 1/);
  assert.throws(() => logProbY([0.1, 0.2], [0.1], 0, cfg), /logProbY: x must be one point of 2 numbers, got 1/);
});

test.run();
