import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import * as chroma from 'd3-scale-chromatic';
import {
  Figure,
  addHistogramStack,
  shareRatioRange,
  autoRange,
  colorScale,
  contourLevels,
  divergingScale,
  formatTick,
  gaussianFilter2d,
  gridCellArea,
  gridFromFunction,
  histogram1d,
  histogram2d,
  hpdLevels,
  linspace,
  niceTicks,
  parseColor,
  pngSize,
  ratioWithErrors,
  ratioYRange,
  safeRatio,
  symmetricLimit,
  upsampleGrid,
  COLORS,
} from '../src/plot/index.js';
import { drawContourFill, drawContourLines, drawHeatmap, type Mapper } from '../src/plot/draw.js';
import { parseRich, plainText } from '../src/plot/richtext.js';
import { densestCells } from '../src/plot/levels.js';
import { renderDemo } from '../src/plot/demo.js';
import { categoryTicks } from '../src/plot/chart-axes.js';

const close = (a: number, b: number, tol: number, msg?: string) =>
  assert.ok(Math.abs(a - b) <= tol, `${msg ?? ''} expected ${b} ± ${tol}, got ${a}`);

const gauss = (x: number, y: number) => Math.exp(-(x * x + y * y) / 2) / (2 * Math.PI);

// ------------------------------------------------------------------------------------------
// Pure helpers

test('linspace: endpoints exact, count, single point', () => {
  const l = linspace(-2, 2, 41);
  assert.is(l.length, 41);
  assert.is(l[0], -2);
  assert.is(l[40], 2);
  close(l[20], 0, 1e-15);
  assert.equal(linspace(3, 5, 1), [3]);
  assert.throws(() => linspace(0, 1, 0), /n must be an integer/);
});

test('histogram1d: half-open bins, closed last bin, under/overflow, NaN ignored', () => {
  const h = histogram1d([-1, 0, 0.5, 1, 2.999, 3, 3.5, NaN], [0, 1, 2, 3]);
  assert.equal(Array.from(h.values), [2, 1, 2]);
  assert.is(h.underflow, 1);
  assert.is(h.overflow, 1);
  assert.is(h.inRange, 5);
  // Values exactly on interior edges of a uniform grid with awkward float steps.
  const e = linspace(0, 0.3, 4); // 0, 0.1, 0.2, 0.3 (float-inexact)
  const g = histogram1d([0.1, 0.2, 0.3], e);
  assert.equal(Array.from(g.values), [0, 1, 2]);
});

test('histogram1d: weights, density integrates to 1, non-uniform edges', () => {
  const edges = [0, 1, 3, 6];
  const h = histogram1d([0.5, 2, 2, 5], edges, { weights: [1, 2, 1, 4] });
  assert.equal(Array.from(h.values), [1, 3, 4]);
  const d = histogram1d([0.5, 2, 2, 5, 7], edges, { density: true });
  let integral = 0;
  for (let i = 0; i < 3; i++) integral += d.values[i] * (edges[i + 1] - edges[i]);
  close(integral, 1, 1e-12);
  close(d.values[1], 2 / (4 * 2), 1e-12);
  assert.throws(() => histogram1d([1], [0, 0, 1]), /strictly increasing/);
  assert.throws(() => histogram1d([1, 2], [0, 1], { weights: [1] }), /weights length/);
});

test('histogram2d: bin placement, centres as a grid, outside count, density', () => {
  const xs = [0.1, 0.9, 1.5, 1.5, -1, 0.5];
  const ys = [0.1, 0.1, 1.5, 1.9, 0.5, 2.5];
  const h = histogram2d(xs, ys, [0, 1, 2], [0, 1, 2]);
  assert.equal(Array.from(h.values), [2, 0, 0, 2]); // (0,0): two points; (1,1): two points
  assert.is(h.outside, 2);
  assert.is(h.nx, 2);
  close(h.x0, 0.5, 1e-12);
  close(h.x1, 1.5, 1e-12);
  assert.is(h.cellArea, 1);
  const d = histogram2d(xs, ys, [0, 1, 2], [0, 1, 2], { density: true });
  close(Array.from(d.values).reduce((a, b) => a + b, 0) * d.cellArea, 1, 1e-12);
  assert.throws(() => histogram2d([0], [0], [0, 1, 3], [0, 1]), /uniform/);
});

test('autoRange: numpy percentiles widened by 5 % of the span; pooled arrays; NaN ignored', () => {
  const a = Float64Array.from({ length: 1001 }, (_, i) => i); // percentiles 0.5 % → 5, 99.5 % → 995
  const [lo, hi] = autoRange(a);
  close(lo, 5 - 0.05 * 990, 1e-9);
  close(hi, 995 + 0.05 * 990, 1e-9);
  const [lo2, hi2] = autoRange([a.subarray(0, 500), a.subarray(500), [NaN, Infinity]]);
  close(lo2, lo, 1e-9);
  close(hi2, hi, 1e-9);
  assert.equal(autoRange([2, 2, 2]), [1.5, 2.5]);
  const [l3, h3] = autoRange([0, 10], { lo: 0, hi: 1, pad: 0 });
  assert.equal([l3, h3], [0, 10]);
  assert.throws(() => autoRange([NaN]), /no finite/);
});

test('contourLevels: equally spaced between 0.04 and 0.95 of the maximum', () => {
  const f = [0, 1, 2, 0.5];
  const l = contourLevels(f);
  assert.is(l.length, 7);
  close(l[0], 0.08, 1e-12);
  close(l[6], 1.9, 1e-12);
  close(l[1] - l[0], (1.9 - 0.08) / 6, 1e-12);
  assert.equal(contourLevels(f, { n: 2, loFrac: 0.05, hiFrac: 0.5 }), [0.1, 1]);
  assert.throws(() => contourLevels([0, 0]), /positive/);
});

test('hpdLevels: standard 2-D Gaussian, level for mass m is (1 − m)/(2π)', () => {
  // P(R ≤ r) = 1 − exp(−r²/2) = m  ⇒  density at r = exp(−r²/2)/(2π) = (1 − m)/(2π).
  const g = gridFromFunction(gauss, [-7, 7], [-7, 7], 401, 401);
  const masses = [0.99, 0.95, 0.8, 0.5, 0.2];
  const levels = hpdLevels(g.values, gridCellArea(g), masses);
  // Compared as enclosed mass 1 − 2π·level; a lattice of cells can only resolve a circle's mass to
  // ~1e-3 here (Gauss circle problem: boundary cells counted by their centres).
  masses.forEach((m, i) => close(1 - 2 * Math.PI * levels[i], m, 2e-3, `mass ${m}:`));
  for (let i = 1; i < levels.length; i++)
    assert.ok(levels[i] > levels[i - 1], 'descending masses give ascending levels');
  // normalize: a doubled field gives the same levels relative to its own scale.
  const doubled = Array.from(g.values, (v) => 2 * v);
  const ln = hpdLevels(doubled, gridCellArea(g), [0.5], { normalize: true });
  close(ln[0] / (2 * levels[3]), 1, 1e-3);
  assert.throws(() => hpdLevels(g.values, 0, [0.5]), /cellArea/);
  assert.throws(() => hpdLevels(g.values, 1, [1.2]), /masses/);
});

test('hpdLevels: the integer-bit sort gives the levels of a plain numeric sort (zeros, NaN, ties, wide range)', () => {
  // The reference: the same rule written with an ordinary comparator sort.
  const reference = (field: ArrayLike<number>, cell: number, masses: number[]) => {
    const desc = Array.from(field)
      .filter((v) => v > 0 && Number.isFinite(v))
      .sort((a, b) => b - a);
    const cum: number[] = [];
    let acc = 0;
    for (const v of desc) cum.push((acc += v * cell));
    return masses.map((m) => {
      const k = cum.findIndex((c) => c >= m);
      if (k < 0) return desc[desc.length - 1];
      if (k === 0) return desc[0];
      return desc[k - 1] + ((m - cum[k - 1]) / (cum[k] - cum[k - 1])) * (desc[k] - desc[k - 1]);
    });
  };
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const field = new Float64Array(5000).map((_, i) =>
    i % 97 === 0 ? 0 : i % 89 === 0 ? NaN : i % 13 === 0 ? 0.25 : Math.exp(-40 * rand()) * (1 + rand()),
  );
  const masses = [0.99, 0.95, 0.8, 0.5, 0.2];
  const cell = 1 / 400;
  assert.equal(hpdLevels(field, cell, masses), reference(field, cell, masses));
  // A grid whose mass sits in a few cells takes the densest-cells path (sorting those only): the
  // same levels, ties and zeros included; a mass the grid cannot hold falls back to the full sort.
  const g = gridFromFunction(
    (x, y) => Math.exp(-0.5 * ((x + 0.5) ** 2 / 0.81 + y ** 2 / 0.36)) / (2 * Math.PI * 0.54),
    [-5, 4],
    [-3, 3],
    128,
    128,
  );
  const peaked = Float64Array.from(g.values, (v, i) => (i % 211 === 0 ? 0 : i % 37 === 0 ? g.values[i - 1] : v));
  const area = gridCellArea(g);
  const positive = peaked.filter((v) => v > 0);
  assert.ok(densestCells(positive, area, 0.95) !== null, 'the fast path applies');
  assert.ok(densestCells(positive, area, 0.999999) === null, 'a mass beyond the densest cells falls back');
  for (const ms of [[0.95, 0.8, 0.5, 0.2], [0.99, 0.95, 0.8, 0.5], [0.5]]) {
    assert.equal(hpdLevels(peaked, area, ms), reference(peaked, area, ms), `masses ${ms}`);
  }
});

test('colorScale: endpoints, clamping, alpha; diverging centred at 0 with symmetric ends', () => {
  const s = colorScale('Blues', [0, 10], { alpha: 0.5 });
  assert.equal(s.rgb(0), parseColor(chroma.interpolateBlues(0)).rgb);
  assert.equal(s.rgb(10), parseColor(chroma.interpolateBlues(1)).rgb);
  assert.equal(s.rgb(99), s.rgb(10));
  assert.ok(/^rgba\(\d+,\d+,\d+,0\.5\)$/.test(s(3)), s(3));
  assert.is(s(NaN), 'rgba(0,0,0,0)');
  const d = divergingScale(2);
  assert.equal(d.domain, [-2, 2]);
  assert.equal(d.rgb(0), parseColor(chroma.interpolateRdBu(0.5)).rgb);
  assert.equal(d.rgb(-2), parseColor(chroma.interpolateRdBu(1)).rgb); // RdBu_r: negative = blue
  assert.equal(d.rgb(2), parseColor(chroma.interpolateRdBu(0)).rgb);
  const [r, , b] = d.rgb(2);
  assert.ok(r > b, 'positive end is red');
  assert.throws(() => colorScale('Nope' as never, [0, 1]), /unknown colour map/);
  assert.is(symmetricLimit([0.5, -3, NaN]), 3);
  assert.is(symmetricLimit([0, 0]), 1e-9);
});

test('ratios: safe division, shape ratio with Poisson errors, clipped y-range', () => {
  const r = safeRatio([1, 2, 3], [2, 0, NaN]);
  assert.is(r[0], 0.5);
  assert.ok(Number.isNaN(r[1]) && Number.isNaN(r[2]));
  const p = ratioWithErrors([100, 50, 0], [100, 100, 0], { numTotal: 200, denTotal: 200 });
  close(p.ratio[0], 1, 1e-12);
  close(p.err[0], Math.sqrt(1 / 100 + 1 / 100), 1e-12);
  close(p.ratio[1], 0.5, 1e-12);
  assert.ok(Number.isNaN(p.ratio[2]), 'empty truth bin is not drawn');
  const exact = ratioWithErrors([100], [100], { denExact: true });
  close(exact.err[0], 0.1, 1e-12);
  // an exact truth's far tail, where the sample expects 0.5 events: not drawn (unless asked)
  const tail = ratioWithErrors([0, 1000], [0.5, 1000], { denExact: true, numTotal: 1000.5, denTotal: 1000.5 });
  assert.ok(Number.isNaN(tail.ratio[0]) && Number.isNaN(tail.err[0]), 'tail bin below one expected count');
  close(ratioWithErrors([0, 1000], [0.5, 1000], { denExact: true, minExpected: 0 }).ratio[0], 0, 1e-12);
  assert.equal(ratioYRange([1, 1.02, 0.98]), [0.8, 1.2]);
  const wide = ratioYRange([0.6, 1.0, 1.1, 1.2, 1.3, 1.0, 1.0, 1.0, 1.0, 1.0], { cover: 1 });
  assert.equal(wide, [0.6, 1.4]);
  assert.equal(ratioYRange([0, 9, 1], { cover: 1 }), [0, 3]); // capped by the limit [0, 3]
  // A noisy tail point does not widen the range when errors are given.
  assert.equal(ratioYRange([1, 1.05, 2.5], { cover: 1, errors: [0.01, 0.01, 0.9] }), [0.8, 1.2]);
});

test('gaussianFilter2d: preserves the total (reflect boundary), symmetric kernel, σ = 0 is identity', () => {
  const nx = 15;
  const ny = 11;
  const v = new Float64Array(nx * ny);
  v[7 + 5 * nx] = 1;
  const s = gaussianFilter2d(v, nx, ny, 1.5);
  close(s[6 + 5 * nx], s[8 + 5 * nx], 1e-15);
  close(s[7 + 4 * nx], s[7 + 6 * nx], 1e-15);
  v[0] = 3; // at a corner: reflection keeps its mass inside
  const t = gaussianFilter2d(v, nx, ny, [1.5, 2.5]);
  close(
    t.reduce((a, b) => a + b, 0),
    4,
    1e-12,
  );
  assert.equal(Array.from(gaussianFilter2d(v, nx, ny, 0)), Array.from(v));
  assert.throws(() => gaussianFilter2d(v, 3, 3, 1), /values length/);
});

test('upsampleGrid: a quadratic is reproduced exactly, edges included; old points kept; bad factor refused', () => {
  const f = (x: number, y: number) => 2.3 * (x - 0.1) ** 2 + 0.7 * (x - 0.1) * (y + 0.4) + 1.9 * (y + 0.4) ** 2 - 3;
  const g = gridFromFunction(f, [-1, 1], [-2, 1], 6, 5);
  const fine = upsampleGrid(g, 4);
  assert.equal([fine.nx, fine.ny, fine.x0, fine.x1, fine.y0, fine.y1], [21, 17, -1, 1, -2, 1]);
  let worst = 0;
  for (let j = 0; j < fine.ny; j++) {
    for (let i = 0; i < fine.nx; i++) {
      const x = -1 + (2 * i) / (fine.nx - 1);
      const y = -2 + (3 * j) / (fine.ny - 1);
      worst = Math.max(worst, Math.abs(fine.values[i + j * fine.nx] - f(x, y)));
    }
  }
  assert.ok(worst < 1e-12, `largest error ${worst}`);
  for (let j = 0; j < g.ny; j++)
    for (let i = 0; i < g.nx; i++) assert.is(fine.values[4 * i + 4 * j * fine.nx], g.values[i + j * g.nx]);
  assert.throws(() => upsampleGrid(g, 1.5), /factor 1\.5 is not a positive integer/);
});

test('ticks and labels: nice steps, no float noise, compact scientific labels', () => {
  assert.equal(niceTicks(-2, 2, 4).values, [-2, -1, 0, 1, 2]);
  assert.equal(niceTicks(0.5, 1.5, 4).values, [0.5, 0.75, 1, 1.25, 1.5]);
  assert.is(formatTick(0.30000000000000004, 0.1), '0.3');
  assert.is(formatTick(-0.5, 0.25), '−0.50');
  assert.is(formatTick(0, 0.5), '0.0');
  assert.is(formatTick(2e-4, 1e-4), '2×10⁻⁴');
  assert.equal(plainText('ν_{shift} x^{2} generator_shift_up'), 'νshift x2 generator_shift_up');
  assert.equal(
    parseRich('a_{b}c').map((r) => r.shift),
    [0, -1, 0],
  );
});

// ------------------------------------------------------------------------------------------
// Drawing primitives on a bare canvas (exact pixel checks)

function bareMapper(size: number, lo: number, hi: number): Mapper {
  const s = size / (hi - lo);
  return {
    px: (x) => (x - lo) * s,
    py: (y) => size - (y - lo) * s,
    area: { left: 0, top: 0, right: size, bottom: size },
  };
}

test('contour fill: filled up to the maximum (no hole at the mode), empty below the lowest level', () => {
  const c = createCanvas(100, 100);
  const ctx = c.getContext('2d');
  const g = gridFromFunction(gauss, [-3, 3], [-3, 3], 121, 121);
  const levels = hpdLevels(g.values, gridCellArea(g), [0.95, 0.5]).sort((a, b) => a - b);
  drawContourFill(ctx, bareMapper(100, -3, 3), g, levels, { colors: ['#00ff00', '#0000ff'], alpha: 1 });
  const px = (x: number, y: number) => Array.from(ctx.getImageData(x, y, 1, 1).data);
  assert.equal(px(50, 50), [0, 0, 255, 255], 'mode is in the top band');
  // r for 95 % mass is 2.45 σ → pixel radius 40.8; between r(50 %) = 1.18σ (19.6 px) and that: band 0.
  assert.equal(px(50 + 30, 50), [0, 255, 0, 255]);
  assert.is(px(2, 2)[3], 0, 'outside the 95 % region nothing is painted');
});

test('contour lines: a contour cut by the grid edge does not trace the frame', () => {
  const c = createCanvas(100, 100);
  const ctx = c.getContext('2d');
  const g = gridFromFunction((x) => x, [0, 1], [0, 1], 21, 21);
  drawContourLines(ctx, bareMapper(100, 0, 1), g, [0.5], () => ({ color: '#000000', width: 2, dash: [], alpha: 1 }));
  const alphaAt = (x: number, y: number) => ctx.getImageData(x, y, 1, 1).data[3];
  assert.ok(alphaAt(50, 50) > 0, 'the x = 0.5 line is drawn');
  for (const x of [75, 90, 99]) {
    assert.is(alphaAt(x, 0), 0, `top edge at x=${x} not traced`);
    assert.is(alphaAt(x, 99), 0, `bottom edge at x=${x} not traced`);
  }
  assert.is(alphaAt(99, 50), 0, 'right edge not traced');
});

test('heat map: one crisp cell per grid point, origin lower', () => {
  const c = createCanvas(40, 40);
  const ctx = c.getContext('2d');
  const g = { nx: 2, ny: 2, x0: 0, x1: 1, y0: 0, y1: 1, values: [-1, 1, 1, -1] };
  const s = divergingScale(1);
  const m: Mapper = {
    px: (x) => (x + 0.5) * 20,
    py: (y) => 40 - (y + 0.5) * 20,
    area: { left: 0, top: 0, right: 40, bottom: 40 },
  };
  drawHeatmap(ctx, m, g, s);
  const px = (x: number, y: number) => Array.from(ctx.getImageData(x, y, 1, 1).data).slice(0, 3);
  assert.equal(px(5, 35), s.rgb(-1), 'bottom-left = values[0]');
  assert.equal(px(35, 35), s.rgb(1));
  assert.equal(px(35, 5), s.rgb(-1), 'top-right = values[3]');
});

// ------------------------------------------------------------------------------------------
// Whole figures: valid PNG of the requested size, not blank

async function decode(png: Buffer): Promise<{ width: number; height: number; nonWhite: number; colored: number }> {
  const img = await loadImage(png);
  const c = createCanvas(img.width, img.height);
  const ctx = c.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const d = ctx.getImageData(0, 0, img.width, img.height).data;
  let nonWhite = 0;
  let colored = 0;
  for (let i = 0; i < d.length; i += 4) {
    const [r, g, b] = [d[i], d[i + 1], d[i + 2]];
    if (r + g + b < 735) nonWhite++;
    if (Math.max(r, g, b) - Math.min(r, g, b) > 40) colored++;
  }
  const n = img.width * img.height;
  return { width: img.width, height: img.height, nonWhite: nonWhite / n, colored: colored / n };
}

async function checkPng(png: Buffer, w: number, h: number, minColored: number): Promise<void> {
  assert.equal(pngSize(png), { width: w, height: h });
  const d = await decode(png);
  assert.is(d.width, w);
  assert.ok(d.nonWhite > 0.01, `not blank (non-white fraction ${d.nonWhite})`);
  assert.ok(d.colored >= minColored, `coloured fraction ${d.colored} ≥ ${minColored}`);
}

test('figure: line, markers with error bars, band, log-y and scatter panels', async () => {
  const fig = new Figure({ width: 640, height: 480, rows: 2, cols: 2, suptitle: 'lines ν_{shift}' });
  const x = linspace(-1.5, 1.5, 13);
  fig
    .panel(0, 0, { title: 'scan', xLabel: 'ν_{shift}', yLabel: '⟨x₁⟩' })
    .band(
      x,
      x.map((v) => 0.3 * v - 0.05),
      x.map((v) => 0.3 * v + 0.05),
      { color: COLORS.classA, label: 'band' },
    )
    .errorbar(
      x,
      x.map((v) => 0.3 * v),
      x.map(() => 0.02),
      { color: COLORS.classA, line: true, label: 'model' },
    )
    .line(
      x,
      x.map((v) => 0.3 * v),
      { dash: [5, 3], label: 'truth' },
    );
  fig.panel(0, 1, { logY: true, legend: 'inside' }).line(
    linspace(1, 100, 100),
    linspace(1, 100, 100).map((e) => Math.exp(-e / 20)),
    { color: COLORS.classB, label: 'loss' },
  );
  fig.panel(1, 0, { aspect: 'equal', xRange: [-3, 3], yRange: [-3, 3] }).scatter(
    x,
    x.map((v) => -v),
    { color: COLORS.classA, alpha: 0.6, radius: 3, label: 'pts' },
  );
  await checkPng(fig.toPng(), 640, 480, 0.005);
});

/** A PNG decoded, with a test for dark (text or frame) pixels. */
async function darkPixels(
  png: Buffer,
): Promise<{ img: { width: number; height: number }; dark(x: number, y: number): boolean }> {
  const img = await loadImage(png);
  const c = createCanvas(img.width, img.height);
  const ctx = c.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const d = ctx.getImageData(0, 0, img.width, img.height).data;
  return { img, dark: (x, y) => d[4 * (y * img.width + x)] < 130 };
}

test('figure: a categorical y axis names its rows in rich text (only rows inside the range)', async () => {
  assert.equal(categoryTicks(['a', 'b', 'c'], [-0.7, 2.3]), [0, 1, 2]);
  assert.equal(categoryTicks(['a', 'b', 'c'], [0.5, 2.3]), [1, 2]);
  const draw = (labels: string[]) => {
    const fig = new Figure({ width: 420, height: 260 });
    fig
      .panel(0, 0, { xRange: [-3, 3], yRange: [-0.7, 1.3], yCategories: labels, legend: 'none' })
      .scatter([0.5, -1], [0, 1], { radius: 5, alpha: 1 });
    return fig.toPng();
  };
  const named = draw(['ν_{shift}', 'ν_{squeeze}']);
  await checkPng(named, 420, 260, 0);
  // Ink left of the chart frame (beyond its tick marks): the names; blank names leave none.
  const inkLeftOfFrame = async (png: Buffer) => {
    const { img, dark } = await darkPixels(png);
    let frame = 0;
    while (frame < img.width && Array.from({ length: 150 }, (_, k) => dark(frame, 40 + k)).filter(Boolean).length < 140)
      frame++;
    let ink = 0;
    for (let x = 0; x < frame - 8; x++) for (let y = 0; y < img.height; y++) if (dark(x, y)) ink++;
    return ink;
  };
  const withNames = await inkLeftOfFrame(named);
  const blank = await inkLeftOfFrame(draw(['', '']));
  assert.ok(withNames > 40 && blank === 0, `names drawn: ${withNames} dark pixels vs ${blank} without`);
  // The same for x: names under the frame, none when blank.
  const drawX = (labels: string[]) => {
    const fig = new Figure({ width: 420, height: 260 });
    fig
      .panel(0, 0, { xRange: [-0.5, 1.5], yRange: [0, 1], xCategories: labels, legend: 'none' })
      .scatter([0, 1], [0.5, 0.5], { radius: 5, alpha: 1 });
    return fig.toPng();
  };
  const inkBelow = async (png: Buffer) => {
    const { img, dark } = await darkPixels(png);
    let frame = img.height - 1; // the frame's bottom edge: the lowest long dark row
    while (frame > 0 && Array.from({ length: 200 }, (_, k) => dark(100 + k, frame)).filter(Boolean).length < 190)
      frame--;
    let ink = 0;
    for (let y = frame + 8; y < img.height; y++) for (let x = 0; x < img.width; x++) if (dark(x, y)) ink++;
    return ink;
  };
  const xNamed = await inkBelow(drawX(['ν_{shift}', 'ν_{squeeze}']));
  const xBlank = await inkBelow(drawX(['', '']));
  assert.ok(xNamed > 40 && xBlank === 0, `x names drawn: ${xNamed} dark pixels vs ${xBlank} without`);
});

test('figure: histogram stack with ratio panel (shared x, clipped points marked)', async () => {
  const edges = linspace(-3, 3, 25);
  const truth = Array.from({ length: 24 }, (_, i) =>
    Math.round(1000 * Math.exp(-(((edges[i] + edges[i + 1]) / 2) ** 2) / 2)),
  );
  const model = truth.map((t, i) => (i === 2 ? 4 * t + 5 : Math.round(t * 1.05)));
  const fig = new Figure({ width: 500, height: 520, rows: 2, heightRatios: [3, 1.3] });
  const res = addHistogramStack(fig, 0, 0, {
    edges,
    title: 'Class A — x₁',
    xLabel: 'x₁',
    truth: { counts: truth, color: COLORS.classA },
    models: [{ counts: model, color: COLORS.classA }],
  });
  assert.ok(res.ratioRange[0] <= 0.95 && res.ratioRange[1] >= 1.05);
  assert.equal(res.main.options.xRange, [-3, 3]);
  assert.ok(res.main.options.hideXTickLabels);
  await checkPng(fig.toPng(), 500, 520, 0.02);
});

test('figure: shareRatioRange gives every ratio panel of a figure the widest of their ranges', () => {
  const edges = linspace(-3, 3, 25);
  const truth = Array.from({ length: 24 }, (_, i) =>
    Math.round(1000 * Math.exp(-(((edges[i] + edges[i + 1]) / 2) ** 2) / 2)),
  );
  const fig = new Figure({ width: 800, height: 520, rows: 2, cols: 2, heightRatios: [3, 1.3] });
  // The ratio compares shapes: one model with the truth's shape (the default ±20 % window), one
  // with its left half 1.8× the right (ratios ~1.3 and ~0.7 after normalising: a wider window).
  const stacks = [1, 1.8].map((left, col) =>
    addHistogramStack(fig, 0, col, {
      edges,
      truth: { counts: truth, exact: true },
      models: [{ counts: truth.map((t, i) => Math.round(t * (i < 12 ? left : 1))) }],
    }),
  );
  const [narrow, wide] = stacks.map((s) => s.ratioRange);
  assert.ok(wide[1] > narrow[1], `panels chose different ranges: ${narrow} and ${wide}`);
  const shared = shareRatioRange(stacks)!;
  assert.equal(shared, [Math.min(narrow[0], wide[0]), Math.max(narrow[1], wide[1])]);
  for (const s of stacks) {
    assert.equal(s.ratio.options.yRange, shared);
    assert.equal(s.ratioRange, shared);
  }
  assert.is(shareRatioRange([]), null);
});

test('figure: maps (contour fill + lines, heat map, quiver) render with colour', async () => {
  const g = gridFromFunction(gauss, [-3, 3], [-3, 3], 80, 80);
  const lv = hpdLevels(g.values, gridCellArea(g), [0.99, 0.9, 0.5]).sort((a, b) => a - b);
  const fig = new Figure({ width: 900, height: 330, cols: 3, suptitle: 'maps' });
  fig
    .panel(0, 0, { title: 'contours', xLabel: 'x₁', yLabel: 'x₂', aspect: 'equal' })
    .contourFill(g, lv, { cmap: 'Blues', label: 'Truth' })
    .contourLines(g, lv, { dash: [5, 3], label: 'Model' });
  const d = gridFromFunction((a, b) => 0.01 * a * b, [-2, 2], [-2, 2], 21, 21);
  fig
    .panel(0, 1, { title: 'cross', xLabel: 'ν_{shift}', yLabel: 'ν_{squeeze}' })
    .heatmap(d, { diverging: true, colorbar: 'Δx₁' });
  const q = { nx: 10, ny: 10, x0: -2, x1: 2, y0: -2, y1: 2 };
  const xs = linspace(-2, 2, 10);
  const u = new Float64Array(100);
  const v = new Float64Array(100);
  for (let j = 0; j < 10; j++)
    for (let i = 0; i < 10; i++) {
      u[i + 10 * j] = 0.2 * xs[i];
      v[i + 10 * j] = -0.2 * xs[j];
    }
  fig
    .panel(0, 2, { title: 'field', xLabel: 'x₁', yLabel: 'x₂' })
    .contourLines(g, lv, { color: '#808080' })
    .quiver(q, u, v, { colorbar: '|Δx|' });
  await checkPng(fig.toPng(), 900, 330, 0.05);
});

test('figure: layout errors name the problem; savePng writes atomically', () => {
  const fig = new Figure({ width: 300, height: 200, rows: 1, cols: 2 });
  fig.panel(0, 0).line([0, 1], [0, 1]);
  assert.throws(() => fig.panel(0, 0), /overlaps/);
  assert.throws(() => fig.panel(1, 0), /outside the 1×2 grid/);
  assert.throws(
    () => new Figure({ width: 300, height: 200, rows: 2, heightRatios: [1] }),
    /heightRatios has 1 entries for 2 rows/,
  );
  const dir = mkdtempSync(join(tmpdir(), 'fnflow-plot-'));
  try {
    const path = fig.savePng(join(dir, 'sub', 'fig.png'));
    assert.ok(existsSync(path));
    assert.equal(pngSize(readFileSync(path)), { width: 300, height: 200 });
    assert.equal(readdirSync(join(dir, 'sub')), ['fig.png'], 'no temporary file left behind');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('demo: every figure kind renders to a non-blank PNG', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fnflow-plot-demo-'));
  try {
    const paths = renderDemo(dir);
    // The sizes src/plot/demo.ts asks for (not read back from the files under test).
    const sizes: Record<string, [number, number]> = {
      'demo_contours.png': [1300, 620],
      'demo_hist_ratio.png': [1200, 1000],
      'demo_heatmap.png': [1400, 860],
      'demo_quiver.png': [1250, 870],
      'demo_lines.png': [1300, 980],
    };
    assert.equal(paths.map((p) => p.slice(dir.length + 1)).sort(), Object.keys(sizes).sort());
    for (const p of paths) {
      const [width, height] = sizes[p.slice(dir.length + 1)];
      await checkPng(readFileSync(p), width, height, 0.02);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
