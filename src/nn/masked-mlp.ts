/**
 * Zuko's MaskedMLP: Lin_0, act, Lin_1, act, …, Lin_L — every linear layer masked, no activation
 * after the last. Parameter names follow Zuko's state dict: `<prefix>.<2ℓ>.weight|bias|mask`.
 */
import { Act } from '../backend/kernels.js';
import type { ParamSet, ParamSpec, Param } from '../autodiff/param.js';
import type { Tape, Var } from '../autodiff/tape.js';
import type { Tensor } from '../tensor/tensor.js';
import {
  blockLinear,
  concatCols,
  gatherRows,
  linear,
  rowBiasLinear,
  spreadLinear,
  weightBlocks,
} from '../ops/index.js';
import type { Rng } from '../random/rng.js';
import { uniformInit } from './init.js';
import { inputsReachingOutputs, type BoolMatrix } from './masks.js';
import { distinctRows } from './distinct-rows.js';
import { blockLayouts } from './block-layout.js';
import type { LayerBlockLayout } from '../ops/block-linear.js';
import { contextBlocks, type ContextBlocks } from './context-blocks.js';
import { sharedContext, type SharedContext } from './shared-context.js';

export interface MaskedLayer {
  weight: Param;
  bias: Param;
  /** persistent 0/1 f32 tensor of the weight's shape. */
  mask: Tensor;
  /** The layer with hidden units sorted into blocks, for the matmuls (./block-layout.ts). */
  layout: LayerBlockLayout;
}

/** One layer cut by the context split: what the context side and the x side each multiply by. */
interface SplitLayer {
  /** ctx → x-side units (the outputs: from ctx), and the x-side units' bias (the outputs': all of it). */
  ctxToX: Var;
  xB: Var;
  /** ctx → ctx and its bias; null for the output layer. */
  toCtx: { W: Var; b: Var } | null;
  /** x side → x side (the outputs: from the x side), its activation and matmul ranges. */
  xW: Var;
  act: Act;
  ranges: Tensor | null;
}

/** Layer widths [in, h1, …, hL, out] → the parameter specs, in state-dict order. */
export function maskedMlpSpecs(prefix: string, widths: readonly number[]): ParamSpec[] {
  const specs: ParamSpec[] = [];
  for (let l = 0; l + 1 < widths.length; l++) {
    specs.push({ name: `${prefix}.${2 * l}.weight`, shape: [widths[l + 1], widths[l]] });
    specs.push({ name: `${prefix}.${2 * l}.bias`, shape: [widths[l + 1]] });
  }
  return specs;
}

export class MaskedMLP {
  readonly layers: MaskedLayer[];
  /** Per pattern of inputs that need a gradient, the input-gradient ranges of a frozen pass. */
  private readonly frozenRanges = new Map<string, (Tensor | null)[]>();
  /** Per width of x, the network split into its context and x sides (null: no context side). */
  private readonly splits = new Map<number, ContextBlocks | null>();
  /**
   * The model's parameters, which own every persistent tensor this network makes (masks, layouts,
   * and the split and range tensors built on first use), so `params.free()` releases them all.
   */
  private readonly owner: ParamSet;
  private readonly masks: BoolMatrix[];
  /** Per input column of [x, context]: whether any output depends on it. */
  private readonly reaching: boolean[];

  constructor(
    readonly prefix: string,
    params: ParamSet,
    masks: BoolMatrix[],
    readonly activation: Act,
  ) {
    this.owner = params;
    this.masks = masks;
    this.reaching = inputsReachingOutputs(masks);
    const layouts = blockLayouts(params, masks);
    this.layers = masks.map((m, l) => ({
      weight: params.get(`${prefix}.${2 * l}.weight`),
      bias: params.get(`${prefix}.${2 * l}.bias`),
      mask: params.persistent(
        [m.length, m[0].length],
        m.flat().map((b) => (b ? 1 : 0)),
      ),
      layout: layouts[l],
    }));
  }

  /** PyTorch-default init; `zeroLast` makes the last layer exactly zero (residual nets). */
  init(rng: Rng, zeroLast = false): void {
    this.layers.forEach((layer, l) => {
      const last = l === this.layers.length - 1;
      if (last && zeroLast) {
        layer.weight.value.data.fill(0);
        layer.bias.value.data.fill(0);
        return;
      }
      const fanIn = layer.weight.shape[1];
      uniformInit(layer.weight.value.data, fanIn, rng);
      uniformInit(layer.bias.value.data, fanIn, rng);
    });
  }

  /** The network on [x, context] (context may be null). */
  forward(tape: Tape, x: Var, context: Var | null): Var {
    const shared = context ? sharedContext(context) : null;
    const split = shared ? this.contextSplit(x.value.cols) : null;
    if (shared && split) return this.forwardShared(tape, x, shared, split);
    const input = context ? concatCols([x, context]) : x;
    const vars = this.layers.map((layer) => ({ W: tape.param(layer.weight), b: tape.param(layer.bias) }));
    // A frozen network only passes gradients through to the inputs that want one (a frozen base
    // flow under a trained residual: x does, the context does not). Then only the hidden units
    // that see such an input carry a gradient anyone reads; the rest are skipped on the way back.
    const frozen = vars.every((v) => !v.W.requiresGrad && !v.b.requiresGrad);
    const live = [
      ...Array<boolean>(x.value.cols).fill(x.requiresGrad),
      ...Array<boolean>(context?.value.cols ?? 0).fill(context?.requiresGrad ?? false),
    ];
    const dxRanges = frozen && input.requiresGrad ? this.liveRanges(live) : null;
    let h = input;
    this.layers.forEach((layer, l) => {
      const last = l === this.layers.length - 1;
      // Same function as linear(h, W, b, { mask }), with the hidden units in block order.
      const act = last ? Act.None : this.activation;
      const afterRelu = l > 0 && this.activation === Act.Relu;
      h = blockLinear(h, vars[l].W, vars[l].b, layer.layout, act, dxRanges?.[l] ?? null, afterRelu);
    });
    return h;
  }

  /**
   * The same function as `forward`, run once per distinct row of the inputs its outputs depend on
   * (from the masks: an NSF transform's conditioner never sees the last feature in its order), its
   * outputs then copied back to every row. On a grid the first transform of a 2-feature flow sees
   * one coordinate and the class: ~128 distinct rows of 16 384. Used only when x and the context
   * need no gradient (a copied row has no way back to its own inputs; parameter gradients are
   * sums over rows and stay right) and at most a quarter of the rows are distinct (a continuous
   * input is given up on after that many rows); otherwise `forward`.
   * Every row is computed by the same kernels as in `forward` (sums in the same order whatever a
   * row's position), so the values are the same bits.
   */
  forwardDistinct(tape: Tape, x: Var, context: Var | null): Var {
    if (x.requiresGrad || context?.requiresGrad) return this.forward(tape, x, context);
    const F = x.value.cols;
    const B = x.value.rows;
    const pick = (from: number, to: number) => this.reaching.slice(from, to).flatMap((live, j) => (live ? [j] : []));
    const keys = [{ value: x.value, cols: pick(0, F) }];
    if (context) keys.push({ value: context.value, cols: pick(F, this.reaching.length) });
    const found = distinctRows(keys, Math.floor(B / 4));
    if (!found) return this.forward(tape, x, context);
    // Keep the shared-context choice of the full batch (it changes how sums are grouped): the
    // distinct rows take it too when they hold at least 4 rows per distinct context.
    const shared = context ? sharedContext(context) : null;
    if (shared && found.first.length < 4 * shared.unique.rows) return this.forward(tape, x, context);
    const out = this.forward(tape, gatherRows(x, found.first), context ? gatherRows(context, found.first) : null);
    return gatherRows(out, found.which);
  }

  /**
   * The same network when the batch holds few distinct contexts: the context side of every
   * layer runs once per distinct context, and only the x side runs per row, with the context
   * side's contribution added as a per-context bias (spreadLinear). With two features that is a
   * quarter of each hidden layer's per-row work instead of three quarters. Same function; the
   * sums are grouped differently, so results agree with `forward`'s to rounding (~1e-7).
   */
  private forwardShared(tape: Tape, x: Var, shared: SharedContext, split: ContextBlocks): Var {
    const layers = this.splitLayers(tape, split);
    const terms = this.contextTerms(layers, tape.constant(shared.unique));
    const relu = this.activation === Act.Relu;
    return layers.reduce(
      (h, s, l) => spreadLinear(h, s.xW, shared.spread, terms[l], s.act, s.ranges, relu && l > 0),
      x,
    );
  }

  /**
   * Per layer, the width of `contextSide`'s output for x of `features` columns (the x-side units
   * of each hidden layer, then every output); null when the network has no context side.
   */
  contextSideWidths(features: number): number[] | null {
    const split = this.contextSplit(features);
    if (!split) return null;
    return [
      ...split.hidden.map((h) => h.weight.blocks[2].shape[0]),
      this.layers[this.layers.length - 1].weight.shape[0],
    ];
  }

  /**
   * The part of every layer that sees only the context, per row of `context` (for x of
   * `features` columns): per hidden layer the x-side units' context term ctx→x · h_ctx + b_x, and
   * the outputs' from-ctx · h_ctx + b. It does not depend on x: over a fixed sample evaluated at
   * many ν (ResidualOnSample) it is computed once, and `forwardWithContextSide` runs the rest.
   * forwardShared's context side, here one row per row of `context`. null when the network has
   * no context side.
   */
  contextSide(tape: Tape, context: Var, features: number): Var[] | null {
    const split = this.contextSplit(features);
    return split ? this.contextTerms(this.splitLayers(tape, split), context) : null;
  }

  /**
   * The network on [x, context] given `contextSide(context)` row for row: only the x side runs
   * (a quarter of each hidden layer's work with two features), its context terms added per row.
   * The same sums as forwardShared, so the same function as `forward` to rounding.
   */
  forwardWithContextSide(tape: Tape, x: Var, side: readonly Var[]): Var {
    const split = this.contextSplit(x.value.cols);
    if (!split || side.length !== this.layers.length) {
      throw new Error(
        `${this.prefix}: forwardWithContextSide needs one context term per layer (${this.layers.length})` +
          ` of a network with a context side for x of ${x.value.cols} columns, got ${side.length}`,
      );
    }
    const layers = this.splitLayers(tape, split);
    const relu = this.activation === Act.Relu;
    return layers.reduce((h, s, l) => rowBiasLinear(h, s.xW, side[l], s.act, s.ranges, relu && l > 0), x);
  }

  /** Each layer's weights and bias cut into the context split's blocks (one gather per layer and kind). */
  private splitLayers(tape: Tape, split: ContextBlocks): SplitLayer[] {
    return this.layers.map((layer, l) => {
      const W = tape.param(layer.weight),
        b = tape.param(layer.bias);
      if (l < split.hidden.length) {
        const [ctxToCtx, ctxToX, xW] = weightBlocks(W, split.hidden[l].weight);
        const [ctxB, xB] = weightBlocks(b, split.hidden[l].bias);
        const toCtx = { W: ctxToCtx, b: ctxB };
        return { ctxToX, xB, toCtx, xW, act: this.activation, ranges: split.hidden[l].xRanges };
      }
      const [ctxToX, xW] = weightBlocks(W, split.output);
      return { ctxToX, xB: b, toCtx: null, xW, act: Act.None, ranges: split.outputXRanges };
    });
  }

  /** Per layer, the context's term in the x side (ctx→x · h_ctx + b_x), the context side run forward. */
  private contextTerms(layers: readonly SplitLayer[], context: Var): Var[] {
    let ctx = context;
    return layers.map((s) => {
      const term = linear(ctx, s.ctxToX, s.xB);
      if (s.toCtx) ctx = linear(ctx, s.toCtx.W, s.toCtx.b, { activation: this.activation });
      return term;
    });
  }

  private contextSplit(features: number): ContextBlocks | null {
    let split = this.splits.get(features);
    if (split === undefined) {
      split = contextBlocks(
        this.owner,
        this.masks,
        this.layers.map((l) => l.layout),
        features,
      );
      this.splits.set(features, split);
    }
    return split;
  }

  /**
   * Per layer, the matmulNN ranges of its input gradient when only the inputs marked in `live`
   * need one and no parameter does: a unit is live when its mask reaches a live unit of the layer
   * before; a dead unit's column gets an empty range. Exact for every gradient that reaches a
   * live input: a live unit is only seen by live units, so its sum never had a dead term. (null:
   * every unit is live.)
   */
  private liveRanges(live: readonly boolean[]): (Tensor | null)[] {
    const key = live.map((v) => (v ? 1 : 0)).join('');
    let ranges = this.frozenRanges.get(key);
    if (!ranges) {
      let liveIn = live;
      ranges = this.layers.map(({ layout }) => {
        const [N, K] = layout.mask.shape;
        const m = layout.mask.data,
          cr = layout.colRanges.data;
        const liveOut = Array.from({ length: N }, (_, i) => liveIn.some((v, j) => v && m[i * K + j] !== 0));
        const dead = liveIn.some((v) => !v);
        const r = dead
          ? this.owner.persistent(
              [K, 2],
              Array.from({ length: 2 * K }, (_, e) => (liveIn[e >> 1] ? cr[e] : 0)),
            )
          : null;
        liveIn = liveOut;
        return r;
      });
      this.frozenRanges.set(key, ranges);
    }
    return ranges;
  }

  /** Masks as booleans (export to a state dict; compare with a checkpoint). */
  maskArrays(): BoolMatrix[] {
    return this.layers.map((l) => {
      const [rows, cols] = l.mask.shape;
      const d = l.mask.data;
      return Array.from({ length: rows }, (_, r) => Array.from(d.subarray(r * cols, (r + 1) * cols), (v) => v !== 0));
    });
  }
}
