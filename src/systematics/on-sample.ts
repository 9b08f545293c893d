/**
 * A residual model over one fixed sample, evaluated at many ν: a fit's events, or the browser
 * page's kinematic grid at every slider position. The first residual layer's nets see the observed
 * v and the context, never ν (spec §5.1), so their outputs are computed once, here, and enter each
 * evaluation as constants through a stand-in stack: the same numbers the full pass computes (row by
 * row, by the same kernels), for less work (kin: all of its residual nets; score: half of them).
 *
 * Likewise every net that sees a per-row context: the frozen base flow's conditioners, and the later
 * residual layers' nets (their input moves with ν, their context does not). A net's context side
 * (the hidden units that see only the context, and their terms in the x-side units and the outputs;
 * MaskedMLP.contextSide) depends on the event's context alone, so it is computed once per row here
 * and each evaluation runs only the x side (three quarters of the net's matmul work with two
 * features). Its cost: per row, the x-side units of every hidden layer plus the outputs, per net
 * (the score model: 1330 floats, ~0.53 GB at 100k rows), held as long as this object is; the caches
 * are built in order (base, then later layers) while they fit in `cacheBytes`, the rest runs whole.
 *
 * Lives beside the model (not in fit/) so that the page, which bundles no file-system code, can
 * use it; src/fit/model-adapter.ts re-exports it for the fit.
 */
import { Tape, type Var } from '../autodiff/tape.js';
import type { AutoregressiveSplineTransform } from '../flows/autoregressive.js';
import { ComposedTransform } from '../flows/compose.js';
import type { Transform } from '../flows/transform.js';
import { CHUNK_ROWS, chunked } from '../flows/chunked.js';
import type { SystematicCorrectedModel } from './corrected-model.js';
import { PolynomialResidualTransform, type GivenNetOutputs } from './polynomial-residual.js';

/** A row-major array of `width` columns per row of the sample. */
type Columns = { data: Float32Array; width: number };

export interface LogProbWithNuGrad {
  /** log p per event [n]. */
  logp: Float32Array;
  /** ∂ log p_i / ∂ν_k, row-major [n, K]. */
  dnu: Float32Array;
}

export class ResidualOnSample {
  private readonly n: number;
  /** The first layer when the stack starts with one (it then sees v itself). */
  private readonly first: PolynomialResidualTransform | null;
  /** Its net outputs per event split into their coefficient slots ([n, F] each); empty without a first layer. */
  private readonly slots: { data: Float32Array; width: number }[];
  /** Slots per net, in net order. */
  private readonly slotCounts: number[];

  /** Per base transform, its conditioner's context side per row (one array per layer); null: none. */
  private readonly baseSides: Columns[][] | null;
  /**
   * Per later residual layer (stack index → per net, one array per net layer), its nets' context
   * sides per row: their input moves with ν, their context does not. Empty: none.
   */
  private readonly laterSides: Map<number, Columns[][]>;

  private readonly chunkRows: number;
  /** Bytes left for per-row context sides. */
  private cacheLeft: number;

  /**
   * Freezes the model's parameters (residual and base): evaluations record no weight gradients.
   * `chunkRows`: rows per evaluation chunk (default CHUNK_ROWS; more rows, fewer kernel calls, a
   * bigger step arena). `cacheBytes`: the most memory the per-row context sides may take (default
   * DEFAULT_CACHE_BYTES); a sample too big for them is evaluated without.
   */
  constructor(
    readonly model: SystematicCorrectedModel,
    private readonly v: Float32Array,
    private readonly context: Float32Array | null,
    opts: { chunkRows?: number; cacheBytes?: number } = {},
  ) {
    this.chunkRows = opts.chunkRows ?? CHUNK_ROWS;
    this.cacheLeft = opts.cacheBytes ?? DEFAULT_CACHE_BYTES;
    if (!(this.cacheLeft >= 0)) {
      throw new Error(`ResidualOnSample: cacheBytes must be a number of bytes ≥ 0, got ${opts.cacheBytes}`);
    }
    if (!Number.isInteger(this.chunkRows) || this.chunkRows < 1) {
      throw new Error(`ResidualOnSample: chunkRows must be a positive integer, got ${opts.chunkRows}`);
    }
    const dev = model.device;
    const F = model.features;
    const C = model.config.contextDim;
    if (v.length % F !== 0) {
      throw new Error(`ResidualOnSample: ${v.length} values is not a whole number of rows of ${F} features`);
    }
    this.n = v.length / F;
    model.params.freeze();
    model.base.params.freeze();
    this.baseSides = this.computeBaseSides();
    this.laterSides = this.computeLaterSides();
    const head = model.residual.transforms[0];
    this.first = head instanceof PolynomialResidualTransform ? head : null;
    const first = this.first;
    if (!first) {
      this.slots = [];
      this.slotCounts = [];
      return;
    }
    const widths = first.netOutputWidths();
    const outs = chunked(
      dev,
      this.n,
      [
        { data: v, width: F },
        { data: context, width: C },
      ],
      widths,
      ([vt, ct]) => {
        const tape = new Tape(dev, { grad: false });
        return first.netOutputs(tape, tape.constant(vt!), ct ? tape.constant(ct) : null).map((r) => r.value);
      },
      this.chunkRows,
    );
    // Split once here, so an evaluation copies whole slot arrays instead of gathering columns.
    this.slotCounts = widths.map((w) => w / F);
    this.slots = outs.flatMap((raw, j) => {
      const S = this.slotCounts[j];
      return Array.from({ length: S }, (_, k) => {
        const slot = new Float32Array(this.n * F);
        for (let r = 0; r < this.n; r++) for (let i = 0; i < F; i++) slot[r * F + i] = raw[r * S * F + i * S + k];
        return { data: slot, width: F };
      });
    });
  }

  /**
   * Whether per-row context sides pay here: there is a context and it takes many distinct values
   * (with few, a class, the nets compute their context side once per distinct context anyway,
   * MaskedMLP.forwardShared, and a per-row cache would only cost memory and copies).
   */
  private contextVaries(): boolean {
    const C = this.model.config.contextDim;
    this.varies ??= this.context !== null && C > 0 && !fewDistinctRows(this.context, C);
    return this.varies;
  }

  private varies: boolean | undefined;

  /**
   * Context sides per row in one chunked pass: `widths[g][l]` columns for group g, layer l; `side`
   * gives a chunk's Vars in the same nesting.
   */
  private sidesOverSample(widths: number[][], side: (tape: Tape, c: Var) => Var[][]): Columns[][] | null {
    const { model } = this;
    const bytes = 4 * this.n * widths.flat().reduce((a, b) => a + b, 0);
    if (bytes > this.cacheLeft) return null;
    this.cacheLeft -= bytes;
    const outs = chunked(
      model.device,
      this.n,
      [{ data: this.context, width: model.config.contextDim }],
      widths.flat(),
      ([ct]) => {
        const tape = new Tape(model.device, { grad: false });
        return side(tape, tape.constant(ct!)).flatMap((g) => g.map((v) => v.value));
      },
      this.chunkRows,
    );
    let at = 0;
    return widths.map((g) => g.map((width) => ({ data: outs[at++], width })));
  }

  /** The base conditioners' context sides over the sample (MaskedMLP.contextSide), or null (none, or not worth it). */
  private computeBaseSides(): Columns[][] | null {
    if (!this.contextVaries()) return null;
    const F = this.model.features;
    const transforms = this.model.base.transforms;
    const widths = transforms.map((t) => t.hyper.contextSideWidths(F));
    if (widths.some((w) => w === null)) return null;
    return this.sidesOverSample(widths as number[][], (tape, c) =>
      transforms.map((t) => t.hyper.contextSide(tape, c, F)!),
    );
  }

  /** The later residual layers' nets' context sides over the sample, by stack index. */
  private computeLaterSides(): Map<number, Columns[][]> {
    const out = new Map<number, Columns[][]>();
    if (!this.contextVaries()) return out;
    this.model.residual.transforms.forEach((t, j) => {
      if (j === 0 || !(t instanceof PolynomialResidualTransform)) return;
      const widths = t.netContextSideWidths();
      if (!widths) return;
      const flat = this.sidesOverSample([widths.flat()], (tape, c) => [t.netContextSides(tape, c)!.flat()])?.[0];
      if (!flat) return;
      let at = 0;
      out.set(
        j,
        widths.map((w) => w.map(() => flat[at++])),
      );
    });
    return out;
  }

  /** The base flow's transform with its conditioners' context sides given (per transform, per layer). */
  private baseWith(sides: readonly Var[][]): Transform {
    const transforms: AutoregressiveSplineTransform[] = this.model.base.transforms;
    const parts = transforms.map((t, i) =>
      forwardOnly(t.features, (tape, x) => t.forwardVarWithContextSide(tape, x, sides[i])),
    );
    return new ComposedTransform(parts, this.model.features);
  }

  /** Rows of the sample. */
  get rows(): number {
    return this.n;
  }

  logProbAndNuGrad(nu: readonly number[]): LogProbWithNuGrad {
    const [logp, dnu] = this.run(nu, true);
    return { logp, dnu };
  }

  logProb(nu: readonly number[]): Float32Array {
    return this.run(nu, false)[0];
  }

  /**
   * The residual stack with what is known of its nets given: the first layer's net outputs as
   * slots, the later layers' nets' context sides (per stack index); the rest runs as it is.
   */
  private stackWith(slots: readonly Var[], later: ReadonlyMap<number, readonly (readonly Var[])[]>): Transform {
    let at = 0;
    const firstGiven = this.slotCounts.map((S) => slots.slice(at, (at += S)));
    const parts = this.model.residual.transforms.map((t, j): Transform => {
      const given: GivenNetOutputs | undefined =
        j === 0 && this.first ? firstGiven : later.get(j)?.map((contextSide) => ({ contextSide }));
      if (!given || !(t instanceof PolynomialResidualTransform)) return t;
      return forwardOnly(t.features, (tape, x, cond) => t.forwardVar(tape, x, cond, given));
    });
    return new ComposedTransform(parts, this.model.features);
  }

  private run(nu: readonly number[], grad: boolean): Float32Array[] {
    const { model, n } = this;
    const dev = model.device;
    const F = model.features;
    const K = model.numNuisances;
    const C = model.config.contextDim;
    if (nu.length !== K) throw new Error(`residual model: expected ${K} nuisances, got ${nu.length}`);
    const sides = this.baseSides ?? [];
    const later = [...this.laterSides.entries()];
    const inputs = [
      { data: this.v, width: F },
      { data: this.context, width: C },
      ...this.slots,
      ...sides.flat(),
      ...later.flatMap(([, nets]) => nets.flat()),
    ];
    const S = this.slots.length;
    return chunked(
      dev,
      n,
      inputs,
      grad ? [1, K] : [1],
      ([vt, ct, ...rest], rows) => {
        const slotTs = rest.slice(0, S);
        const tape = new Tape(dev, { grad });
        const nuRows = new Float32Array(rows * K);
        for (let i = 0; i < rows; i++) for (let k = 0; k < K; k++) nuRows[i * K + k] = nu[k];
        const nuT = dev.tensor(nuRows, [rows, K]);
        const nuVar = grad ? tape.leaf(nuT) : tape.constant(nuT);
        const cond = { context: ct ? tape.constant(ct) : null, nu: nuVar };
        let at = S;
        const next = () => tape.constant(rest[at++]!);
        const base = this.baseSides
          ? this.baseWith(this.baseSides.map((layers) => layers.map(next)))
          : model.base.transform;
        const laterVars = new Map(later.map(([j, nets]) => [j, nets.map((layers) => layers.map(next))]));
        const stack =
          this.first || laterVars.size
            ? this.stackWith(
                slotTs.map((r) => tape.constant(r!)),
                laterVars,
              )
            : model.residual;
        const lp = model.logProbVar(tape, tape.constant(vt!), cond, stack, base);
        if (!grad) return [lp.value];
        tape.backward(lp, dev.tensor(new Float32Array(rows).fill(1), lp.shape));
        return [lp.value, nuVar.grad ?? dev.zeros([rows, K])];
      },
      this.chunkRows,
    );
  }
}

/** A stand-in transform that computes what a model's own does, forward only (the stand-ins above). */
function forwardOnly(features: number, forwardVar: Transform['forwardVar']): Transform {
  return {
    features,
    forwardVar,
    inverseTensor: () => {
      throw new Error('ResidualOnSample: a stand-in transform runs forward only');
    },
  };
}

/**
 * Default memory for the per-row context sides: a 100k-event fit's score sample (both classes, 200k
 * rows: ~1.06 GB) fits; one ten times that size runs without rather than take 10 GB.
 */
export const DEFAULT_CACHE_BYTES = 2 ** 31;

/** Most distinct context rows for which the base's own sharing (MaskedMLP.forwardShared) is left to do the work. */
const FEW_CONTEXTS = 64;

/**
 * Whether the [n, C] context has at most FEW_CONTEXTS distinct rows, and at most a quarter of n (the
 * bounds of the base's own sharing, ../nn/shared-context.ts); stops counting past them.
 */
function fewDistinctRows(context: Float32Array, C: number): boolean {
  const most = Math.min(FEW_CONTEXTS, Math.floor(context.length / C / 4));
  const seen = new Set<string>();
  for (let r = 0; r < context.length; r += C) {
    seen.add(context.subarray(r, r + C).join(','));
    if (seen.size > most) return false;
  }
  return true;
}
