/**
 * `fnf train-base` stopped by a signal, end to end: Ctrl-C (SIGINT) and a batch system's SIGTERM
 * save the run mid-epoch and exit 130 with the --resume hint, leave no temporary file, and
 * --resume then finishes the run with the model an uninterrupted run writes.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensors } from '../src/io/safetensors.js';
import { REPO } from './helpers/shared.js';

const MAIN = join(REPO, 'dist', 'src', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'fnf-signals-'));
const env = { ...process.env, FNF_BACKEND: 'wasm', FNF_THREADS: '1' };

/** A base-flows config with tiny flows whose models go to `<name>/`. */
function config(name: string): string {
  const text = readFileSync(join(REPO, 'configs', 'base_flows.yaml'), 'utf8')
    .replace(/score_model: .*/, `score_model: ${join(dir, name, 'score.safetensors')}`)
    .replace(/kin_model: .*/, `kin_model: ${join(dir, name, 'kin.safetensors')}`)
    .replace(/hidden_features: \[.*\]/g, 'hidden_features: [8, 8]')
    .replace(/batch_size: \d+/g, 'batch_size: 64');
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, text);
  return file;
}

const trainArgs = (cfg: string) => ['train-base', '-c', cfg, '-s', 'train_kin', '--epochs', '30'];
const STEPS = ['--steps-per-epoch', '100'];

/** Starts a training and sends `signal` once its first epoch is done (no timing involved). */
function interrupted(cfg: string, signal: NodeJS.Signals): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [MAIN, ...trainArgs(cfg), ...STEPS], { cwd: REPO, env });
    let stderr = '';
    let sent = false;
    p.stderr.on('data', (d) => {
      stderr += d;
      if (!sent && /epoch 1\/30 done/.test(stderr)) sent = p.kill(signal); // once: a second SIGINT kills
    });
    p.on('close', (code) => resolve({ code, stderr }));
  });
}

const weights = (file: string) => readSafetensors(file).dict;

test('uninterrupted reference run', () => {
  const r = spawnSync(process.execPath, [MAIN, ...trainArgs(config('full')), ...STEPS], { cwd: REPO, env });
  assert.is(r.status, 0, String(r.stderr));
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`${signal} saves mid-run (exit 130, no temporary file); --resume finishes it as if uninterrupted`, async () => {
    const name = signal.toLowerCase();
    const cfg = config(name);
    const r = await interrupted(cfg, signal);
    assert.is(r.code, 130, r.stderr);
    assert.match(r.stderr, /train_kin: interrupted at step \d+; saved, continue with --resume/);
    assert.equal(readdirSync(join(dir, name)).sort(), ['kin.safetensors', 'kin.train.safetensors']);
    const step = Number(/interrupted at step (\d+)/.exec(r.stderr)![1]);
    assert.ok(step >= 100 && step < 3000, `step ${step}`);
    const resumed = spawnSync(process.execPath, [MAIN, ...trainArgs(cfg), ...STEPS, '--resume'], { cwd: REPO, env });
    assert.is(resumed.status, 0, String(resumed.stderr));
    assert.match(String(resumed.stderr), new RegExp(`resuming at step ${step} of 3000`));
    assert.equal(weights(join(dir, name, 'kin.safetensors')), weights(join(dir, 'full', 'kin.safetensors')));
  });
}

test.run();
