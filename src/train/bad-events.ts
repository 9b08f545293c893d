/**
 * Which events of a batch make the loss non-finite, named by where they came from.
 *
 * Why: one event far outside the flow's support (a 1e30 or −999 sentinel, a column in other units)
 * turns the batch's mean log p into −∞ or NaN, and a bare "loss became Infinity at step 0" leaves the
 * user to bisect their files. Only run after the loss has gone non-finite: one forward pass without
 * gradients over the batch, then the rows whose log p is not finite, with their values and origin.
 */
import { Tape } from '../autodiff/tape.js';
import type { Batch } from './batches.js';
import type { TrainJob } from './trainer.js';
import { batchVars } from './batch-vars.js';

/** Rows shown in a message; the count says how many there were. */
const SHOWN = 3;

export interface BadEvents {
  count: number;
  /** The first rows: their log p and a description ("train.csv row 3000 (0-based): x = (0.1, 1e+30) …"). */
  rows: { row: number; logp: number; text: string }[];
}

/** The fewest digits that read back as the same float32 (0.1, not 0.10000000149011612). */
export function float32Text(v: number): string {
  for (let p = 1; p < 9; p++) if (Math.fround(Number(v.toPrecision(p))) === v) return String(Number(v.toPrecision(p)));
  return String(v);
}

/** The rows of `batch` whose log p under the job's model is not finite (null when all are). */
export function badEvents(job: TrainJob, batch: Batch): BadEvents | null {
  const dev = job.device;
  const tape = new Tape(dev, { grad: false });
  const v = batchVars(tape, dev, batch);
  const logp = Float64Array.from(job.logProb(tape, v.x, v.cond).value.data);
  dev.arena.reset();
  const D = batch.x.length / batch.n;
  const C = batch.context.length / batch.n;
  const out: BadEvents = { count: 0, rows: [] };
  const vals = (a: Float32Array, r: number, k: number) => Array.from(a.subarray(k * r, k * r + k), float32Text);
  for (let r = 0; r < batch.n; r++) {
    if (Number.isFinite(logp[r])) continue;
    out.count++;
    if (out.rows.length >= SHOWN) continue;
    const where = batch.origin ? batch.origin(r) : `batch row ${r}`;
    const text =
      `${where}: x = (${vals(batch.x, r, D).join(', ')}), context = (${vals(batch.context, r, C).join(', ')})` +
      (batch.nu ? `, ν = (${vals(batch.nu, r, batch.nu.length / batch.n).join(', ')})` : '');
    out.rows.push({ row: r, logp: logp[r], text });
  }
  return out.count > 0 ? out : null;
}

/** "log p is −Infinity for 1 event of the batch: train.csv row 3000 (0-based): x = (…), context = (…)". */
export function badEventsPhrase(b: BadEvents, where: string): string {
  const lp = (v: number) => (v === -Infinity ? '−Infinity' : String(v));
  const kinds = [...new Set(b.rows.map((r) => lp(r.logp)))].join(' or ');
  const more = b.count > b.rows.length ? `; and ${b.count - b.rows.length} more` : '';
  return (
    `log p is ${kinds} for ${b.count === 1 ? '1 event' : `${b.count} events`} of ${where}: ` +
    b.rows.map((r) => r.text).join('; ') +
    more
  );
}
