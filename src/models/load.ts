/**
 * Loading models for commands: a base NSF or a residual model from a `.pt` (reference) or
 * `.safetensors` (ours) file, decided by content, checked against the architecture the config
 * expects (a mismatch names both shapes).
 */
import type { Device } from '../backend/device.js';
import { architectureOf, readCheckpoint } from '../io/checkpoint.js';
import { checkArchitecture } from '../config/load.js';
import type { FlowArchitecture, ResidualArchitecture } from '../config/load.js';
import { inferNsfConfig, nsfFromStateDict } from '../flows/nsf-state.js';
import type { NSF } from '../flows/nsf.js';
import { inferResidualConfig, residualExtraFromArchitecture, residualFromStateDict } from '../systematics/state.js';
import type { SystematicCorrectedModel } from '../systematics/corrected-model.js';

export function loadBaseFlow(dev: Device, path: string, expected?: FlowArchitecture, what = 'flow'): NSF {
  const ck = readCheckpoint(path);
  const meta = architectureOf(ck);
  const slope = typeof meta?.slope === 'number' ? meta.slope : expected?.slope;
  const bound = typeof meta?.bound === 'number' ? meta.bound : expected?.bound;
  const found = inferNsfConfig(ck.dict, '', path, { slope, bound });
  if (expected) checkArchitecture(expected, found, `${path} vs config ${what}`);
  return nsfFromStateDict(dev, ck.dict, { where: path, config: found });
}

export function loadResidualModel(
  dev: Device,
  path: string,
  expected?: { flow?: FlowArchitecture; residual?: ResidualArchitecture },
  what = 'residual model',
): SystematicCorrectedModel {
  const ck = readCheckpoint(path);
  const meta = architectureOf(ck);
  // Settings a state dict cannot hold: from our metadata, else from the config.
  const extra = meta
    ? residualExtraFromArchitecture(meta)
    : expected?.residual
      ? {
          quadraticDamping: expected.residual.quadraticDamping,
          crossDamping: expected.residual.crossDamping,
          type: expected.residual.type,
          ladjSign: expected.residual.ladjSign,
        }
      : {};
  const baseFound = inferNsfConfig(ck.dict, 'base_model.', path, {
    slope: expected?.flow?.slope,
    bound: expected?.flow?.bound,
  });
  if (expected?.flow) checkArchitecture(expected.flow, baseFound, `${path} (base_model) vs config ${what}`);
  const found = inferResidualConfig(ck.dict, path, extra);
  if (expected?.residual) {
    const { featuresDim, contextDim, numNuisances, numResidualLayers, hiddenFeatures, crossTermPairs } =
      expected.residual;
    checkArchitecture(
      { featuresDim, contextDim, numNuisances, numResidualLayers, hiddenFeatures, crossTermPairs },
      found,
      `${path} vs config ${what}`,
    );
  }
  return residualFromStateDict(dev, ck.dict, { where: path, extra, baseConfig: baseFound });
}
