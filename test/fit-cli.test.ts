/**
 * `fnf fit` as users run it: bad input (CSV with missing columns, NaN or infinite values, a truth
 * string with unknown names, μ outside its bounds at the start) is refused with a message naming
 * the problem and nothing is written; an event far outside the model's support is named in the fit's
 * note (and large weights do not put ordinary events there); a small fit from CSV and from a
 * generate-dataset file writes fit.json with exactly the keys of the issue. Split data, -c base flows
 * that are not the residual models' frozen bases, non-numeric --fix-mu/--start-mu, toys too large to
 * hold and `toys merge` of files that are not shards are covered too; so are output files whose names a
 * directory already takes (refused before the fit), --tree among ROOT and non-ROOT files, and a truth-only
 * fit, which does not read -c's flows.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultGeneratorConfig as defaultGen, generateBatch } from '../src/toy/index.js';
import { Rng } from '../src/random/rng.js';
import { writeSafetensors } from '../src/io/safetensors.js';
import { writeColumns, type NamedColumn, type WritableFormat } from '../src/io/columns/write.js';
import { readCheckpoint } from '../src/io/checkpoint.js';
import { toFloat32 } from '../src/io/state-dict.js';
import { frozenBaseDifference } from '../src/fit/base-check.js';
import { readDataFiles } from '../src/fit/data-file.js';
import { REPO, SHARED } from './helpers/shared.js';

// CSV goes through src/io/columns (the column readers); their messages name the file, column and row.

const MAIN = join(REPO, 'dist', 'src', 'cli', 'main.js');
const BASE = join(REPO, 'configs', 'base_flows.yaml');
const SYS = join(REPO, 'configs', 'systematics.yaml');
const dir = mkdtempSync(join(tmpdir(), 'fnf-fit-'));

function fnf(args: string[]) {
  const r = spawnSync(process.execPath, [MAIN, ...args], {
    cwd: REPO,
    encoding: 'utf8',
    env: { ...process.env, FNF_BACKEND: 'wasm', FNF_THREADS: '1' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const common = (out: string) => ['fit', '-c', BASE, '--sys-cfg', SYS, '--out-dir', out];

/** A CSV of toy events: class label first (ignored by the fit), then x1,x2,y1,y2. */
function toyCsv(n: number, mutate?: (rows: string[][]) => void, header = 'label,x1,x2,y1,y2'): string {
  const b = generateBatch(Rng.fromSeed(5), n, defaultGen());
  const rows = Array.from({ length: n }, (_, i) => [
    String(b.c[i]),
    String(b.x[2 * i]),
    String(b.x[2 * i + 1]),
    String(b.y[2 * i]),
    String(b.y[2 * i + 1]),
  ]);
  mutate?.(rows);
  return [header, ...rows.map((r) => r.join(','))].join('\n') + '\n';
}

function refused(args: string[], pattern: RegExp, out: string) {
  const r = fnf(args);
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, pattern);
  assert.not.match(r.stderr, /internal error/);
  assert.not.ok(existsSync(out), `${out} must not be created`);
}

test('a CSV without the y columns is refused, naming them; nothing is written', () => {
  const f = join(dir, 'noy.csv');
  writeFileSync(f, toyCsv(20, undefined, 'label,x1,x2,a,b'));
  const out = join(dir, 'out-noy');
  refused(
    [...common(out), '--data', f],
    /noy\.csv: no columns 'y1', 'y2'; the file has 'label', 'x1', 'x2', 'a', 'b'/,
    out,
  );
});

test('a CSV with NaN or an infinite value is refused with its column and row', () => {
  for (const bad of ['NaN', 'inf', 'Infinity']) {
    const f = join(dir, `bad-${bad}.csv`);
    writeFileSync(
      f,
      toyCsv(20, (rows) => (rows[3][3] = bad)),
    );
    const out = join(dir, `out-${bad}`);
    refused([...common(out), '--data', f], /column 'y1' has 1 non-finite value, at row 3 \(0-based/, out);
  }
});

test('a sentinel value in the data: the fit names the event instead of failing vaguely', () => {
  const f = join(dir, 'sentinel.csv');
  writeFileSync(
    f,
    toyCsv(200, (rows) => (rows[57][2] = '1e30')),
  );
  const out = join(dir, 'out-sentinel');
  const r = fnf([...common(out), '--data', f, '--model', 'truth,base', '--no-figures', '--no-minos']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /note: .*1 event has a −log p over 100 above the median event's.* 57 \(/);
  const j = JSON.parse(readFileSync(join(out, 'fit.json'), 'utf8'));
  for (const m of ['truth', 'base']) {
    assert.is(j.fits[m].outlier_events.count, 1, m);
    assert.is(j.fits[m].outlier_events.worst[0].event, 57, m);
  }
});

test('a file with its own column names and weights: --columns, --weight (sandwich errors), --tree', () => {
  const f = join(dir, 'own-names.csv');
  const b = generateBatch(Rng.fromSeed(12), 600, defaultGen());
  const lines = ['w,pt,eta,s2,s1,label'];
  for (let i = 0; i < 600; i++) {
    const w = i % 3 === 0 ? 2.5 : 0.5;
    lines.push([w, b.x[2 * i], b.x[2 * i + 1], b.y[2 * i + 1], b.y[2 * i], b.c[i]].join(','));
  }
  writeFileSync(f, lines.join('\n') + '\n');
  const cols = ['--columns', 'x1=pt,x2=eta,y1=s1,y2=s2'];
  // Without the mapping: the names the file has, and how to map them.
  const outMissing = join(dir, 'out-own-missing');
  refused(
    [...common(outMissing), '--data', f],
    /no columns 'x1', 'x2', 'y1', 'y2'.*name them with --columns/,
    outMissing,
  );
  const out = join(dir, 'out-own');
  const r = fnf([...common(out), '--data', f, ...cols, '--weight', 'w', '--model', 'truth', '--no-figures']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /errors: HESSE corrected for the event weights/);
  assert.match(
    r.stdout,
    /^600 events weighted by 'w': Σw = 700\.000, effective number of events \(Σw\)²\/Σw² = 363\.0\n/,
  );
  const fitJson = JSON.parse(readFileSync(join(out, 'fit.json'), 'utf8'));
  assert.equal(Object.keys(fitJson), ['n_events', 'weights', 'fits']);
  assert.equal(fitJson.weights, {
    column: 'w',
    sum_w: 700,
    sum_w2: 200 * 6.25 + 400 * 0.25,
    effective_events: 700 ** 2 / 1350,
    negative: 0,
  });
  const t = fitJson.fits.truth;
  assert.is(t.weighted_errors, 'sandwich');
  assert.is(t.parameters[0].minos, null, 'no MINOS with weights');
  // The same file unweighted: other errors (weights 2.5 / 0.5 make the sandwich wider than HESSE's).
  const out2 = join(dir, 'out-own-unweighted');
  assert.is(fnf([...common(out2), '--data', f, ...cols, '--model', 'truth', '--no-figures']).code, 0);
  const u = JSON.parse(readFileSync(join(out2, 'fit.json'), 'utf8')).fits.truth;
  assert.is(u.weighted_errors, undefined);
  assert.ok(
    t.parameters[0].error > 1.1 * u.parameters[0].error,
    `${t.parameters[0].error} vs ${u.parameters[0].error}`,
  );
  // Refused up front: --tree on a CSV, a weight with the extended likelihood, file options with a toy.
  const o3 = join(dir, 'out-own-bad');
  refused(
    [...common(o3), '--data', f, ...cols, '--tree', 'events'],
    /--tree names a ROOT TTree, but this is a csv file/,
    o3,
  );
  refused(
    [...common(o3), '--data', f, ...cols, '--weight', 'w', '--extended'],
    /--weight with --extended is not supported/,
    o3,
  );
  refused(
    [...common(o3), '--toy', 'mu=0.3,n=100', '--weight', 'w'],
    /--weight describes a --data file, not a --toy/,
    o3,
  );
  const negative = join(dir, 'negative-weights.csv');
  writeFileSync(negative, readFileSync(f, 'utf8').replace(/^(2\.5|0\.5),/gm, '-$1,'));
  refused(
    [...common(o3), '--data', negative, ...cols, '--weight', 'w'],
    /column 'w' sum to -700; a fit needs Σw > 0/,
    o3,
  );
  refused(
    [...common(o3), '--data', f, '--columns', 'x1=pt,x9=eta'],
    /'x9' is not an observable; expected x1, x2, y1, y2/,
    o3,
  );
  refused([...common(o3), '--data', f, '--columns', 'x1=pt,x2=pt'], /two observables would read the column 'pt'/, o3);
});

test('a truth string with an unknown name is refused, listing the known names', () => {
  const out = join(dir, 'out-unknown');
  refused(
    [...common(out), '--toy', 'mu=0.3,nu_shfit=0.5,n=100'],
    /unknown name 'nu_shfit'; the known names are mu, nu_shift, nu_squeeze, n/,
    out,
  );
});

test('μ outside its bounds at the start is refused (the toy truth and --start-mu)', () => {
  const out = join(dir, 'out-mu');
  refused([...common(out), '--toy', 'mu=1.4,n=100'], /mu=1.4 is outside its bounds \[0, 1\]/, out);
  refused(
    [...common(out), '--toy', 'mu=0.3,n=100', '--start-mu', '-0.2'],
    /--start-mu: μ = -0.2 lies outside its bounds \[0, 1\]/,
    out,
  );
});

test('a fit of a labelled CSV (label column ignored) writes fit.json with the issue’s keys', () => {
  const f = join(dir, 'good.csv');
  writeFileSync(f, toyCsv(400));
  const out = join(dir, 'out-good');
  const r = fnf([...common(out), '--data', f, '--model', 'truth,base', '--no-figures']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /── truth ──/);
  assert.match(r.stdout, /Minos Err-/);
  const j = JSON.parse(readFileSync(join(out, 'fit.json'), 'utf8'));
  assert.equal(Object.keys(j), ['n_events', 'fits']);
  assert.is(j.n_events, 400);
  assert.equal(Object.keys(j.fits), ['truth', 'base']);
  const t = j.fits.truth;
  assert.equal(Object.keys(t), [
    'parameters',
    'covariance',
    'correlation',
    'nll',
    'edm',
    'valid',
    'nfcn',
    'ngrad',
    'wall_s',
  ]);
  assert.equal(
    t.parameters.map((p: { name: string }) => p.name),
    ['mu', 'nu_shift', 'nu_squeeze'],
  );
  assert.equal(Object.keys(t.parameters[0]), ['name', 'value', 'error', 'minos', 'at_limit']);
  assert.ok(t.valid);
  // the sample is nominal (ν = 0) with μ = 0.5: the truth fit lands within a few σ of it
  assert.ok(Math.abs(t.parameters[0].value - 0.5) < 4 * t.parameters[0].error, JSON.stringify(t.parameters[0]));
  assert.ok(t.parameters[0].minos[0] < t.parameters[0].value && t.parameters[0].value < t.parameters[0].minos[1]);
});

test('the same events as CSV, Parquet and npz, columns in other orders, or split over two files: the same fit', () => {
  const n = 300;
  const b = generateBatch(Rng.fromSeed(9), n, defaultGen());
  const col = (name: string, src: Float32Array, k: number): NamedColumn => ({
    name,
    values: Float32Array.from({ length: n }, (_, i) => src[2 * i + k]),
  });
  const cols = [col('x1', b.x, 0), col('x2', b.x, 1), col('y1', b.y, 0), col('y2', b.y, 1)];
  const label: NamedColumn = { name: 'label', values: Int32Array.from(b.c) };
  const orders: [WritableFormat, NamedColumn[]][] = [
    ['csv', [label, ...cols]],
    ['parquet', [cols[3], cols[1], label, cols[0], cols[2]]],
    ['npz', [cols[2], cols[0], cols[3], cols[1]]],
  ];
  const fits = orders.map(([format, columns]) => {
    const f = join(dir, `same.${format}`);
    writeColumns(f, format, columns);
    const out = join(dir, `out-same-${format}`);
    const r = fnf([...common(out), '--data', f, '--model', 'truth', '--no-figures', '--no-minos']);
    assert.is(r.code, 0, `${format}: ${r.stderr}`);
    const j = JSON.parse(readFileSync(join(out, 'fit.json'), 'utf8'));
    delete j.fits.truth.wall_s; // the only field that depends on the clock
    return JSON.stringify(j);
  });
  assert.is(fits[1], fits[0], 'Parquet vs CSV');
  assert.is(fits[2], fits[0], 'npz vs CSV');
  // Split over two files (--data repeated; a CSV and a Parquet file): the same fit again.
  const half = (name: string, from: number, to: number): NamedColumn => ({
    name,
    values: (cols.find((c) => c.name === name)!.values as Float32Array).slice(from, to),
  });
  const parts = [
    ['csv', 0, 120],
    ['parquet', 120, n],
  ] as const;
  const files = parts.map(([format, from, to]) => {
    const f = join(dir, `split-${from}.${format}`);
    writeColumns(
      f,
      format,
      ['x1', 'x2', 'y1', 'y2'].map((c) => half(c, from, to)),
    );
    return f;
  });
  const out = join(dir, 'out-split');
  const r = fnf([
    ...common(out),
    '--data',
    files[0],
    '--data',
    files[1],
    '--model',
    'truth',
    '--no-figures',
    '--no-minos',
  ]);
  assert.is(r.code, 0, r.stderr);
  const j = JSON.parse(readFileSync(join(out, 'fit.json'), 'utf8'));
  delete j.fits.truth.wall_s;
  assert.is(JSON.stringify(j), fits[0], 'two files vs one');
});

test('weighted events: large weights do not put ordinary events outside the support', () => {
  // w = 60 on every 10th event (its w·(−log p) some 150 nats above the median's) or 1000 on all: the support is
  // judged on −log p itself, so no event is flagged; a sentinel is still named, whatever its weight.
  const f = join(dir, 'heavy.csv');
  const text = toyCsv(400, (rows) => (rows[57][2] = '1e30'), 'label,x1,x2,y1,y2');
  const withWeight = (w: (i: number) => number) =>
    text
      .trimEnd()
      .split('\n')
      .map((line, i) => `${line},${i === 0 ? 'w' : w(i - 1)}`)
      .join('\n') + '\n';
  const cases: [string, (i: number) => number][] = [
    ['every-10th-60', (i) => (i % 10 === 0 ? 60 : 1)],
    ['all-1000', () => 1000],
  ];
  for (const [name, w] of cases) {
    writeFileSync(f, withWeight(w));
    const out = join(dir, `out-heavy-${name}`);
    const r = fnf([...common(out), '--data', f, '--weight', 'w', '--model', 'truth', '--no-figures']);
    assert.is(r.code, 0, r.stderr);
    const o = JSON.parse(readFileSync(join(out, 'fit.json'), 'utf8')).fits.truth.outlier_events;
    assert.is(o.count, 1, `${name}: ${JSON.stringify(o)}`);
    assert.is(o.worst[0].event, 57, name);
    assert.match(r.stdout, /note: .*1 event has a −log p over 100 above the median event's.* 57 \(/, name);
  }
});

test('--data repeated: a file without rows, or whose weights alone sum to ≤ 0, changes nothing', () => {
  const lines = toyCsv(300).trimEnd().split('\n');
  // weights: the first 10 events negative (that part alone sums to −10), the rest 1
  const weighted = lines.map((l, i) => `${l},${i === 0 ? 'w' : i <= 10 ? -1 : 1}`);
  const write = (name: string, rows: string[]) => {
    const f = join(dir, name);
    writeFileSync(f, [weighted[0], ...rows].join('\n') + '\n');
    return f;
  };
  const whole = write('parts-whole.csv', weighted.slice(1));
  const negative = write('parts-negative.csv', weighted.slice(1, 11));
  const rest = write('parts-rest.csv', weighted.slice(11));
  const empty = write('parts-empty.csv', []);
  const fitOf = (files: string[], out: string) => {
    const r = fnf([
      ...common(out),
      ...files.flatMap((f) => ['--data', f]),
      ...['--weight', 'w', '--model', 'truth', '--no-figures', '--no-minos'],
    ]);
    assert.is(r.code, 0, r.stderr);
    const j = JSON.parse(readFileSync(join(out, 'fit.json'), 'utf8'));
    delete j.fits.truth.wall_s;
    return JSON.stringify(j);
  };
  const one = fitOf([whole], join(dir, 'out-parts-one'));
  assert.is(fitOf([negative, empty, rest], join(dir, 'out-parts-three')), one, 'split over three files');
  // Refused on the union only: no events anywhere, or Σw ≤ 0 over all the files, each file named.
  const out = join(dir, 'out-parts-bad');
  refused([...common(out), '--data', empty, '--data', empty], /parts-empty\.csv, .*parts-empty\.csv together: no/, out);
  refused(
    [...common(out), '--data', negative, '--data', empty, '--weight', 'w'],
    /parts-negative\.csv, .*parts-empty\.csv together: the weights in column 'w' sum to -10; a fit needs Σw > 0/,
    out,
  );
});

test("-c's base flows must be the residual models' frozen bases: a wrong, missing or non-model file is refused", () => {
  const baseText = readFileSync(BASE, 'utf8');
  const models = join(REPO, 'models');
  const withKin = (name: string, kin: string) => {
    const f = join(dir, `${name}.yaml`);
    // absolute paths: the copy lives elsewhere than configs/
    const text = baseText
      .replace(/score_model: .*/, `score_model: ${join(models, 'score_density.safetensors')}`)
      .replace(/kin_model: .*/, `kin_model: ${kin}`);
    writeFileSync(f, text);
    return f;
  };
  const notModel = join(dir, 'figure.safetensors');
  writeFileSync(notModel, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]));
  const cases: [string, string, RegExp][] = [
    [
      'kin-is-score',
      join(models, 'score_density.safetensors'),
      /paths\.kin_model: expected the base flow frozen in .*kin_density_residuals\.safetensors.*has shape/,
    ],
    [
      'kin-is-residual',
      join(models, 'kin_density_residuals.safetensors'),
      /paths\.kin_model: expected the base flow frozen in .*is not in the frozen base/,
    ],
    ['kin-missing', join(dir, 'nowhere.safetensors'), /paths\.kin_model: .*nowhere\.safetensors: cannot read/],
    ['kin-not-a-model', notModel, /paths\.kin_model: .*figure\.safetensors: neither a PyTorch zip checkpoint/],
  ];
  for (const [name, kin, pattern] of cases) {
    const cfg = withKin(name, kin);
    for (const cmd of ['fit', 'scan']) {
      const out = join(dir, `out-base-${cmd}-${name}`);
      refused(
        [cmd, '-c', cfg, '--sys-cfg', SYS, '--out-dir', out, '--toy', 'mu=0.3,n=100', '--model', 'base'],
        pattern,
        out,
      );
    }
  }
  const cfg = withKin('kin-is-score-toys', join(models, 'score_density.safetensors'));
  const out = join(dir, 'out-base-toys');
  const toys = ['toys', '-c', cfg, '--sys-cfg', SYS, '--out-dir', out, '--n-toys', '1', '--truth', 'mu=0.3'];
  refused([...toys, '--model', 'base', '--jobs', '1'], /paths\.kin_model: expected the base flow frozen in/, out);
  // The same files under another config: accepted.
  const same = withKin('kin-same', join(models, 'kin_density.safetensors'));
  const ok = join(dir, 'out-base-same');
  const r = fnf(['fit', '-c', same, '--sys-cfg', SYS, '--out-dir', ok, '--toy', 'mu=0.3,n=100', '--model', 'base']);
  assert.is(r.code, 0, r.stderr);
});

test("a truth-only fit does not read -c's flows, so a -c whose kin_model differs does not stop it", () => {
  const f = join(dir, 'other-kin.yaml');
  const models = join(REPO, 'models');
  const text = readFileSync(BASE, 'utf8')
    .replace(/score_model: .*/, `score_model: ${join(models, 'score_density.safetensors')}`)
    .replace(/kin_model: .*/, `kin_model: ${join(models, 'score_density.safetensors')}`);
  writeFileSync(f, text);
  const args = (out: string, model: string) => [
    'fit',
    '-c',
    f,
    '--sys-cfg',
    SYS,
    '--out-dir',
    out,
    '--toy',
    'mu=0.3,n=100',
    '--model',
    model,
    '--no-figures',
  ];
  const out = join(dir, 'out-truth-other-kin');
  const r = fnf(args(out, 'truth'));
  assert.is(r.code, 0, r.stderr);
  assert.equal(Object.keys(JSON.parse(readFileSync(join(out, 'fit.json'), 'utf8')).fits), ['truth']);
  // With the base model among them the check still runs.
  const bad = join(dir, 'out-truth-base-other-kin');
  refused(args(bad, 'truth,base'), /paths\.kin_model: expected the base flow frozen in/, bad);
});

test('an output file whose name a directory takes is refused before the fit, and nothing is written', () => {
  for (const taken of ['fit.json', 'fit_nuisances.png', 'fit_data_vs_model.png']) {
    const out = join(dir, `out-taken-${taken}`);
    mkdirSync(join(out, taken), { recursive: true });
    const r = fnf([...common(out), '--toy', 'mu=0.3,n=100', '--model', 'truth', '--no-minos']);
    assert.is(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(`--out-dir .*${taken.replace('.', '\\.')}: cannot write it \\(.* is a directory\\)`),
    );
    assert.not.match(r.stdout, /mu/, 'refused before any fit');
    assert.equal(readdirSync(out), [taken], 'nothing written');
  }
  // Without figures only fit.json is written, so a directory named like a figure is no obstacle.
  const out = join(dir, 'out-taken-nofig');
  mkdirSync(join(out, 'fit_nuisances.png'), { recursive: true });
  const r = fnf([...common(out), '--toy', 'mu=0.3,n=100', '--model', 'truth', '--no-minos', '--no-figures']);
  assert.is(r.code, 0, r.stderr);
  // scan checks its files the same way.
  const so = join(dir, 'out-taken-scan');
  mkdirSync(join(so, 'scan.json'), { recursive: true });
  const s = fnf(['scan', '-c', BASE, '--sys-cfg', SYS, '--out-dir', so, '--toy', 'mu=0.3,n=100', '--model', 'truth']);
  assert.is(s.code, 2, s.stderr);
  assert.match(s.stderr, /--out-dir .*scan\.json: cannot write it/);
});

test('--tree applies to the ROOT files among several --data files; with none of them ROOT it is refused', async () => {
  const fx = join(SHARED, 'fixtures');
  const csv = join(fx, 'nominal.csv');
  const root = join(fx, 'nominal.zstd.root');
  const mixed = await readDataFiles([csv, root], true, { tree: 'events' });
  const alone = await readDataFiles([csv], true);
  assert.is(mixed.n, 2 * alone.n);
  assert.equal(Array.from(mixed.x.subarray(0, 2 * alone.n)), Array.from(alone.x));
  assert.equal(Array.from(mixed.x.subarray(2 * alone.n)), Array.from(alone.x), 'the ROOT file holds the same events');
  try {
    await readDataFiles([csv, join(fx, 'nominal.snappy.parquet')], true, { tree: 'events' });
    assert.unreachable('no ROOT file among them');
  } catch (e) {
    assert.match(
      (e as Error).message,
      /snappy\.parquet: --tree names a ROOT TTree, but none of these files is a ROOT file \(csv, parquet\)/,
    );
  }
});

test('frozen-base check: a .pt base and its .pt residual agree, a widened copy too; one changed value does not', () => {
  const ref = join(SHARED, 'reference-models');
  const flow = readCheckpoint(join(ref, 'kin_density.pt')).dict;
  const residual = readCheckpoint(join(ref, 'kin_density_residuals.pt')).dict;
  assert.is(frozenBaseDifference(flow, residual), null);
  // The same values stored as float64 (a conversion): the float32 the model loads are the same.
  const key = 'transform.transforms.0.hyper.0.bias';
  const t = flow.get(key)!;
  const widened = new Map(flow).set(key, { ...t, dtype: 'f64' as const, data: Float64Array.from(toFloat32(t)) });
  assert.is(frozenBaseDifference(widened, residual), null);
  const changed = Float32Array.from(toFloat32(t));
  changed[3] = Math.fround(changed[3] * (1 + 2 ** -20));
  const edited = new Map(flow).set(key, { ...t, data: changed });
  assert.is(frozenBaseDifference(edited, residual), `tensor '${key}' has other values`);
  assert.match(frozenBaseDifference(flow, flow)!, /holds no frozen base flow/);
});

test('--fix-mu and --start-mu that are not numbers: commander names the option, exit 2 (fit, scan, toys)', () => {
  const run = ['--toy', 'mu=0.3,n=100'];
  for (const cmd of ['fit', 'scan', 'toys']) {
    const args = cmd === 'toys' ? ['--n-toys', '1', '--truth', 'mu=0.3'] : run;
    for (const [flag, value] of [
      ['--fix-mu', 'abc'],
      ['--start-mu', '1e999'],
    ]) {
      const out = join(dir, `out-mu-${cmd}-${value}`);
      refused(
        [cmd, '-c', BASE, '--sys-cfg', SYS, '--out-dir', out, ...args, flag, value],
        new RegExp(`option '${flag} <mu>' argument '${value}' is invalid\\. expected a finite number`),
        out,
      );
    }
  }
});

test('a toy too large to hold is refused up front (--toy n=, toys --events)', () => {
  const out = join(dir, 'out-huge');
  refused(
    [...common(out), '--toy', 'mu=0.3,n=1e12', '--model', 'truth'],
    /--toy: n=1000000000000 is above 10000000/,
    out,
  );
  refused(
    ['scan', '-c', BASE, '--sys-cfg', SYS, '--out-dir', out, '--toy', 'mu=0.3,n=1e12', '--model', 'truth'],
    /--toy: n=1000000000000 is above 10000000 events/,
    out,
  );
  refused(
    ['toys', '-c', BASE, '--sys-cfg', SYS, '--out-dir', out, '--n-toys', '1', '--truth', 'mu=0.3', '--events', '1e12'],
    /option '--events <n>' argument '1e12' is invalid\. expected at most 10000000 \(1e7\)/,
    out,
  );
});

test('toys merge: a file that is not JSON or not a shard is named without echoing its bytes', () => {
  const png = join(dir, 'figure.png');
  writeFileSync(png, Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), Buffer.alloc(64, 0xff)]));
  const out = join(dir, 'merged-bad.json');
  const merge = (file: string) => fnf(['toys', 'merge', file, '--out', out, '--no-figures']);
  let r = merge(png);
  assert.is(r.code, 2, r.stderr);
  assert.is(r.stderr, `fnf: ${png}: not a toys shard (not JSON)\n`);
  const shard = (toys: unknown) => {
    const f = join(dir, 'bad-shard.json');
    const meta = { truth: { mu: 0.3, nu: [0, 0] }, nuisance_names: ['shift', 'squeeze'], n_toys: 3, models: ['truth'] };
    writeFileSync(f, JSON.stringify({ meta, shard: '0/1', toys }));
    return f;
  };
  const bad: [unknown, RegExp][] = [
    [[1, 2], /toys\[0\] is 1, expected a record \{ index, global_obs, fits \}/],
    [[{ index: 7, global_obs: [0, 0], fits: {} }], /toys\[0\] has index 7, expected an integer in \[0, 3\)/],
    [[{ index: 0, global_obs: [0, 0], fits: { truth: { names: ['mu'] } } }], /toys\[0\] fits\.truth is neither a fit/],
  ];
  for (const [toys, pattern] of bad) {
    r = merge(shard(toys));
    assert.is(r.code, 2, r.stderr);
    assert.match(r.stderr, /bad-shard\.json: not a toys shard of fnf toys: /);
    assert.match(r.stderr, pattern);
    assert.not.match(r.stderr, /internal error|undefined/);
  }
  r = merge(join(dir, 'no-such-shard.json'));
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, /cannot read .*no-such-shard\.json \(ENOENT\)/);
  assert.not.ok(existsSync(out));
});

test('a generate-dataset safetensors file is read (X and y), x-only fit', () => {
  const b = generateBatch(Rng.fromSeed(8), 300, defaultGen());
  const f = join(dir, 'data.safetensors');
  writeSafetensors(
    f,
    new Map([
      ['c', { dtype: 'f32', shape: [300, 2], data: b.cOneHot }],
      ['X', { dtype: 'f32', shape: [300, 2], data: b.x }],
      ['y', { dtype: 'f32', shape: [300, 2], data: b.y }],
    ]),
  );
  const out = join(dir, 'out-st');
  const r = fnf([...common(out), '--data', f, '--model', 'truth', '--observables', 'x', '--no-figures', '--no-minos']);
  assert.is(r.code, 0, r.stderr);
  const j = JSON.parse(readFileSync(join(out, 'fit.json'), 'utf8'));
  assert.is(j.n_events, 300);
  assert.is(j.fits.truth.parameters[0].minos, null);
});

test.run();
