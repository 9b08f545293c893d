/**
 * A residual model over one fixed sample, evaluated at many ν: a fit's events, or the browser
 * page's kinematic grid at every slider position. The first residual layer's nets see the observed
 * v and the context, never ν (spec §5.1), so their outputs are computed once, here, and enter each
 * evaluation as constants through a stand-in stack: the same numbers the full pass computes (row by
 * row, by the same kernels), for less work (kin: all of its residual nets; score: half of them).
 *
 * Likewise the frozen base flow: each conditioner's context side (the hidden units that see only
 * the context, and their terms in the x-side units and the outputs; MaskedMLP.contextSide) depends
 * on the event's context alone, so it is computed once per row here and each evaluation runs only
 * the x side (three quarters of the base's matmul work saved with two features). Its cost: per row,
 * the x-side units of every hidden layer plus the outputs, per transform (~0.3 GB at 100k rows for
 * the score flow), held as long as this object is.
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
import { PolynomialResidualTransform } from './polynomial-residual.js';

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
  private readonly baseSides: { data: Float32Array; width: number }[][] | null;

  private readonly chunkRows: number;

  /**
   * Freezes the model's parameters (residual and base): evaluations record no weight gradients.
   * `chunkRows`: rows per evaluation chunk (default CHUNK_ROWS; more rows, fewer kernel calls, a
   * bigger step arena).
   */
  constructor(
    readonly model: SystematicCorrectedModel,
    private readonly v: Float32Array,
    private readonly context: Float32Array | null,
    opts: { chunkRows?: number } = {},
  ) {
    this.chunkRows = opts.chunkRows ?? CHUNK_ROWS;
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
   * The base conditioners' context sides over the sample (MaskedMLP.contextSide), or null when
   * there is no context, or some conditioner has no context side, or the context takes few distinct
   * values (a class: the base then computes its context side once per distinct context anyway,
   * MaskedMLP.forwardShared, and a per-row cache would only cost memory and copies).
   */
  private computeBaseSides(): { data: Float32Array; width: number }[][] | null {
    const { model, context } = this;
    const F = model.features;
    const C = model.config.contextDim;
    if (!context || C === 0 || fewDistinctRows(context, C)) return null;
    const transforms = model.base.transforms;
    const widths = transforms.map((t) => t.hyper.contextSideWidths(F));
    if (widths.some((w) => w === null)) return null;
    const flat = widths.flatMap((w) => w!);
    const outs = chunked(
      model.device,
      this.n,
      [{ data: context, width: C }],
      flat,
      ([ct]) => {
        const tape = new Tape(model.device, { grad: false });
        const c = tape.constant(ct!);
        return transforms.flatMap((t) => t.hyper.contextSide(tape, c, F)!.map((v) => v.value));
      },
      this.chunkRows,
    );
    let at = 0;
    return widths.map((w) => w!.map((width) => ({ data: outs[at++], width })));
  }

  /** The base flow's transform with its conditioners' context sides given (per transform, per layer). */
  private baseWith(sides: readonly Var[][]): Transform {
    const transforms: AutoregressiveSplineTransform[] = this.model.base.transforms;
    const parts: Transform[] = transforms.map((t, i) => ({
      features: t.features,
      forwardVar: (tape, x) => t.forwardVarWithContextSide(tape, x, sides[i]),
      inverseTensor: () => {
        throw new Error('ResidualOnSample: the stand-in base runs forward only');
      },
    }));
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

  /** The residual stack with the first layer's net outputs given as slots (the rest as they are). */
  private stackWith(slots: readonly Var[]): Transform {
    const first = this.first!;
    let at = 0;
    const given = this.slotCounts.map((S) => slots.slice(at, (at += S)));
    const head: Transform = {
      features: first.features,
      forwardVar: (tape, x, cond) => first.forwardVar(tape, x, cond, given),
      inverseTensor: () => {
        throw new Error('ResidualOnSample: the stand-in stack runs forward only');
      },
    };
    return new ComposedTransform([head, ...this.model.residual.transforms.slice(1)], this.model.features);
  }

  private run(nu: readonly number[], grad: boolean): Float32Array[] {
    const { model, n } = this;
    const dev = model.device;
    const F = model.features;
    const K = model.numNuisances;
    const C = model.config.contextDim;
    if (nu.length !== K) throw new Error(`residual model: expected ${K} nuisances, got ${nu.length}`);
    const sides = this.baseSides ?? [];
    const inputs = [{ data: this.v, width: F }, { data: this.context, width: C }, ...this.slots, ...sides.flat()];
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
        const stack = this.first ? this.stackWith(slotTs.map((r) => tape.constant(r!))) : model.residual;
        let at = S;
        const base = this.baseSides
          ? this.baseWith(this.baseSides.map((layers) => layers.map(() => tape.constant(rest[at++]!))))
          : model.base.transform;
        const lp = model.logProbVar(tape, tape.constant(vt!), cond, stack, base);
        if (!grad) return [lp.value];
        tape.backward(lp, dev.tensor(new Float32Array(rows).fill(1), lp.shape));
        return [lp.value, nuVar.grad ?? dev.zeros([rows, K])];
      },
      this.chunkRows,
    );
  }
}

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
