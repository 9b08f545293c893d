/**
 * Context rows shared by many batch rows. The kinematic flows are conditioned on a one-hot
 * class: a batch of 1024 rows holds 2 distinct contexts. The part of a masked network that sees
 * only the context then has 2 distinct values, not 1024, and is computed once per distinct row
 * (../nn/masked-mlp.ts, forwardShared).
 *
 * Found per context Var (the transforms of a flow share one) by comparing the rows' bits. Shared
 * only when few rows are distinct: at most a quarter of the batch and at most MAX_SHARED, so a
 * continuous context (the score flows' [c, x]) is given up on after MAX_SHARED + 1 rows.
 */
import type { Var } from '../autodiff/tape.js';
import type { Tensor } from '../tensor/tensor.js';

export interface SharedContext {
  /** [U, C]: the distinct rows, in order of first appearance. */
  readonly unique: Tensor;
  /** [B, U]: one-hot, row b picks its distinct row (spread = unique rows to batch rows). */
  readonly spread: Tensor;
}

/** Most distinct contexts worth sharing (classes, not data). */
const MAX_SHARED = 64;

const found = new WeakMap<Var, SharedContext | null>();

/** The distinct rows of a context that needs no gradient, or null when sharing does not pay. */
export function sharedContext(context: Var): SharedContext | null {
  if (context.requiresGrad) return null;
  let s = found.get(context);
  if (s === undefined) {
    s = findShared(context);
    found.set(context, s);
  }
  return s;
}

function findShared(context: Var): SharedContext | null {
  const t = context.value;
  const [B, C] = [t.rows, t.cols];
  const bits = new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length);
  const maxU = Math.min(MAX_SHARED, Math.floor(B / 4));
  const firsts: number[] = []; // batch row of each distinct row's first appearance
  const which = new Int32Array(B);
  // At most MAX_SHARED distinct rows: a scan of those beats hashing (the last match first).
  let last = -1;
  for (let b = 0; b < B; b++) {
    let u = last >= 0 && sameRow(bits, firsts[last] * C, b * C, C) ? last : -1;
    for (let v = 0; u < 0 && v < firsts.length; v++) if (sameRow(bits, firsts[v] * C, b * C, C)) u = v;
    if (u < 0) {
      if (firsts.length >= maxU) return null;
      u = firsts.length;
      firsts.push(b);
    }
    which[b] = last = u;
  }
  const U = firsts.length;
  if (U === 0) return null;
  const dev = context.device;
  const unique = dev.empty([U, C]);
  const td = t.data,
    ud = unique.data; // one view each: `data` makes a new one per access
  firsts.forEach((b, u) => ud.set(td.subarray(b * C, (b + 1) * C), u * C));
  const spread = dev.zeros([B, U]);
  const sd = spread.data;
  for (let b = 0; b < B; b++) sd[b * U + which[b]] = 1;
  return { unique, spread };
}

function sameRow(bits: Uint32Array, a: number, b: number, C: number): boolean {
  for (let c = 0; c < C; c++) if (bits[a + c] !== bits[b + c]) return false;
  return true;
}
