/**
 * `fnf fit --data FILE`: the events of a data file.
 *   .safetensors — the files of `fnf generate-dataset` (keys X [n, 2], y [n, 2]; c is ignored);
 *   anything else — a column file read by src/io/columns (CSV with a header, Parquet, NumPy .npz,
 *                   ROOT; the format from the bytes) with columns x1, x2 (and y1, y2 unless the fit
 *                   uses x only), or the file's own names for them (`columns`), in any order, and
 *                   optionally a per-event weight column; other columns, such as a class label, are
 *                   ignored. A ROOT file's only TTree is read unless `tree` names one.
 * A missing key or column, a ragged row or a value that is not a finite number is refused with
 * the file, the column and where.
 */
import { extname } from 'node:path';
import { readSafetensors } from '../io/safetensors.js';
import { toFloat32 } from '../io/state-dict.js';
import { readColumns } from '../io/columns/index.js';
import { interleavePairs } from '../analysis/columns.js';
import { checkFinite, type FitEvents } from './events.js';

/** Where the observables and weights are in a column file: our name → the file's column. */
export interface DataColumns {
  /** The file's names for x1, x2, y1, y2 (each defaults to itself). */
  names?: Partial<Record<Observable, string>>;
  /** A per-event weight column (float64); absent: every event counts once. */
  weight?: string;
  /** The TTree of a ROOT file (default: its only one). */
  tree?: string;
}

export const OBSERVABLES = ['x1', 'x2', 'y1', 'y2'] as const;
export type Observable = (typeof OBSERVABLES)[number];

export async function readDataFile(path: string, needY: boolean, cols: DataColumns = {}): Promise<FitEvents> {
  const safetensors = extname(path).toLowerCase() === '.safetensors';
  if (safetensors && (cols.names || cols.weight || cols.tree)) {
    throw new Error(
      `${path}: --columns, --weight and --tree apply to column files (CSV, Parquet, .npz, ROOT), ` +
        'not to a generate-dataset safetensors file (keys X and y)',
    );
  }
  const ev = safetensors ? readSafetensorsEvents(path, needY) : await readColumnEvents(path, needY, cols);
  if (ev.n === 0) throw new Error(`${path}: no events`);
  checkFinite(ev, path);
  if (ev.weights) {
    // Negative weights are allowed (NLO samples have some); a total that is not positive leaves the NLL
    // without a minimum (it falls without bound as events are made improbable).
    const sum = ev.weights.reduce((a, w) => a + w, 0);
    if (!(sum > 0)) {
      throw new Error(`${path}: the weights in column '${cols.weight}' sum to ${sum}; a fit needs Σw > 0`);
    }
  }
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

async function readColumnEvents(path: string, needY: boolean, cols: DataColumns): Promise<FitEvents> {
  const wanted: Observable[] = needY ? ['x1', 'x2', 'y1', 'y2'] : ['x1', 'x2'];
  const nameOf = (o: Observable) => cols.names?.[o] ?? o;
  const request: Record<string, 'float32' | 'float64'> = {};
  for (const o of wanted) request[nameOf(o)] = 'float32';
  if (cols.weight !== undefined) {
    if (cols.weight in request) throw new Error(`${path}: the weight column '${cols.weight}' is also an observable`);
    request[cols.weight] = 'float64';
  }
  const d = await readColumns(path, request, { tree: cols.tree }).catch((e: Error) => {
    // The file may simply name the observables otherwise: say how to map them.
    if (!cols.names && / no columns? '/.test(e.message))
      throw new Error(`${e.message} (name them with --columns, e.g. --columns x1=pt,x2=eta,y1=s1,y2=s2)`);
    throw e;
  });
  if (cols.tree !== undefined && d.format !== 'root') {
    throw new Error(`${path}: --tree names a ROOT TTree, but this is a ${d.format} file`);
  }
  const c = d.columns as Record<string, Float32Array | Float64Array>;
  const pair = (a: Observable, b: Observable) =>
    interleavePairs(c[nameOf(a)] as Float32Array, c[nameOf(b)] as Float32Array);
  return {
    n: d.rows,
    x: pair('x1', 'x2'),
    y: needY ? pair('y1', 'y2') : null,
    weights: cols.weight !== undefined ? (c[cols.weight] as Float64Array) : null,
  };
}
