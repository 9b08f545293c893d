/**
 * `fnf fit --data FILE`: the events of a data file.
 *   .safetensors — the files of `fnf generate-dataset` (keys X [n, 2], y [n, 2]; c is ignored);
 *   anything else — a column file read by src/io/columns (CSV with a header, Parquet, NumPy .npz,
 *                   ROOT; the format from the bytes) with columns x1, x2 (and y1, y2 unless the fit
 *                   uses x only), or the file's own names for them (`columns`), in any order, and
 *                   optionally a per-event weight column; other columns, such as a class label, are
 *                   ignored. A ROOT file's only TTree is read unless `tree` names one (it applies to
 *                   the ROOT files among several; with none of them ROOT it is refused).
 * A missing key or column, a ragged row or a value that is not a finite number is refused with
 * the file, the column and where. Several files are one sample: their events concatenated in order,
 * the sample (not each file) needing events and, with weights, Σw > 0.
 */
import { extname } from 'node:path';
import { readSafetensors } from '../io/safetensors.js';
import { toFloat32 } from '../io/state-dict.js';
import { readColumns } from '../io/columns/index.js';
import { interleavePairs } from '../analysis/columns.js';
import { checkEvents, checkFinite, concatEvents, type FitEvents } from './events.js';

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

/** One data file's events, checked as a whole sample (see readDataFiles). */
export async function readDataFile(path: string, needY: boolean, cols: DataColumns = {}): Promise<FitEvents> {
  return readDataFiles([path], needY, cols);
}

/**
 * The events of several files as one sample, in file order (`--data` repeated). The sample is checked
 * as a whole, not file by file, so splitting the events over files changes nothing: a file with no rows
 * among others is fine, and so is one whose weights sum to ≤ 0 while the sample's do not.
 */
export async function readDataFiles(
  paths: readonly string[],
  needY: boolean,
  cols: DataColumns = {},
): Promise<FitEvents> {
  const parts: FitEvents[] = [];
  const formats: string[] = [];
  for (const p of paths) {
    const { events, format } = await readDataPart(p, needY, cols);
    parts.push(events);
    formats.push(format);
  }
  // --tree applies to the ROOT files among them (data often come as ROOT files plus a CSV or Parquet export);
  // naming a TTree when there is no ROOT file at all is a mistake.
  if (cols.tree !== undefined && !formats.includes('root')) {
    throw new Error(
      paths.length === 1
        ? `${paths[0]}: --tree names a ROOT TTree, but this is a ${formats[0]} file`
        : `${paths.join(', ')}: --tree names a ROOT TTree, but none of these files is a ROOT file ` +
            `(${formats.join(', ')})`,
    );
  }
  const ev = concatEvents(parts, paths);
  checkSample(ev, paths, cols.weight);
  return ev;
}

/** One file's events: its keys or columns, each value finite; neither its size nor its weights checked. */
async function readDataPart(
  path: string,
  needY: boolean,
  cols: DataColumns,
): Promise<{ events: FitEvents; format: string }> {
  const safetensors = extname(path).toLowerCase() === '.safetensors';
  if (safetensors && (cols.names || cols.weight)) {
    throw new Error(
      `${path}: --columns and --weight apply to column files (CSV, Parquet, .npz, ROOT), ` +
        'not to a generate-dataset safetensors file (keys X and y)',
    );
  }
  const read = safetensors
    ? { events: readSafetensorsEvents(path, needY), format: 'safetensors' }
    : await readColumnEvents(path, needY, cols);
  checkFinite(read.events, path);
  return read;
}

/** A fit needs events, and with weights Σw > 0, over the whole sample (the check likelihoodFor makes too). */
function checkSample(ev: FitEvents, paths: readonly string[], weightColumn: string | undefined): void {
  const where = paths.length === 1 ? paths[0] : `${paths.join(', ')} together`;
  checkEvents(ev, where, `the weights in column '${weightColumn}'`);
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

/** A column file's events and its format (the readers other than ROOT's ignore `tree`). */
async function readColumnEvents(
  path: string,
  needY: boolean,
  cols: DataColumns,
): Promise<{ events: FitEvents; format: string }> {
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
  const c = d.columns as Record<string, Float32Array | Float64Array>;
  const pair = (a: Observable, b: Observable) =>
    interleavePairs(c[nameOf(a)] as Float32Array, c[nameOf(b)] as Float32Array);
  const events: FitEvents = {
    n: d.rows,
    x: pair('x1', 'x2'),
    y: needY ? pair('y1', 'y2') : null,
    weights: cols.weight !== undefined ? (c[cols.weight] as Float64Array) : null,
  };
  return { events, format: d.format };
}
