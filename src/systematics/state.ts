/**
 * SystematicCorrectedModel ⇄ the reference's state dict (spec §8.2): top-level μ_ν, σ_ν, the
 * frozen base under `base_model.`, then `transforms.{j}.` per stack entry. The quadratic and
 * cross damping, `type` and `ladj_sign` are not in a PyTorch state dict; our safetensors files
 * carry them in the architecture metadata, and `.pt` imports take them from the caller (config)
 * or the reference defaults.
 */
import type { Device } from '../backend/device.js';
import { CheckpointError, toFloat32, toInt, toBool, type StateDict, type StoredTensor } from '../io/state-dict.js';
import { nsfFromStateDict, nsfToStateDict, nsfArchitecture } from '../flows/nsf-state.js';
import type { NSFConfig } from '../flows/nsf.js';
import { residualDefaults, type ResidualModelConfig } from './config.js';
import { SystematicCorrectedModel, stackLayout } from './corrected-model.js';
import { PolynomialResidualTransform, ReversePermutation } from './polynomial-residual.js';

const f32 = (shape: readonly number[], data: Float32Array): StoredTensor => ({
  dtype: 'f32',
  shape: [...shape],
  data: Float32Array.from(data),
});
const i64 = (shape: number[], values: number[]): StoredTensor => ({
  dtype: 'i64',
  shape,
  data: BigInt64Array.from(values.map(BigInt)),
});

export function inferResidualConfig(
  sd: StateDict,
  where: string,
  extra: Partial<ResidualModelConfig> = {},
): ResidualModelConfig {
  const mu = sd.get('central_nuisance_values');
  if (!mu)
    throw new CheckpointError(`${where}: no 'central_nuisance_values' — not a SystematicCorrectedModel state dict`);
  const N = mu.shape[0];
  const residualIdx: number[] = [];
  for (let j = 0; sd.has(`transforms.${j}.central_nuisance_values`) || sd.has(`transforms.${j}.indices`); j++) {
    if (sd.has(`transforms.${j}.central_nuisance_values`)) residualIdx.push(j);
  }
  const L = residualIdx.length;
  const hidden: number[] = [];
  let inWidth = 0;
  if (L > 0 && N > 0) {
    const j = residualIdx[0];
    for (let l = 0; ; l++) {
      const w = sd.get(`transforms.${j}.nuisance_nets.0.${2 * l}.weight`);
      if (!w) break;
      if (l === 0) inWidth = w.shape[1];
      hidden.push(w.shape[0]);
    }
    hidden.pop();
  }
  const F = (sd.get('base_model.transform.transforms.0.order') ?? { shape: [0] }).shape[0];
  const pairsT = L > 0 ? sd.get(`transforms.${residualIdx[0]}.cross_term_pairs`) : undefined;
  const flat = pairsT ? toInt(pairsT, 'cross_term_pairs') : [];
  const pairs: [number, number][] = [];
  for (let p = 0; p + 1 < flat.length; p += 2) pairs.push([flat[p], flat[p + 1]]);
  const expected = stackLayout(L);
  expected.forEach((kind, j) => {
    const isRes = sd.has(`transforms.${j}.central_nuisance_values`);
    if ((kind === 'residual') !== isRes)
      throw new CheckpointError(`${where}: stack entry ${j} is not the expected ${kind} layer`);
  });
  return residualDefaults({
    featuresDim: F,
    contextDim: inWidth - F,
    numNuisances: N,
    numResidualLayers: L,
    hiddenFeatures: hidden,
    crossTermPairs: pairs,
    centralNuisanceValues: Array.from(toFloat32(mu)),
    nuisanceScales: Array.from(toFloat32(sd.get('nuisance_scales') ?? mu)),
    ...extra,
  });
}

export interface ResidualLoadOptions {
  where?: string;
  /** settings a state dict does not store (damping, type, sign); from the config or metadata. */
  extra?: Partial<ResidualModelConfig>;
  baseConfig?: NSFConfig;
}

export function residualFromStateDict(
  dev: Device,
  sd: StateDict,
  opts: ResidualLoadOptions = {},
): SystematicCorrectedModel {
  const where = opts.where ?? 'state dict';
  const base = nsfFromStateDict(dev, sd, { prefix: 'base_model.', where, config: opts.baseConfig });
  // The base is ours until the model is returned: a checkpoint refused after it was built gives
  // back both models' memory (a checkpoint scan must not leak per rejected file).
  let model: SystematicCorrectedModel | null = null;
  try {
    const cfg = inferResidualConfig(sd, where, opts.extra);
    model = new SystematicCorrectedModel(dev, base, cfg);
    for (const p of model.params.params) {
      const t = sd.get(p.name);
      if (!t) throw new CheckpointError(`${where}: missing key '${p.name}'`);
      if (t.shape.join(',') !== p.shape.join(',')) {
        throw new CheckpointError(`${where}: '${p.name}' has shape [${t.shape}], the architecture needs [${p.shape}]`);
      }
      p.value.data.set(toFloat32(t));
    }
    model.layers.forEach((layer) => {
      const mu = sd.get(`${layer.prefix}central_nuisance_values`);
      const sc = sd.get(`${layer.prefix}nuisance_scales`);
      if (mu) layer.central.data.set(toFloat32(mu));
      if (sc) layer.scales.data.set(toFloat32(sc));
      [...layer.nets, ...layer.crossNets].forEach((net) =>
        net.maskArrays().forEach((built, l) => {
          const key = `${net.prefix}.${2 * l}.mask`;
          const t = sd.get(key);
          if (!t) throw new CheckpointError(`${where}: missing key '${key}'`);
          const stored = toBool(t, key);
          const flatBuilt = built.flat();
          if (stored.length !== flatBuilt.length || stored.some((v, i) => v !== flatBuilt[i])) {
            throw new CheckpointError(`${where}: '${key}' differs from the residual net's autoregressive mask`);
          }
        }),
      );
    });
  } catch (e) {
    model?.params.free();
    base.params.free();
    throw e;
  }
  return model;
}

export function residualToStateDict(model: SystematicCorrectedModel): StateDict {
  const sd: StateDict = new Map();
  const N = model.numNuisances;
  sd.set('central_nuisance_values', f32([N], model.central.data));
  sd.set('nuisance_scales', f32([N], model.scales.data));
  nsfToStateDict(model.base, 'base_model.', sd);
  model.residual.transforms.forEach((e, j) => {
    const p = `transforms.${j}.`;
    if (e instanceof ReversePermutation) {
      sd.set(`${p}indices`, i64([e.features], e.indices));
      sd.set(`${p}inv_indices`, i64([e.features], e.indices));
      return;
    }
    if (!(e instanceof PolynomialResidualTransform)) throw new Error(`residual stack entry ${j}: not a known layer`);
    sd.set(`${p}central_nuisance_values`, f32([N], e.central.data));
    sd.set(`${p}nuisance_scales`, f32([N], e.scales.data));
    sd.set(`${p}cross_term_pairs`, i64([model.config.crossTermPairs.length, 2], model.config.crossTermPairs.flat()));
    for (const net of [...e.nets, ...e.crossNets]) {
      net.layers.forEach((layer, l) => {
        sd.set(`${net.prefix}.${2 * l}.weight`, f32(layer.weight.shape, layer.weight.value.data));
        sd.set(`${net.prefix}.${2 * l}.bias`, f32(layer.bias.shape, layer.bias.value.data));
        sd.set(`${net.prefix}.${2 * l}.mask`, {
          dtype: 'bool',
          shape: [...layer.mask.shape],
          data: Uint8Array.from(layer.mask.data),
        });
      });
    }
  });
  return sd;
}

export function residualArchitecture(model: SystematicCorrectedModel): Record<string, unknown> {
  const c = model.config;
  return {
    kind: 'systematic_corrected',
    features_dim: c.featuresDim,
    context_dim: c.contextDim,
    num_nuisances: c.numNuisances,
    num_residual_layers: c.numResidualLayers,
    hidden_features: c.hiddenFeatures,
    type: c.type,
    quadratic_damping: c.quadraticDamping,
    cross_term_pairs: c.crossTermPairs,
    cross_damping: c.crossDamping,
    central_nuisance_values: c.centralNuisanceValues,
    nuisance_scales: c.nuisanceScales,
    ladj_sign: c.ladjSign,
    base: nsfArchitecture(model.base.config),
  };
}

/** Settings from our architecture metadata that a state dict cannot hold. */
export function residualExtraFromArchitecture(a: Record<string, unknown>): Partial<ResidualModelConfig> {
  const out: Partial<ResidualModelConfig> = {};
  if (typeof a.quadratic_damping === 'number') out.quadraticDamping = a.quadratic_damping;
  if (typeof a.cross_damping === 'number') out.crossDamping = a.cross_damping;
  if (a.type === 'flow' || a.type === 'transform') out.type = a.type;
  if (a.ladj_sign === 1 || a.ladj_sign === -1) out.ladjSign = a.ladj_sign;
  return out;
}
