/** `fnf generate-dataset`: a portable safetensors file with the reference's keys, reproducible by seed. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../src/cli/commands/generate-dataset.js';
import { readColumns } from '../src/io/columns/index.js';
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

test('--format parquet|npz|csv: columns x1, x2, y1, y2, label with the same events as safetensors', async () => {
  await run(opts(9) as never);
  const { dict } = readSafetensors(join(dir, 'out/ds.safetensors'));
  const X = dict.get('X')!.data as Float32Array;
  const y = dict.get('y')!.data as Float32Array;
  const c = dict.get('c')!.data as Float32Array;
  for (const format of ['parquet', 'npz', 'csv'] as const) {
    await run({ ...opts(9), format } as never);
    const path = join(dir, `out/ds.${format}`);
    const back = await readColumns(path, {
      x1: 'float32',
      x2: 'float32',
      y1: 'float32',
      y2: 'float32',
      label: 'int32',
    });
    assert.is(back.format, format);
    assert.is(back.rows, 1000);
    for (let i = 0; i < 1000; i++) {
      assert.is(back.columns.x1[i], X[2 * i]);
      assert.is(back.columns.x2[i], X[2 * i + 1]);
      assert.is(back.columns.y1[i], y[2 * i]);
      assert.is(back.columns.y2[i], y[2 * i + 1]);
      assert.is(back.columns.label[i], c[2 * i + 1]);
    }
  }
});

test('paths.dataset ending in .parquet/.npz/.csv: that format is the default, written at that path', async () => {
  for (const ext of ['parquet', 'npz', 'csv'] as const) {
    const c = join(dir, `dataset-${ext}.yaml`);
    writeFileSync(c, `paths:\n  dataset: named/ds.${ext}\nn_events: 50\ngenerator:\n  sigmoid_y: false\n`);
    await run({ ...opts(2), cfg: c } as never);
    const back = await readColumns(join(dir, `named/ds.${ext}`), { x1: 'float32', label: 'int32' });
    assert.is(back.format, ext);
    assert.is(back.rows, 50);
  }
  assert.equal(readdirSync(join(dir, 'named')).sort(), ['ds.csv', 'ds.npz', 'ds.parquet']);
});

test('--out a.csv writes CSV (its extension names the format); a --format that contradicts it is refused', async () => {
  for (const ext of ['csv', 'parquet', 'npz'] as const) {
    const out = join(dir, `by-out/a.${ext}`);
    await run({ ...opts(4), out, nEvents: 30 } as never);
    assert.is((await readColumns(out, { x1: 'float32' })).format, ext);
  }
  await run({ ...opts(4), out: join(dir, 'by-out/b.pt'), nEvents: 30 } as never); // not a column format: safetensors
  assert.is(readSafetensors(join(dir, 'by-out/b.pt')).dict.get('X')!.shape[0], 30);
  await run({ ...opts(4), out: join(dir, 'by-out/c.csv'), format: 'npz', nEvents: 30 } as never).then(
    () => assert.unreachable('--out c.csv with --format npz'),
    (e: Error) => assert.match(e.message, /--out \S*c\.csv names csv, --format says npz/),
  );
  assert.not.ok(existsSync(join(dir, 'by-out/c.csv')));
});

test('--out with a name no dataset reader takes (a.xyz, no extension) is refused before the draw', async () => {
  for (const [name, format] of [
    ['d.xyz', undefined],
    ['d', 'csv'],
  ] as const) {
    const out = join(dir, 'odd-names', name);
    await run({ ...opts(4), out, format, nEvents: 30 } as never).then(
      () => assert.unreachable(`--out ${name}`),
      (e: Error) => {
        assert.is(e.name, 'UserError');
        assert.match(e.message, `--out ${out}: expected a file name ending in .safetensors, .parquet, .npz, .csv, .pt`);
      },
    );
  }
  assert.not.ok(existsSync(join(dir, 'odd-names')));
});

test('--out, --n-events and --nu write a systematic template; a bad --out directory writes nothing', async () => {
  const out = join(dir, 'templates/shift_up.npz');
  await run({ ...opts(3), format: 'npz', out, nEvents: 200, nu: [1, 0] } as never);
  const back = await readColumns(out, { x1: 'float32' });
  assert.is(back.rows, 200);
  await run({ ...opts(3), format: 'npz', out: join(dir, 'templates/nominal.npz'), nEvents: 200 } as never);
  const nominal = await readColumns(join(dir, 'templates/nominal.npz'), { x1: 'float32' });
  assert.not.equal(Array.from(back.columns.x1), Array.from(nominal.columns.x1));
  const blocked = join(dir, 'templates/nominal.npz/inside.csv'); // a file where a directory should be
  try {
    await run({ ...opts(3), format: 'csv', out: blocked } as never);
    assert.unreachable('writing under a file must fail');
  } catch (err) {
    assert.match((err as Error).message, /nominal\.npz/);
  }
  assert.not.ok(existsSync(blocked));
  assert.equal(readdirSync(join(dir, 'templates')).sort(), ['nominal.npz', 'shift_up.npz']);
});

test.run();
