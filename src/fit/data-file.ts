/**
 * `fnf fit --data FILE`: the events of a data file.
 *   .safetensors — the files of `fnf generate-dataset` (keys X [n, 2], y [n, 2]; c is ignored);
 *   .csv         — a header naming at least x1, x2 (and y1, y2 unless the fit uses x only); other
 *                  columns, such as a class label, are ignored.
 * Anything else, a missing key or column, a ragged row or a value that is not a finite number is
 * refused with the file, the column and the line.
 *
 * The CSV path is one small function on purpose: the column readers of src/io/columns/ (another
 * branch) will replace it; until then this reads plain comma-separated numbers, no quoting.
 */
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { readSafetensors } from '../io/safetensors.js';
import { toFloat32 } from '../io/state-dict.js';
import { checkFinite, type FitEvents } from './events.js';

export function readDataFile(path: string, needY: boolean): FitEvents {
  const ext = extname(path).toLowerCase();
  let ev: FitEvents;
  if (ext === '.safetensors') ev = readSafetensorsEvents(path, needY);
  else if (ext === '.csv') ev = readCsvEvents(readFileSync(path, 'utf8'), basename(path), needY);
  else throw new Error(`${path}: unknown data format '${ext || '(none)'}'; expected .safetensors or .csv`);
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

/** The minimal CSV reader (see the file header). */
export function readCsvEvents(text: string, file: string, needY: boolean): FitEvents {
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '').split(',').map((h) => h.trim());
  const wanted = needY ? ['x1', 'x2', 'y1', 'y2'] : ['x1', 'x2'];
  const missing = wanted.filter((c) => !header.includes(c));
  if (missing.length > 0) {
    throw new Error(
      `${file}: missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ` +
        `(header: ${header.join(',') || '(empty)'}; expected ${wanted.join(',')})`,
    );
  }
  const idx = wanted.map((c) => header.indexOf(c));
  const rows: number[][] = [];
  for (let l = 1; l < lines.length; l++) {
    if (lines[l].trim() === '') continue;
    const cells = lines[l].split(',');
    if (cells.length !== header.length) {
      throw new Error(`${file}: line ${l + 1} has ${cells.length} fields, the header ${header.length}`);
    }
    rows.push(
      idx.map((j, k) => {
        const s = cells[j].trim();
        const v = Number(s);
        if (s === '' || !Number.isFinite(v)) {
          throw new Error(`${file}: line ${l + 1}, column ${wanted[k]}: '${s}' is not a finite number`);
        }
        return v;
      }),
    );
  }
  const n = rows.length;
  const x = new Float32Array(2 * n);
  const y = needY ? new Float32Array(2 * n) : null;
  rows.forEach((r, i) => {
    x[2 * i] = r[0];
    x[2 * i + 1] = r[1];
    if (y) {
      y[2 * i] = r[2];
      y[2 * i + 1] = r[3];
    }
  });
  return { n, x, y, weights: null };
}
