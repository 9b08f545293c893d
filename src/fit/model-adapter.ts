/**
 * The fit's only door into the density models. Every call into NSF / SystematicCorrectedModel
 * made by src/fit/ goes through this file (setup.ts loads them from the config's files), so a
 * rename of those methods (transformVar, logProbVar, …) is patched here and nowhere else. No file
 * system here: the likelihood built on it runs in a web page too ('fnflow/browser').
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
import type { NSF } from '../flows/nsf.js';
import type { SystematicCorrectedModel } from '../systematics/corrected-model.js';
import { ResidualOnSample, type LogProbWithNuGrad } from '../systematics/on-sample.js';
import type { Rng } from '../random/rng.js';

export type { NSF, SystematicCorrectedModel };

// The fixed-sample evaluator lives beside the model, so the browser page can use it too.
export { ResidualOnSample, type LogProbWithNuGrad } from '../systematics/on-sample.js';

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
