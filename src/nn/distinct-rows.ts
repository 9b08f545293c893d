/**
 * Distinct rows of a batch, compared by their bits on chosen columns. A network whose outputs
 * depend only on those columns (./masks.ts, inputsReachingOutputs) gives every row of a group
 * the same outputs, so it can run once per distinct row and its outputs be copied back: exact
 * by construction, not an approximation. On the browser page's 128 × 128 grid the NSF's first
 * transform sees x₀ (and the class) only: ~128 distinct rows per class out of 16 384.
 *
 * Found with an open-addressing hash table over the rows' bit patterns (a JS Map keyed by
 * strings costs ~10× more per row), after a comparison with the row before (grouped rows skip the
 * hash); the search stops as soon as there are more distinct rows
 * than `maxDistinct`, and continuous data is given up on at once when an evenly spaced sample of
 * its rows is all distinct (sampleAllDistinct).
 */
import type { Tensor } from '../tensor/tensor.js';

export interface DistinctRows {
  /** [U]: the batch row where each distinct row first appears, in order of appearance. */
  readonly first: Int32Array;
  /** [B]: which distinct row each batch row is. */
  readonly which: Int32Array;
}

/** Columns `cols` of a tensor with the batch's rows. */
export interface KeyColumns {
  readonly value: Tensor;
  readonly cols: readonly number[];
}

/** Rows looked at, evenly spaced, before a full scan. */
const SAMPLE_ROWS = 256;

/**
 * Whether SAMPLE_ROWS evenly spaced rows are all different (continuous data), in which case the
 * batch very likely has more than `maxDistinct` distinct rows and the full scan is not worth
 * starting: with U distinct rows spread over the batch, 256 samples expect 256²/2U coincident
 * pairs, ~16 at U = 2 048, so a batch where sharing saves much is kept. Only checked when
 * maxDistinct ≥ 4·SAMPLE_ROWS (smaller batches scan in full). A wrong call gives up a saving,
 * never changes a result.
 */
function sampleAllDistinct(
  words: Uint32Array,
  at: Int32Array,
  stride: Int32Array,
  B: number,
  maxDistinct: number,
): boolean {
  if (maxDistinct < 4 * SAMPLE_ROWS) return false;
  // Rows compared by a 32-bit hash of their words: two different rows that collide only make the
  // sample look less distinct, which leads to the full scan (the safe side).
  const hashes = new Uint32Array(SAMPLE_ROWS);
  const step = B / SAMPLE_ROWS;
  for (let k = 0; k < SAMPLE_ROWS; k++) {
    const b = Math.floor(k * step);
    let h = 0x811c9dc5;
    for (let j = 0; j < at.length; j++) h = Math.imul(h ^ words[at[j] + b * stride[j]], 0x01000193);
    hashes[k] = h;
  }
  hashes.sort();
  for (let k = 1; k < SAMPLE_ROWS; k++) if (hashes[k] === hashes[k - 1]) return false;
  return true;
}

/**
 * The distinct rows of the concatenated key columns, or null when there are more than
 * `maxDistinct`. Rows compare by bits: −0 and +0 (or two NaN payloads) count as different,
 * which only gives up a saving.
 */
export function distinctRows(keys: readonly KeyColumns[], maxDistinct: number): DistinctRows | null {
  const parts = keys.filter((k) => k.cols.length > 0);
  if (parts.length === 0) return null;
  const B = parts[0].value.rows;
  for (const p of parts) {
    if (p.value.rows !== B) throw new Error(`distinctRows: key tensors have ${B} and ${p.value.rows} rows`);
  }
  // Each key column as (word offset of its first row, row stride) in one u32 view of the memory
  // (all tensors share it): the row loop below then reads words with no per-part bookkeeping.
  const words = new Uint32Array(parts[0].value.memory.f32().buffer);
  const colAt: number[] = [];
  const colStride: number[] = [];
  for (const p of parts) {
    for (const c of p.cols) {
      colAt.push((p.value.ptr >>> 2) + c);
      colStride.push(p.value.cols);
    }
  }
  const at = Int32Array.from(colAt);
  const stride = Int32Array.from(colStride);
  const width = at.length;
  if (sampleAllDistinct(words, at, stride, B, maxDistinct)) return null;
  let size = 16;
  while (size < 2 * (maxDistinct + 1)) size *= 2;
  const table = new Int32Array(size).fill(-1); // distinct row index, −1 empty
  const keysOf = new Uint32Array((maxDistinct + 1) * width);
  const first = new Int32Array(maxDistinct + 1);
  const which = new Int32Array(B);
  const probe = new Uint32Array(width);
  let U = 0;
  for (let b = 0; b < B; b++) {
    // Grouped data (a grid with the seen column varying slowest, a batch sorted by class) mostly
    // repeats the row before: compare with it first, which skips the hash and the table probe.
    if (b > 0) {
      let same = true;
      for (let j = 0; j < width && same; j++)
        same = words[at[j] + b * stride[j]] === words[at[j] + (b - 1) * stride[j]];
      if (same) {
        which[b] = which[b - 1];
        continue;
      }
    }
    let h = 0x811c9dc5;
    for (let j = 0; j < width; j++) {
      const w = words[at[j] + b * stride[j]];
      probe[j] = w;
      h = Math.imul(h ^ w, 0x01000193);
    }
    h ^= h >>> 15;
    let slot = h & (size - 1);
    let u = -1;
    for (;;) {
      const seen = table[slot];
      if (seen < 0) break;
      let same = true;
      for (let j = 0; j < width && same; j++) same = keysOf[seen * width + j] === probe[j];
      if (same) {
        u = seen;
        break;
      }
      slot = (slot + 1) & (size - 1);
    }
    if (u < 0) {
      if (U === maxDistinct) return null;
      u = U++;
      table[slot] = u;
      keysOf.set(probe, u * width);
      first[u] = b;
    }
    which[b] = u;
  }
  return { first: first.slice(0, U), which };
}
