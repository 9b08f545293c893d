/**
 * The fit's only door into the density models. Every call into NSF / SystematicCorrectedModel
 * (and model loading) made by src/fit/ goes through this file, so a rename of those methods
 * (transformVar, logProbVar, …) is patched here and nowhere else.
 *
 * What the fit needs from a residual model, per event i of a sample at one ν:
 *   log p_i = log p(v_i | context_i, ν)   and   J_ik = ∂ log p_i / ∂ν_k.
 * ν enters the tape as a leaf of shape [rows, K] (ν broadcast to the rows); rows do not talk to
 * each other, so one backward with a seed of ones leaves row i's gradient, J_i·, in row i of
 * ν's gradient: the whole per-event Jacobian from one reverse pass, with no weight gradients
 * (the base and residual parameters are frozen on this tape). The likelihood then combines J
 * with any mixture weights (μ-dependent) without touching the model again.
 */
import type { Device } from '../backend/device.js';
import { Tape, type Var } from '../autodiff/tape.js';
import { ComposedTransform } from '../flows/compose.js';
import type { Transform } from '../flows/transform.js';
import { chunked } from '../flows/chunked.js';
import type { NSF } from '../flows/nsf.js';
import type { SystematicCorrectedModel } from '../systematics/corrected-model.js';
import { PolynomialResidualTransform } from '../systematics/polynomial-residual.js';
import type { FlowArchitecture, ResidualArchitecture } from '../config/load.js';
import { loadBaseFlow, loadResidualModel } from '../models/load.js';
import type { Rng } from '../random/rng.js';

export type { NSF, SystematicCorrectedModel };

export interface LogProbWithNuGrad {
  /** log p per event [n]. */
  logp: Float32Array;
  /** ∂ log p_i / ∂ν_k, row-major [n, K]. */
  dnu: Float32Array;
}

/** Number of nuisances a residual model takes. */
export function residualNuisances(model: SystematicCorrectedModel): number {
  return model.numNuisances;
}

/** The device a model's tensors live on. */
export function modelDevice(model: SystematicCorrectedModel | NSF): Device {
  return model.device;
}

/** Frozen-weight inference: log p(v | context, ν) and its per-event gradient with respect to ν. */
export function residualLogProbAndNuGrad(
  model: SystematicCorrectedModel,
  v: Float32Array,
  context: Float32Array | null,
  nu: readonly number[],
): LogProbWithNuGrad {
  return new ResidualOnSample(model, v, context).logProbAndNuGrad(nu);
}

/**
 * A residual model over one fixed sample, evaluated at many ν (a fit). The first residual layer's nets
 * see the observed v and the context, never ν, so their outputs are computed once, here, and enter each
 * evaluation as constants through a stand-in stack: the same numbers the full pass computes (row by row,
 * by the same kernels), for less work (kin: all of its residual nets; score: half of them).
 */
export class ResidualOnSample {
  private readonly n: number;
  /** The first layer when the stack starts with one (it then sees v itself). */
  private readonly first: PolynomialResidualTransform | null;
  /** Its net outputs per event, with their widths; empty without a first layer. */
  private readonly raws: { data: Float32Array; width: number }[];

  constructor(
    readonly model: SystematicCorrectedModel,
    private readonly v: Float32Array,
    private readonly context: Float32Array | null,
  ) {
    const dev = model.device;
    const F = model.features;
    const C = model.config.contextDim;
    this.n = v.length / F;
    freezeAll(model);
    const head = model.residual.transforms[0];
    this.first = head instanceof PolynomialResidualTransform ? head : null;
    const first = this.first;
    if (!first) {
      this.raws = [];
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
    );
    this.raws = outs.map((data, j) => ({ data, width: widths[j] }));
  }

  logProbAndNuGrad(nu: readonly number[]): LogProbWithNuGrad {
    const [logp, dnu] = this.run(nu, true);
    return { logp, dnu };
  }

  logProb(nu: readonly number[]): Float32Array {
    return this.run(nu, false)[0];
  }

  /** The residual stack with the first layer's net outputs given (the rest as they are). */
  private stackWith(raws: readonly Var[]): Transform {
    const first = this.first!;
    const head: Transform = {
      features: first.features,
      forwardVar: (tape, x, cond) => first.forwardVar(tape, x, cond, raws),
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
    const inputs = [{ data: this.v, width: F }, { data: this.context, width: C }, ...this.raws];
    return chunked(dev, n, inputs, grad ? [1, K] : [1], ([vt, ct, ...rawTs], rows) => {
      const tape = new Tape(dev, { grad });
      const nuRows = new Float32Array(rows * K);
      for (let i = 0; i < rows; i++) for (let k = 0; k < K; k++) nuRows[i * K + k] = nu[k];
      const nuT = dev.tensor(nuRows, [rows, K]);
      const nuVar = grad ? tape.leaf(nuT) : tape.constant(nuT);
      const cond = { context: ct ? tape.constant(ct) : null, nu: nuVar };
      const stack = this.first ? this.stackWith(rawTs.map((r) => tape.constant(r!))) : model.residual;
      const lp = model.logProbVar(tape, tape.constant(vt!), cond, stack);
      if (!grad) return [lp.value];
      tape.backward(lp, dev.tensor(new Float32Array(rows).fill(1), lp.shape));
      return [lp.value, nuVar.grad ?? dev.zeros([rows, K])];
    });
  }
}

/** log p(v | context, ν) without gradients. */
export function residualLogProb(
  model: SystematicCorrectedModel,
  v: Float32Array,
  context: Float32Array | null,
  nu: readonly number[],
): Float32Array {
  const n = v.length / model.features;
  const nuRows = new Float32Array(n * model.numNuisances);
  for (let i = 0; i < n; i++) for (let k = 0; k < nu.length; k++) nuRows[i * nu.length + k] = nu[k];
  return model.logProb(v, { context, nu: nuRows });
}

/** log p(v | context) of a frozen base flow. */
export function baseLogProb(flow: NSF, v: Float32Array, context: Float32Array | null): Float32Array {
  return flow.logProb(v, { context });
}

/** The frozen base flow under a residual model. */
export function baseOf(model: SystematicCorrectedModel): NSF {
  return model.base;
}

/** The residual's parameters are frozen for the fit: the tape records no weight gradients. */
function freezeAll(model: SystematicCorrectedModel): void {
  model.params.freeze();
  model.base.params.freeze();
}

export function loadResidual(
  dev: Device,
  path: string,
  expected: { flow?: FlowArchitecture; residual?: ResidualArchitecture },
  what: string,
): SystematicCorrectedModel {
  return loadResidualModel(dev, path, expected, what);
}

export function loadBase(dev: Device, path: string, expected: FlowArchitecture | undefined, what: string): NSF {
  return loadBaseFlow(dev, path, expected, what);
}

/** One draw of v per row of (context, ν) from a residual model. */
export function residualSample(
  model: SystematicCorrectedModel,
  context: Float32Array,
  nu: readonly number[],
  rng: Rng,
): Float32Array {
  const n = context.length / model.config.contextDim;
  const K = model.numNuisances;
  const nuRows = new Float32Array(n * K);
  for (let i = 0; i < n; i++) for (let k = 0; k < K; k++) nuRows[i * K + k] = nu[k];
  return model.sample(n, { context, nu: nuRows }, rng);
}

/** n draws from a frozen base flow, one per context row. */
export function baseSample(flow: NSF, context: Float32Array, rng: Rng): Float32Array {
  return flow.sample(context.length / flow.config.context, { context }, rng);
}
