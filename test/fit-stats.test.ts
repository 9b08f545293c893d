/**
 * The normal distribution and the asymptotic formulae of Cowan, Cranmer, Gross, Vitells (arXiv:1007.1727)
 * against tabulated values. The 17-digit references were computed with mpmath at 30–40 significant digits
 * (erfc, ncdf, findroot), i.e. they are the exact values to the digits shown, not outputs of this code.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as stats from '../src/fit/stats/index.js';

function close(actual: number, expected: number, rel: number, what: string): void {
  const err = Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-300);
  assert.ok(err <= rel, `${what}: got ${actual}, expected ${expected} (relative error ${err.toExponential(2)})`);
}

test('erfc matches 17-digit values from the centre to the far tail', () => {
  const table: [number, number][] = [
    [0.1, 0.8875370839817151],
    [0.5, 0.47950012218695346],
    [1, 0.15729920705028513],
    [1.5, 0.033894853524689273],
    [2, 0.0046777349810472658],
    [2.5, 0.00040695201744495894],
    [3, 2.2090496998585441e-5],
    [5, 1.5374597944280349e-12],
    [10, 2.0884875837625448e-45],
    [20, 5.3958656116079009e-176],
  ];
  for (const [x, want] of table) close(stats.erfc(x), want, 1e-13, `erfc(${x})`);
  close(stats.erfc(-1), 2 - 0.15729920705028513, 1e-15, 'erfc(-1)');
  close(stats.erf(0.5), 1 - 0.47950012218695346, 1e-14, 'erf(0.5)');
  assert.is(stats.erfc(0), 1);
  assert.ok(Number.isNaN(stats.erfc(NaN)));
});

test('Φ keeps full relative precision in the lower tail', () => {
  const table: [number, number][] = [
    [-1, 0.15865525393145705],
    [-3, 0.0013498980316300945],
    [-5, 2.8665157187919391e-7],
    [-8, 6.2209605742717841e-16],
    [-20, 2.7536241186062337e-89],
    [-37, 5.7255712225245768e-300],
    [0.5, 0.6914624612740131],
    [2, 0.97724986805182079],
  ];
  for (const [x, want] of table) close(stats.normalCdf(x), want, 2e-13, `Φ(${x})`);
  close(stats.normalSf(5), 2.8665157187919391e-7, 2e-13, '1 − Φ(5)');
});

test('Φ⁻¹ and the inverse survival function invert to 1e-13, down to p = 1e-300', () => {
  const table: [number, number][] = [
    [0.975, 1.9599639845400542],
    [0.05, -1.6448536269514727],
    [0.999, 3.0902323061678135],
    [1e-3, -3.0902323061678135],
    [0.3, -0.52440051270804078],
    [1e-10, -6.3613409024040562],
    [1e-20, -9.2623400897984076],
    [1e-300, -37.047096299361199],
  ];
  for (const [p, want] of table) close(stats.normalQuantile(p), want, 1e-13, `Φ⁻¹(${p})`);
  assert.is(stats.normalQuantile(0.5), 0);
  assert.is(stats.normalQuantile(0), -Infinity);
  assert.is(stats.normalQuantile(1), Infinity);
  close(stats.normalIsf(2.866515718791939e-7), 5, 1e-13, 'Z of p = 2.87e-7');
  close(stats.normalIsf(1e-20), 9.2623400897984076, 1e-13, 'isf(1e-20)');
  assert.throws(() => stats.normalQuantile(1.5), /normalQuantile: probability must lie in \[0, 1\], got 1.5/);
  assert.throws(() => stats.normalIsf(NaN), /normalIsf/);
});

test('q₀ → Z and p₀: five sigma is q₀ = 25, p₀ = 2.87e-7; a deficit gives q₀ = 0', () => {
  assert.is(stats.significance(25), 5);
  close(stats.pValueQZero(25), 2.8665157187919391e-7, 2e-13, 'p₀(25)');
  close(stats.zFromPValue(stats.pValueQZero(9)), 3, 1e-13, 'Z round trip');
  assert.is(stats.qZero(110, 100, 0.3), 20);
  assert.is(stats.qZero(110, 100, -0.3), 0);
  // F(q₀ = 9 | μ′ = 0.8, σ = 0.5) = Φ(3 − 1.6)
  close(stats.cdfQZero(9, 0.8, 0.5), 0.91924334076622895, 1e-13, 'F(q₀|μ′)');
});

test('t_μ: χ²₁ p-value (3.8415 ↔ 0.05) and its distribution under another μ′', () => {
  close(stats.pValueTMu(3.84145882069412), 0.050000000000000178, 1e-12, 'p(t = 3.84)');
  close(stats.cdfTMu(2, 1, 0.5, 0.4), 0.56136005987610204, 1e-13, 'F(t_μ = 2 | μ′)');
  // Under μ′ = μ the CDF is the χ²₁ one: F = 1 − p.
  close(stats.cdfTMu(2.5, 1, 1, 0.3), 1 - stats.pValueTMu(2.5), 1e-14, 'F(t|μ) = 1 − p');
  assert.is(stats.tMu(100.2, 100), 2 * (100.2 - 100));
  assert.is(stats.tMu(99.9999999, 100), 0); // rounding below the minimum is clipped
  close(stats.tMuWald(1, 0.4, 0.3), 4, 1e-15, 'Wald t_μ');
});

test('q̃_μ: the three regions of μ̂, exact and Wald', () => {
  assert.is(stats.qTildeMu(105, 103, 100, -0.2, 1), 2 * (105 - 103)); // μ̂ < 0: against μ = 0
  assert.is(stats.qTildeMu(105, 103, 100, 0.4, 1), 2 * (105 - 100)); // 0 ≤ μ̂ ≤ μ: against μ̂
  assert.is(stats.qTildeMu(105, 103, 100, 1.2, 1), 0); // μ̂ > μ
  close(stats.qTildeWald(1, 0.2, 0.5), 2.56, 1e-15, 'q̃ middle');
  close(stats.qTildeWald(1, -0.3, 0.5), 6.4, 1e-15, 'q̃ μ̂ < 0');
  assert.is(stats.qTildeWald(1, 1.3, 0.5), 0);
  assert.is(stats.qMu(105, 100, 1.3, 1), 0);
  close(stats.pValueQMu(4), 0.022750131948179209, 1e-12, 'p of q_μ = 4');
  close(stats.cdfQMu(4, 1, 0, 0.5), stats.normalCdf(0), 1e-15, 'F(q_μ|0)');
});

test('CLs of q̃_μ in both regions against hand-computed Gaussian cases', () => {
  // μ = 1, σ = 0.5, μ̂ = 0.2: q̃ = 2.56 ≤ μ²/σ² = 4; p_μ = 1 − Φ(1.6), 1 − p_b = Φ(2 − 1.6).
  close(stats.pValueQTilde(2.56, 1, 0.5), 0.054799291699557994, 1e-13, 'p_μ');
  close(stats.survivalQTilde(2.56, 1, 0, 0.5), 0.65542174161032417, 1e-13, '1 − p_b');
  close(stats.clsQTilde(2.56, 1, 0.5), 0.083609206439993993, 1e-13, 'CLs');
  // μ̂ = −0.3: q̃ = 6.4 > 4, the second branch.
  close(stats.clsQTilde(6.4, 1, 0.5), 0.01699593449277205, 1e-12, 'CLs (μ̂ < 0)');
  // Both branches meet at q̃ = μ²/σ².
  const edge = 4;
  close(
    stats.survivalQTilde(edge * (1 - 1e-12), 1, 0.3, 0.5),
    stats.survivalQTilde(edge * (1 + 1e-12), 1, 0.3, 0.5),
    1e-9,
    'continuity at μ²/σ²',
  );
  assert.throws(() => stats.survivalQTilde(1, 0, 0, 0.5), /survivalQTilde: q̃_μ needs μ > 0/);
  assert.throws(() => stats.clsQTilde(1, 1, -0.5), /sigma must be positive/);
});

test('95 % CLs upper limit: closed form, CLs = α there, and the expected band', () => {
  const limit = stats.clsUpperLimit(0.2, 0.5);
  close(limit, 1.120770991442452, 1e-13, 'μ_up(μ̂ = 0.2, σ = 0.5)');
  close(stats.clsQTilde(stats.qTildeWald(limit, 0.2, 0.5), limit, 0.5), 0.05, 1e-12, 'CLs(μ_up)');
  // The same limit found numerically from a CLs curve, as from a scan.
  const numeric = stats.solveUpperLimit((mu) => stats.clsQTilde(stats.qTildeWald(mu, 0.2, 0.5), mu, 0.5), 0.3, 5);
  close(numeric, limit, 1e-8, 'solveUpperLimit');
  // A downward fluctuation (μ̂ < 0) uses the other q̃ branch and still meets CLs = α.
  const low = stats.clsUpperLimit(-0.3, 0.5);
  close(stats.clsQTilde(stats.qTildeWald(low, -0.3, 0.5), low, 0.5), 0.05, 1e-12, 'CLs(μ_up), μ̂ < 0');

  const band = stats.expectedClsBand(1);
  close(band.median, 1.9599639845400542, 1e-13, 'median');
  close(band.minus2, 1.0517634360376921, 1e-13, '−2σ');
  close(band.minus1, 1.4119943957872014, 1e-13, '−1σ');
  close(band.plus1, 2.7271848288214385, 1e-13, '+1σ');
  close(band.plus2, 3.6559843567138282, 1e-13, '+2σ');
  close(stats.expectedClsBand(0.25).median, 0.25 * 1.9599639845400542, 1e-13, 'band scales with σ');
  // The median expected limit is the observed limit at μ̂ = 0.
  close(stats.clsUpperLimit(0, 0.25), 0.25 * 1.9599639845400542, 1e-13, 'μ̂ = 0');
});

test('σ from the Asimov data set: σ² = (μ − μ′)²/q_A', () => {
  close(stats.sigmaFromAsimov(1, 0, 4), 0.5, 1e-15, 'σ_A');
  assert.throws(() => stats.sigmaFromAsimov(1, 1, 4), /μ and μ′ must differ/);
  assert.throws(() => stats.sigmaFromAsimov(1, 0, 0), /Asimov statistic must be > 0/);
});

test.run();
