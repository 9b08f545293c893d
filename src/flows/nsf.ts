/**
 * Zuko's NSF: T masked autoregressive spline transforms over a diagonal-normal base.
 * Orders alternate [0..F−1], [F−1..0], …; the context is appended to every hyper-network input.
 * Parameter names and shapes are Zuko's state dict (`transform.transforms.{t}.hyper.{2ℓ}.*`).
 */
import { Act, Binary, Broadcast, type SplineSpec } from '../backend/kernels.js';
import type { Device } from '../backend/device.js';
import { ParamSet, type ParamSpec } from '../autodiff/param.js';
import { Tape, type Var } from '../autodiff/tape.js';
import type { Tensor } from '../tensor/tensor.js';
import { add } from '../ops/index.js';
import { MaskedMLP, maskedMlpSpecs } from '../nn/masked-mlp.js';
import { autoregressiveAdjacency, maskedMlpMasks } from '../nn/masks.js';
import type { Rng } from '../random/rng.js';
import { AutoregressiveSplineTransform } from './autoregressive.js';
import { chunked } from './chunked.js';
import { DiagNormal } from './diag-normal.js';

export interface NSFConfig {
  features: number;
  context: number;
  bins: number;
  transforms: number;
  hiddenFeatures: number[];
  /** minimum spline derivative (Zuko ≥ 1.5 default 1e-3). */
  slope: number;
  /** spline half-width B (Zuko: 5). */
  bound: number;
}

export const nsfDefaults = { bins: 8, transforms: 3, hiddenFeatures: [64, 64], slope: 1e-3, bound: 5 };

/** Transform t's feature order: even t natural, odd t reversed. */
export const transformOrder = (t: number, F: number): number[] =>
  Array.from({ length: F }, (_, i) => (t % 2 === 0 ? i : F - 1 - i));

export function nsfParamSpecs(cfg: NSFConfig): ParamSpec[] {
  const P = 3 * cfg.bins - 1;
  const widths = [cfg.features + cfg.context, ...cfg.hiddenFeatures, cfg.features * P];
  const specs: ParamSpec[] = [];
  for (let t = 0; t < cfg.transforms; t++) specs.push(...maskedMlpSpecs(`transform.transforms.${t}.hyper`, widths));
  return specs;
}

export class NSF {
  readonly params: ParamSet;
  readonly transforms: AutoregressiveSplineTransform[];
  readonly base: DiagNormal;
  readonly spline: SplineSpec;

  constructor(
    readonly device: Device,
    readonly config: NSFConfig,
  ) {
    if (config.features < 2) throw new Error('NSF: features must be ≥ 2 (Zuko builds a different flow for F = 1)');
    this.spline = { bins: config.bins, bound: config.bound, slope: config.slope };
    this.params = new ParamSet(device, nsfParamSpecs(config));
    const P = 3 * config.bins - 1;
    this.transforms = Array.from({ length: config.transforms }, (_, t) => {
      const order = transformOrder(t, config.features);
      const masks = maskedMlpMasks(autoregressiveAdjacency(order, P, config.context), config.hiddenFeatures);
      const hyper = new MaskedMLP(`transform.transforms.${t}.hyper`, device, this.params, masks, Act.Relu);
      return new AutoregressiveSplineTransform(order, hyper, this.spline);
    });
    this.base = DiagNormal.standard(device, config.features);
  }

  init(rng: Rng): this {
    for (const t of this.transforms) t.hyper.init(rng);
    return this;
  }

  get features(): number {
    return this.config.features;
  }

  // ---- on a tape (training, gradients) ----

  /** z = f_{T−1}(… f_0(x)) and Σ_t ladj_t, accumulated ((0 + ladj_0) + ladj_1) + … . */
  transformVar(tape: Tape, x: Var, context: Var | null): { z: Var; ladj: Var } {
    let h = x;
    let ladj: Var | null = null;
    for (const t of this.transforms) {
      const r = t.forward(tape, h, context);
      h = r.y;
      ladj = ladj ? add(ladj, r.ladj) : r.ladj;
    }
    return { z: h, ladj: ladj! };
  }

  /** log p(x | c) per row → [B]. */
  logProbVar(tape: Tape, x: Var, context: Var | null): Var {
    const { z, ladj } = this.transformVar(tape, x, context);
    return add(this.base.logProb(tape, z), ladj);
  }

  /** x = f⁻¹(z) (no gradient) and ln|det ∂x/∂z| per row. */
  inverseT(tape: Tape, z: Tensor, context: Tensor | null): { x: Tensor; ladj: Tensor } {
    let y = z;
    let ladj: Tensor | null = null;
    for (let t = this.transforms.length - 1; t >= 0; t--) {
      const r = this.transforms[t].inverse(tape, y, context);
      y = r.x;
      if (ladj) this.device.kernels.binary(Binary.Add, ladj, ladj, r.ladj, Broadcast.Same);
      else ladj = r.ladj;
    }
    return { x: y, ladj: ladj! };
  }

  // ---- on plain arrays (evaluation; chunked, no gradient) ----

  private ctxInput(context: Float32Array | null) {
    return { data: context, width: this.config.context };
  }

  logProb(x: Float32Array, context: Float32Array | null): Float32Array {
    const n = x.length / this.features;
    return chunked(this.device, n, [{ data: x, width: this.features }, this.ctxInput(context)], [1], ([xt, ct]) => {
      const tape = new Tape(this.device, { grad: false });
      return [this.logProbVar(tape, tape.constant(xt!), ct ? tape.constant(ct) : null).value];
    })[0];
  }

  transform(x: Float32Array, context: Float32Array | null): { z: Float32Array; ladj: Float32Array } {
    const n = x.length / this.features;
    const [z, ladj] = chunked(
      this.device,
      n,
      [{ data: x, width: this.features }, this.ctxInput(context)],
      [this.features, 1],
      ([xt, ct]) => {
        const tape = new Tape(this.device, { grad: false });
        const r = this.transformVar(tape, tape.constant(xt!), ct ? tape.constant(ct) : null);
        return [r.z.value, r.ladj.value];
      },
    );
    return { z, ladj };
  }

  inverse(z: Float32Array, context: Float32Array | null): { x: Float32Array; ladj: Float32Array } {
    const n = z.length / this.features;
    const [x, ladj] = chunked(
      this.device,
      n,
      [{ data: z, width: this.features }, this.ctxInput(context)],
      [this.features, 1],
      ([zt, ct]) => {
        const r = this.inverseT(new Tape(this.device, { grad: false }), zt!, ct);
        return [r.x, r.ladj];
      },
    );
    return { x, ladj };
  }

  /** One draw per context row (or n draws without context). */
  sample(n: number, context: Float32Array | null, rng: Rng): Float32Array {
    const z = new Float32Array(n * this.features);
    rng.fillNormal(z);
    const loc = this.base.loc.data,
      scale = this.base.scale.data;
    for (let i = 0; i < z.length; i++) z[i] = loc[i % this.features] + scale[i % this.features] * z[i];
    return this.inverse(z, context).x;
  }
}
