/**
 * Toy studies: three shards run as separate processes and merged equal one run bit for bit; the toys
 * in 2 worker threads (--jobs 2) equal them too; Ctrl-C stops the workers and writes nothing; a
 * missing shard or a shard of another study is refused; the summary's pulls and coverage on
 * records with known values (MINOS coverage of every parameter it ran for); the truth string, shard and
 * --minos parsers refuse bad input; `--minos all` gives every parameter's interval, an unknown name writes nothing.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  parseShard,
  resolveMinosParameters,
  shardToys,
  toyParameterNames,
  type ToyRecord,
  type ToyStudyMeta,
} from '../src/fit/toys.js';
import { coverage, summarizeToys } from '../src/fit/toy-summary.js';
import { parseTruthSpec } from '../src/fit/truth-spec.js';
import { REPO } from './helpers/shared.js';

const MAIN = join(REPO, 'dist', 'src', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'fnf-toys-'));
const env = { ...process.env, FNF_BACKEND: 'wasm', FNF_THREADS: '1' };
const study = [
  'toys',
  ...['-c', join(REPO, 'configs/base_flows.yaml'), '--sys-cfg', join(REPO, 'configs/systematics.yaml')],
  ...['--n-toys', '6', '--events', '150', '--truth', 'mu=0.3,nu_shift=0.5,nu_squeeze=-0.4'],
  ...['--model', 'flow,truth', '--observables', 'x', '--seed', '77', '--no-figures'],
];

function runAsync(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [MAIN, ...args], { cwd: REPO, env });
    let stderr = '';
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => resolve({ code, stderr }));
  });
}

test('3 shards in separate processes, merged, equal a single run bit for bit', async () => {
  const single = join(dir, 'single');
  const shards = join(dir, 'shards');
  const runs = await Promise.all([
    runAsync([...study, '--jobs', '1', '--out-dir', single]),
    ...[0, 1, 2].map((i) => runAsync([...study, '--jobs', '1', '--out-dir', shards, '--shard', `${i}/3`])),
  ]);
  runs.forEach((r) => assert.is(r.code, 0, r.stderr));
  const files = [0, 1, 2].map((i) => join(shards, `toys-shard-${i}-of-3.json`));
  const merged = join(dir, 'merged.json');
  const m = spawnSync(process.execPath, [MAIN, 'toys', 'merge', ...files.reverse(), '--out', merged, '--no-figures'], {
    cwd: REPO,
    env,
    encoding: 'utf8',
  });
  assert.is(m.status, 0, m.stderr);
  const a = readFileSync(join(single, 'toys.json'));
  const b = readFileSync(merged);
  assert.ok(a.equals(b), 'merged shards differ from the single run');
  const j = JSON.parse(a.toString());
  assert.is(j.toys.length, 6);
  assert.ok(j.summary.models.truth.parameters[0].n > 0);
  assert.ok(j.summary.flow_vs_truth !== null);

  // a missing shard is refused, naming the missing toys; nothing is written
  const out2 = join(dir, 'merged2.json');
  const bad = spawnSync(process.execPath, [MAIN, 'toys', 'merge', files[0], files[1], '--out', out2], {
    cwd: REPO,
    env,
    encoding: 'utf8',
  });
  assert.is(bad.status, 2);
  assert.match(bad.stderr, /2 of 6 toys missing \(\d, \d\)/);
  assert.not.ok(existsSync(out2));

  // a shard of another study (other seed) is refused
  const other = JSON.parse(readFileSync(files[0], 'utf8'));
  other.meta.seed = 78;
  const otherFile = join(dir, 'other.json');
  writeFileSync(otherFile, JSON.stringify(other));
  const bad2 = spawnSync(process.execPath, [MAIN, 'toys', 'merge', otherFile, files[1], files[2], '--out', out2], {
    cwd: REPO,
    env,
    encoding: 'utf8',
  });
  assert.is(bad2.status, 2);
  assert.match(bad2.stderr, /belongs to another study/);
});

test('--jobs 2 (worker threads) writes what --jobs 1 writes, bit for bit', async () => {
  const out = join(dir, 'jobs2');
  const r = await runAsync([...study, '--jobs', '2', '--out-dir', out]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /2 workers/);
  assert.ok(readFileSync(join(out, 'toys.json')).equals(readFileSync(join(dir, 'single', 'toys.json'))));
});

test('Ctrl-C stops the workers and writes nothing', async () => {
  const out = join(dir, 'interrupted');
  const args = [...study.map((a) => (a === '6' ? '40' : a)), '--jobs', '2', '--out-dir', out];
  const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const p = spawn(process.execPath, [MAIN, ...args], { cwd: REPO, env });
    let stderr = '';
    let sent = false;
    p.stderr.on('data', (d) => {
      stderr += d;
      if (!sent && /^toy \d+ \(1\/40\)/m.test(stderr)) sent = p.kill('SIGINT'); // once: a second one kills
    });
    p.on('close', (code) => resolve({ code, stderr }));
  });
  assert.is(r.code, 130, r.stderr);
  assert.match(r.stderr, /toys: interrupted after \d+ toys; nothing written/);
  assert.not.ok(existsSync(join(out, 'toys.json')));
});

test('shards partition the toys; bad shard strings are refused', () => {
  const all = [0, 1, 2, 3].flatMap((i) => shardToys(10, { index: i, count: 4 }));
  assert.equal(
    all.sort((a, b) => a - b),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  );
  assert.equal(parseShard('2/5'), { index: 2, count: 5 });
  for (const bad of ['5/5', '1/0', 'a/b', '-1/3', '1']) assert.throws(() => parseShard(bad), /--shard: .* is not i\/K/);
});

test('truth strings: unknown names, repeats, non-numbers and μ out of bounds are refused', () => {
  const names = ['shift', 'squeeze'];
  const o = { allowN: false, what: '--truth' };
  assert.equal(parseTruthSpec('mu=0.3,nu_shift=0.5', names, o), { mu: 0.3, nu: [0.5, 0] });
  assert.throws(() => parseTruthSpec('mu=0.3,n=10', names, o), /unknown name 'n'/);
  assert.throws(() => parseTruthSpec('mu=0.3,mu=0.4', names, o), /'mu' is given twice/);
  assert.throws(() => parseTruthSpec('mu=0.3,nu_shift=abc', names, o), /nu_shift=abc is not a finite number/);
  assert.throws(() => parseTruthSpec('mu=-0.1', names, o), /mu=-0.1 is outside its bounds/);
  assert.throws(() => parseTruthSpec('nu_shift=1', names, o), /mu is missing/);
});

/** The study the summary tests describe: 4 truth toys of 100 events at μ = 0.5, ν = 0; MINOS on `minos`. */
function summaryMeta(minos: string[]): ToyStudyMeta {
  return {
    truth: { mu: 0.5, nu: [0, 0] },
    nuisance_names: ['shift', 'squeeze'],
    events: 100,
    n_toys: 4,
    seed: 1,
    models: ['truth'],
    observables: 'x',
    extended: false,
    minos,
  };
}

test('summary: pulls, coverage and the band on records with known values', () => {
  const meta = summaryMeta([]);
  // μ̂ − 0.5 = −0.2, −0.05, 0.05, 0.2 with σ = 0.1: pulls −2, −0.5, 0.5, 2
  const toys: ToyRecord[] = [-0.2, -0.05, 0.05, 0.2].map((d, index) => ({
    index,
    global_obs: [0, 0],
    fits: {
      truth: {
        names: ['mu', 'nu_shift', 'nu_squeeze'],
        values: [0.5 + d, 0, 0],
        errors: [0.1, 1, 1],
        minos: [null, null, null],
        valid: true,
        edm: 0,
        nfcn: 1,
        message: '',
      },
    },
  }));
  toys.push({ index: 4, global_obs: [0, 0], fits: { truth: { failed: 'boom' } } });
  const s = summarizeToys(meta, toys);
  const mu = s.models.truth.parameters[0];
  assert.is(mu.n, 4);
  assert.ok(Math.abs(mu.pull_mean) < 1e-12);
  const sd = Math.sqrt((4 + 0.25 + 0.25 + 4) / 3);
  assert.ok(Math.abs(mu.pull_width - sd) < 1e-12);
  assert.ok(Math.abs(mu.pull_width_err - sd / Math.sqrt(6)) < 1e-12);
  assert.is(mu.coverage_68.observed, 0.5);
  assert.is(mu.coverage_95.observed, 0.5);
  assert.is(s.models.truth.valid_share, 4 / 5);
  const c = coverage(68, 100, 0.6827);
  assert.ok(Math.abs(c.band[1] - c.band[0] - 4 * Math.sqrt((0.6827 * 0.3173) / 100)) < 1e-12);
  assert.ok(c.within);
});

test('--minos: bare flag = the first parameter, "all", a list in the fit\'s order; unknown names refused', () => {
  const names = toyParameterNames(['shift', 'squeeze'], false);
  assert.equal(names, ['mu', 'nu_shift', 'nu_squeeze']);
  assert.equal(toyParameterNames(['shift'], true), ['n_sig', 'n_bkg', 'nu_shift']);
  assert.equal(resolveMinosParameters(false, names), []);
  assert.equal(resolveMinosParameters(undefined, names), []);
  assert.equal(resolveMinosParameters(true, names), ['mu']);
  assert.equal(resolveMinosParameters('all', names), names);
  assert.equal(resolveMinosParameters('nu_squeeze, mu', names), ['mu', 'nu_squeeze']);
  assert.throws(
    () => resolveMinosParameters('mu,nu_rot', names),
    /--minos: unknown parameter 'nu_rot'; expected 'all'/,
  );
});

test('summary: MINOS coverage and MINOS/HESSE width for every parameter with intervals', () => {
  const meta = summaryMeta(['mu', 'nu_squeeze']);
  // ν_squeeze: intervals [ν̂ − 0.1, ν̂ + 0.3] around ν̂ = −0.2, −0.05, 0.05, 0.2; the truth 0 lies in the middle two
  // and in the first ([−0.3, 0.1]); not in the last ([0.1, 0.5]). Half-width 0.2 against HESSE 0.1: ratio 2.
  const toys: ToyRecord[] = [-0.2, -0.05, 0.05, 0.2].map((d, index) => ({
    index,
    global_obs: [0, 0],
    fits: {
      truth: {
        names: ['mu', 'nu_shift', 'nu_squeeze'],
        values: [0.5, 0, d],
        errors: [0.1, 1, 0.1],
        minos: [[0.45, 0.55], null, [d - 0.1, d + 0.3]],
        valid: true,
        edm: 0,
        nfcn: 1,
        message: '',
      },
    },
  }));
  const s = summarizeToys(meta, toys);
  const [mu, shift, squeeze] = s.models.truth.parameters;
  assert.is(mu.coverage_68_minos?.observed, 1);
  assert.ok(Math.abs((mu.minos_over_hesse ?? NaN) - 0.5) < 1e-12);
  assert.is(shift.coverage_68_minos, undefined);
  assert.is(squeeze.coverage_68_minos?.observed, 0.75);
  assert.ok(Math.abs((squeeze.minos_over_hesse ?? NaN) - 2) < 1e-12);
  // HESSE coverage of ν_squeeze: |d| ≤ 0.1 for the middle two
  assert.is(squeeze.coverage_68.observed, 0.5);
});

test('fnf toys --minos all: an interval for every parameter and MINOS coverage in the summary', () => {
  const out = join(dir, 'minos');
  const args = [
    'toys',
    ...['-c', join(REPO, 'configs/base_flows.yaml'), '--sys-cfg', join(REPO, 'configs/systematics.yaml')],
    ...['--n-toys', '4', '--events', '300', '--truth', 'mu=0.5,nu_shift=-0.5,nu_squeeze=0.5'],
    ...['--model', 'truth', '--seed', '5', '--no-figures', '--out-dir', out],
  ];
  const r = spawnSync(process.execPath, [MAIN, ...args, '--minos', 'all'], { cwd: REPO, env, encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  const j = JSON.parse(readFileSync(join(out, 'toys.json'), 'utf8'));
  assert.equal(j.meta.minos, ['mu', 'nu_shift', 'nu_squeeze']);
  for (const t of j.toys) {
    const f = t.fits.truth;
    f.minos.forEach((m: [number, number], k: number) =>
      assert.ok(m[0] < f.values[k] && f.values[k] < m[1], `toy ${t.index}: ${f.names[k]} outside its interval`),
    );
  }
  for (const p of j.summary.models.truth.parameters) assert.is(p.coverage_68_minos.nominal, 0.6827);
  assert.match(r.stdout, /MINOS ½-width \/ HESSE/);

  const out2 = join(dir, 'minos-bad');
  const bad = spawnSync(process.execPath, [MAIN, ...args.slice(0, -1), out2, '--minos', 'mu,nu_rot'], {
    cwd: REPO,
    env,
    encoding: 'utf8',
  });
  assert.is(bad.status, 2);
  assert.match(bad.stderr, /--minos: unknown parameter 'nu_rot'/);
  assert.not.ok(existsSync(out2));
});

test.run();
