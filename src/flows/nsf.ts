/**
 * Zuko's NSF: T masked autoregressive spline transforms over a diagonal-normal base.
 * Orders alternate [0..F−1], [F−1..0], …; the context is appended to every hyper-network input.
 * Parameter names and shapes are Zuko's state dict (`transform.transforms.{t}.hyper.{2ℓ}.*`).
 */
import { Act, type SplineSpec } from '../backend/kernels.js';
import type { Device } from '../backend/device.js';
import { ParamSet, type ParamSpec } from '../autodiff/param.js';
import { Tape, type Var } from '../autodiff/tape.js';
import { add } from '../ops/index.js';
import { MaskedMLP, maskedMlpSpecs } from '../nn/masked-mlp.js';
import { autoregressiveAdjacency, maskedMlpMasks } from '../nn/masks.js';
import type { Rng } from '../random/rng.js';
import { AutoregressiveSplineTransform } from './autoregressive.js';
import { checkSampleArgs, chunked, contextRows, infiniteRowsVanish, rowsWithContext } from './chunked.js';
import { checkInputs } from './checks.js';
import { compose, type ComposedTransform } from './compose.js';
import type { Condition } from './transform.js';
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
  /** The T spline transforms, in order (Zuko's `transform.transforms`). */
  readonly transforms: AutoregressiveSplineTransform[];
  /** Their composition x → z: the flow's transform, as one Transform. */
  readonly transform: ComposedTransform;
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
      const hyper = new MaskedMLP(`transform.transforms.${t}.hyper`, this.params, masks, Act.Relu);
      return new AutoregressiveSplineTransform(order, hyper, this.spline, this.params);
    });
    this.transform = compose(...this.transforms);
    // Owned by the parameters like the masks and layouts: params.free() releases the whole flow.
    this.base = DiagNormal.standard(this.params, config.features);
  }

  init(rng: Rng): this {
    for (const t of this.transforms) t.hyper.init(rng);
    return this;
  }

  get features(): number {
    return this.config.features;
  }

  // ---- on a tape (training, gradients) ----

  /** log p(x | c) per row → [B]: log N(z) + Σ_t ladj_t, with z = transform(x). */
  logProbVar(tape: Tape, x: Var, cond: Condition<Var>): Var {
    this.params.assertLive('NSF.logProbVar');
    checkInputs('NSF.logProbVar', 'Var', x, cond, this.config.features, this.config.context);
    const { y: z, ladj } = this.transform.forwardVar(tape, x, cond);
    return add(this.base.logProbVar(tape, z), ladj!);
  }

  // ---- on plain arrays (evaluation; chunked, no gradient) ----

  /** x [n·F] and the context [n·C] as chunkable inputs, checked against the flow's widths. */
  private inputs(what: string, x: Float32Array, cond: Condition<Float32Array>, xName = 'x') {
    const { features: F, context: C } = this.config;
    this.params.assertLive(`NSF.${what}`);
    const rows = rowsWithContext(`NSF.${what}`, x, cond?.context, F, C, xName);
    return {
      n: rows.n,
      x: rows.x,
      parts: [
        { data: rows.x, width: F },
        { data: rows.context, width: C },
      ],
    };
  }

  /** log p(x | c) per row. */
  logProb(x: Float32Array, cond: Condition<Float32Array>): Float32Array {
    const { n, x: xs, parts } = this.inputs('logProb', x, cond);
    const logProb = chunked(this.device, n, parts, [1], ([xt, ct]) => {
      const tape = new Tape(this.device, { grad: false });
      return [this.logProbVar(tape, tape.constant(xt!), { context: ct ? tape.constant(ct) : null }).value];
    })[0];
    infiniteRowsVanish(xs, this.features, logProb);
    return logProb;
  }

  /** Data → latent: z = f(x) and ln|det ∂z/∂x| per row. */
  forward(x: Float32Array, cond: Condition<Float32Array>): { z: Float32Array; ladj: Float32Array } {
    const { n, parts } = this.inputs('forward', x, cond);
    const [z, ladj] = chunked(this.device, n, parts, [this.features, 1], ([xt, ct]) => {
      const tape = new Tape(this.device, { grad: false });
      const r = this.transform.forwardVar(tape, tape.constant(xt!), { context: ct ? tape.constant(ct) : null });
      return [r.y.value, r.ladj!.value];
    });
    return { z, ladj };
  }

  /** Latent → data: x = f⁻¹(z) and ln|det ∂x/∂z| per row. */
  inverse(z: Float32Array, cond: Condition<Float32Array>): { x: Float32Array; ladj: Float32Array } {
    const { n, parts } = this.inputs('inverse', z, cond, 'z');
    const [x, ladj] = chunked(this.device, n, parts, [this.features, 1], ([zt, ct]) => {
      const r = this.transform.inverseTensor(this.device, zt!, { context: ct });
      return [r.x, r.ladj!];
    });
    return { x, ladj };
  }

  /** n draws, one per context row (n rows, one row for all, or none). */
  sample(n: number, cond: Condition<Float32Array>, rng: Rng): Float32Array {
    checkSampleArgs('NSF.sample', n, rng);
    this.params.assertLive('NSF.sample');
    // checked and repeated to n rows here, so a wrong context names sample(), not inverse()
    const context = contextRows('NSF.sample', cond?.context, n, this.config.context);
    const z = new Float32Array(n * this.features);
    rng.fillNormal(z);
    const loc = this.base.loc.data,
      scale = this.base.scale.data;
    for (let i = 0; i < z.length; i++) z[i] = loc[i % this.features] + scale[i % this.features] * z[i];
    return this.inverse(z, { ...cond, context }).x;
  }
}
