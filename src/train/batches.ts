/**
 * Training batches drawn on the fly from the toy generator, as the reference does (no dataset).
 *
 * - base kin:   x | c               context = one-hot c
 * - base score: y | x, c            context = [one-hot c, x]
 * - residual:   one equal chunk ⌊B/G⌋ per systematic template, in config order, each labelled
 *               with its fixed ν; the base flow's context as above.
 */
import type { GeneratorConfig } from '../toy/config.js';
import type { Sector } from '../toy/sector.js';
import { generateBatch } from '../toy/index.js';
import type { Rng } from '../random/rng.js';

export interface Batch {
  n: number;
  /** model input [n, 2] (x for kin, y for score) */
  x: Float32Array;
  /** context [n, C] */
  context: Float32Array;
  /** nuisances [n, Nν] (residual training only) */
  nu?: Float32Array;
  /** event weights [n] (events read from weighted files); the loss is then −mean(w · log p) */
  w?: Float32Array;
  /** Where row r came from (events read from files: file and row), for messages about bad events. */
  origin?(r: number): string;
}

/** Context width per sector: kin = one-hot c; score = [one-hot c, x]. */
const CONTEXT_WIDTH: Record<Sector, number> = { kin: 2, score: 4 };
export const contextWidth = (sector: Sector) => CONTEXT_WIDTH[sector];

/** Write one toy draw of n events into rows [r0, r0+n) of a batch. */
function fill(sector: Sector, rng: Rng, n: number, cfg: GeneratorConfig, b: Batch, r0: number): void {
  const d = generateBatch(rng, n, cfg);
  if (sector === 'kin') {
    b.x.set(d.x, 2 * r0);
    b.context.set(d.cOneHot, 2 * r0);
    return;
  }
  b.x.set(d.y, 2 * r0);
  for (let i = 0; i < n; i++) {
    const o = 4 * (r0 + i);
    b.context[o] = d.cOneHot[2 * i];
    b.context[o + 1] = d.cOneHot[2 * i + 1];
    b.context[o + 2] = d.x[2 * i];
    b.context[o + 3] = d.x[2 * i + 1];
  }
}

export function nominalBatch(sector: Sector, rng: Rng, n: number, cfg: GeneratorConfig): Batch {
  const b: Batch = { n, x: new Float32Array(2 * n), context: new Float32Array(contextWidth(sector) * n) };
  fill(sector, rng, n, cfg, b, 0);
  return b;
}

export interface Template {
  name: string;
  m: number[];
  generator: GeneratorConfig;
}

export function templateBatch(sector: Sector, rng: Rng, batchSize: number, templates: readonly Template[]): Batch {
  const G = templates.length;
  const chunk = Math.floor(batchSize / G);
  if (chunk < 1) throw new Error(`batch size ${batchSize} is smaller than the number of templates (${G})`);
  const N = templates[0].m.length;
  const n = chunk * G;
  const b: Batch = {
    n,
    x: new Float32Array(2 * n),
    context: new Float32Array(contextWidth(sector) * n),
    nu: new Float32Array(N * n),
  };
  templates.forEach((t, g) => {
    fill(sector, rng, chunk, t.generator, b, g * chunk);
    for (let i = 0; i < chunk; i++) b.nu!.set(t.m, N * (g * chunk + i));
  });
  return b;
}
