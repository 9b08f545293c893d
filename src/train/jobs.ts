/**
 * The four training jobs of the reference, built from the configs: base kin / score NSFs on
 * nominal batches, and residual kin / score models on template batches over a frozen base.
 */
import { existsSync } from 'node:fs';
import type { Device } from '../backend/device.js';
import type { FlowArchitecture, ResidualArchitecture, SystematicTemplate } from '../config/load.js';
import { readCheckpoint } from '../io/checkpoint.js';
import { CheckpointError } from '../io/state-dict.js';
import { trainStatePath } from './checkpoint.js';
import { NSF } from '../flows/nsf.js';
import { nsfArchitecture, nsfFromStateDict, nsfToStateDict } from '../flows/nsf-state.js';
import { SystematicCorrectedModel } from '../systematics/corrected-model.js';
import { residualArchitecture, residualFromStateDict, residualToStateDict } from '../systematics/state.js';
import { residualDefaults } from '../systematics/config.js';
import { loadBaseFlow } from '../models/load.js';
import type { GeneratorConfig } from '../toy/config.js';
import { Rng } from '../random/rng.js';
import { nominalBatch, templateBatch } from './batches.js';
import type { FileBatches } from './file-batches.js';
import type { Sector } from '../toy/sector.js';
import type { TrainJob } from './trainer.js';

/** Parameter init draws from its own stream, so data and init never share random numbers. */
const INIT_STREAM = 17;

/**
 * The checkpoint a run starts from: its own model file (--resume), another one (--init-from), or
 * none (a fresh init). Under --resume a model whose training never started (no training state)
 * starts fresh, and so does one whose state was written but whose model file was not yet: the
 * trainer takes the weights from the state either way (src/train/trainer.ts).
 */
function startingCheckpoint(modelPath: string, resume: boolean, initFrom: string | undefined): string | null {
  if (resume && initFrom !== undefined)
    throw new Error('--resume continues the run saved at the model path, --init-from starts a new one: give one');
  if (resume) return existsSync(trainStatePath(modelPath)) && existsSync(modelPath) ? modelPath : null;
  if (initFrom === undefined) return null;
  if (!existsSync(initFrom)) throw new CheckpointError(`--init-from: no checkpoint at ${initFrom}`);
  return initFrom;
}

export function baseFlowJob(
  dev: Device,
  sector: Sector,
  arch: FlowArchitecture,
  generator: GeneratorConfig,
  modelPath: string,
  seed: number,
  resume: boolean,
  initFrom?: string,
  files?: { batches: FileBatches; validationBatch: number },
): { job: TrainJob; model: NSF } {
  let model: NSF;
  const from = startingCheckpoint(modelPath, resume, initFrom);
  if (from) {
    model = nsfFromStateDict(dev, readCheckpoint(from).dict, { where: from, config: { ...arch } });
  } else {
    model = new NSF(dev, { ...arch }).init(Rng.fromSeed(seed).fork(INIT_STREAM));
  }
  return {
    model,
    job: {
      device: dev,
      params: model.params,
      modelPath,
      architecture: nsfArchitecture(model.config),
      drawBatch: files ? (rng, n) => files.batches.draw(rng, n) : (rng, n) => nominalBatch(sector, rng, n, generator),
      logProb: (tape, x, cond) => model.logProbVar(tape, x, cond),
      stateDict: () => nsfToStateDict(model),
      validation: files?.batches.validation(files.validationBatch),
      data: files?.batches,
    },
  };
}

export function residualJob(
  dev: Device,
  sector: Sector,
  flow: FlowArchitecture,
  residual: ResidualArchitecture,
  templates: readonly SystematicTemplate[],
  basePath: string,
  modelPath: string,
  seed: number,
  resume: boolean,
  initFrom?: string,
  files?: { batches: FileBatches; validationBatch: number },
): { job: TrainJob; model: SystematicCorrectedModel } {
  if (templates.length === 0 && !files) throw new Error(`no ${sector}_systematics templates to train on`);
  for (const t of templates) {
    if (t.m.length !== residual.numNuisances) {
      throw new Error(`template ${t.name}: m has ${t.m.length} entries, num_nuisances is ${residual.numNuisances}`);
    }
  }
  const cfg = residualDefaults({ ...residual });
  let model: SystematicCorrectedModel;
  const from = startingCheckpoint(modelPath, resume, initFrom);
  if (from) {
    model = residualFromStateDict(dev, readCheckpoint(from).dict, { where: from, extra: cfg });
  } else {
    const base = loadBaseFlow(dev, basePath, flow, `${sector}_flow`);
    model = new SystematicCorrectedModel(dev, base, cfg).init(Rng.fromSeed(seed).fork(INIT_STREAM));
  }
  return {
    model,
    job: {
      device: dev,
      params: model.params,
      modelPath,
      architecture: residualArchitecture(model),
      drawBatch: files ? (rng, n) => files.batches.draw(rng, n) : (rng, n) => templateBatch(sector, rng, n, templates),
      logProb: (tape, x, cond) => model.logProbVar(tape, x, cond),
      stateDict: () => residualToStateDict(model),
      validation: files?.batches.validation(files.validationBatch),
      data: files?.batches,
    },
  };
}
