/** `fnf generate-dataset`: a portable safetensors file with the reference's keys, reproducible by seed. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../src/cli/commands/generate-dataset.js';
import { readSafetensors } from '../src/io/safetensors.js';

const dir = mkdtempSync(join(tmpdir(), 'fnf-ds-'));
const cfg = join(dir, 'dataset.yaml');
writeFileSync(cfg, 'paths:\n  dataset: out/ds.pt\nn_events: 1000\ngenerator:\n  sigmoid_y: false\n');
const opts = (seed: number) => ({ cfg, seed, backend: 'ts' as const, threads: 1 });

test('writes c, X, y as [n, 2] float32 with metadata, next to the config, as safetensors', async () => {
  await run(opts(4) as never);
  const { dict, metadata } = readSafetensors(join(dir, 'out/ds.safetensors'));
  assert.equal([...dict.keys()], ['c', 'X', 'y']);
  for (const t of dict.values()) assert.equal(t.shape, [1000, 2]);
  assert.is(metadata.n_events, '1000');
  assert.is(metadata.seed, '4');
  const c = dict.get('c')!.data as Float32Array;
  for (let i = 0; i < 1000; i++) assert.is(c[2 * i] + c[2 * i + 1], 1);
});

test('the same seed gives the same file content; another seed does not', async () => {
  await run(opts(4) as never);
  const a = readSafetensors(join(dir, 'out/ds.safetensors')).dict.get('X')!.data as Float32Array;
  const first = Float32Array.from(a);
  await run(opts(4) as never);
  assert.equal(
    Array.from(readSafetensors(join(dir, 'out/ds.safetensors')).dict.get('X')!.data as Float32Array),
    Array.from(first),
  );
  await run(opts(5) as never);
  assert.not.equal(
    Array.from(readSafetensors(join(dir, 'out/ds.safetensors')).dict.get('X')!.data as Float32Array),
    Array.from(first),
  );
});

test.run();
