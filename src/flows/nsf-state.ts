/**
 * NSF ⇄ Zuko state dict. Reading infers the architecture from the tensor shapes, rebuilds the
 * masks with Zuko's algorithm and insists they equal the stored ones (a mismatch means the file
 * is not the flow we think it is). Writing uses Zuko 1.6 names (`base.loc`, `base.scale`);
 * reading also accepts the ≤ 1.5 spelling (`base._0`, `base._1`), and refuses a dict with neither.
 */
import type { Device } from '../backend/device.js';
import { CheckpointError, toBool, toFloat32, toInt, type StateDict, type StoredTensor } from '../io/state-dict.js';
import { NSF, transformOrder, type NSFConfig } from './nsf.js';

function need(sd: StateDict, key: string, where: string): StoredTensor {
  const t = sd.get(key);
  if (!t) throw new CheckpointError(`${where}: missing key '${key}'`);
  return t;
}

/** Architecture from shapes; slope and bound are not stored in a Zuko state dict. */
export function inferNsfConfig(
  sd: StateDict,
  prefix: string,
  where: string,
  extra: { slope?: number; bound?: number } = {},
): NSFConfig {
  let T = 0;
  while (sd.has(`${prefix}transform.transforms.${T}.hyper.0.weight`)) T++;
  if (T === 0)
    throw new CheckpointError(
      `${where}: no '${prefix}transform.transforms.0.hyper.0.weight' — not a Zuko NSF state dict`,
    );
  const F = need(sd, `${prefix}transform.transforms.0.order`, where).shape[0];
  const hidden: number[] = [];
  let l = 0;
  for (;;) {
    const w = sd.get(`${prefix}transform.transforms.0.hyper.${2 * l}.weight`);
    if (!w) break;
    hidden.push(w.shape[0]);
    l++;
  }
  const out = hidden.pop()!;
  const inWidth = need(sd, `${prefix}transform.transforms.0.hyper.0.weight`, where).shape[1];
  const P = out / F;
  if (!Number.isInteger(P) || (P + 1) % 3 !== 0) {
    throw new CheckpointError(`${where}: hyper-network output ${out} is not F·(3K−1) for F = ${F}`);
  }
  return {
    features: F,
    context: inWidth - F,
    bins: (P + 1) / 3,
    transforms: T,
    hiddenFeatures: hidden,
    slope: extra.slope ?? 1e-3,
    bound: extra.bound ?? 5,
  };
}

/**
 * The DiagNormal base's buffer under Zuko ≥ 1.6's name or ≤ 1.5's. Required: without it the flow
 * would silently evaluate under N(0, 1), which is a different density from the one saved.
 */
function baseBuffer(
  sd: StateDict,
  prefix: string,
  name: string,
  oldName: string,
  features: number,
  where: string,
  what: string,
): Float32Array {
  const key = [`${prefix}base.${name}`, `${prefix}base.${oldName}`].find((k) => sd.has(k));
  if (!key) {
    throw new CheckpointError(
      `${where}: missing '${prefix}base.${name}' (or '${prefix}base.${oldName}'): ` +
        `the base distribution's ${what}, [${features}]`,
    );
  }
  const t = sd.get(key)!;
  if (t.shape.join(',') !== String(features)) {
    throw new CheckpointError(`${where}: '${key}' has shape [${t.shape}], the architecture needs [${features}]`);
  }
  return toFloat32(t);
}

export function nsfFromStateDict(
  dev: Device,
  sd: StateDict,
  opts: { prefix?: string; where?: string; slope?: number; bound?: number; config?: NSFConfig } = {},
): NSF {
  const prefix = opts.prefix ?? '';
  const where = opts.where ?? 'state dict';
  const cfg = opts.config ?? inferNsfConfig(sd, prefix, where, opts);
  const nsf = new NSF(dev, cfg);
  // A checkpoint that does not fit is refused after the flow was built: give its memory back, or
  // every rejected file of a checkpoint scan would leave a flow's worth of heap behind.
  try {
    for (const p of nsf.params.params) {
      const key = prefix + p.name;
      const t = need(sd, key, where);
      if (t.shape.join(',') !== p.shape.join(',')) {
        throw new CheckpointError(`${where}: '${key}' has shape [${t.shape}], the architecture needs [${p.shape}]`);
      }
      p.value.data.set(toFloat32(t));
    }
    nsf.transforms.forEach((tr, t) => {
      const order = toInt(need(sd, `${prefix}transform.transforms.${t}.order`, where), 'order');
      if (order.join(',') !== transformOrder(t, cfg.features).join(',')) {
        throw new CheckpointError(
          `${where}: transform ${t} has order [${order}]` +
            `, expected Zuko's alternating [${transformOrder(t, cfg.features)}]`,
        );
      }
      tr.hyper.maskArrays().forEach((built, l) => {
        const key = `${prefix}transform.transforms.${t}.hyper.${2 * l}.mask`;
        const stored = toBool(need(sd, key, where), key);
        const flatBuilt = built.flat();
        if (stored.length !== flatBuilt.length || stored.some((v, i) => v !== flatBuilt[i])) {
          throw new CheckpointError(
            `${where}: '${key}' differs from the mask Zuko's construction gives for this architecture`,
          );
        }
      });
    });
    nsf.base.loc.data.set(baseBuffer(sd, prefix, 'loc', '_0', cfg.features, where, 'mean'));
    nsf.base.scale.data.set(baseBuffer(sd, prefix, 'scale', '_1', cfg.features, where, 'standard deviation'));
  } catch (e) {
    nsf.params.free();
    throw e;
  }
  return nsf;
}

const f32 = (shape: number[], data: Float32Array): StoredTensor => ({
  dtype: 'f32',
  shape,
  data: Float32Array.from(data),
});

export function nsfToStateDict(nsf: NSF, prefix = '', sd: StateDict = new Map()): StateDict {
  nsf.transforms.forEach((tr, t) => {
    const p = `${prefix}transform.transforms.${t}.`;
    sd.set(`${p}order`, { dtype: 'i64', shape: [tr.order.length], data: BigInt64Array.from(tr.order.map(BigInt)) });
    tr.hyper.layers.forEach((layer, l) => {
      sd.set(`${p}hyper.${2 * l}.weight`, f32([...layer.weight.shape], layer.weight.value.data));
      sd.set(`${p}hyper.${2 * l}.bias`, f32([...layer.bias.shape], layer.bias.value.data));
      sd.set(`${p}hyper.${2 * l}.mask`, {
        dtype: 'bool',
        shape: [...layer.mask.shape],
        data: Uint8Array.from(layer.mask.data),
      });
    });
  });
  sd.set(`${prefix}base.loc`, f32([nsf.features], nsf.base.loc.data));
  sd.set(`${prefix}base.scale`, f32([nsf.features], nsf.base.scale.data));
  return sd;
}

export function nsfArchitecture(cfg: NSFConfig): Record<string, unknown> {
  return {
    kind: 'nsf',
    features: cfg.features,
    context: cfg.context,
    bins: cfg.bins,
    transforms: cfg.transforms,
    hidden_features: cfg.hiddenFeatures,
    slope: cfg.slope,
    bound: cfg.bound,
  };
}
