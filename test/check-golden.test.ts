/** `fnf check-golden` on every golden file: the full conformance table must be within tolerance. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkGoldenFile } from '../src/conformance/check-golden.js';
import { formatRows } from '../src/conformance/compare.js';
import { allDevices } from './helpers/devices.js';
import { REPO, SHARED } from './helpers/shared.js';

const goldenDir = join(SHARED, 'golden');
const files = readdirSync(goldenDir)
  .filter((f) => f.endsWith('.json'))
  .sort();
const devices = await allDevices();

test('the golden folder has the six files the issues name', () => {
  for (const f of [
    'kin_base.json',
    'score_base.json',
    'kin_residual.json',
    'score_residual.json',
    'generator_truth.json',
    'optim.json',
  ]) {
    assert.ok(files.includes(f), `missing ${f}`);
  }
});

for (const dev of devices) {
  for (const f of files) {
    test(`${dev.backend}: ${f} within the recommended tolerances`, () => {
      const r = checkGoldenFile(dev, join(goldenDir, f));
      assert.ok(r.ok, formatRows(f, r.rows));
    });
  }
}

test('the CLI exits 0 on the base golden files and prints the table', () => {
  const out = execFileSync(
    process.execPath,
    [
      join(REPO, 'dist/src/cli/main.js'),
      '--threads',
      '1',
      'check-golden',
      join(goldenDir, 'kin_base.json'),
      join(goldenDir, 'score_base.json'),
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  assert.match(out, /log_prob\s+64\s/);
  assert.match(out, /all 2 golden files within tolerance/);
});

test('the CLI exits 2 with a clear message when the checkpoint is missing', () => {
  try {
    execFileSync(
      process.execPath,
      [
        join(REPO, 'dist/src/cli/main.js'),
        '--threads',
        '1',
        'check-golden',
        join(goldenDir, 'kin_base.json'),
        '--models',
        REPO,
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    assert.unreachable('should fail');
  } catch (e) {
    const err = e as { status: number; stderr: string };
    assert.is(err.status, 2);
    assert.match(err.stderr, /checkpoint 'kin_density.pt' not found/);
  }
});

test('a JSON that is no golden file is said to be one, before any checkpoint is looked for', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fnf-golden-'));
  const plain = join(dir, 'package.json');
  writeFileSync(plain, '{"name": "x"}');
  assert.throws(() => checkGoldenFile(devices[0], plain), /package\.json: not a golden file \(no 'model' key\)/);
  const other = join(dir, 'g.json');
  writeFileSync(other, '{"model": "kin_other", "checkpoint": "kin_density.pt"}');
  assert.throws(() => checkGoldenFile(devices[0], other), /g\.json: unknown golden model 'kin_other'/);
});

test.run();
