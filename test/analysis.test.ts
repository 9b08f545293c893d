/**
 * src/analysis: the numerics the validation and residual figures share (grids, windows, the
 * contour rule, the class table, the KL estimators), on cases with known answers.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CLASSES, CLASS_INDICES, oneHot } from '../src/analysis/classes.js';
import { column, meanStd } from '../src/analysis/columns.js';
import { gridPoints, gridShape, gridSpec, repeatRow, type GridSpec } from '../src/analysis/grid.js';
import { classKl, gridKl } from '../src/analysis/kl.js';
import { CONTOUR_MASSES, CONTOUR_PERCENTS, massLevels } from '../src/analysis/levels.js';
import { gaussianWindow, roundOut, WINDOW_SIGMAS } from '../src/analysis/windows.js';
import { gridCellArea, type Grid2D } from '../src/plot/index.js';

const close = (a: number, b: number, tol: number, msg = '') =>
  assert.ok(Math.abs(a - b) <= tol, `${msg} expected ${b} ± ${tol}, got ${a}`);

/** An isotropic Gaussian density N(mean, sd²·I) on a grid. */
function gaussGrid(spec: GridSpec, mean: [number, number], sd: number): Grid2D & { values: Float64Array } {
  const pts = gridPoints(spec);
  const values = new Float64Array(spec.nx * spec.ny);
  for (let i = 0; i < values.length; i++) {
    const dx = (pts[2 * i] - mean[0]) / sd;
    const dy = (pts[2 * i + 1] - mean[1]) / sd;
    values[i] = Math.exp(-0.5 * (dx * dx + dy * dy)) / (2 * Math.PI * sd * sd);
  }
  return { ...spec, values };
}

test('class table: indices, names, letters, one-hot rows', () => {
  assert.equal(CLASS_INDICES, [0, 1]);
  assert.equal(
    CLASSES.map((k) => `${k.name}/${k.letter}/${k.cmap}`),
    ['Class A/A/Blues', 'Class B/B/Oranges'],
  );
  assert.ok(CLASSES[0].color !== CLASSES[1].color);
  assert.equal(oneHot(0), [1, 0]);
  assert.equal(oneHot(1), [0, 1]);
});

test('gridPoints: x fastest, both ends included; gridShape keeps cells square; repeatRow', () => {
  const pts = gridPoints(gridSpec([-1, 1], [0, 3], 3, 4));
  assert.equal(Array.from(pts.subarray(0, 6)), [-1, 0, 0, 0, 1, 0]);
  assert.equal(Array.from(pts.subarray(pts.length - 2)), [1, 3]);
  assert.is(pts.length, 3 * 4 * 2);
  const [nx, ny] = gridShape([0, 4], [0, 1], 400);
  assert.equal([nx, ny], [40, 10]);
  assert.equal(gridShape([0, 1], [0, 1], 1), [2, 2]);
  assert.equal(Array.from(repeatRow([1, 2], 3)), [1, 2, 1, 2, 1, 2]);
});

test('column: one feature of the rows of a class, optionally filtered; meanStd: population moments', () => {
  const v = [1, 10, 2, 20, 3, 30, 4, 40];
  const cls = [0, 1, 0, 1];
  assert.equal(Array.from(column(v, 2, 1)), [10, 20, 30, 40]);
  assert.equal(Array.from(column(v, 2, 0, cls, 1)), [2, 4]);
  assert.equal(Array.from(column(v, 2, 0, cls, 0, (i) => i > 0)), [3]);
  const m = meanStd([1, 2, 3, 4]);
  assert.equal([m.mean, m.n], [2.5, 4]);
  close(m.std, Math.sqrt(1.25), 1e-15);
  assert.is(meanStd(v, (i) => i % 2 === 1, 2, 1).mean, 30);
  assert.ok(Number.isNaN(meanStd([]).mean));
});

test('gaussianWindow and roundOut', () => {
  const parts = [
    { mean: [0, 1], sd: [1, 2] },
    { mean: [1, 0], sd: [1, 1] },
  ];
  assert.equal(gaussianWindow(parts, 3), [
    [-3, 4],
    [-5, 7],
  ]);
  assert.equal(gaussianWindow([{ mean: [0], sd: [1] }]), [[-WINDOW_SIGMAS, WINDOW_SIGMAS]]);
  assert.throws(() => gaussianWindow([]), /no Gaussian given/);
  assert.equal(roundOut([-3.2, 3.01]), [-3.25, 3.25]);
  assert.equal(roundOut([0.1, 0.9], 0.5), [0, 1]);
});

test('massLevels: the contour of mass m of a Gaussian sits at exp(−r²/2) with r² = −2 ln(1 − m)', () => {
  const spec = gridSpec([-6, 6], [-6, 6], 241, 241);
  const g = gaussGrid(spec, [0, 0], 1);
  const levels = massLevels(g);
  assert.is(levels.length, CONTOUR_MASSES.length);
  assert.equal(CONTOUR_PERCENTS, '20/50/80/95');
  // Ascending levels ↔ descending masses.
  CONTOUR_MASSES.forEach((m, i) => close(levels[i], (1 - m) / (2 * Math.PI), 2e-3, `mass ${m}`));
  // A histogram of unknown total: normalize gives the same levels up to its scale.
  const scaled = { ...g, values: g.values.map((v) => 7 * v) };
  massLevels(scaled, { normalize: true }).forEach((v, i) => close(v / 7, levels[i], 1e-9));
});

test('classKl: the KL estimate over the events of one class', () => {
  const lt = [0, 1, 2, 3, 10, 10];
  const lm = [0, 1, 1, 2, 0, 0];
  const c = [1, 1, 0, 0, 1, 0];
  close(classKl(lt, lm, c, 0).kl, (1 + 1 + 10) / 3, 1e-12);
  close(classKl(lt, lm, c, 1).kl, 10 / 3, 1e-12);
  assert.throws(() => classKl(lt, lm, [0, 0, 0, 0, 0, 1], 1), /at least 2 events/);
});

test("gridKl: 'window' and 'plane' both give KL(N(0,1)‖N(μ,1)) = μ²/2 on a wide grid", () => {
  const spec = gridSpec([-7, 7], [-7, 7], 201, 201);
  const p = gaussGrid(spec, [0, 0], 1);
  const q = gaussGrid(spec, [0.5, 0], 1);
  close(gridKl(p, q, 'window'), 0.125, 1e-6, 'window');
  close(gridKl(p, q, 'plane'), 0.125, 1e-6, 'plane');
  assert.is(gridKl(p, p), 0);
  // On a window that cuts the mass, 'window' renormalises and 'plane' does not:
  // plane = S_t·(window + ln(S_t / S_m)) with S the grid masses.
  const cut = gridSpec([-1, 1], [-1, 1], 81, 81);
  const pc = gaussGrid(cut, [0, 0], 1);
  const qc = gaussGrid(cut, [0, 0], 2);
  const mass = (g: Grid2D) => Array.from(g.values).reduce((s, v) => s + v, 0) * gridCellArea(g);
  const [st, sm] = [mass(pc), mass(qc)];
  close(gridKl(pc, qc, 'plane'), st * (gridKl(pc, qc, 'window') + Math.log(st / sm)), 1e-12, 'plane vs window');
  assert.ok(gridKl(pc, qc, 'window') > 0);
  // Zero model density where the truth has mass: infinite.
  const zero = { ...pc, values: pc.values.map((v, i) => (i === 100 ? 0 : v)) };
  assert.is(gridKl(pc, zero), Infinity);
  assert.throws(() => gridKl(p, pc), /grids differ in size \(40401 and 6561 values\)/);
});

test.run();
