/**
 * SystematicCorrectedModel (spec §5.3): a stack of residual layers in front of a frozen base NSF.
 *
 *   x_obs ──[R_0, Rev, R_1, Rev, …]──▶ x_nom ──[base NSF]──▶ z ~ N(0, I)
 *   log p(x_obs | c, ν) = (log N(z) + ladj_base) + ladj_residual
 *
 * Only the residual layers train; the base's parameters are frozen, so the tape records no
 * node for them and the optimizer never sees them. The stack and the base are Transforms
 * (flows/transform.ts): d log p / dν and d log p / dx run through both on any tape.
 */
import type { Device } from '../backend/device.js';
import { ParamSet, type ParamSpec } from '../autodiff/param.js';
import { Tape, type Var } from '../autodiff/tape.js';
import type { Tensor } from '../tensor/tensor.js';
import { add } from '../ops/index.js';
import type { NSF } from '../flows/nsf.js';
import {
  checkSampleArgs,
  chunked,
  contextRows,
  infiniteRowsVanish,
  perRow,
  requireFinite,
  rowValues,
  rowsWithContext,
} from '../flows/chunked.js';
import { ComposedTransform } from '../flows/compose.js';
import { checkInputs } from '../flows/checks.js';
import type { Condition, Transform } from '../flows/transform.js';
import type { Rng } from '../random/rng.js';
import type { ResidualModelConfig } from './config.js';
import { PolynomialResidualTransform, ReversePermutation, residualLayerSpecs } from './polynomial-residual.js';

/** Stack layout: R_0, then (Rev, R_ℓ) for ℓ ≥ 1, then a final Rev when L is even and > 0. */
export function stackLayout(L: number): ('residual' | 'reverse')[] {
  const out: ('residual' | 'reverse')[] = [];
  for (let l = 0; l < L; l++) {
    if (l > 0) out.push('reverse');
    out.push('residual');
  }
  if (L > 0 && L % 2 === 0) out.push('reverse');
  return out;
}

export function residualParamSpecs(cfg: ResidualModelConfig): ParamSpec[] {
  return stackLayout(cfg.numResidualLayers).flatMap((kind, j) =>
    kind === 'residual' ? residualLayerSpecs(`transforms.${j}.`, cfg) : [],
  );
}

export class SystematicCorrectedModel {
  readonly params: ParamSet;
  /** The residual stack x_obs → x_nom (R_0, Rev, R_1, …) as one Transform; reads the context and ν. */
  readonly residual: ComposedTransform;
  /** Its residual layers, in stack order (each knows its state-dict prefix `transforms.{j}.`). */
  readonly layers: PolynomialResidualTransform[];
  /** the model-level copies of μ_ν and σ_ν (the reference stores them at the top too). */
  readonly central: Tensor;
  readonly scales: Tensor;

  constructor(
    readonly device: Device,
    readonly base: NSF,
    readonly config: ResidualModelConfig,
  ) {
    if (config.featuresDim !== base.features || config.contextDim !== base.config.context) {
      throw new Error(
        `residual model (features_dim ${config.featuresDim}, context_dim ${config.contextDim})` +
          ` does not fit the base flow ` +
          `(features ${base.features}, context ${base.config.context})`,
      );
    }
    base.params.freeze();
    this.params = new ParamSet(device, residualParamSpecs(config));
    const stack = stackLayout(config.numResidualLayers).map((kind, j) =>
      kind === 'residual'
        ? new PolynomialResidualTransform(`transforms.${j}.`, device, this.params, config)
        : new ReversePermutation(config.featuresDim),
    );
    this.residual = new ComposedTransform(stack, config.featuresDim);
    this.layers = stack.filter((t): t is PolynomialResidualTransform => t instanceof PolynomialResidualTransform);
    // Owned by the residual's parameters, so params.free() releases all the residual holds. Not
    // the base's: that is a model of its own (the caller may hold it, or build several residual
    // models on it), released by base.params.free().
    this.central = this.params.persistent([config.numNuisances], config.centralNuisanceValues);
    this.scales = this.params.persistent([config.numNuisances], config.nuisanceScales);
  }

  init(rng: Rng): this {
    for (const layer of this.layers) layer.init(rng);
    return this;
  }

  get features(): number {
    return this.config.featuresDim;
  }

  get numNuisances(): number {
    return this.config.numNuisances;
  }

  // ---- on a tape ----

  /**
   * log p(x_obs | c, ν) per row: the residual stack to x_nom, then the frozen base. ν may be a
   * leaf: its gradient flows through residual and base (the base's parameters stay constants).
   * `residual`: a stand-in for the stack computing the same function (a fit passes one whose first
   * layer reuses its nets' outputs on fixed data, see ./on-sample.ts). `base`: likewise for the
   * base flow's transform (one whose conditioners reuse their context side on fixed data).
   */
  logProbVar(
    tape: Tape,
    x: Var,
    cond: Condition<Var>,
    residual: Transform = this.residual,
    base: Transform = this.base.transform,
  ): Var {
    this.assertLive('SystematicCorrectedModel.logProbVar');
    const { featuresDim: F, contextDim: C, numNuisances: N } = this.config;
    checkInputs('SystematicCorrectedModel.logProbVar', 'Var', x, cond, F, C, N);
    const { y: xNom, ladj: ladjRes } = residual.forwardVar(tape, x, cond);
    const { y: z, ladj: ladjBase } = base.forwardVar(tape, xNom, cond);
    const core = this.config.type === 'flow' ? add(this.base.base.logProbVar(tape, z), ladjBase!) : ladjBase!;
    return ladjRes ? add(core, ladjRes) : core;
  }

  // ---- on plain arrays (chunked evaluation) ----

  /**
   * x [n·F], the context [n·C] and ν as chunkable inputs. ν is [n·N] (one per row) or [N]
   * (the same ν for every row).
   */
  private inputs(what: string, x: Float32Array, cond: Condition<Float32Array>, xName = 'x') {
    const { featuresDim: F, contextDim: C, numNuisances: N } = this.config;
    const where = `SystematicCorrectedModel.${what}`;
    this.assertLive(where);
    const { x: xs, context, n } = rowsWithContext(where, x, cond?.context, F, C, xName);
    const nu = this.nuRows(where, cond?.nu, n);
    return {
      n,
      x: xs,
      parts: [
        { data: xs, width: F },
        { data: context, width: C },
        { data: nu, width: N },
      ],
    };
  }

  private assertLive(where: string): void {
    this.params.assertLive(where);
    this.base.params.assertLive(where);
  }

  /** ν as n rows, checked (finite too): one ν for every row, or one per row. */
  private nuRows(where: string, nu: unknown, n: number): Float32Array {
    const N = this.numNuisances;
    if (!nu) throw new Error(`${where}: this model needs ν: ${N} values, or ${N} per row`);
    const values = rowValues(where, 'ν', nu);
    const rows = perRow(where, 'ν', values, n, N);
    requireFinite(where, 'ν', values, N);
    return rows;
  }

  /** The condition of one chunk, as constants on a tape. */
  private static constants(tape: Tape, ct: Tensor | null, nt: Tensor | null): Condition<Var> {
    return { context: ct ? tape.constant(ct) : null, nu: nt ? tape.constant(nt) : null };
  }

  /** log p(x | c, ν) per row. */
  logProb(x: Float32Array, cond: Condition<Float32Array>): Float32Array {
    const { n, x: xs, parts } = this.inputs('logProb', x, cond);
    const logProb = chunked(this.device, n, parts, [1], ([xt, ct, nt]) => {
      const tape = new Tape(this.device, { grad: false });
      return [this.logProbVar(tape, tape.constant(xt!), SystematicCorrectedModel.constants(tape, ct, nt)).value];
    })[0];
    infiniteRowsVanish(xs, this.features, logProb);
    return logProb;
  }

  /**
   * log p per row and the gradient of Σ_i w_i log p_i with respect to ν (per row, [n·N]; `dNuTotal`
   * sums the rows, the gradient for one ν shared by every row) and to x ([n·F]). Weights default
   * to 1. The model's parameters are constants here: their gradients are left untouched.
   */
  logProbGrad(
    x: Float32Array,
    cond: Condition<Float32Array>,
    weights?: Float32Array,
  ): { logProb: Float32Array; dNu: Float32Array; dNuTotal: Float32Array; dX: Float32Array } {
    const F = this.features,
      N = this.numNuisances;
    // x and the condition first: a bad x is reported as such, not as a weights/rows mismatch
    const { n, x: xs, parts } = this.inputs('logProbGrad', x, cond);
    const w =
      weights !== undefined
        ? rowValues('SystematicCorrectedModel.logProbGrad', 'weights', weights)
        : new Float32Array(n).fill(1);
    if (w.length !== n) {
      throw new Error(`SystematicCorrectedModel.logProbGrad: weights has ${w.length} values, x has ${n} rows`);
    }
    requireFinite('SystematicCorrectedModel.logProbGrad', 'weights', w, 1);
    const inputs = [...parts, { data: w, width: 1 }];
    const [logProb, dNu, dX] = chunked(this.device, n, inputs, [1, N, F], ([xt, ct, nt, wt], rows) => {
      const tape = new Tape(this.device, { params: false });
      const xv = tape.leaf(xt!);
      const nv = tape.leaf(nt!);
      const lp = this.logProbVar(tape, xv, { context: ct ? tape.constant(ct) : null, nu: nv });
      tape.backward(lp, wt!.reshape([rows]));
      return [lp.value, nv.grad ?? this.device.zeros([rows, N]), xv.grad ?? this.device.zeros([rows, F])];
    });
    // log p = −∞ at an infinite x for every ν: a constant, so its gradients are 0 (not NaN)
    for (const r of infiniteRowsVanish(xs, F, logProb)) {
      dNu.fill(0, r * N, r * N + N);
      dX.fill(0, r * F, r * F + F);
    }
    const total = new Float64Array(N);
    for (let i = 0; i < dNu.length; i++) total[i % N] += dNu[i];
    return { logProb, dNu, dNuTotal: Float32Array.from(total), dX };
  }

  /** The residual stack alone: x_obs → x_nom with ln|det ∂x_nom/∂x_obs|. */
  forward(x: Float32Array, cond: Condition<Float32Array>): { xNom: Float32Array; ladj: Float32Array } {
    const { n, parts } = this.inputs('forward', x, cond);
    const [xNom, ladj] = chunked(this.device, n, parts, [this.features, 1], ([xt, ct, nt], rows) => {
      const tape = new Tape(this.device, { grad: false });
      const r = this.residual.forwardVar(tape, tape.constant(xt!), SystematicCorrectedModel.constants(tape, ct, nt));
      return [r.y.value, r.ladj ? r.ladj.value : this.device.zeros([rows])];
    });
    return { xNom, ladj };
  }

  /** The residual stack inverted: x_nom → x_obs. */
  inverse(xNom: Float32Array, cond: Condition<Float32Array>): { x: Float32Array; ladj: Float32Array } {
    const { n, parts } = this.inputs('inverse', xNom, cond, 'xNom');
    const [x, ladj] = chunked(this.device, n, parts, [this.features, 1], ([xt, ct, nt], rows) => {
      const r = this.residual.inverseTensor(this.device, xt!, { context: ct, nu: nt });
      return [r.x, r.ladj ?? this.device.zeros([rows])];
    });
    return { x, ladj };
  }

  /** Full inverse z → x_obs with ln|det ∂x/∂z| = −ladj_base(x_nom) + Σ residual inverse ladjs. */
  inverseFull(z: Float32Array, cond: Condition<Float32Array>): { x: Float32Array; ladj: Float32Array } {
    this.inputs('inverseFull', z, cond, 'z'); // checked here, so that errors name this method
    const base = this.base.inverse(z, cond);
    const res = this.inverse(base.x, cond);
    const ladj = new Float32Array(res.ladj.length);
    for (let i = 0; i < ladj.length; i++) ladj[i] = base.ladj[i] + res.ladj[i];
    return { x: res.x, ladj };
  }

  /** n draws, one per row of (context, ν); either may be one row for all. */
  sample(n: number, cond: Condition<Float32Array>, rng: Rng): Float32Array {
    checkSampleArgs('SystematicCorrectedModel.sample', n, rng);
    // checked and repeated to n rows here, so a wrong length names sample(), not an inner step
    const where = 'SystematicCorrectedModel.sample';
    this.assertLive(where);
    const rows = {
      context: contextRows(where, cond?.context, n, this.config.contextDim),
      nu: this.nuRows(where, cond?.nu, n),
    };
    return this.inverse(this.base.sample(n, rows, rng), rows).x;
  }
}
