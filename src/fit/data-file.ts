/**
 * `fnf fit --data FILE`: the events of a data file.
 *   .safetensors — the files of `fnf generate-dataset` (keys X [n, 2], y [n, 2]; c is ignored);
 *   anything else — a column file read by src/io/columns (CSV with a header, Parquet, NumPy .npz,
 *                   ROOT; the format from the bytes) with columns x1, x2 (and y1, y2 unless the fit
 *                   uses x only); other columns, such as a class label, are ignored.
 * A missing key or column, a ragged row or a value that is not a finite number is refused with
 * the file, the column and where.
 */
import { extname } from 'node:path';
import { readSafetensors } from '../io/safetensors.js';
import { toFloat32 } from '../io/state-dict.js';
import { readColumns } from '../io/columns/index.js';
import { interleavePairs } from '../analysis/columns.js';
import { checkFinite, type FitEvents } from './events.js';

export async function readDataFile(path: string, needY: boolean): Promise<FitEvents> {
  const ev =
    extname(path).toLowerCase() === '.safetensors'
      ? readSafetensorsEvents(path, needY)
      : await readColumnEvents(path, needY);
  if (ev.n === 0) throw new Error(`${path}: no events`);
  checkFinite(ev, path);
  return ev;
}

function readSafetensorsEvents(path: string, needY: boolean): FitEvents {
  const { dict } = readSafetensors(path);
  const get = (key: string) => {
    const t = dict.get(key);
    if (!t) throw new Error(`${path}: no key '${key}' (expected the keys X and y of fnf generate-dataset)`);
    if (t.shape.length !== 2 || t.shape[1] !== 2) {
      throw new Error(`${path}: '${key}' has shape [${t.shape}], expected [n, 2]`);
    }
    return toFloat32(t);
  };
  const x = get('X');
  const y = needY ? get('y') : null;
  if (y && y.length !== x.length) throw new Error(`${path}: X has ${x.length / 2} rows, y ${y.length / 2}`);
  return { n: x.length / 2, x, y, weights: null };
}

async function readColumnEvents(path: string, needY: boolean): Promise<FitEvents> {
  if (needY) {
    const d = await readColumns(path, { x1: 'float32', x2: 'float32', y1: 'float32', y2: 'float32' });
    const c = d.columns;
    return { n: d.rows, x: interleavePairs(c.x1, c.x2), y: interleavePairs(c.y1, c.y2), weights: null };
  }
  const d = await readColumns(path, { x1: 'float32', x2: 'float32' });
  return { n: d.rows, x: interleavePairs(d.columns.x1, d.columns.x2), y: null, weights: null };
}
