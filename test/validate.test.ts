/**
 * fnf validate: the pure parts (KL estimator, ν points, quadrature, grid densities) and one
 * quick run of the whole pipeline on the reference checkpoints (closure at n = 4000 plus all
 * 23 figures on coarse grids), checking files, PNG sizes, non-blank content, the closure.json
 * schema and the reference models' known closure.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import { SHARED, REPO } from './helpers/shared.js';
import { createDevice } from '../src/backend/index.js';
import { loadConfig, type SystematicTemplate } from '../src/config/load.js';
import { Rng } from '../src/random/rng.js';
import { defaultGeneratorConfig, generateBatch, withNuisance, xParams } from '../src/toy/index.js';
import { pngSize } from '../src/plot/index.js';
import { normalCdf } from '../src/validate/stats.js';
import { meanStd } from '../src/analysis/columns.js';
import { gridKl, klEstimate } from '../src/analysis/kl.js';
import { closureNuPoints, nuisanceGenerator, scanValues } from '../src/validate/nuisance.js';
import {
  densityGrid,
  gaussHermite,
  mixtureGrid,
  truthKinDensity,
  truthScoreDensity,
  xNodes,
} from '../src/validate/density.js';
import { conditionalBinCounts, gaussianBinCounts } from '../src/validate/hist.js';
import { conditionalMoments } from '../src/validate/figures-scan.js';
import { runValidation } from '../src/validate/pipeline.js';

const close = (a: number, b: number, tol: number, msg = '') =>
  assert.ok(Math.abs(a - b) <= tol, `${msg} expected ${b} ± ${tol}, got ${a}`);

// ------------------------------------------------------------------------------------------
// Pure parts

test('klEstimate: mean difference, standard error from the sample std, NLLs', () => {
  const e = klEstimate([1, 2, 3, 4], [0, 2, 2, 4]);
  close(e.kl, 0.5, 1e-12);
  close(e.klSe, Math.sqrt(1 / 3) / 2, 1e-12);
  close(e.nllTruth, -2.5, 1e-12);
  close(e.nllModel, -2, 1e-12);
  assert.throws(() => klEstimate([1, 2], [1]), /2 truth log-densities but 1 model/);
});

test('klEstimate: KL(N(0,1) ‖ N(μ,1)) = μ²/2 within a few standard errors', () => {
  const rng = Rng.fromSeed(5);
  const mu = 0.2;
  const n = 50000;
  const lt = new Float64Array(n);
  const lm = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = rng.normal();
    lt[i] = -0.5 * x * x - 0.5 * Math.log(2 * Math.PI);
    lm[i] = -0.5 * (x - mu) ** 2 - 0.5 * Math.log(2 * Math.PI);
  }
  const e = klEstimate(lt, lm);
  close(e.kl, (mu * mu) / 2, 4 * e.klSe, 'KL');
  close(e.klSe, mu / Math.sqrt(n), (0.05 * mu) / Math.sqrt(n), 'SE'); // std of μx − μ²/2 is μ
});

test('normalCdf and Gaussian bin masses', () => {
  close(normalCdf(0), 0.5, 1e-7);
  close(normalCdf(1.959963985), 0.975, 1e-7);
  close(normalCdf(-1), 0.158655254, 1e-7);
  const counts = gaussianBinCounts([-1, 0, 1], 0, 1, 1000);
  close(counts[0], 341.3447, 1e-3);
  close(counts[1], 341.3447, 1e-3);
});

test('meanStd: population moments over a selection, with stride', () => {
  const r = meanStd([1, 10, 3, 20, 5, 30], (i) => i !== 1, 2, 0); // rows 0 and 2 of column 0: 1, 5
  assert.is(r.n, 2);
  close(r.mean, 3, 1e-12);
  close(r.std, 2, 1e-12);
});

function template(name: string, m: [number, number]): SystematicTemplate {
  const g = withNuisance(defaultGeneratorConfig(), m);
  return { name, m, generator: g } as SystematicTemplate;
}

test('closureNuPoints: templates, ±0.5 per nuisance, (1,1), (−1,1), duplicates dropped', () => {
  const temps = [template('up', [1, 0]), template('down', [-1, 0]), template('sq', [0, 1]), template('half', [0.5, 0])];
  const pts = closureNuPoints(temps, 2);
  assert.equal(
    pts.map((p) => p.nu),
    [
      [1, 0],
      [-1, 0],
      [0, 1],
      [0.5, 0],
      [-0.5, 0],
      [0, 0.5],
      [0, -0.5],
      [1, 1],
      [-1, 1],
    ],
  );
  assert.equal(
    pts.map((p) => p.template),
    ['up', 'down', 'sq', 'half', undefined, undefined, undefined, undefined, undefined],
  );
  assert.throws(() => closureNuPoints([template('up', [1, 0])], 3), /ν of length 2, the model has 3/);
  assert.is(scanValues().length, 13);
  assert.equal([scanValues()[0], scanValues()[6], scanValues()[12]], [-1.5, 0, 1.5]);
});

test('nuisanceGenerator: scales from the templates; inconsistent templates are rejected', () => {
  const temps = [template('up', [1, 0]), template('sq', [0, 1])];
  const at = nuisanceGenerator(temps, 'kin');
  const g = at([0.5, -1]);
  assert.is(g.variation_shift, 0.5);
  assert.is(g.variation_squeeze, -1);
  close(xParams(0, g).mean[0], -0.5 - 0.3 * 0.5, 1e-12);
  const bad = template('odd', [0, -1]);
  bad.generator = { ...bad.generator, y_shift_scale: 0.7 };
  assert.throws(() => nuisanceGenerator([...temps, bad], 'kin'), /differ in generator key y_shift_scale/);
  const wrongM = template('w', [1, 0]);
  wrongM.m = [0, 1];
  assert.throws(() => nuisanceGenerator([wrongM], 'kin'), /has m = \[0, 1\] but its generator/);
});

test('gaussHermite: weights sum to 1, moments of N(0,1) exact', () => {
  for (const k of [1, 4, 9, 24]) {
    const { nodes, weights } = gaussHermite(k);
    const m = (p: number) => nodes.reduce((s, t, i) => s + weights[i] * t ** p, 0);
    close(m(0), 1, 1e-12, `k=${k} sum`);
    if (k >= 2) close(m(2), 1, 1e-10, `k=${k} E t²`);
    if (k >= 3) close(m(4), 3, 1e-9, `k=${k} E t⁴`);
  }
});

test('grid densities: mixture = weighted sum of single-context grids; exact truth integrates to ~1', () => {
  const g = defaultGeneratorConfig();
  const f = truthScoreDensity(g);
  const a = [1, 0, -0.5, 0.2];
  const b = [1, 0, 0.8, -0.1];
  const mix = mixtureGrid(f, [-4, 4], [-5, 4], 40, 45, Float32Array.from([...a, ...b]), [0.3, 0.7]);
  const ga = densityGrid(f, [-4, 4], [-5, 4], 40, 45, a);
  const gb = densityGrid(f, [-4, 4], [-5, 4], 40, 45, b);
  for (let i = 0; i < mix.values.length; i += 97) close(mix.values[i], 0.3 * ga.values[i] + 0.7 * gb.values[i], 1e-12);
  const kin = densityGrid(truthKinDensity(g), [-5, 4], [-3, 3], 181, 121, [1, 0]);
  const mass = kin.values.reduce((s, v) => s + v, 0) * (9 / 180) * (6 / 120);
  close(mass, 1, 2e-3, 'mass');
  assert.is(gridKl(kin, kin), 0);
  // KL of two unit-variance Gaussians shifted by 0.3 in x₁ (class B sd 0.6): 0.3² / (2·0.6²) = 0.125.
  const g2 = withNuisance(g, [1, 0]);
  const p = densityGrid(truthKinDensity(g), [-3, 4], [-2, 2], 141, 81, [0, 1]);
  const q = densityGrid(truthKinDensity(g2), [-3, 4], [-2, 2], 141, 81, [0, 1]);
  close(gridKl(p, q), 0.125, 2e-3, 'grid KL');
});

test('xNodes: the quadrature of p(y | c) matches an average over many generator x draws', () => {
  const g = defaultGeneratorConfig();
  const n = 6000;
  const batch = generateBatch(Rng.fromSeed(9), n, g, { c: 1 });
  const ctx = new Float32Array(4 * n);
  for (let i = 0; i < n; i++) ctx.set([0, 1, batch.x[2 * i], batch.x[2 * i + 1]], 4 * i);
  const ref = mixtureGrid(truthScoreDensity(g), [-3, 4], [-4.5, 3], 40, 40, ctx, new Float64Array(n).fill(1 / n));
  const nodes = xNodes(g, 1);
  const quad = mixtureGrid(truthScoreDensity(g), [-3, 4], [-4.5, 3], 40, 40, nodes.ctx, nodes.weights);
  close(
    nodes.weights.reduce((s, w) => s + w, 0),
    1,
    1e-12,
  );
  assert.ok(gridKl(ref, quad) < 1e-3, `grid KL ${gridKl(ref, quad)}`);
});

test("conditional truth: bin counts and moments averaged over the events' x", () => {
  const g = withNuisance(defaultGeneratorConfig(), [1, 0]);
  g.y_shift_scale = 0.3;
  const batch = generateBatch(Rng.fromSeed(2), 20000, g);
  const edges = Array.from({ length: 41 }, (_, i) => -6 + (i * 12) / 40);
  const counts = conditionalBinCounts(edges, batch.x, batch.c, 0, g, 1);
  const nA = Array.from(batch.c).filter((c) => c === 0).length;
  close(
    counts.reduce((s, v) => s + v, 0),
    nA,
    1e-3 * nA,
    'total',
  );
  const mom = conditionalMoments(batch.x, batch.c, 0, g, 1);
  const y2 = Array.from({ length: batch.c.length }, (_, i) => i)
    .filter((i) => batch.c[i] === 0)
    .map((i) => batch.y[2 * i + 1]);
  const m = y2.reduce((s, v) => s + v, 0) / y2.length;
  const sd = Math.sqrt(y2.reduce((s, v) => s + (v - m) ** 2, 0) / y2.length);
  close(mom.mean, m, (4 * sd) / Math.sqrt(y2.length), 'mean');
  close(mom.std, sd, 0.03 * sd, 'std');
});

// ------------------------------------------------------------------------------------------
// The pipeline on the reference checkpoints

const EXPECTED: Record<string, [number, number]> = {
  'val_kin_2d.png': [1400, 640],
  'val_kin_1d_marginals.png': [1300, 1050],
  'val_score_2d_global.png': [1250, 700],
  'val_score_2d_contours_x1binned.png': [1900, 1080],
  'val_score_1d_marginals.png': [1300, 1050],
  'val_score_x1_binned.png': [1900, 1750],
  'val_score_logprob.png': [1900, 640],
  'val_sys_kin_central.png': [1400, 640],
  'val_sys_kin_generator_shift_up.png': [1400, 1060],
  'val_sys_kin_generator_shift_down.png': [1400, 1060],
  'val_sys_kin_generator_squeeze_up.png': [1400, 1060],
  'val_sys_kin_generator_squeeze_down.png': [1400, 1060],
  'val_sys_kin_1d_marginals.png': [1800, 1710],
  'val_sys_mean_x_vs_m.png': [1400, 880],
  'val_sys_std_x_vs_m.png': [1400, 880],
  'val_sys_score_central.png': [1250, 700],
  'val_sys_score_generator_shift_up.png': [1300, 720],
  'val_sys_score_generator_shift_down.png': [1300, 720],
  'val_sys_score_generator_squeeze_up.png': [1300, 720],
  'val_sys_score_generator_squeeze_down.png': [1300, 720],
  'val_sys_score_1d_marginals.png': [1800, 1710],
  'val_sys_score_mean_y_vs_m.png': [1400, 880],
  'val_sys_score_std_y_vs_m.png': [1400, 880],
};

/** Fraction of pixels (every 7th) that are not white. */
async function inkFraction(png: Buffer): Promise<number> {
  const img = await loadImage(png);
  const canvas = createCanvas(img.width, img.height);
  const c2d = canvas.getContext('2d');
  c2d.drawImage(img, 0, 0);
  const d = c2d.getImageData(0, 0, img.width, img.height).data;
  let ink = 0;
  let all = 0;
  for (let p = 0; p < d.length; p += 4 * 7) {
    all++;
    if (d[p] < 235 || d[p + 1] < 235 || d[p + 2] < 235) ink++;
  }
  return ink / all;
}

/** KL (and KL without the residual) of the reference checkpoints, n = 200 000: a value or a [lo, hi] range. */
const KNOWN_CLOSURE: Record<string, { kl: number | [number, number]; noResidual?: number | [number, number] }> = {
  'kin_base [0,0]': { kl: 6.8e-5 },
  'score_base [0,0]': { kl: 7.4e-4 },
  'kin_residual [1,0]': { kl: 5.6e-5, noResidual: 0.091 },
  'kin_residual [-1,0]': { kl: 8.9e-5, noResidual: 0.09 },
  'kin_residual [0,1]': { kl: 7.3e-5, noResidual: 0.08 },
  'kin_residual [0,-1]': { kl: 7.3e-5, noResidual: 0.08 },
  'kin_residual [0.5,0]': { kl: [7.2e-5, 9.1e-5], noResidual: [0.02, 0.023] },
  'kin_residual [-0.5,0]': { kl: [7.2e-5, 9.1e-5], noResidual: [0.02, 0.023] },
  'kin_residual [0,0.5]': { kl: [7.2e-5, 9.1e-5], noResidual: [0.02, 0.023] },
  'kin_residual [0,-0.5]': { kl: [7.2e-5, 9.1e-5], noResidual: [0.02, 0.023] },
  'kin_residual [1,1]': { kl: 4.3e-3, noResidual: 0.17 },
  'kin_residual [-1,1]': { kl: 3.7e-3, noResidual: 0.17 },
  'score_residual [1,0]': { kl: 1.7e-3, noResidual: 0.108 },
  'score_residual [-1,0]': { kl: 9.4e-4, noResidual: 0.06 },
  'score_residual [0,1]': { kl: 2.5e-3, noResidual: 0.105 },
  'score_residual [0,-1]': { kl: 1.2e-3, noResidual: 0.095 },
  'score_residual [0.5,0]': { kl: [1.0e-3, 1.3e-3], noResidual: [0.018, 0.026] },
  'score_residual [-0.5,0]': { kl: [1.0e-3, 1.3e-3], noResidual: [0.018, 0.026] },
  'score_residual [0,0.5]': { kl: [1.0e-3, 1.3e-3], noResidual: [0.018, 0.026] },
  'score_residual [0,-0.5]': { kl: [1.0e-3, 1.3e-3], noResidual: [0.018, 0.026] },
  'score_residual [1,1]': { kl: 8.2e-3, noResidual: 0.24 },
  'score_residual [-1,1]': { kl: 3.7e-3, noResidual: 0.17 },
};

/** value within tol of a known value or range. */
function within(value: number, known: number | [number, number], tol: number, what: string): void {
  const [lo, hi] = typeof known === 'number' ? [known, known] : known;
  const off = value < lo ? lo - value : value > hi ? value - hi : 0;
  assert.ok(
    Number.isFinite(value) && off <= tol,
    `${what}: ${value}, known ${lo === hi ? lo : `${lo}–${hi}`} ± ${tol}`,
  );
}

test('runValidation: closure report and the 23 figures for the reference checkpoints', async () => {
  const models = join(SHARED, 'reference-models');
  const dir = mkdtempSync(join(tmpdir(), 'fnf-validate-'));
  try {
    const baseYaml = readFileSync(join(REPO, 'configs/base_flows.yaml'), 'utf8')
      .replace(/score_model: .*/, `score_model: ${join(models, 'score_density.pt')}`)
      .replace(/kin_model: .*/, `kin_model: ${join(models, 'kin_density.pt')}`);
    const sysYaml = readFileSync(join(REPO, 'configs/systematics.yaml'), 'utf8')
      .replace(/score_base_model: .*/, `score_base_model: ${join(models, 'score_density.pt')}`)
      .replace(/kin_base_model: .*/, `kin_base_model: ${join(models, 'kin_density.pt')}`)
      .replace(/score_residual_model: .*/, `score_residual_model: ${join(models, 'score_density_residuals.pt')}`)
      .replace(/kin_residual_model: .*/, `kin_residual_model: ${join(models, 'kin_density_residuals.pt')}`);
    writeFileSync(join(dir, 'base.yaml'), baseYaml);
    writeFileSync(join(dir, 'sys.yaml'), sysYaml);
    const base = loadConfig(join(dir, 'base.yaml'), 'base');
    const sys = loadConfig(join(dir, 'sys.yaml'), 'systematics');
    const dev = await createDevice({ backend: 'wasm' });
    const out = join(dir, 'out');
    const n = 4000;
    const res = runValidation(dev, { base, sys, n, seed: 1234, outDir: out, quick: true });

    // Files: exactly the expected figures, valid PNGs of the expected size, not blank.
    assert.equal(res.files.map((f) => f.slice(out.length + 1)).sort(), Object.keys(EXPECTED).sort());
    for (const [name, [w, h]] of Object.entries(EXPECTED)) {
      const png = readFileSync(join(out, name));
      assert.equal(pngSize(png), { width: w, height: h }, name);
      const ink = await inkFraction(png);
      assert.ok(ink > 0.04, `${name}: only ${(ink * 100).toFixed(1)} % of pixels are not white`);
    }

    // closure.json: documented schema.
    const json = JSON.parse(readFileSync(join(out, 'closure.json'), 'utf8')) as {
      n: number;
      rows: Record<string, unknown>[];
    };
    assert.is(json.n, n);
    assert.is(json.rows.length, 2 + 10 + 10);
    for (const r of json.rows) {
      const residual = r.model === 'kin_residual' || r.model === 'score_residual';
      const keys = [
        'model',
        'nu',
        'nll_model',
        'nll_truth',
        'kl',
        'kl_se',
        ...(residual ? ['kl_no_residual', 'kl_no_residual_se'] : []),
      ];
      for (const k of keys) assert.ok(k in r, `row ${JSON.stringify(r)} lacks ${k}`);
      if (!residual) assert.not.ok('kl_no_residual' in r);
      assert.ok(Array.isArray(r.nu) && (r.nu as unknown[]).length === 2);
      for (const k of keys.slice(2)) assert.ok(Number.isFinite(r[k] as number), `${k} finite`);
      close((r.nll_model as number) - (r.nll_truth as number), r.kl as number, 1e-9, 'KL = NLL_model − NLL_truth');
    }
    assert.equal(
      json.rows.filter((r) => r.template).map((r) => `${r.model}:${r.template}`),
      [
        ...['shift_up', 'shift_down', 'squeeze_up', 'squeeze_down'].map((t) => `kin_residual:generator_${t}`),
        ...['shift_up', 'shift_down', 'squeeze_up', 'squeeze_down'].map((t) => `score_residual:generator_${t}`),
      ],
    );
    assert.ok(existsSync(join(out, 'closure.md')));
    assert.match(readFileSync(join(out, 'closure.md'), 'utf8'), /\| kin_base \| \(0, 0\) \|/);

    // Every row against the reference checkpoints' closure at n = 200 000 (models/README.md, the
    // "reference, same samples" column; "no residual" from the "no residual" column, which the
    // template's distance from nominal dominates): within 5 standard errors of this n = 4000 run.
    for (const r of json.rows) {
      const key = `${r.model} ${JSON.stringify(r.nu)}`;
      const known = KNOWN_CLOSURE[key];
      assert.ok(known, `no known closure for ${key}`);
      within(r.kl as number, known.kl, 5 * (r.kl_se as number), `${key}: KL`);
      if (known.noResidual) {
        within(
          r.kl_no_residual as number,
          known.noResidual,
          5 * (r.kl_no_residual_se as number),
          `${key}: no residual`,
        );
      }
    }
    // The kin base, absolutely: at n = 4000 its standard error is ~6e-5, the reference's KL 6.8e-5.
    const kin = json.rows.find((r) => r.model === 'kin_base')!;
    assert.ok((kin.kl_se as number) < 2e-4, `kin base KL standard error ${kin.kl_se}`);
    assert.ok((kin.kl as number) < 6.8e-5 + 5 * (kin.kl_se as number), `kin base KL ${kin.kl}`);
    for (const r of json.rows.filter((q) => q.model === 'kin_residual' && q.template)) {
      assert.ok(
        (r.kl_no_residual as number) > (r.kl as number) + 5 * (r.kl_no_residual_se as number),
        `${r.template}: KL without residual ${r.kl_no_residual} should exceed the model's ${r.kl}`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
