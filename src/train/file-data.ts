/**
 * From a config's `samples:` section to the batches a training job draws: the base flows train on
 * the nominal sample, the residual models on the templates (each with its ν). Also what the
 * model card records about the files: events, Σw, negative weights, effective sample size.
 */
import type { SectorSamples } from '../config/samples.js';
import { Rng } from '../random/rng.js';
import type { Sector } from '../toy/sector.js';
import { FileBatches } from './file-batches.js';
import { loadSample, SampleError, type EventSample } from './file-events.js';

/** The held-out split draws from its own stream: changing the schedule never moves events between the sides. */
const HOLDOUT_STREAM = 23;

export interface FileTraining {
  batches: FileBatches;
  /** For the model card. */
  card: object;
}

export async function fileTraining(
  sector: Sector,
  samples: SectorSamples,
  model: 'base' | 'residual',
  seed: number,
  numNuisances = 0,
): Promise<FileTraining> {
  let loaded: EventSample[];
  if (model === 'base') {
    if (!samples.nominal)
      throw new SampleError(
        `samples: no nominal sample for the ${sector} base flow (samples.nominal or samples.${sector}.nominal)`,
      );
    loaded = [await loadSample(sector, samples.nominal, samples.columns, 'nominal', samples.placeholders)];
  } else {
    if (samples.templates.length === 0)
      throw new SampleError(
        `samples: no templates for the ${sector} residual (samples.templates or samples.${sector}.templates)`,
      );
    loaded = [];
    for (const t of samples.templates) {
      const label = `template ν = (${t.nu!.join(', ')})`;
      if (t.nu!.length !== numNuisances)
        throw new SampleError(
          `samples: ${label} has ${t.nu!.length} values, residual_${sector}_model.num_nuisances is ${numNuisances}`,
        );
      loaded.push(await loadSample(sector, t, samples.columns, label, samples.placeholders));
    }
  }
  const batches = new FileBatches(loaded, samples.holdout, Rng.fromSeed(seed).fork(HOLDOUT_STREAM));
  const summary = batches.summary();
  const card = {
    holdout_fraction: samples.holdout,
    columns: samples.columns,
    samples: summary,
  };
  return { batches, card };
}

/** One line per sample for the terminal: events, negative weights, effective size. */
export function describeFileTraining(t: FileTraining): string[] {
  return t.batches
    .summary()
    .map(
      (s) =>
        `${s.sample}: ${s.train.events} training + ${s.holdout.events} held-out events from ${s.files.length} file(s)` +
        (s.train.negative_weights > 0 || s.train.effective_events !== s.train.events
          ? `, ${s.train.negative_weights} negative weights, effective size ${s.train.effective_events}`
          : ''),
    );
}
