/**
 * The `fnf` command line, run as users run it (the compiled dist/src/cli/main.js in a child
 * process): help lists every option with its default, bad flags exit 2 with a message naming the
 * flag, config errors are one line without a stack. Plus the progress formatting.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command, Option } from 'commander';
import { buildProgram } from '../src/cli/program.js';
import { deviceLine } from '../src/cli/device.js';
import { SHARED } from './helpers/shared.js';
import {
  ProgressReporter,
  RunningMean,
  etaSeconds,
  fitToWidth,
  formatDuration,
  formatEpochLine,
  formatLoss,
  formatProgressLine,
  formatRate,
  stepRate,
} from '../src/cli/progress.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const MAIN = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const BASE = join(ROOT, 'configs', 'base_flows.yaml');
const SYS = join(ROOT, 'configs', 'systematics.yaml');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function fnf(args: string[], env: Record<string, string> = {}): Run {
  const clean = { ...process.env };
  delete clean.FNF_BACKEND;
  delete clean.FNF_THREADS;
  const r = spawnSync(process.execPath, [MAIN, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...clean, ...env, COLUMNS: '100' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Help text of one option: from its flags to the next option's flags (descriptions may wrap). */
function optionBlock(help: string, option: Option, all: readonly Option[]): string {
  const start = help.indexOf(`  ${option.flags}  `);
  assert.ok(start >= 0, `help lacks ${option.flags}:\n${help}`);
  let end = help.length;
  for (const other of all) {
    const i = help.indexOf(`  ${other.flags}  `, start + 1);
    if (i > start && i < end) end = i;
  }
  return help.slice(start, end);
}

/** Every option says its default, or that it is required. */
function assertOptionsDocumented(help: string, options: readonly Option[], where: string): void {
  for (const o of options) {
    if (o.long === '--help' || o.long === '--version') continue;
    const block = optionBlock(help, o, options).replace(/\s+/g, ' ');
    assert.ok(o.description.length > 20, `${where} ${o.flags}: description too short to explain it`);
    assert.ok(
      /\(default: |default: |\(required\)/.test(block),
      `${where} ${o.flags}: no default/required in\n${block}`,
    );
  }
}

const program = buildProgram();
const globals: readonly Option[] = program.options;

test('fnf --help lists every command and global option with its default', () => {
  const r = fnf(['--help']);
  assert.is(r.code, 0);
  for (const c of program.commands) assert.ok(r.stdout.includes(`  ${c.name()}`), `help lacks command ${c.name()}`);
  assertOptionsDocumented(r.stdout, globals, 'fnf');
  const flat = r.stdout.replace(/\s+/g, ' ');
  assert.ok(flat.includes('env: FNF_BACKEND'));
  assert.ok(flat.includes('env: FNF_THREADS'));
});

test('every command --help lists every option with its default, plus the global options', () => {
  assert.equal(
    program.commands.map((c: Command) => c.name()),
    [
      'start',
      'train-base',
      'train-systematics',
      'generate-dataset',
      'validate',
      'validate-files',
      'visualize',
      'visualize-dataset',
      'check-golden',
      'convert',
      'fit',
      'scan',
      'toys',
    ],
  );
  for (const c of program.commands) {
    const r = fnf([c.name(), '--help']);
    assert.is(r.code, 0, `${c.name()} --help exit code`);
    assertOptionsDocumented(r.stdout, c.options, c.name());
    for (const a of c.registeredArguments)
      assert.ok(r.stdout.includes(a.name()), `${c.name()} help lacks argument ${a.name()}`);
    assert.ok(r.stdout.includes('Global Options:'), `${c.name()} help lacks the global options`);
    assertOptionsDocumented(r.stdout, globals, `${c.name()} (global)`);
  }
});

test('visualize defaults are those of figures.md §B', () => {
  const r = fnf(['visualize', '--help']);
  for (const s of [
    '(choices: "forward", "inverse", default: "forward")',
    '(default: 1.0)',
    'default: "both"',
    '(default: "0,0;1.5,0")',
    '(default: "1.0,0.5")',
    '(default: "0,0")',
    '(default: 80000)',
    '--no-crossterm',
  ]) {
    assert.ok(r.stdout.replace(/\s+/g, ' ').includes(s), `visualize help lacks ${s}`);
  }
  assert.ok(fnf(['validate', '--help']).stdout.replace(/\s+/g, ' ').includes('(default: 100000)'));
});

function assertUsageError(r: Run, fragments: string[]): void {
  assert.is(r.code, 2, `exit code (stderr: ${r.stderr})`);
  assert.ok(r.stderr.startsWith('fnf: '), `stderr should start with "fnf: ": ${r.stderr}`);
  assert.not.ok(/\n\s+at /.test(r.stderr), `no stack trace expected:\n${r.stderr}`);
  for (const f of fragments) assert.ok(r.stderr.includes(f), `stderr lacks ${JSON.stringify(f)}:\n${r.stderr}`);
}

test('bad flag values exit 2 naming the flag and what was expected', () => {
  const out = mkdtempSync(join(tmpdir(), 'fnf-cli-'));
  const vis = ['visualize', '-c', BASE, '--sys-cfg', SYS, '--out-dir', out];
  assertUsageError(fnf([...vis, '--n', 'abc']), ["'--n <count>'", "'abc'", 'expected a positive integer']);
  assertUsageError(fnf([...vis, '--m-value', '-1']), ['--m-value', 'expected a positive number']);
  // Too few events for a validation (a class could have fewer than two): refused up front.
  assertUsageError(fnf(['validate', '-c', BASE, '--n', '5']), [
    "'--n <count>' argument '5'",
    'expected an integer in [100, 100000000]',
  ]);
  assertUsageError(fnf([...vis, '--score-x', '0,0;1']), ['--score-x', 'point 2 is "1"']);
  assertUsageError(fnf([...vis, '--crossterm-x', '1']), ['--crossterm-x', 'expected 2 numbers separated by commas']);
  assertUsageError(fnf([...vis, '--direction', 'sideways']), ['--direction', 'Allowed choices are forward, inverse']);
  assertUsageError(fnf([...vis, '--response-dims', '0,0']), ['--response-dims', 'expected distinct indices']);
  assertUsageError(fnf([...vis, '--response-dims', '5']), ['--response-dims: expected feature indices below 2']);
  assertUsageError(fnf(['train-base', '-c', BASE, '-s', 'train_foo']), [
    '--steps',
    'unknown "train_foo"',
    'train_score, train_kin',
  ]);
  assertUsageError(fnf(['train-base', '-c', 'nope.yaml']), ['--cfg', 'file not found: nope.yaml']);
  assertUsageError(fnf(['train-base']), ["required option '-c, --cfg <file>' not specified"]);
  assertUsageError(fnf(['train-base', '-c', BASE, '--lr', '-1']), ['--lr', 'expected a positive number']);
  assertUsageError(fnf(['train-base', '-c', BASE, '--epochs', '0']), ['--epochs', 'expected a positive integer']);
  assertUsageError(fnf(['convert', BASE, 'out.bin']), [
    "argument 'in'",
    'expected a file ending in .pt or .safetensors',
  ]);
  assertUsageError(fnf(['--seed', '-3', 'start']), ['--seed', 'expected an integer in [0, 4294967295]']);
  assertUsageError(fnf(['--backend', 'cuda', 'start']), ['--backend', 'Allowed choices are auto, wasm, ts, gpu']);
  assertUsageError(fnf(['start'], { FNF_BACKEND: 'cuda' }), ["from env 'FNF_BACKEND'"]);
  assertUsageError(fnf(['start'], { FNF_THREADS: '0' }), ["from env 'FNF_THREADS'", 'expected an integer in [1, 64]']);
  // Above what a kernel pool takes: a usage error naming the flag, not an internal error later.
  assertUsageError(fnf(['--threads', '100', 'start']), [
    "'--threads <n>' argument '100'",
    'expected an integer in [1, 64]',
  ]);
  assertUsageError(fnf(['train-base', '-c', BASE, '--bogus']), ["unknown option '--bogus'"]);
  assertUsageError(fnf(['frobnicate']), ["unknown command 'frobnicate'"]);
});

test('output paths that cannot be written are refused before any work, naming the flag or key', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fnf-cli-'));
  const file = join(dir, 'a-file');
  writeFileSync(file, 'x');
  const fit = ['fit', '-c', BASE, '--sys-cfg', SYS, '--toy', 'mu=0.3,n=100', '--model', 'truth'];
  assertUsageError(fnf([...fit, '--out-dir', join(file, 'sub')]), [
    "'--out-dir <dir>'",
    `expected a directory that can be written: '${file}' is a file, not a directory`,
  ]);
  assertUsageError(fnf(['convert', join(ROOT, 'models', 'kin_density.safetensors'), join(file, 'k.safetensors')]), [
    "argument 'out'",
    `'${file}' is a file, not a directory`,
  ]);
  assertUsageError(fnf(['generate-dataset', '-c', join(ROOT, 'configs', 'dataset.yaml'), '--out', `${file}/d.npz`]), [
    `--out ${file}/d.npz: cannot write it ('${file}' is a file, not a directory)`,
  ]);
  // A model path from the config: said before the first step, not after the first epoch.
  const cfg = join(dir, 'base.yaml');
  const text = readFileSync(BASE, 'utf8').replace('../models/kin_density.safetensors', `${file}/kin.safetensors`);
  writeFileSync(cfg, text);
  assertUsageError(fnf(['train-base', '-c', cfg, '-s', 'train_kin']), [
    `${cfg}: the train_kin model ${file}/kin.safetensors: cannot write it ('${file}' is a file, not a directory)`,
  ]);
  // A default output folder (no flag, so no parser) that is a file here: one line, exit 1, no stack.
  writeFileSync(join(dir, 'validation'), 'x');
  const r = spawnSync(process.execPath, [MAIN, 'validate', '-c', BASE, '--n', '100'], { cwd: dir, encoding: 'utf8' });
  assert.is(r.status, 1, r.stderr);
  assert.match(r.stderr, /\nfnf: EEXIST: file already exists, mkdir 'validation'\n$/);
  assert.not.match(r.stderr, /internal error|\n\s+at /);
});

test('config errors print one line naming file and key, exit 2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fnf-cli-'));
  const file = join(dir, 'd.yaml');
  writeFileSync(file, 'n_events: -5\noutput: d.safetensors\n');
  assertUsageError(fnf(['generate-dataset', '-c', file]), [
    `fnf: ${file}: n_events: expected a positive integer, found -5`,
  ]);
  assertUsageError(fnf(['train-base', '-c', SYS]), ['expected a base flows config', 'kin_systematics']);
});

test('valid arguments reach the command: a missing model file is one clear line, exit 2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fnf-cli-'));
  const sys = join(dir, 'sys.yaml');
  writeFileSync(
    sys,
    readFileSync(SYS, 'utf8').replace(/kin_residual_model:.*$/m, 'kin_residual_model: ./no_such_model.safetensors'),
  );
  const base = join(dir, 'base.yaml');
  writeFileSync(base, readFileSync(BASE, 'utf8').replace(/kin_model:.*$/m, 'kin_model: ./no_such_base.safetensors'));
  const r = fnf([
    '--threads',
    '1',
    'visualize',
    '-c',
    base,
    '--sys-cfg',
    sys,
    '--out-dir',
    join(dir, 'out'),
    '--which',
    'kin',
  ]);
  assert.is(r.code, 2, r.stderr);
  assert.ok(r.stderr.trim().split('\n').pop()!.startsWith('fnf: '), r.stderr);
  assert.match(r.stderr, /no_such/);
  assert.not.ok(/\n\s+at /.test(r.stderr), `no stack trace expected:\n${r.stderr}`);
});

test('a corrupt model or training-state file is one line naming it, exit 2, and nothing is overwritten', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fnf-cli-'));
  const bad = join(dir, 'kin_density.safetensors');
  writeFileSync(bad, 'not a checkpoint\n');
  const base = join(dir, 'base.yaml');
  writeFileSync(base, readFileSync(BASE, 'utf8').replace(/kin_model:.*$/m, `kin_model: ${bad}`));
  const validate = fnf(['--threads', '1', 'validate', '-c', base, '--n', '1000', '--out-dir', join(dir, 'v')]);
  assert.is(validate.code, 2, validate.stderr);
  assert.match(
    validate.stderr,
    /\nfnf: \S*kin_density\.safetensors: neither a PyTorch zip checkpoint nor a safetensors file\n$/,
  );
  assert.not.ok(/internal error|\n\s+at /.test(validate.stderr), validate.stderr);
  // --resume with a good model but a training state that is not one: the same, and the model
  // file is not touched.
  const model = join(dir, 'kin.safetensors');
  const shipped = readFileSync(join(ROOT, 'models', 'kin_density.safetensors'));
  writeFileSync(model, shipped);
  writeFileSync(join(dir, 'kin.train.safetensors'), 'garbage');
  const base2 = join(dir, 'base2.yaml');
  writeFileSync(base2, readFileSync(BASE, 'utf8').replace(/kin_model:.*$/m, `kin_model: ${model}`));
  const train = ['train-base', '-c', base2, '-s', 'train_kin', '--epochs', '1', '--steps-per-epoch', '2', '--resume'];
  const resume = fnf(['--threads', '1', ...train]);
  assert.is(resume.code, 2, resume.stderr);
  assert.match(resume.stderr, /\nfnf: \S*kin\.train\.safetensors: bad safetensors file: /);
  assert.not.ok(/internal error|\n\s+at /.test(resume.stderr), resume.stderr);
  assert.ok(readFileSync(model).equals(shipped), 'the model file is left as it was');
});

test('--resume after Ctrl-C in an earlier model: the finished one has nothing to do, the next starts fresh', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fnf-cli-resume-'));
  const tiny = (context: number) =>
    `  features: 2\n  context: ${context}\n  bins: 4\n  transforms: 1\n  hidden_features: [8]\n`;
  const schedule = '    batch_size: 32\n    nepochs: 2\n    steps_per_epoch: 3\n    lr: 1.0e-3\n    val_batches: 1\n';
  const cfg = join(dir, 'base.yaml');
  writeFileSync(
    cfg,
    readFileSync(BASE, 'utf8')
      .replace(/score_model:.*$/m, `score_model: ${dir}/score.safetensors`)
      .replace(/kin_model:.*$/m, `kin_model: ${dir}/kin.safetensors`)
      .replace(/score_flow:[\s\S]*?\n\n/, `score_flow:\n${tiny(4)}\n`)
      .replace(/kin_flow:[\s\S]*?\n\n/, `kin_flow:\n${tiny(2)}\n`)
      .replace(/training:[\s\S]*$/, `training:\n  score:\n${schedule}  kin:\n${schedule}`),
  );
  const train = (...args: string[]) => fnf(['--threads', '1', '--backend', 'wasm', 'train-base', '-c', cfg, ...args]);
  // As if Ctrl-C had come after train_score finished, before train_kin began.
  assert.is(train('-s', 'train_score').code, 0);
  const resumed = train('--resume');
  assert.is(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, /train_score: already finished at epoch 2\/2; nothing to do\n/);
  assert.match(
    resumed.stderr,
    /train_kin: --resume: no training state at \S*kin\.train\.safetensors: this model's training never started, so it /,
  );
  assert.not.match(resumed.stdout, /train_score: saved/);
  assert.match(resumed.stdout, /train_kin: saved/);
  const card = JSON.parse(readFileSync(join(dir, 'kin.card.json'), 'utf8'));
  assert.equal(
    card.history.map((h: { epoch: number }) => h.epoch),
    [1, 2],
  );
  const again = train('--resume');
  assert.is(again.code, 0, again.stderr);
  assert.match(again.stderr, /train_kin: already finished at epoch 2\/2; nothing to do\n/);
  assert.not.match(again.stderr, /finished: 0 epochs|nan/);
  // Another schedule, --resume with --init-from, a missing --init-from: one line each, exit 2.
  for (const flag of [
    ['--epochs', '3'],
    ['--steps-per-epoch', '7'],
    ['--lr', '0.5'],
  ]) {
    assertUsageError(train('-s', 'train_kin', '--resume', ...flag), [
      '--resume: ',
      'kin.safetensors was trained with {',
    ]);
  }
  assertUsageError(train('-s', 'train_kin', '--resume', '--init-from', join(dir, 'score.safetensors')), [
    '--resume continues the run saved at the model path and --init-from starts a new run',
  ]);
  assertUsageError(train('-s', 'train_kin', '--init-from', '/nonexistent.safetensors'), [
    "'--init-from <file>' argument '/nonexistent.safetensors' is invalid",
    'file not found',
  ]);
});

test('event counts above 1e8 are refused up front with the reason, from flags and configs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fnf-cli-'));
  const ds = join(ROOT, 'configs', 'dataset.yaml');
  assertUsageError(fnf(['generate-dataset', '-c', ds, '--n-events', '1e12']), [
    "'--n-events <n>' argument '1e12'",
    'expected at most 100000000 (1e8): events are held in memory',
  ]);
  const cfg = join(dir, 'd.yaml');
  writeFileSync(cfg, readFileSync(ds, 'utf8').replace(/^n_events:.*$/m, 'n_events: 1e12'));
  assertUsageError(fnf(['generate-dataset', '-c', cfg]), [
    `${cfg}: n_events: expected at most 100000000 (1e8) events: events are held in memory`,
  ]);
  // a toy's own cap is lower (its events' densities are held too): test/fit-cli.test.ts
  assertUsageError(fnf(['toys', '-c', BASE, '--sys-cfg', SYS, '--n-toys', '2', '--events', '1e9']), [
    "'--events <n>' argument '1e9'",
    'expected at most 10000000 (1e7)',
  ]);
  // The output path is checked before the draw: 1e8 events would take a minute and 2.5 GB first.
  const file = join(dir, 'a-file');
  writeFileSync(file, 'x');
  const t0 = Date.now();
  assertUsageError(fnf(['generate-dataset', '-c', ds, '--n-events', '1e8', '--out', `${file}/d.npz`]), [
    `--out ${file}/d.npz: cannot write it`,
  ]);
  assert.ok(Date.now() - t0 < 15_000, `refused after ${Date.now() - t0} ms`);
});

test('fnf with no command prints help to stderr and exits 2', () => {
  const r = fnf([]);
  assert.is(r.code, 2);
  assert.ok(r.stderr.includes('Usage: fnf'));
});

// ---------------------------------------------------------------------------------------------
// Progress formatting

test('a command that computes nothing creates no device: fnf convert prints only its result', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'fnf-cli-')), 'kin.safetensors');
  // --backend gpu would fail on a host without a GPU if a device were created.
  const r = fnf(['--backend', 'gpu', 'convert', join(SHARED, 'reference-models', 'kin_density.pt'), out]);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stderr, '');
  assert.match(r.stdout, /architecture: \{ kind: "nsf"/);
});

test("--backend auto says which backend in a few words; the GPU probe's reasons only with --verbose", () => {
  const golden = join(SHARED, 'golden', 'optim.json');
  const quiet = fnf(['check-golden', golden]);
  assert.is(quiet.code, 0, quiet.stderr);
  const lines = quiet.stderr.trim().split('\n');
  assert.is(lines.length, 1, `one line expected:\n${quiet.stderr}`);
  assert.match(lines[0], /^fnf: backend \w+ .*— auto: (no usable GPU \(--verbose says why\)|the GPU passed)/);
  assert.ok(lines[0].length <= 100, `short line expected: ${lines[0]}`);
  assert.not.match(quiet.stderr, /GLIBCXX|headless-gl|gpu\.js/);

  const verbose = fnf(['--verbose', 'check-golden', golden]);
  assert.is(verbose.code, 0, verbose.stderr);
  assert.match(verbose.stderr, /^fnf: backend \w+ .*— auto: /);
  assert.match(verbose.stderr, /\nfnf: gpu probe: \S.{20,}/);

  const wasm = fnf(['--verbose', '--backend', 'wasm', 'check-golden', golden]);
  assert.is(wasm.code, 0, wasm.stderr);
  // With a pool, --verbose also says where the split thresholds came from (built-in under npm test).
  assert.match(wasm.stderr, /^fnf: backend wasm \([^)]*\)\n(fnf: split thresholds: [^\n]+\n)?$/);
});

test('--threads above the CPUs here: the device line is followed by a warning saying so', () => {
  const cpus = availableParallelism();
  if (cpus + 1 > 64) return; // no thread count above the CPUs is allowed on such a host
  const golden = join(SHARED, 'golden', 'optim.json');
  const r = fnf(['--backend', 'wasm', '--threads', String(cpus + 1), 'check-golden', golden]);
  assert.is(r.code, 0, r.stderr);
  const s = cpus === 1 ? '' : 's';
  assert.match(
    r.stderr,
    new RegExp(`\\nfnf: warning: ${cpus + 1} kernel threads on ${cpus} CPU${s}: .*--threads ${cpus}\\n$`),
  );
});

test("deviceLine: the backend, and auto's choice in a few words", () => {
  const d = 'backend wasm (relaxed build, 2 threads)';
  assert.is(deviceLine(d, undefined), d);
  assert.is(
    deviceLine(d, { backend: 'wasm', probeReason: 'long story' }),
    `${d} — auto: no usable GPU (--verbose says why)`,
  );
  assert.is(deviceLine(d, { backend: 'wasm', probeReason: 'long story' }, true), `${d} — auto: no usable GPU`);
  assert.is(
    deviceLine('backend gpu', { backend: 'gpu', probeReason: 'ok' }),
    'backend gpu — auto: the GPU passed the parity probe',
  );
});

test('formatDuration, formatRate, formatLoss', () => {
  assert.is(formatDuration(0), '0s');
  assert.is(formatDuration(42.4), '42s');
  assert.is(formatDuration(59.6), '1m00s');
  assert.is(formatDuration(185), '3m05s');
  assert.is(formatDuration(3720), '1h02m');
  assert.is(formatDuration(100 * 3600), '100h00m');
  assert.is(formatDuration(Number.POSITIVE_INFINITY), '--');
  assert.is(formatDuration(Number.NaN), '--');
  assert.is(formatDuration(-1), '--');
  assert.is(formatRate(812.4), '812 it/s');
  assert.is(formatRate(15.43), '15.4 it/s');
  assert.is(formatRate(2.345), '2.35 it/s');
  assert.is(formatRate(0.25), '4.0 s/it');
  assert.is(formatRate(Number.NaN), '-- it/s');
  assert.is(formatRate(0), '-- it/s');
  assert.is(formatLoss(-1.234567), '-1.2346');
  assert.is(formatLoss(123456), '1.235e+5');
  assert.is(formatLoss(Number.NaN), 'nan');
  assert.is(formatLoss(Number.NEGATIVE_INFINITY), '-inf');
});

test('stepRate, etaSeconds, RunningMean, fitToWidth', () => {
  assert.is(stepRate(100, 4), 25);
  assert.ok(Number.isNaN(stepRate(0, 4)));
  assert.ok(Number.isNaN(stepRate(5, 0)));
  assert.is(etaSeconds(250, 1000, 10), 30);
  assert.is(etaSeconds(1000, 1000, 10), 0);
  assert.is(etaSeconds(0, 1000, 10), Number.POSITIVE_INFINITY);
  const m = new RunningMean();
  assert.ok(Number.isNaN(m.mean));
  m.add(1);
  m.add(2);
  m.add(6);
  assert.is(m.mean, 3);
  assert.is(m.count, 3);
  m.reset();
  assert.is(m.count, 0);
  assert.is(fitToWidth('abcdef', 4), 'ab…');
  assert.is(fitToWidth('abc', 4), 'abc');
  assert.is(fitToWidth('abcdef', undefined), 'abcdef');
});

test('progress and epoch lines', () => {
  const line = formatProgressLine({
    label: 'train_kin',
    epoch: 3,
    epochs: 100,
    step: 512,
    stepsPerEpoch: 1000,
    loss: -1.23456,
    stepsPerSec: 812,
    etaSec: 7380,
  });
  assert.is(line, 'train_kin  epoch 3/100  step 512/1000  loss -1.2346  812 it/s  ETA 2h03m');
  const noEpochs = formatProgressLine({
    label: 'sample',
    epoch: 1,
    epochs: 1,
    step: 2,
    stepsPerEpoch: 10,
    loss: Number.NaN,
    stepsPerSec: Number.NaN,
    etaSec: Number.POSITIVE_INFINITY,
  });
  assert.is(noEpochs, 'sample  step 2/10  -- it/s  ETA --');
  assert.is(
    formatEpochLine('train_kin', 100, { epoch: 3, trainLoss: -1.5, valLoss: -1.25, seconds: 65 }, 15.4),
    'train_kin  epoch 3/100 done  loss -1.5000  val -1.2500  (1m05s, 15.4 it/s)',
  );
});

/** A fake clock advanced by hand and a stream that records writes. */
function harness(tty: boolean): {
  clock: { t: number };
  writes: string[];
  reporter: (e: number, s: number) => ProgressReporter;
} {
  const clock = { t: 0 };
  const writes: string[] = [];
  const stream = { isTTY: tty, columns: 200, write: (s: string) => writes.push(s) };
  return {
    clock,
    writes,
    reporter: (epochs, steps) =>
      new ProgressReporter({
        label: 'train_kin',
        epochs,
        stepsPerEpoch: steps,
        stream,
        intervalSec: 10,
        now: () => clock.t,
      }),
  };
}

test('TTY: one live line redrawn with \\r at most every 100 ms, epoch lines kept', () => {
  const h = harness(true);
  const p = h.reporter(2, 1000);
  for (let i = 0; i < 1000; i++) {
    h.clock.t += 1; // 1 ms per step → 1 s per epoch
    p.step(2 - i / 1000);
  }
  const live = h.writes.filter((w) => w.startsWith('\r') && !w.endsWith('\n') && w !== '\r\x1b[K');
  assert.ok(live.length >= 9 && live.length <= 11, `redraws: ${live.length}`);
  assert.ok(live.every((w) => !w.includes('\n')));
  const last = live.at(-1)!;
  assert.ok(last.includes('epoch 1/2  step 901/1000'), last);
  assert.ok(last.includes('1000 it/s'), last);
  assert.ok(last.includes('ETA 1s'), last);
  const r = p.epochEnd({ valLoss: 1.2 });
  assert.is(r.epoch, 1);
  assert.ok(Math.abs(r.trainLoss - 1.5005) < 1e-9);
  assert.is(r.seconds, 1);
  assert.is(h.writes.at(-2), '\r\x1b[K');
  assert.is(h.writes.at(-1), 'train_kin  epoch 1/2 done  loss 1.5005  val 1.2000  (1s, 1000 it/s)\n');
  h.clock.t += 1000;
  p.step(1);
  const s = p.done();
  assert.is(s.steps, 1001);
  assert.is(s.epochs.length, 1);
  assert.is(s.finalValLoss, 1.2);
  assert.ok(h.writes.at(-1)!.startsWith('train_kin  finished: 1 epoch, 1001 steps in 2s'));
});

test('not a TTY: plain lines every interval and at epoch ends, never \\r', () => {
  const h = harness(false);
  const p = h.reporter(3, 100);
  for (let e = 0; e < 3; e++) {
    for (let i = 0; i < 100; i++) {
      h.clock.t += 100; // 0.1 s per step → 10 s per epoch
      p.step(1);
    }
    p.epochEnd();
  }
  p.done();
  assert.ok(h.writes.every((w) => !w.includes('\r') && w.endsWith('\n')));
  const progress = h.writes.filter((w) => w.includes(' step '));
  const epochs = h.writes.filter((w) => w.includes(' done '));
  assert.is(epochs.length, 3);
  // The first step prints, then one line per 10 s of work: 30 s → 3 lines.
  assert.is(progress.length, 3);
  assert.ok(progress[1]!.includes('epoch 2/3  step 1/100'), progress[1]);
  assert.ok(progress[1]!.includes('ETA 20s'), progress[1]);
  assert.ok(h.writes.at(-1)!.includes('finished: 3 epochs, 300 steps in 30s (10.0 it/s)'));
});

test('resumed runs count only the remaining epochs in the ETA', () => {
  const h = harness(false);
  const p = new ProgressReporter({
    label: 'k',
    epochs: 10,
    stepsPerEpoch: 10,
    startEpoch: 8,
    stream: { isTTY: false, write: (s: string) => h.writes.push(s) },
    now: () => h.clock.t,
  });
  h.clock.t += 1000;
  p.step(0.5);
  assert.ok(h.writes[0]!.startsWith('k  epoch 9/10  step 1/10  loss 0.5000  1.00 it/s  ETA 19s'), h.writes[0]);
  assert.throws(
    () => new ProgressReporter({ label: 'k', epochs: 0, stepsPerEpoch: 1 }),
    /epochs must be a positive integer/,
  );
});

test.run();
