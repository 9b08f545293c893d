/**
 * `io.read.<format>`: reading 1M rows × 6 columns (x1, x2, y1, y2 float32, label int32, weight
 * float64) with the column reader, per format: seconds, million rows per second, and the peak
 * resident memory of a child process that does nothing but the read (process-wide figures are
 * polluted by earlier families). Files are written once per run into a temporary folder; ROOT
 * (which fnflow cannot write) is timed on the 20 000-row shared fixture when jsroot is installed.
 * Target (issue 17): Parquet and npz under 2 s.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeColumns, type WritableFormat } from '../src/io/columns/write.js';
import { register, type BenchResult } from './registry.js';

const ROWS = 1_000_000;
const here = dirname(fileURLToPath(import.meta.url));

function columns(n: number) {
  let s = 12345;
  const u = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  const f32 = () => Float32Array.from({ length: n }, u);
  return [
    { name: 'x1', values: f32() },
    { name: 'x2', values: f32() },
    { name: 'y1', values: f32() },
    { name: 'y2', values: f32() },
    { name: 'label', values: Int32Array.from({ length: n }, () => (u() > 0 ? 1 : 0)) },
    { name: 'weight', values: Float64Array.from({ length: n }, () => 1 + 0.1 * u()) },
  ];
}

/** Runs io-read-child.js on `file`: { seconds, rows, maxRssMiB } or the child's error. */
function readInChild(file: string): { seconds: number; rows: number; maxRssMiB: number } {
  const r = spawnSync(process.execPath, [join(here, 'io-read-child.js'), file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`io.read child failed on ${file}: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout);
}

register({
  name: 'io.read',
  run(): BenchResult[] {
    const dir = mkdtempSync(join(tmpdir(), 'fnflow-io-bench-'));
    const results: BenchResult[] = [];
    const add = (name: string, rows: number, m: { seconds: number; maxRssMiB: number }) => {
      const base = { shape: [rows, 6], backend: 'js', threads: 1 };
      results.push({ ...base, name: `io.read.${name}`, value: m.seconds, unit: 's' });
      results.push({ ...base, name: `io.read.${name}.throughput`, value: rows / m.seconds / 1e6, unit: 'M rows/s' });
      results.push({ ...base, name: `io.read.${name}.peak_rss`, value: m.maxRssMiB, unit: 'MiB' });
    };
    try {
      const cols = columns(ROWS);
      const cases: [string, WritableFormat, boolean][] = [
        ['parquet', 'parquet', false],
        ['npz', 'npz', false],
        ['npz_deflate', 'npz', true],
        ['csv', 'csv', false],
      ];
      for (const [name, format, compress] of cases) {
        const file = join(dir, `${name}.${format}`);
        writeColumns(file, format, cols, { compress });
        add(name, ROWS, readInChild(file));
      }
      const root = resolve(here, '../../../shared/fixtures/nominal.zstd.root');
      if (existsSync(root)) {
        try {
          const m = readInChild(root);
          add('root_zstd_fixture', m.rows, m);
        } catch (err) {
          console.warn(`io.read.root skipped: ${(err as Error).message.split('\n')[0]}`);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return results;
  },
});
