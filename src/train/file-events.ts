/**
 * Events for training read from users' files (the `samples:` section): each sample's files are
 * read through the column reader and laid out as the generator's batches are, model input x
 * [n, 2] and context [n, C] (kin: one-hot class; score: [one-hot class, x]), plus the event
 * weights when the config names a weight column.
 */
import { readColumns, type ColumnRequest } from '../io/columns/index.js';
import type { PlaceholderPolicy, SampleColumns, SampleSet } from '../config/samples.js';
import { contextWidth } from './batches.js';
import type { Sector } from '../toy/sector.js';
import { concatArrays, weightSums } from '../analysis/columns.js';
import { placeholderProblem, type ColumnView } from './placeholders.js';

export interface EventSample {
  /** 'nominal' or 'template ν = (…)', for messages and the card. */
  label: string;
  files: string[];
  /** Events each file gave, in file order (events are concatenated), to name an event's file and row. */
  fileRows?: number[];
  n: number;
  x: Float32Array;
  context: Float32Array;
  /** Per-event weights (undefined: all 1). */
  weight?: Float64Array;
  /** The column the weights were read from, for messages. */
  weightColumn?: string;
  /** What each file's class came from: the class column's name, or the class every event of the file has. */
  classes?: (string | 0 | 1)[];
  nu?: number[];
}

/** Summary of a sample's weights for the model card. */
export interface WeightSummary {
  events: number;
  sum_w: number;
  negative_weights: number;
  /** Kish's effective sample size (Σw)² / Σw². */
  effective_events: number;
}

export class SampleError extends Error {
  override name = 'SampleError';
}

/** "a.root, b.root" (or "N files: a.root, …" when there are many), for messages. */
function fileList(files: string[]): string {
  return files.length <= 3 ? files.join(', ') : `${files.length} files: ${files[0]}, …`;
}

/** "column 'w' of a.root, b.root", for messages about a sample's weights. */
export function weightSource(sample: EventSample): string {
  return `column '${sample.weightColumn ?? '(none)'}' of ${fileList(sample.files)}`;
}

const CLASS_NAMES = ['A', 'B'] as const;

/** Events of class A and of class B (the context's one-hot first two entries), of all or of `indices`. */
export function classCounts(sample: EventSample, indices?: Int32Array): [number, number] {
  const C = sample.context.length / sample.n;
  const counts: [number, number] = [0, 0];
  const count = (i: number): void => void counts[sample.context[C * i + 1] === 1 ? 1 : 0]++;
  if (indices) for (const i of indices) count(i);
  else for (let i = 0; i < sample.n; i++) count(i);
  return counts;
}

export async function loadSample(
  sector: Sector,
  set: SampleSet,
  columns: SampleColumns,
  label: string,
  placeholders: PlaceholderPolicy = 'refuse',
): Promise<EventSample> {
  const C = contextWidth(sector);
  const parts: { x: Float32Array; context: Float32Array; weight?: Float64Array; n: number }[] = [];
  for (const file of set.files) {
    const request: Record<string, 'float32' | 'float64' | 'int32'> = {};
    for (const name of columns.features) request[name] = 'float32';
    if (sector === 'score') for (const name of columns.scores) request[name] = 'float32';
    if (file.class === undefined) request[columns.class!] = 'int32';
    if (columns.weight) request[columns.weight] = 'float64';
    const data = await readColumns(file.path, request as ColumnRequest, { tree: columns.tree });
    const n = data.rows;
    const col = data.columns as Record<string, Float32Array | Float64Array | Int32Array>;
    const classes = file.class === undefined ? (col[columns.class!] as Int32Array) : undefined;
    if (classes) {
      const bad = classes.findIndex((c) => c !== 0 && c !== 1);
      if (bad >= 0)
        throw new SampleError(
          `${file.path}: class column '${columns.class}' holds ${classes[bad]} at row ${bad} (0-based)` +
            '; expected 0 (class A) or 1 (class B)',
        );
    }
    const [f1, f2] = columns.features.map((c) => col[c] as Float32Array);
    const input = sector === 'kin' ? [f1, f2] : columns.scores.map((c) => col[c] as Float32Array);
    const x = new Float32Array(2 * n);
    const context = new Float32Array(C * n);
    for (let i = 0; i < n; i++) {
      x[2 * i] = input[0][i];
      x[2 * i + 1] = input[1][i];
      const c = classes ? classes[i] : file.class!;
      context[C * i + c] = 1;
      if (sector === 'score') {
        context[C * i + 2] = f1[i];
        context[C * i + 3] = f2[i];
      }
    }
    parts.push({ x, context, n, weight: columns.weight ? (col[columns.weight] as Float64Array) : undefined });
  }
  const n = parts.reduce((a, p) => a + p.n, 0);
  if (n === 0) throw new SampleError(`${label}: the files hold no events (${set.files.map((f) => f.path).join(', ')})`);
  const out: EventSample = {
    label,
    files: set.files.map((f) => f.path),
    fileRows: parts.map((p) => p.n),
    n,
    x: concatArrays(
      parts.map((p) => p.x),
      (n) => new Float32Array(n),
    ),
    context: concatArrays(
      parts.map((p) => p.context),
      (n) => new Float32Array(n),
    ),
    weight: columns.weight
      ? concatArrays(
          parts.map((p) => p.weight!),
          (n) => new Float64Array(n),
        )
      : undefined,
    weightColumn: columns.weight,
    classes: set.files.map((f) => f.class ?? columns.class!),
    nu: set.nu,
  };
  const perClass = classCounts(out);
  const missing = perClass.findIndex((k) => k === 0);
  if (missing >= 0) {
    // The flows are conditioned on the class: with none of one class they would be trained on the
    // other alone and still answer for the missing one, silently wrong.
    const other = 1 - missing;
    const source =
      columns.class !== undefined && set.files.every((f) => f.class === undefined)
        ? `class column '${columns.class}' of ${fileList(out.files)} holds only ${other}s`
        : `its files (${set.files.map((f) => `${f.path}: ${f.class ?? `column '${columns.class}'`}`).join(', ')})` +
          ` hold only class ${CLASS_NAMES[other]}`;
    throw new SampleError(
      `${label}: no events of class ${CLASS_NAMES[missing]} (${missing}): ${source}; the flow is conditioned ` +
        `on the class and needs events of both (${perClass[other]} of class ${CLASS_NAMES[other]})`,
    );
  }
  if (placeholders === 'refuse') {
    const found = placeholderProblem(n, flowColumns(sector, columns, out), (i) => eventOrigin(out, i));
    if (found) throw new SampleError(`${label}: ${found} (real values? samples: placeholders: keep)`);
  }
  return out;
}

/** Every column the sector's flow reads: the modelled pair (x), and for the score flow its context x1, x2. */
function flowColumns(sector: Sector, columns: SampleColumns, s: EventSample): ColumnView[] {
  const modelled = sector === 'kin' ? columns.features : columns.scores;
  const C = contextWidth(sector);
  return [
    ...modelled.map((name, k) => ({ name, data: s.x, stride: 2, offset: k })),
    ...(sector === 'score'
      ? columns.features.map((name, k) => ({ name, data: s.context, stride: C, offset: 2 + k }))
      : []),
  ];
}

/** Where event i of a sample was read: "path row r (0-based)", or the sample's label and index. */
export function eventOrigin(sample: EventSample, i: number): string {
  let r = i;
  const rows = sample.fileRows ?? [];
  for (let f = 0; f < rows.length; f++) {
    if (r < rows[f]) return `${sample.files[f]} row ${r} (0-based)`;
    r -= rows[f];
  }
  return `${sample.label} event ${i} (0-based)`;
}

/** Σw over `indices` (all events when absent), unrounded: what the loss's weights are scaled by. */
export function sumOfWeights(sample: EventSample, indices?: Int32Array): number {
  const count = indices ? indices.length : sample.n;
  return sample.weight ? weightSums(sample.weight, indices).sum : count;
}

/** Seven significant digits: what the card shows (1e-10 stays 1e-10; 123456.789 becomes 123456.8). */
const shown = (v: number) => +v.toPrecision(7);

/** The weights of `indices` (all events when absent) summarised, rounded for display only. */
export function summarizeWeights(sample: EventSample, indices?: Int32Array): WeightSummary {
  const count = indices ? indices.length : sample.n;
  const { sum, sum2, negative } = sample.weight
    ? weightSums(sample.weight, indices)
    : { sum: count, sum2: count, negative: 0 };
  return {
    events: count,
    sum_w: shown(sum),
    negative_weights: negative,
    effective_events: sum2 > 0 ? +((sum * sum) / sum2).toFixed(1) : 0,
  };
}
