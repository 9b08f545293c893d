/**
 * `fnf visualize` / `fnf visualize-dataset`: the pure parts, the autodiff Jacobian of the
 * residual stacks against finite differences and against e^{s}, the cross-term split on real
 * checkpoints, and every figure written as a non-blank PNG of the expected size.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadImage, createCanvas } from '@napi-rs/canvas';
import { createDevice } from '../src/backend/index.js';
import { loadResidualModel } from '../src/models/load.js';
import { loadConfig } from '../src/config/load.js';
import { writeSafetensors } from '../src/io/safetensors.js';
import { Tape } from '../src/autodiff/tape.js';
import { pngSize } from '../src/plot/index.js';
import { Rng } from '../src/random/rng.js';
import { defaultGeneratorConfig, generateBatch } from '../src/toy/index.js';
import type { SystematicCorrectedModel } from '../src/systematics/corrected-model.js';
import { crossDecompose, formatG, invertMatrix, maxAbs, nearestIndex } from '../src/visualize/pure.js';
import { forwardWithJacobian, mapWithJacobian, jacobianDiagonal } from '../src/visualize/jacobian.js';
import { generatorAt, kinSubject } from '../src/visualize/subject.js';
import { crosstermData } from '../src/visualize/crossterm.js';
import { renderShowcase, showcaseFileNames } from '../src/visualize/showcase.js';
import { datasetSummary } from '../src/visualize/dataset.js';
import { run as runVisualize } from '../src/cli/commands/visualize.js';
import { run as runVisualizeDataset } from '../src/cli/commands/visualize-dataset.js';
import { UserError } from '../src/cli/errors.js';
import { readDataset, readDatasetColumns, renderDataset } from '../src/visualize/dataset.js';
import { WRITABLE_FORMATS, writeColumns } from '../src/io/columns/write.js';
import { REPO, SHARED } from './helpers/shared.js';

const MODELS = join(SHARED, 'reference-models');

// ---------------------------------------------------------------------------------------------
// Pure parts

test('crossDecompose: additive part through the zero row/column, cross vanishes on the axes', () => {
  const xs = [-2, -1, 0, 1, 2];
  const ys = [-1, 0, 1, 2];
  const f = (a: number, b: number) => 0.3 * a - 2 * b * b + 0.7 * a * b + 5;
  const full: number[] = [];
  for (const b of ys) for (const a of xs) full.push(f(a, b));
  const d = crossDecompose(full, xs, ys);
  ys.forEach((b, j) =>
    xs.forEach((a, i) => {
      assert.ok(Math.abs(d.cross[i + j * xs.length] - 0.7 * a * b) < 1e-12, `cross at (${a}, ${b})`);
      assert.ok(Math.abs(d.additive[i + j * xs.length] + d.cross[i + j * xs.length] - f(a, b)) < 1e-12);
    }),
  );
  assert.throws(() => crossDecompose([1, 2, 3], xs, ys), /3 values for a 5 × 4 grid/);
});

test('invertMatrix, nearestIndex, formatG', () => {
  const m = [2, 1, 0.5, 3];
  const inv = invertMatrix(m, 2);
  const det = 2 * 3 - 0.5;
  assert.ok(
    Math.abs(inv[0] - 3 / det) < 1e-15 &&
      Math.abs(inv[1] + 1 / det) < 1e-15 &&
      Math.abs(inv[2] + 0.5 / det) < 1e-15 &&
      Math.abs(inv[3] - 2 / det) < 1e-15,
  );
  assert.throws(() => invertMatrix([1, 2, 2, 4], 2), /singular/);
  assert.is(nearestIndex([-2, -0.1, 0.05, 1], 0), 2);
  assert.is(formatG(1), '1');
  assert.is(formatG(0.5), '0.5');
  assert.is(formatG(1.25), '1.25');
  assert.is(formatG(2e-5), '2e-05');
});

test('generatorAt: template along ν scaled by |ν|, none for a direction without a template', () => {
  const sys = loadConfig(join(REPO, 'configs/systematics.yaml'), 'systematics');
  const g = generatorAt(sys.kin.templates, [-0.5, 0])!;
  assert.is(g.variation_shift, -0.5);
  assert.is(g.variation_squeeze, 0);
  assert.is(g.shift_scale, 0.3);
  assert.is(generatorAt(sys.kin.templates, [1, 1]), null);
  const nominal = generatorAt(sys.kin.templates, [0, 0])!;
  assert.is(nominal.variation_shift, 0);
  assert.is(nominal.variation_squeeze, 0);
});

test('showcaseFileNames: the 21 reference names at the defaults', () => {
  const names = showcaseFileNames(
    [
      { tag: 'kin', symbol: 'x', features: 2, nuisances: 2 },
      { tag: 'score_x0', symbol: 'y', features: 2, nuisances: 2 },
      { tag: 'score_x1', symbol: 'y', features: 2, nuisances: 2 },
    ],
    { mValue: 1, crossterm: true },
  );
  assert.is(names.length, 21);
  for (const n of [
    'residual_kin_response.png',
    'residual_kin_field_nup1.png',
    'residual_kin_field_num1.png',
    'residual_kin_crossterm_x1_classA.png',
    'residual_kin_crossterm_x2_classB.png',
    'residual_score_x0_response.png',
    'residual_score_x0_field_nup1.png',
    'residual_score_x0_crossterm_y1_classA.png',
    'residual_score_x1_crossterm_y2_classB.png',
  ]) {
    assert.ok(names.includes(n), n);
  }
  // The reference's own figure list holds exactly these names.
  const refs = ['kin', 'score_x0', 'score_x1'].flatMap((t) => names.filter((n) => n.startsWith(`residual_${t}_`)));
  for (const n of refs) assert.ok(existsSync(join(SHARED, 'reference-figures', n)), `reference has ${n}`);
});

// ---------------------------------------------------------------------------------------------
// Jacobians on the reference checkpoints

const dev = await createDevice({ backend: 'wasm', threads: 1 });
const kin = loadResidualModel(dev, join(MODELS, 'kin_density_residuals.pt'));
const score = loadResidualModel(dev, join(MODELS, 'score_density_residuals.pt'));
kin.params.freeze();
score.params.freeze();

const POINTS = new Float32Array([0, 0, 1, 0.5, -1.2, 0.8, 0.3, -1.1]);
const NUS = new Float32Array([1, 0, -0.7, 1.3, 2, -2, 0.4, 0.9]);
const ctxFor = (model: SystematicCorrectedModel, n: number) => {
  const rows: number[] = [];
  for (let i = 0; i < n; i++)
    rows.push(i % 2, 1 - (i % 2), ...(model.config.contextDim === 4 ? [1.5 - i * 0.5, 0.2 * i] : []));
  return Float32Array.from(rows);
};

/** Central differences in float32 with ε = 1e-2 (truncation ~ε², rounding ~1e-5). */
function fdJacobian(f: (p: Float32Array) => Float32Array, p: Float32Array, F: number, eps = 1e-2): Float64Array {
  const n = p.length / F;
  const jac = new Float64Array(n * F * F);
  for (let e = 0; e < F; e++) {
    const plus = Float32Array.from(p);
    const minus = Float32Array.from(p);
    for (let i = 0; i < n; i++) {
      plus[i * F + e] += eps;
      minus[i * F + e] -= eps;
    }
    const fp = f(plus);
    const fm = f(minus);
    for (let i = 0; i < n; i++)
      for (let d = 0; d < F; d++)
        jac[(i * F + d) * F + e] = (fp[i * F + d] - fm[i * F + d]) / (plus[i * F + e] - minus[i * F + e]);
  }
  return jac;
}

for (const [name, model] of [
  ['kin', kin],
  ['score', score],
] as const) {
  for (const direction of ['forward', 'inverse'] as const) {
    test(`${name} stack: autodiff Jacobian (${direction}) equals finite differences to 1e-3`, () => {
      const n = POINTS.length / 2;
      const ctx = ctxFor(model, n);
      const { mapped, jac } = mapWithJacobian(model, POINTS, ctx, NUS, direction);
      const f = (p: Float32Array) =>
        direction === 'forward'
          ? model.forward(p, { context: ctx, nu: NUS }).xNom
          : model.inverse(p, { context: ctx, nu: NUS }).x;
      const direct = f(POINTS);
      for (let k = 0; k < mapped.length; k++) assert.ok(Math.abs(mapped[k] - direct[k]) < 1e-6, `mapped ${k}`);
      const fd = fdJacobian(f, POINTS, 2);
      for (let k = 0; k < jac.length; k++) {
        assert.ok(
          Math.abs(jac[k] - fd[k]) <= 1e-3 * Math.max(1, Math.abs(fd[k])),
          `J[${k}] autodiff ${jac[k]} vs FD ${fd[k]}`,
        );
      }
    });
  }
}

test('kin one-layer stack: the Jacobian diagonal is e^{s} of the layer (1e-6)', () => {
  const n = POINTS.length / 2;
  const ctx = ctxFor(kin, n);
  const diag = jacobianDiagonal(forwardWithJacobian(kin, POINTS, ctx, NUS).jac, 2);
  assert.is(kin.layers.length, 1);
  assert.ok(kin.residual.transforms[0] === kin.layers[0]);
  const layer = kin.layers[0];
  const s = dev.scoped(() => {
    const tape = new Tape(dev, { grad: false });
    return Float32Array.from(
      layer.coefficientsVar(tape, tape.constant(dev.tensor(POINTS, [n, 2])), {
        context: tape.constant(dev.tensor(ctx, [n, 2])),
        nu: tape.constant(dev.tensor(NUS, [n, 2])),
      }).s.value.data,
    );
  });
  for (let k = 0; k < diag.length; k++)
    assert.ok(Math.abs(diag[k] - Math.exp(s[k])) <= 1e-6 * Math.exp(s[k]), `diag ${diag[k]} vs e^s ${Math.exp(s[k])}`);
});

test('cross-term on the checkpoints: zero on the axes; kin log-scale additive to float32 rounding', () => {
  const sys = loadConfig(join(REPO, 'configs/systematics.yaml'), 'systematics');
  const nu = [-2, -1, 0, 1, 2];
  const data = crosstermData(kinSubject(kin, sys.kin.templates, [1, 0.5]), 'forward', nu);
  for (const c of [0, 1]) {
    for (let d = 0; d < 2; d++) {
      for (const values of [data.logScale[c][d], data.shift[c][d]]) {
        const { cross, full } = crossDecompose(values, nu, nu);
        for (let i = 0; i < nu.length; i++) {
          assert.is(cross[i + 2 * nu.length], 0, 'cross on the ν_squeeze = 0 axis');
          assert.is(cross[2 + i * nu.length], 0, 'cross on the ν_shift = 0 axis');
        }
        assert.ok(maxAbs(full) > 0.01);
      }
      const ls = crossDecompose(data.logScale[c][d], nu, nu);
      assert.ok(
        maxAbs(ls.cross) < 1e-5 * maxAbs(ls.full),
        `kin log-scale cross ${maxAbs(ls.cross)} (class ${c}, dim ${d})`,
      );
    }
  }
});

// ---------------------------------------------------------------------------------------------
// Figures

async function checkPng(path: string, width: number, height: number): Promise<void> {
  assert.ok(existsSync(path), `${path} exists`);
  const bytes = readFileSync(path);
  assert.equal(pngSize(bytes), { width, height }, `${path} size`);
  const img = await loadImage(bytes);
  const cv = createCanvas(img.width, img.height);
  const ctx = cv.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const d = ctx.getImageData(0, 0, img.width, img.height).data;
  let nonWhite = 0;
  let colored = 0;
  for (let i = 0; i < d.length; i += 4) {
    if (d[i] < 240 || d[i + 1] < 240 || d[i + 2] < 240) nonWhite++;
    if (Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]) > 60) colored++;
  }
  const px = img.width * img.height;
  assert.ok(nonWhite / px > 0.02, `${path} not blank (${((100 * nonWhite) / px).toFixed(1)} % non-white)`);
  assert.ok(colored / px > 0.002, `${path} has coloured data (${((100 * colored) / px).toFixed(2)} %)`);
}

const SIZES: [RegExp, number, number][] = [
  [/_response\.png$/, 1880, 950],
  [/_field_/, 1400, 1050],
  [/_crossterm_/, 1500, 940],
];

test('showcase: all 21 reference file names written, valid non-blank PNGs of the expected size', async () => {
  const sys = loadConfig(join(REPO, 'configs/systematics.yaml'), 'systematics');
  const out = mkdtempSync(join(tmpdir(), 'fnf-vis-'));
  const written = renderShowcase(
    { kin: { model: kin, templates: sys.kin.templates }, score: { model: score, templates: sys.score.templates } },
    {
      outDir: out,
      direction: 'forward',
      mValue: 1,
      scoreX: [
        [0, 0],
        [1.5, 0],
      ],
      crossterm: true,
      crosstermX: [1, 0.5],
      crosstermY: [0, 0],
      densityPoints: 1500,
      nuSteps: 9,
    },
  );
  assert.is(written.length, 21);
  for (const path of written) {
    const [, w, h] = SIZES.find(([re]) => re.test(path))!;
    await checkPng(path, w, h);
    assert.ok(
      existsSync(join(SHARED, 'reference-figures', path.slice(out.length + 1))),
      `${path} carries a reference name`,
    );
  }
});

test('fnf visualize run(): --which kin --no-crossterm --direction inverse --m-value 0.5 writes 3 figures', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fnf-vis-cfg-'));
  const swap = (file: string) =>
    readFileSync(join(REPO, 'configs', file), 'utf8').replace(/\.\.\/models\/(\w+)\.safetensors/g, (_, name) =>
      join(MODELS, `${name}.pt`),
    );
  writeFileSync(join(dir, 'base.yaml'), swap('base_flows.yaml'));
  writeFileSync(join(dir, 'sys.yaml'), swap('systematics.yaml'));
  const out = join(dir, 'out');
  await runVisualize({
    cfg: join(dir, 'base.yaml'),
    sysCfg: join(dir, 'sys.yaml'),
    outDir: out,
    direction: 'inverse',
    mValue: 0.5,
    which: 'kin',
    scoreX: [[0, 0]],
    responseDims: [1],
    crossterm: false,
    crosstermX: [1, 0.5],
    crosstermY: [0, 0],
    n: 1000,
    backend: 'wasm',
    threads: 1,
    seed: undefined,
  });
  await checkPng(join(out, 'residual_kin_response.png'), 1880, 550);
  await checkPng(join(out, 'residual_kin_field_nup0.5.png'), 1400, 1050);
  await checkPng(join(out, 'residual_kin_field_num0.5.png'), 1400, 1050);
});

test('visualize-dataset: a safetensors dataset (or its events as column files) gives the seven figures', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fnf-visds-'));
  const n = 4000;
  const b = generateBatch(Rng.fromSeed(5), n, defaultGeneratorConfig());
  const t = (data: ArrayLike<number>) => ({ dtype: 'f32' as const, shape: [n, 2], data: Float32Array.from(data) });
  writeSafetensors(
    join(dir, 'd.safetensors'),
    new Map([
      ['c', t(b.cOneHot)],
      ['X', t(b.x)],
      ['y', t(b.y)],
    ]),
  );
  const ds = readDataset(join(dir, 'd.safetensors'));
  assert.is(ds.n, n);
  assert.is(
    ds.cls.reduce((s, v) => s + v, 0),
    Array.from(b.c).reduce((s, v) => s + v, 0),
  );
  const written = renderDataset(ds, join(dir, 'out'));
  assert.equal(
    written.map((p) => p.split('/').pop()),
    [
      'ds_x_2d.png',
      'ds_x_1d.png',
      'ds_y_2d.png',
      'ds_y_1d.png',
      'ds_y_xbinned.png',
      'ds_stacked_x.png',
      'ds_stacked_y.png',
    ],
  );
  // The sizes src/visualize/dataset.ts asks for.
  const sizes = [
    [1300, 640],
    [1200, 820],
    [1300, 640],
    [1200, 820],
    [1600, 900],
    [1300, 560],
    [1300, 560],
  ];
  for (const [i, p] of written.entries()) await checkPng(p, sizes[i][0], sizes[i][1]);
  writeSafetensors(join(dir, 'bad.safetensors'), new Map([['X', t(b.x)]]));
  assert.throws(() => readDataset(join(dir, 'bad.safetensors')), /no tensor 'c'/);

  // The column files of generate-dataset --format parquet | npz | csv hold the same events.
  const col = (k: 0 | 1, from: Float32Array) => Float32Array.from({ length: n }, (_, i) => from[2 * i + k]);
  const columns = [
    { name: 'x1', values: col(0, b.x) },
    { name: 'x2', values: col(1, b.x) },
    { name: 'y1', values: col(0, b.y) },
    { name: 'y2', values: col(1, b.y) },
    { name: 'label', values: Int32Array.from(b.c) },
  ];
  for (const format of WRITABLE_FORMATS) {
    const file = join(dir, `d.${format}`);
    writeColumns(file, format, columns);
    const fromColumns = await readDatasetColumns(file);
    assert.is(fromColumns.n, n, format);
    assert.equal(fromColumns.cls, ds.cls, format);
    assert.equal(fromColumns.X, ds.X, format);
    assert.equal(fromColumns.y, ds.y, format);
  }
  const badLabel = columns.map((c) => (c.name === 'label' ? { ...c, values: Int32Array.from(b.c, (v) => v * 2) } : c));
  writeColumns(join(dir, 'bad.csv'), 'csv', badLabel);
  let err = '';
  await readDatasetColumns(join(dir, 'bad.csv')).catch((e: Error) => (err = e.message));
  assert.match(err, /bad\.csv: column 'label' has 2 at row \d+, expected 0 \(class A\) or 1 \(class B\)/);
});

test('visualize-dataset: one class only, or x₂ off the toy scale, is drawn (the contour rule crashed)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fnf-visds-one-'));
  const n = 2000;
  const b = generateBatch(Rng.fromSeed(7), n, defaultGeneratorConfig());
  // Class A only: the class B panels have no events.
  const onlyA = { n, cls: new Uint8Array(n), X: b.x, y: b.y };
  // Both classes, but no event with |x₂| < 0.5 (a user's x₂ in other units): no x₁ slices to cut.
  const farX2 = { n, cls: Uint8Array.from(b.c), X: b.x.map((v, i) => (i % 2 ? v + 10 : v)), y: b.y };
  for (const [name, ds] of [
    ['onlyA', onlyA],
    ['farX2', farX2],
  ] as const) {
    const written = renderDataset(ds, join(dir, name));
    assert.is(written.length, 7, name);
    for (const p of written) assert.ok(existsSync(p), p);
    await checkPng(join(dir, name, 'ds_x_2d.png'), 1300, 640);
  }
  // Class A's slices are drawn; farX2's slice panels hold only their notes.
  await checkPng(join(dir, 'onlyA', 'ds_y_xbinned.png'), 1600, 900);
  assert.equal(pngSize(readFileSync(join(dir, 'farX2', 'ds_y_xbinned.png'))), { width: 1600, height: 900 });
});

test('visualize-dataset: a file with no events is refused naming it, before any figure', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fnf-visds-empty-'));
  const file = join(dir, 'empty.csv');
  writeFileSync(file, 'x1,x2,y1,y2,label\n');
  let err: unknown;
  await runVisualizeDataset({ dataset: file, outDir: join(dir, 'out') } as never).catch((e: unknown) => (err = e));
  assert.instance(err, UserError);
  assert.is((err as Error).message, `${file}: the file holds no events`);
  assert.not.ok(existsSync(join(dir, 'out')));
});

test('visualize-dataset: the summary of a million-event file (spreading its columns overflowed the stack)', () => {
  const n = 1_000_000;
  const X = new Float32Array(2 * n).map((_, i) => (i % 7) - 3);
  const ds = { n, cls: new Uint8Array(n).map((_, i) => i % 2), X, y: X.slice() };
  const text = datasetSummary(ds);
  assert.match(text, /N total = 1000000/);
  assert.match(text, /range x1 \[-3\.000, \+3\.000\]/);
});

test.run();
