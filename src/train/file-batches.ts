/**
 * Minibatches drawn from events read from files: a seeded held-out split, then each epoch a
 * fresh seeded shuffle of the training events (so every event is seen once per pass).
 *
 * Weights enter the loss as Σ wᵢ log pᵢ / Σ wᵢ. Dividing each batch by its own Σ wᵢ would blow
 * up when negative weights make a small batch's sum near zero, so a batch carries wᵢ / w̄, with w̄
 * the mean weight of the sample's training events: −mean(wᵢ/w̄ · log pᵢ) has the same expectation
 * and stays finite. Residual training takes an equal chunk from each template, as the generator
 * batches do, each template's weights scaled by its own mean.
 *
 * Each pass shuffles the sorted training indices afresh with the training stream, so a pass is fixed
 * by the stream's state where it began: that state and the cursor are all --resume needs (`state`,
 * `restore`, saved with the training state) to draw exactly the batches an uninterrupted run draws.
 */
import * as zlib from 'node:zlib';
import { crc32 as tableCrc32 } from '../io/zip.js';
import { Rng } from '../random/rng.js';
import type { Batch } from './batches.js';
import {
  SampleError,
  classCounts,
  eventOrigin,
  summarizeWeights,
  sumOfWeights,
  weightSource,
  type EventSample,
  type WeightSummary,
} from './file-events.js';

/** Fisher–Yates with the project's seeded generator. */
function shuffle(a: Int32Array, rng: Rng): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform53() * (i + 1));
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}

export interface SampleSplit {
  train: Int32Array;
  holdout: Int32Array;
}

/** A seeded random split: ⌊fraction·n⌉ held-out events (at least one when fraction > 0), the rest for training. */
export function splitHoldout(n: number, fraction: number, rng: Rng): SampleSplit {
  const all = Int32Array.from({ length: n }, (_, i) => i);
  shuffle(all, rng);
  const held = fraction > 0 ? Math.max(1, Math.round(fraction * n)) : 0;
  if (n - held < 1) throw new SampleError(`holdout ${fraction} of ${n} events leaves none to train on`);
  return { holdout: all.slice(0, held).sort(), train: all.slice(held).sort() };
}

/** Where a sampler stands: the stream's state its pass was shuffled with (null: none yet) and the cursor. */
export interface SamplerState {
  passRng: number[] | null;
  cursor: number;
}

/** Walks a sample's training events in a fresh shuffled order each pass. */
export class EpochSampler {
  private order: Int32Array;
  private cursor: number;
  private passRng: number[] | null = null;
  /** 1 / mean weight of the training events (1 when unweighted). */
  readonly scale: number;

  constructor(
    readonly sample: EventSample,
    readonly indices: Int32Array,
  ) {
    this.order = Int32Array.from(indices);
    this.cursor = this.order.length; // shuffled on first use, with the training stream
    // The exact sum, not the card's rounded one: the loss must not depend on the weights' overall scale.
    const sumW = sumOfWeights(sample, indices);
    if (!(sumW > 0))
      throw new SampleError(
        `${sample.label}: the training events' weights (${weightSource(sample)}) sum to ${sumW}; Σw must be positive`,
      );
    this.scale = sample.weight ? indices.length / sumW : 1;
  }

  /** Writes `count` events into rows [r0, r0 + count) of `b`, and their indices into `events`. */
  fill(rng: Rng, count: number, b: Batch, r0: number, events: Int32Array): void {
    const C = this.sample.context.length / this.sample.n;
    for (let k = 0; k < count; k++) {
      if (this.cursor >= this.order.length) this.newPass(rng);
      events[r0 + k] = this.order[this.cursor++];
      copyRow(this.sample, events[r0 + k], b, r0 + k, C, this.scale);
    }
  }

  private newPass(rng: Rng): void {
    this.passRng = Array.from(rng.state());
    this.order = Int32Array.from(this.indices);
    shuffle(this.order, rng);
    this.cursor = 0;
  }

  state(): SamplerState {
    return { passRng: this.passRng, cursor: this.cursor };
  }

  /** Back to a saved place: the pass is shuffled again from the stream state it began with. */
  restore(s: SamplerState): void {
    const n = this.indices.length;
    if (!Number.isInteger(s.cursor) || s.cursor < 0 || s.cursor > n || (s.passRng === null && s.cursor !== n))
      throw new SampleError(
        `${this.sample.label}: the saved sampler position ${JSON.stringify(s)} does not fit ${n} events`,
      );
    this.passRng = s.passRng;
    this.order = Int32Array.from(this.indices);
    if (s.passRng) shuffle(this.order, Rng.fromState(s.passRng));
    this.cursor = s.cursor;
  }
}

function copyRow(s: EventSample, i: number, b: Batch, r: number, C: number, scale: number): void {
  b.x[2 * r] = s.x[2 * i];
  b.x[2 * r + 1] = s.x[2 * i + 1];
  for (let c = 0; c < C; c++) b.context[C * r + c] = s.context[C * i + c];
  if (b.w) b.w[r] = s.weight ? s.weight[i] * scale : 1;
  if (b.nu && s.nu) b.nu.set(s.nu, s.nu.length * r);
}

function emptyBatch(n: number, C: number, weighted: boolean, nuDim: number): Batch {
  return {
    n,
    x: new Float32Array(2 * n),
    context: new Float32Array(C * n),
    w: weighted ? new Float32Array(n) : undefined,
    nu: nuDim > 0 ? new Float32Array(nuDim * n) : undefined,
  };
}

/** The training and held-out sides of one or more samples (one for a base flow, one per template otherwise). */
export class FileBatches {
  private readonly samplers: EpochSampler[];
  private readonly splits: SampleSplit[];
  private readonly weighted: boolean;
  private readonly C: number;
  private readonly nuDim: number;

  constructor(
    readonly samples: EventSample[],
    private readonly holdout: number,
    splitRng: Rng,
  ) {
    this.splits = samples.map((s) => splitHoldout(s.n, holdout, splitRng));
    this.samplers = samples.map((s, g) => new EpochSampler(s, this.splits[g].train));
    this.weighted = samples.some((s) => s.weight !== undefined);
    this.C = samples[0].context.length / samples[0].n;
    this.nuDim = samples[0].nu?.length ?? 0;
  }

  /** Each sampler's place, and what the events were (see inputsFingerprint), for the training state. */
  state(): { samplers: SamplerState[]; inputs: InputsFingerprint } {
    return { samplers: this.samplers.map((s) => s.state()), inputs: this.inputs() };
  }

  /** Computed on first use (a CRC-32 pass over the events), then kept: the events do not change. */
  private fingerprint?: InputsFingerprint;
  private inputs(): InputsFingerprint {
    return (this.fingerprint ??= inputsFingerprint(this.samples, this.holdout));
  }

  /**
   * Back to a saved place. The saved fingerprint must match these events: a resume on other files
   * (or the same files changed) would mix two held-out splits and continue a pass over other events.
   * States saved before the fingerprint was recorded carry none and are not checked.
   */
  restore(saved: unknown): void {
    const was = (saved as { inputs?: InputsFingerprint } | null)?.inputs;
    if (was !== undefined) {
      const change = inputsChange(was, this.inputs());
      if (change)
        throw new SampleError(
          `the training events differ from those the run was started with: ${change}; ` +
            'resume with the same samples, or start a new run without --resume',
        );
    }
    const samplers = (saved as { samplers?: SamplerState[] } | null)?.samplers;
    if (!Array.isArray(samplers) || samplers.length !== this.samplers.length)
      throw new SampleError(
        `the saved file sampler state names ${Array.isArray(samplers) ? samplers.length : 'no'} samples, ` +
          `the config ${this.samplers.length}`,
      );
    samplers.forEach((s, g) => this.samplers[g].restore(s));
  }

  /** A training batch: ⌊size/G⌋ events from each of the G samples. */
  draw(rng: Rng, size: number): Batch {
    const G = this.samplers.length;
    const chunk = Math.floor(size / G);
    if (chunk < 1) throw new Error(`batch size ${size} is smaller than the number of templates (${G})`);
    const b = emptyBatch(chunk * G, this.C, this.weighted, this.nuDim);
    const events = new Int32Array(chunk * G);
    this.samplers.forEach((s, g) => s.fill(rng, chunk, b, g * chunk, events));
    b.origin = (r) => eventOrigin(this.samples[Math.floor(r / chunk)], events[r]);
    return b;
  }

  /**
   * Every held-out event once, in batches of at most `size`, weighted so that Σ w (−log p) / Σ w
   * is the mean over samples of each sample's weighted held-out NLL.
   */
  validation(size: number): Batch[] {
    const out: Batch[] = [];
    const G = this.samples.length;
    this.samples.forEach((s, g) => {
      const held = this.splits[g].holdout;
      const sumW = sumOfWeights(s, held);
      if (held.length > 0 && !(sumW > 0))
        throw new SampleError(
          `${s.label}: the held-out events' weights (${weightSource(s)}) sum to ${sumW}; Σw must be positive`,
        );
      const C = this.C;
      for (let start = 0; start < held.length; start += size) {
        const n = Math.min(size, held.length - start);
        const b = emptyBatch(n, C, true, this.nuDim);
        for (let k = 0; k < n; k++) copyRow(s, held[start + k], b, k, C, 1);
        for (let k = 0; k < n; k++) b.w![k] = (s.weight ? s.weight[held[start + k]] : 1) / sumW / G;
        const first = start;
        b.origin = (r) => eventOrigin(s, held[first + r]);
        out.push(b);
      }
    });
    return out;
  }

  /** Sample g's held-out events once, in batches of at most `size`, with their own weights. */
  heldOut(g: number, size: number): Batch[] {
    const s = this.samples[g];
    const held = this.splits[g].holdout;
    const out: Batch[] = [];
    for (let start = 0; start < held.length; start += size) {
      const n = Math.min(size, held.length - start);
      const b = emptyBatch(n, this.C, this.weighted, this.nuDim);
      for (let k = 0; k < n; k++) copyRow(s, held[start + k], b, k, this.C, 1);
      const first = start;
      b.origin = (r) => eventOrigin(s, held[first + r]);
      out.push(b);
    }
    return out;
  }

  /** Per sample: its files and the weights of its training and held-out events (for the card). */
  summary(): {
    sample: string;
    files: string[];
    class_events: { A: number; B: number };
    train: WeightSummary;
    holdout: WeightSummary;
  }[] {
    return this.samples.map((s, g) => ({
      sample: s.label,
      files: s.files,
      class_events: (([A, B]) => ({ A, B }))(classCounts(s)),
      train: summarizeWeights(s, this.splits[g].train),
      holdout: summarizeWeights(s, this.splits[g].holdout),
    }));
  }
}

/**
 * What a run's events were, saved with its training state: per sample its files (path, rows, where
 * the class came from), the weight column, ν, and a CRC-32 of the events as laid out for training
 * (x, context, weights) — the content, so a file rewritten in place with other events is caught
 * whatever its size or mtime — plus the held-out fraction, which moves events between the sides.
 */
export interface InputsFingerprint {
  holdout: number;
  samples: {
    sample: string;
    nu?: number[];
    weight?: string;
    files: { path: string; events: number; class: string | 0 | 1 }[];
    crc32: string;
  }[];
}

/** Node's zlib.crc32 (Node ≥ 20.15, much faster) when there, else io/zip.ts's table-driven one. */
const crc32: (data: Uint8Array) => number =
  (zlib as { crc32?: (data: Uint8Array) => number }).crc32 ?? ((data) => tableCrc32(data));

function bytesOf(a: Float32Array | Float64Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

export function inputsFingerprint(samples: EventSample[], holdout: number): InputsFingerprint {
  return {
    holdout,
    samples: samples.map((s) => ({
      sample: s.label,
      ...(s.nu ? { nu: s.nu } : {}),
      ...(s.weightColumn ? { weight: s.weightColumn } : {}),
      files: s.files.map((path, f) => ({ path, events: s.fileRows?.[f] ?? s.n, class: s.classes?.[f] ?? 'class' })),
      crc32: [s.x, s.context, ...(s.weight ? [s.weight] : [])]
        .map((a) => (crc32(bytesOf(a)) >>> 0).toString(16).padStart(8, '0'))
        .join('-'),
    })),
  };
}

/** The first difference between two fingerprints, in words, or null when they are the same. */
export function inputsChange(was: InputsFingerprint, now: InputsFingerprint): string | null {
  if (JSON.stringify(was) === JSON.stringify(now)) return null;
  if (was.holdout !== now.holdout) return `holdout was ${was.holdout}, now ${now.holdout}`;
  const describe = (s: InputsFingerprint['samples'][number]): string =>
    s.files.map((f) => `${f.path} (${f.events} events)`).join(', ');
  const count = Math.max(was.samples.length, now.samples.length);
  for (let g = 0; g < count; g++) {
    const [a, b] = [was.samples[g], now.samples[g]];
    if (!a || !b) return `the run had ${was.samples.length} sample(s), the config names ${now.samples.length}`;
    if (JSON.stringify(a) === JSON.stringify(b)) continue;
    if (a.sample !== b.sample) return `sample ${g + 1} was ${a.sample}, now ${b.sample}`;
    if (describe(a) !== describe(b)) return `${b.sample} was read from ${describe(a)}, now from ${describe(b)}`;
    if (a.weight !== b.weight)
      return `${b.sample}: the weight column was ${a.weight ?? '(none)'}, now ${b.weight ?? '(none)'}`;
    const classes = (s: typeof a): string => JSON.stringify(s.files.map((f) => f.class));
    if (classes(a) !== classes(b)) return `${b.sample}: the class of each file was ${classes(a)}, now ${classes(b)}`;
    if (JSON.stringify(a.nu) !== JSON.stringify(b.nu)) return `${b.sample}: ν was (${a.nu}), now (${b.nu})`;
    return (
      `${b.sample}: ${describe(b)} hold the same number of events as before but other values ` +
      `(CRC-32 ${a.crc32}, now ${b.crc32})`
    );
  }
  return 'the samples changed';
}
