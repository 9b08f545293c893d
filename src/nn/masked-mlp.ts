/**
 * Zuko's MaskedMLP: Lin_0, act, Lin_1, act, …, Lin_L — every linear layer masked, no activation
 * after the last. Parameter names follow Zuko's state dict: `<prefix>.<2ℓ>.weight|bias|mask`.
 */
import { Act } from '../backend/kernels.js';
import type { Device } from '../backend/device.js';
import type { ParamSet, ParamSpec, Param } from '../autodiff/param.js';
import type { Tape, Var } from '../autodiff/tape.js';
import type { Tensor } from '../tensor/tensor.js';
import { blockLinear } from '../ops/index.js';
import type { Rng } from '../toy/rng.js';
import { uniformInit } from './init.js';
import type { BoolMatrix } from './masks.js';
import { blockLayouts, type LayerBlockLayout } from './block-layout.js';

export interface MaskedLayer {
  weight: Param;
  bias: Param;
  /** persistent 0/1 f32 tensor of the weight's shape. */
  mask: Tensor;
  /** The layer with hidden units sorted into blocks, for the matmuls (./block-layout.ts). */
  layout: LayerBlockLayout;
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

  constructor(
    readonly prefix: string,
    device: Device,
    params: ParamSet,
    masks: BoolMatrix[],
    readonly activation: Act,
  ) {
    const layouts = blockLayouts(device, masks);
    this.layers = masks.map((m, l) => ({
      weight: params.get(`${prefix}.${2 * l}.weight`),
      bias: params.get(`${prefix}.${2 * l}.bias`),
      mask: device.persistent([m.length, m[0].length], m.flat().map((b) => (b ? 1 : 0))),
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

  forward(tape: Tape, input: Var): Var {
    let h = input;
    this.layers.forEach((layer, l) => {
      const last = l === this.layers.length - 1;
      // Same function as linear(h, W, b, { mask }), with the hidden units in block order.
      h = blockLinear(h, tape.param(layer.weight), tape.param(layer.bias), layer.layout, last ? Act.None : this.activation);
    });
    return h;
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
