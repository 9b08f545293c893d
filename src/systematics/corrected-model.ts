/**
 * SystematicCorrectedModel (spec §5.3): a stack of residual layers in front of a frozen base NSF.
 *
 *   x_obs ──[R_0, Rev, R_1, Rev, …]──▶ x_nom ──[base NSF]──▶ z ~ N(0, I)
 *   log p(x_obs | c, ν) = (log N(z) + ladj_base) + ladj_residual
 *
 * Only the residual layers train; the base's parameters are frozen, so the tape records no
 * node for them and the optimizer never sees them.
 */
import type { Device } from '../backend/device.js';
import { ParamSet, type ParamSpec } from '../autodiff/param.js';
import { Tape, type Var } from '../autodiff/tape.js';
import type { Tensor } from '../tensor/tensor.js';
import { add } from '../ops/index.js';
import type { NSF } from '../flows/nsf.js';
import { chunked } from '../flows/chunked.js';
import type { Rng } from '../random/rng.js';
import type { ResidualModelConfig } from './config.js';
import { PolynomialResidualTransform, ReversePermutation, residualLayerSpecs } from './polynomial-residual.js';

export type StackEntry =
  { kind: 'residual'; layer: PolynomialResidualTransform } | { kind: 'reverse'; perm: ReversePermutation };

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
  readonly stack: StackEntry[];
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
        `residual model (features_dim ${config.featuresDim}, context_dim ${config.contextDim}) does not fit the base flow ` +
          `(features ${base.features}, context ${base.config.context})`,
      );
    }
    base.params.freeze();
    this.params = new ParamSet(device, residualParamSpecs(config));
    this.stack = stackLayout(config.numResidualLayers).map((kind, j) =>
      kind === 'residual'
        ? { kind, layer: new PolynomialResidualTransform(`transforms.${j}.`, device, this.params, config) }
        : { kind, perm: new ReversePermutation(config.featuresDim) },
    );
    this.central = device.persistent([config.numNuisances], config.centralNuisanceValues);
    this.scales = device.persistent([config.numNuisances], config.nuisanceScales);
  }

  init(rng: Rng): this {
    for (const e of this.stack) if (e.kind === 'residual') e.layer.init(rng);
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
   * The first residual layer when it sees the input x itself (nothing before it in the stack): its nets'
   * outputs depend on x and the context only, so a caller evaluating many ν on fixed data computes them
   * once (layer.netOutputs) and passes them to logProbVar as `firstRaws`.
   */
  get firstLayer(): PolynomialResidualTransform | null {
    const e = this.stack[0];
    return e && e.kind === 'residual' ? e.layer : null;
  }

  /** x_nom and ladj_residual = 0 + Σ layer ladjs; firstRaws: the first layer's netOutputs at x. */
  stackForward(
    tape: Tape,
    x: Var,
    context: Var | null,
    nu: Var,
    firstRaws?: readonly Var[],
  ): { xNom: Var; ladj: Var | null } {
    let h = x;
    let ladj: Var | null = null;
    for (const [j, e] of this.stack.entries()) {
      if (e.kind === 'reverse') h = e.perm.forward(h);
      else {
        const r = e.layer.forward(tape, h, context, nu, j === 0 ? firstRaws : undefined);
        h = r.y;
        ladj = ladj ? add(ladj, r.ladj) : r.ladj;
      }
    }
    return { xNom: h, ladj };
  }

  logProbVar(tape: Tape, x: Var, context: Var | null, nu: Var, firstRaws?: readonly Var[]): Var {
    const { xNom, ladj: ladjRes } = this.stackForward(tape, x, context, nu, firstRaws);
    const { z, ladj: ladjBase } = this.base.transformVar(tape, xNom, context);
    const core = this.config.type === 'flow' ? add(this.base.base.logProb(tape, z), ladjBase) : ladjBase;
    return ladjRes ? add(core, ladjRes) : core;
  }

  /** The stack inverted, last entry first (no gradient): x_nom → x_obs. */
  stackInverseT(tape: Tape, xNom: Tensor, context: Tensor | null, nu: Tensor): { x: Tensor; ladj: Tensor } {
    let h = xNom;
    const ladj = this.device.zeros([xNom.rows]);
    for (let j = this.stack.length - 1; j >= 0; j--) {
      const e = this.stack[j];
      if (e.kind === 'reverse') h = e.perm.inverse(tape, h);
      else {
        const r = e.layer.inverse(tape, h, context, nu);
        h = r.x;
        const L = ladj.data,
          R = r.ladj.data;
        for (let i = 0; i < L.length; i++) L[i] += R[i];
      }
    }
    return { x: h, ladj };
  }

  // ---- on plain arrays (chunked evaluation) ----

  private inputs(x: Float32Array, context: Float32Array | null, nu: Float32Array) {
    return [
      { data: x, width: this.features },
      { data: context, width: this.config.contextDim },
      { data: nu, width: this.numNuisances },
    ];
  }

  logProb(x: Float32Array, context: Float32Array | null, nu: Float32Array): Float32Array {
    const n = x.length / this.features;
    return chunked(this.device, n, this.inputs(x, context, nu), [1], ([xt, ct, nt]) => {
      const tape = new Tape(this.device, { grad: false });
      return [this.logProbVar(tape, tape.constant(xt!), ct ? tape.constant(ct) : null, tape.constant(nt!)).value];
    })[0];
  }

  /** The residual stack alone: x_obs → x_nom with ln|det ∂x_nom/∂x_obs|. */
  forward(x: Float32Array, context: Float32Array | null, nu: Float32Array): { xNom: Float32Array; ladj: Float32Array } {
    const n = x.length / this.features;
    const [xNom, ladj] = chunked(
      this.device,
      n,
      this.inputs(x, context, nu),
      [this.features, 1],
      ([xt, ct, nt], rows) => {
        const tape = new Tape(this.device, { grad: false });
        const r = this.stackForward(tape, tape.constant(xt!), ct ? tape.constant(ct) : null, tape.constant(nt!));
        return [r.xNom.value, r.ladj ? r.ladj.value : this.device.zeros([rows])];
      },
    );
    return { xNom, ladj };
  }

  /** The residual stack inverted: x_nom → x_obs. */
  inverse(xNom: Float32Array, context: Float32Array | null, nu: Float32Array): { x: Float32Array; ladj: Float32Array } {
    const n = xNom.length / this.features;
    const [x, ladj] = chunked(this.device, n, this.inputs(xNom, context, nu), [this.features, 1], ([xt, ct, nt]) => {
      const r = this.stackInverseT(new Tape(this.device, { grad: false }), xt!, ct, nt!);
      return [r.x, r.ladj];
    });
    return { x, ladj };
  }

  /** Full inverse z → x_obs with ln|det ∂x/∂z| = −ladj_base(x_nom) + Σ residual inverse ladjs. */
  inverseFull(
    z: Float32Array,
    context: Float32Array | null,
    nu: Float32Array,
  ): { x: Float32Array; ladj: Float32Array } {
    const base = this.base.inverse(z, context);
    const res = this.inverse(base.x, context, nu);
    const ladj = new Float32Array(res.ladj.length);
    for (let i = 0; i < ladj.length; i++) ladj[i] = base.ladj[i] + res.ladj[i];
    return { x: res.x, ladj };
  }

  /** One draw per row of (context, ν). */
  sample(context: Float32Array | null, nu: Float32Array, rng: Rng): Float32Array {
    const n = nu.length / this.numNuisances;
    const xNom = this.base.sample(n, context, rng);
    return this.inverse(xNom, context, nu).x;
  }
}
