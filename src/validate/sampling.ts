/**
 * Truth batches and model inputs: the generator's (c, x, y) with the score context
 * [one-hot(c), x] next to them, class selections, and the seeded streams every part draws from
 * (one independent stream per named use, so adding a figure never changes the closure numbers).
 */
import { Rng } from '../random/rng.js';
import { generateBatch, type GeneratorConfig } from '../toy/index.js';

export interface TruthBatch {
  n: number;
  c: Uint8Array | Int32Array;
  cOneHot: Float32Array;
  x: Float32Array;
  y: Float32Array;
  /** [one-hot(c), x] per event, [n, 4]: the score model's context. */
  scoreCtx: Float32Array;
}

/** Concatenates [n, a] and [n, b] row-major arrays into [n, a + b]. */
export function concatColumns(a: ArrayLike<number>, wa: number, b: ArrayLike<number>, wb: number): Float32Array {
  const n = a.length / wa;
  if (b.length !== n * wb)
    throw new Error(`validate/sampling concatColumns: ${n} rows of ${wa} but ${b.length / wb} rows of ${wb}`);
  const w = wa + wb;
  const out = new Float32Array(n * w);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < wa; j++) out[i * w + j] = a[i * wa + j];
    for (let j = 0; j < wb; j++) out[i * w + wa + j] = b[i * wb + j];
  }
  return out;
}

/** n events from `cfg` (classes by fair coin unless given). */
export function drawTruth(
  rng: Rng,
  n: number,
  cfg: Readonly<GeneratorConfig>,
  classes?: ArrayLike<number>,
): TruthBatch {
  const b = generateBatch(rng, n, cfg, classes ? { c: classes } : {});
  return { n, c: b.c, cOneHot: b.cOneHot, x: b.x, y: b.y, scoreCtx: concatColumns(b.cOneHot, 2, b.x, 2) };
}

/** The first m events of a batch (views, no copies). */
export function headOf(b: TruthBatch, m: number): TruthBatch {
  const k = Math.min(m, b.n);
  return {
    n: k,
    c: b.c.subarray(0, k),
    cOneHot: b.cOneHot.subarray(0, 2 * k),
    x: b.x.subarray(0, 2 * k),
    y: b.y.subarray(0, 2 * k),
    scoreCtx: b.scoreCtx.subarray(0, 4 * k),
  };
}

/**
 * Named seeded streams under one root seed: `streams.get('closure/kin_base')` is the same
 * stream in every run with that seed, independent of which other streams were used.
 */
export class Streams {
  private readonly root: Rng;
  private readonly keys = new Map<string, number>();

  constructor(readonly seed: number) {
    this.root = Rng.fromSeed(seed);
  }

  get(name: string): Rng {
    // A stable key from the name (FNV-1a), so the order of use does not matter.
    let h = 0x811c9dc5;
    for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
    const prev = this.keys.get(name);
    if (prev !== undefined && prev !== h) throw new Error(`validate/sampling: stream key clash for ${name}`);
    this.keys.set(name, h);
    return this.root.fork(h);
  }
}
