/**
 * Placeholder values in the columns a flow reads from files: a −999 or 1e30 written where a
 * quantity is missing.
 *
 * Why at load time: the trainer's guard (bad-events.ts) only sees events whose log p is not
 * finite, and most placeholders never get there. In a context column (the score flow reads x1, x2
 * as context) 1e30 or −999 only saturates the hyper-network, and −999 in a modelled column gives
 * a log p near −5·10⁵, large but finite: either way training went on and learned from the value.
 *
 * The rule: a value farther from its column's median than PLACEHOLDER_IQRS interquartile ranges
 * (taken as at least 1, the flows' unit of scale) that also looks like a placeholder: of magnitude
 * 1e20 or more, written with nines only (−99, 999, −9999, …), or repeated exactly among the far
 * values (one constant written for every missing entry). For a Gaussian column the distance alone
 * is beyond 130 σ, and the largest of a million exponential values stays within an eighth of it;
 * but a power-law tail (a transverse momentum of 4 TeV over a 50 GeV median) can reach it, and a
 * real measured value is neither all nines nor repeated to the last bit, so such tails pass. The
 * quartiles come from at most QUARTILE_SAMPLE evenly spaced events, so the check stays a small
 * part of reading a file.
 */
import { float32Text } from './bad-events.js';

const PLACEHOLDER_IQRS = 100;
const QUARTILE_SAMPLE = 100_000;
/** Rows named in the message; the count says how many there were. */
const SHOWN = 3;

/** One column of the sample: element `offset` of every row of `stride` values. */
export interface ColumnView {
  name: string;
  data: Float32Array;
  stride: number;
  offset: number;
}

function quartiles(c: ColumnView, n: number): { q1: number; median: number; q3: number } {
  const step = Math.max(1, Math.ceil(n / QUARTILE_SAMPLE));
  const picked = new Float32Array(Math.ceil(n / step));
  for (let k = 0; k < picked.length; k++) picked[k] = c.data[c.stride * k * step + c.offset];
  picked.sort();
  const at = (q: number) => picked[Math.round(q * (picked.length - 1))];
  return { q1: at(0.25), median: at(0.5), q3: at(0.75) };
}

/**
 * The first column with placeholder values, said in one line: how many, where the first ones are
 * (`origin` gives an event's file and row) and the column's bulk; null when there are none.
 */
export function placeholderProblem(n: number, columns: ColumnView[], origin: (i: number) => string): string | null {
  for (const c of columns) {
    const { q1, median, q3 } = quartiles(c, n);
    const limit = PLACEHOLDER_IQRS * Math.max(q3 - q1, 1);
    const far: number[] = [];
    for (let i = 0; i < n; i++) if (Math.abs(c.data[c.stride * i + c.offset] - median) > limit) far.push(i);
    const times = new Map<number, number>();
    for (const i of far)
      times.set(c.data[c.stride * i + c.offset], (times.get(c.data[c.stride * i + c.offset]) ?? 0) + 1);
    const rows: number[] = [];
    let count = 0;
    for (const i of far) {
      const v = c.data[c.stride * i + c.offset];
      if (!(looksLikePlaceholder(v) || times.get(v)! > 1)) continue;
      count++;
      if (rows.length < SHOWN) rows.push(i);
    }
    if (count === 0) continue;
    const shown = rows
      .map((i) => `${origin(i)}: ${c.name} = ${float32Text(c.data[c.stride * i + c.offset])}`)
      .join('; ');
    const more = count > rows.length ? `; and ${count - rows.length} more` : '';
    return (
      `column '${c.name}' holds ${count === 1 ? 'a value' : `${count} values`} far outside the bulk of its ` +
      `values (median ${fmt(median)}, quartiles ${fmt(q1)} and ${fmt(q3)}), a placeholder such as −999 or 1e30? ` +
      `${shown}${more}; the flow would train on it as a real value: fix or drop such events`
    );
  }
  return null;
}

const fmt = (v: number) => String(+v.toPrecision(4));

/** 1e30, −1e20; −99, 999, −9999 …: the constants written for a missing value. */
function looksLikePlaceholder(v: number): boolean {
  const a = Math.abs(v);
  return a >= 1e20 || (Number.isInteger(a) && a >= 99 && /^9+$/.test(String(a)));
}
