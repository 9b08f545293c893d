/** Child of io.bench.ts: reads one file's six columns, prints seconds, rows and peak RSS as JSON. */
import { readColumns } from '../src/io/columns/index.js';

const file = process.argv[2];
const t0 = performance.now();
const data = await readColumns(file, {
  x1: 'float32',
  x2: 'float32',
  y1: 'float32',
  y2: 'float32',
  label: 'int32',
  weight: 'float64',
});
const seconds = (performance.now() - t0) / 1000;
const maxRssMiB = process.resourceUsage().maxRSS / 1024;
process.stdout.write(JSON.stringify({ seconds, rows: data.rows, maxRssMiB }) + '\n');
