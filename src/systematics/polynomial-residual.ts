/**
 * One residual layer R: x ↦ x ⊙ exp(s) + t, with s and t polynomial in the nuisances ν
 * (spec §5.1, the reference's IndependentPolynomialResidualTransform):
 *
 *   ν̃ = (ν − μ)/σ_ν
 *   s_i = Σ_n A_s⁽ⁿ⁾_i ν̃_n + B_s⁽ⁿ⁾_i (q ν̃_n²) + Σ_pairs C_s⁽ᵖ⁾_i (q_x ν̃_a ν̃_b)     (t likewise)
 *
 * The coefficients come from one masked ELU MLP per nuisance (and per cross pair) of [x, c],
 * strictly autoregressive in the features: feature i's coefficients see x_{<i} and the context,
 * never x_i, so ∂y_i/∂x_i = e^{s_i} and ln|det J| = Σ s_i. The nets never see ν, so ν = μ gives
 * s = t = 0 exactly: the identity, whatever the weights.
 */
import { Act } from '../backend/kernels.js';
import type { Device } from '../backend/device.js';
import type { ParamSet, ParamSpec } from '../autodiff/param.js';
import { Tape, type Var } from '../autodiff/tape.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkInputs, checkRows } from '../flows/checks.js';
import {
  add,
  div,
  exp,
  gatherCols,
  gatherRows,
  mul,
  neg,
  scatterRows,
  sliceCols,
  square,
  sub,
  sumCols,
} from '../ops/index.js';
import { MaskedMLP, maskedMlpSpecs } from '../nn/masked-mlp.js';
import { maskedMlpMasks, strictlyLowerAdjacency } from '../nn/masks.js';
import type { Rng } from '../random/rng.js';
import type { Condition, Transform } from '../flows/transform.js';
import type { ResidualModelConfig } from './config.js';

/**
 * What a caller already has of each net (nuisance nets, then cross nets): its raw output at this x
 * [B, slots·F], or that output's coefficient slots split out ([B, F] each, in slot order), or its
 * context side for these rows (MaskedMLP.contextSide: the net then runs only its x side).
 */
export type GivenNetOutputs = readonly (Var | readonly Var[] | { contextSide: readonly Var[] })[];

/** Coefficient slots per feature in a nuisance net's output (A_s, B_s, A_t, B_t). */
const NUISANCE_SLOTS = 4;
/** Slots per feature in a cross-term net's output (C_s, C_t). */
const CROSS_SLOTS = 2;

/**
 * The rows where a net's terms can be non-zero: those whose ν̃ is non-zero in every column of `cols`
 * (a nuisance net's terms are A·ν̃_n + B·q·ν̃_n², a cross net's C·q_x·ν̃_a·ν̃_b). Training on the
 * reference's templates, each of which pulls one nuisance, every nuisance net is needed on half the
 * rows and a cross net on none, so this halves the residual's work (issue 19). The others are exact
 * zeros either way (for finite coefficients: a net's NaN is no longer carried to rows where ν̃ = 0).
 * null (run on every row) when all rows are live, when the net's outputs are `given`, or when ν̃
 * carries a gradient: d/dν needs the coefficients where ν̃ = 0 too.
 */
function liveRows(nuT: Var, cols: readonly number[], given: GivenNetOutputs[number] | undefined): Int32Array | null {
  if (given !== undefined || nuT.requiresGrad) return null;
  const V = nuT.value.data;
  const [B, N] = [nuT.value.rows, nuT.value.cols];
  const rows = new Int32Array(B);
  let live = 0;
  for (let r = 0; r < B; r++) {
    let nonzero = true;
    for (const c of cols) nonzero &&= V[r * N + c] !== 0;
    if (nonzero) rows[live++] = r;
  }
  return live === B ? null : rows.subarray(0, live);
}

export function residualLayerSpecs(prefix: string, cfg: ResidualModelConfig): ParamSpec[] {
  const inW = cfg.featuresDim + cfg.contextDim;
  const specs: ParamSpec[] = [];
  for (let n = 0; n < cfg.numNuisances; n++) {
    specs.push(
      ...maskedMlpSpecs(`${prefix}nuisance_nets.${n}`, [inW, ...cfg.hiddenFeatures, NUISANCE_SLOTS * cfg.featuresDim]),
    );
  }
  cfg.crossTermPairs.forEach((_, p) => {
    specs.push(
      ...maskedMlpSpecs(`${prefix}cross_nets.${p}`, [inW, ...cfg.hiddenFeatures, CROSS_SLOTS * cfg.featuresDim]),
    );
  });
  return specs;
}

export class PolynomialResidualTransform implements Transform {
  readonly nets: MaskedMLP[];
  readonly crossNets: MaskedMLP[];
  /** μ_ν and σ_ν as [N] rows (buffers, stored per layer like the reference). */
  readonly central: Tensor;
  readonly scales: Tensor;

  constructor(
    readonly prefix: string,
    readonly device: Device,
    /** The set its nets' weights live in: kept to refuse running once it was freed (see forwardVar). */
    private readonly params: ParamSet,
    readonly cfg: ResidualModelConfig,
  ) {
    const F = cfg.featuresDim;
    const netMasks = maskedMlpMasks(strictlyLowerAdjacency(F, NUISANCE_SLOTS, cfg.contextDim), cfg.hiddenFeatures);
    const crossMasks = maskedMlpMasks(strictlyLowerAdjacency(F, CROSS_SLOTS, cfg.contextDim), cfg.hiddenFeatures);
    this.nets = Array.from(
      { length: cfg.numNuisances },
      (_, n) => new MaskedMLP(`${prefix}nuisance_nets.${n}`, params, netMasks, Act.Elu),
    );
    this.crossNets = cfg.crossTermPairs.map(
      (_, p) => new MaskedMLP(`${prefix}cross_nets.${p}`, params, crossMasks, Act.Elu),
    );
    // Owned by the model's parameters (as the nets' masks and layouts are): freed with them.
    this.central = params.persistent([cfg.numNuisances], cfg.centralNuisanceValues);
    this.scales = params.persistent([cfg.numNuisances], cfg.nuisanceScales);
  }

  get features(): number {
    return this.cfg.featuresDim;
  }

  /** PyTorch-default init with zero last layers: the layer starts as the identity. */
  init(rng: Rng): void {
    for (const net of [...this.nets, ...this.crossNets]) net.init(rng, true);
  }

  /** Columns k, k+slots, k+2·slots, …: coefficient k of every feature. */
  private slot(raw: Var, k: number, slots: number): Var {
    return gatherCols(
      raw,
      Array.from({ length: this.cfg.featuresDim }, (_, i) => i * slots + k),
    );
  }

  /** ν from the condition; a residual layer cannot run without it. */
  private nuOf<T>(cond: Condition<T>): T {
    if (!cond.nu) throw new Error(`residual layer ${this.prefix}: the condition has no nuisances ν`);
    return cond.nu;
  }

  /**
   * The raw outputs of the nuisance nets, then the cross nets, at input x: they never see ν, so where x
   * does not depend on ν either (the first layer, on the observed x) one evaluation serves every ν.
   */
  netOutputs(tape: Tape, x: Var, context: Var | null): Var[] {
    return [...this.nets, ...this.crossNets].map((net) => net.forwardDistinct(tape, x, context));
  }

  /**
   * Per net (nuisance nets, then cross nets), its context side over `context` (MaskedMLP.contextSide,
   * one Var per layer); null when the nets have none (no context). A later layer's input depends on
   * ν, its context does not: over a fixed sample this part is computed once.
   */
  netContextSides(tape: Tape, context: Var): Var[][] | null {
    const F = this.cfg.featuresDim;
    const sides = [...this.nets, ...this.crossNets].map((net) => net.contextSide(tape, context, F));
    return sides.some((s) => s === null) ? null : (sides as Var[][]);
  }

  /** Per net, the widths of netContextSides' entries; null when the nets have no context side. */
  netContextSideWidths(): number[][] | null {
    const F = this.cfg.featuresDim;
    const widths = [...this.nets, ...this.crossNets].map((net) => net.contextSideWidths(F));
    return widths.some((w) => w === null) ? null : (widths as number[][]);
  }

  /** Widths of netOutputs' entries, in order. */
  netOutputWidths(): number[] {
    const F = this.cfg.featuresDim;
    return [...this.nets.map(() => NUISANCE_SLOTS * F), ...this.crossNets.map(() => CROSS_SLOTS * F)];
  }

  /**
   * s and t [B,F] at input x, for the condition's context and nuisances ν [B,N]. `given`: the nets'
   * outputs at this x when the caller already has them (netOutputs), per net either as it comes
   * [B, slots·F] or split into its coefficient slots ([B, F] each, in slot order: A_s, B_s, A_t,
   * B_t; a cross net's C_s, C_t), which saves the per-evaluation column gathers. A net the caller
   * does not give runs only on the rows where its ν̃ factor is not zero (liveRows).
   */
  coefficientsVar(tape: Tape, x: Var, cond: Condition<Var>, given?: GivenNetOutputs): { s: Var; t: Var } {
    const { quadraticDamping: q, crossDamping: qx } = this.cfg;
    const context = cond.context ?? null;
    const nu = this.nuOf(cond);
    const nuT = div(sub(nu, tape.constant(this.central)), tape.constant(this.scales));
    const col = (n: number) => sliceCols(nuT, n, n + 1); // ν̃_n as [B,1], broadcast over features
    let s: Var | null = null;
    let t: Var | null = null;
    const acc = (a: Var | null, b: Var) => (a ? add(a, b) : b);
    const nNets = this.nets.length;
    // A net runs on the rows where its ν̃ factor is not zero (liveRows; all rows: null) and its
    // terms are spread back as zeros elsewhere, which is what they are there.
    const onRows = (v: Var, rows: Int32Array | null) => (rows ? gatherRows(v, rows) : v);
    const toBatch = (v: Var, rows: Int32Array | null) => (rows ? scatterRows(v, rows, nuT.value.rows) : v);
    const slotsOf = (at: number, net: MaskedMLP, slots: number, rows: Int32Array | null): readonly Var[] => {
      const g = given?.[at];
      if (Array.isArray(g)) return g;
      const raw =
        g === undefined
          ? net.forwardDistinct(tape, onRows(x, rows), context && onRows(context, rows))
          : 'contextSide' in g
            ? net.forwardWithContextSide(tape, x, g.contextSide)
            : (g as Var);
      return Array.from({ length: slots }, (_, k) => this.slot(raw, k, slots));
    };
    this.nets.forEach((net, n) => {
      const rows = liveRows(nuT, [n], given?.[n]);
      if (rows?.length === 0) return;
      const [as, bs, at, bt] = slotsOf(n, net, NUISANCE_SLOTS, rows);
      const v = onRows(col(n), rows);
      const v2 = mul(square(v), q); // (ν̃·ν̃)·q, as the reference
      s = acc(s, toBatch(add(mul(as, v), mul(bs, v2)), rows));
      t = acc(t, toBatch(add(mul(at, v), mul(bt, v2)), rows));
    });
    this.crossNets.forEach((net, p) => {
      const [a, b] = this.cfg.crossTermPairs[p];
      const rows = liveRows(nuT, [a, b], given?.[nNets + p]);
      if (rows?.length === 0) return;
      const [cs, ct] = slotsOf(nNets + p, net, CROSS_SLOTS, rows);
      const vab = mul(mul(onRows(col(a), rows), onRows(col(b), rows)), qx);
      s = acc(s, toBatch(mul(cs, vab), rows));
      t = acc(t, toBatch(mul(ct, vab), rows));
    });
    if (!s || !t) {
      // No nuisances: the identity.
      const zero = tape.constant(this.device.zeros(x.shape));
      return { s: zero, t: zero };
    }
    return { s, t };
  }

  /** y = x ⊙ e^s + t and ladj = sign·Σ_i s_i per row (s and t too, for the conformance checks). */
  forwardVar(tape: Tape, x: Var, cond: Condition<Var>, given?: GivenNetOutputs): { y: Var; ladj: Var; s: Var; t: Var } {
    // A layer taken from a model whose parameters were freed would read another model's weights
    this.params.assertLive('PolynomialResidualTransform.forwardVar');
    const { featuresDim: F, contextDim: C, numNuisances: N } = this.cfg;
    checkInputs('PolynomialResidualTransform.forwardVar', 'Var', x, cond, F, C, N);
    const { s, t } = this.coefficientsVar(tape, x, cond, given);
    const y = add(mul(x, exp(s)), t);
    const ladjRow = sumCols(s);
    return { y, ladj: this.cfg.ladjSign === 1 ? ladjRow : neg(ladjRow), s, t };
  }

  /**
   * Exact sequential inverse (no gradient): feature i is solved once x_{<i} are known,
   * x_i = (y_i − t_i)·e^{−s_i}; a last evaluation gives ln|det ∂x/∂y| = −sign·Σ s_i.
   */
  inverseTensor(dev: Device, y: Tensor, cond: Condition<Tensor>): { x: Tensor; ladj: Tensor } {
    this.params.assertLive('PolynomialResidualTransform.inverseTensor');
    const { featuresDim: F, contextDim: C, numNuisances: N } = this.cfg;
    checkInputs('PolynomialResidualTransform.inverseTensor', 'tensor', y, cond, F, C, N, 'y');
    const tape = new Tape(dev, { grad: false });
    const B = y.rows;
    const x = dev.zeros(y.shape);
    const c = {
      context: cond.context ? tape.constant(cond.context) : null,
      nu: tape.constant(this.nuOf(cond)),
    };
    for (let i = 0; i < F; i++) {
      const { s, t } = this.coefficientsVar(tape, tape.constant(x), c);
      const S = s.value.data,
        T = t.value.data,
        Y = y.data,
        X = x.data;
      for (let r = 0; r < B; r++) X[r * F + i] = (Y[r * F + i] - T[r * F + i]) * Math.exp(-S[r * F + i]);
    }
    const { s } = this.coefficientsVar(tape, tape.constant(x), c);
    const ladj = dev.empty([B]);
    dev.kernels.sumCols(ladj, s.value);
    const L = ladj.data;
    for (let r = 0; r < B; r++) L[r] = -this.cfg.ladjSign * L[r];
    return { x, ladj };
  }
}

/** The reversal between residual layers: y = x[:, F−1..0], ladj 0 (null); reads no condition. */
export class ReversePermutation implements Transform {
  readonly indices: number[];
  constructor(readonly features: number) {
    this.indices = Array.from({ length: features }, (_, i) => features - 1 - i);
  }
  forwardVar(_tape: Tape, x: Var): { y: Var; ladj: null } {
    checkRows('ReversePermutation.forwardVar', 'x', 'Var', x, this.features);
    return { y: gatherCols(x, this.indices), ladj: null };
  }
  /** A reversal is its own inverse. */
  inverseTensor(dev: Device, y: Tensor): { x: Tensor; ladj: null } {
    checkRows('ReversePermutation.inverseTensor', 'y', 'tensor', y, this.features);
    const tape = new Tape(dev, { grad: false });
    return { x: gatherCols(tape.constant(y), this.indices).value, ladj: null };
  }
}
