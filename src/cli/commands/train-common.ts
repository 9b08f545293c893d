/** What train-base and train-systematics share: overrides, seed, device, model cards. */
import { Option } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { describeDevice } from '../../backend/index.js';
import type { Device } from '../../backend/device.js';
import { writeFileAtomic } from '../../io/atomic.js';
import type { TrainEvents, TrainJob, TrainPlan, TrainResult } from '../../train/trainer.js';
import type { SectorTraining } from '../../train/sector.js';
import { TrainingDiverged, TrainingInterrupted, train } from '../../train/trainer.js';
import { removeStaleTemporaries } from '../../train/checkpoint.js';
import { ProgressReporter } from '../progress.js';
import type { Command } from 'commander';
import {
  cfgOption,
  epochsOption,
  existingFileParser,
  positiveNumberParser,
  resumeOption,
  stepsPerEpochOption,
  trainStepsOption,
  type GlobalOptions,
  type TrainStep,
} from '../options.js';
import { UserError } from '../errors.js';
import type { WeightSummary } from '../../train/file-events.js';
import type { Sector } from '../../toy/sector.js';

export interface TrainOverrides {
  epochs: number | undefined;
  stepsPerEpoch: number | undefined;
  lr: number | undefined;
  resume: boolean;
}

/** The options both training commands take (flags of the reference scripts, plus our extras). */
export interface TrainCommandOptions extends GlobalOptions {
  cfg: string;
  steps: TrainStep[];
  resume: boolean;
  epochs: number | undefined;
  stepsPerEpoch: number | undefined;
  lr: number | undefined;
  initFrom: string | undefined;
}

export function addTrainOptions(cmd: Command, cfgDescription: string): Command {
  return cmd
    .addOption(cfgOption(cfgDescription))
    .addOption(trainStepsOption())
    .addOption(epochsOption())
    .addOption(stepsPerEpochOption())
    .addOption(lrOption())
    .addOption(resumeOption())
    .addOption(
      new Option(
        '--init-from <file>',
        'start from the weights of this checkpoint with a fresh optimizer and the given schedule' +
          ' (a fine-tuning stage; not with --resume; default: random init)',
      ).argParser(existingFileParser()),
    );
}

export function lrOption(): Option {
  return new Option(
    '--lr <rate>',
    "learning rate, overriding the config's training.*.lr (default: from the config)",
  ).argParser(positiveNumberParser);
}

/** Seed: --seed, else the config's `seed`, else 0 (reproducible by default). */
export function seedOf(opts: GlobalOptions, configSeed: number | undefined): number {
  return opts.seed ?? configSeed ?? 0;
}

/** The sector a training step trains: `train_kin` → `kin`. */
export function sectorOf(step: TrainStep): Sector {
  return step === 'train_kin' ? 'kin' : 'score';
}

/**
 * --init-from starts a new run from another checkpoint, so it is not a --resume (which continues
 * the run saved at the model path); and it names one checkpoint, so it takes one model per run.
 */
export function checkInitFrom(opts: TrainCommandOptions): void {
  if (opts.initFrom !== undefined && opts.resume) {
    throw new UserError(
      '--resume continues the run saved at the model path and --init-from starts a new run from another ' +
        'checkpoint: give one or the other',
    );
  }
  if (opts.initFrom && opts.steps.length > 1) {
    throw new UserError('--init-from names one checkpoint: train one model at a time (-s train_kin or -s train_score)');
  }
}

/** The trainer's events drawn as the progress display on stderr. */
function progressEvents(): TrainEvents & { done(): void } {
  let progress: ProgressReporter | undefined;
  return {
    start: (run) =>
      (progress = new ProgressReporter({
        label: run.label,
        epochs: run.epochs,
        stepsPerEpoch: run.stepsPerEpoch,
        startEpoch: Math.floor(run.startStep / run.stepsPerEpoch),
      })),
    step: (loss) => progress?.step(loss),
    epoch: (e) => progress?.epochEnd({ valLoss: e.valLoss }),
    message: (text) => process.stderr.write(`${text}\n`),
    done: () => progress?.done(),
  };
}

/** Ctrl-C, and the SIGTERM a batch system sends at a job's time limit (before its SIGKILL). */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/**
 * Run one training with the progress display; Ctrl-C or SIGTERM aborts it (the trainer saves,
 * then stops). The expected failures become one-line user errors.
 */
async function runTraining(job: TrainJob, plan: TrainPlan, resume: boolean): Promise<TrainResult> {
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  for (const sig of STOP_SIGNALS) process.once(sig, onSignal);
  const events = progressEvents();
  try {
    const result = await train(job, plan, { resume, events, signal: stop.signal });
    events.done();
    return result;
  } catch (e) {
    if (e instanceof TrainingInterrupted) throw new UserError(e.message, 130);
    if (e instanceof TrainingDiverged) throw new UserError(e.message, 1);
    throw e;
  } finally {
    for (const sig of STOP_SIGNALS) process.removeListener(sig, onSignal);
  }
}

/** Train one model, then write its card and say where it went (both training commands). */
export async function trainAndRecord(
  dev: Device,
  opts: TrainCommandOptions,
  run: SectorTraining & { /** Training on files: what the card records about them. */ data?: object },
): Promise<void> {
  removeStaleTemporaries([cardPathOf(run.path), `${cardBase(run.path)}.card.md`]);
  const result = await runTraining(run.job, run.plan, opts.resume);
  // A run that had finished keeps its card; one is written only if a kill lost it.
  if (result.alreadyFinished && existsSync(cardPathOf(run.path))) return;
  writeModelCard(run.path, {
    title: run.title,
    config: opts.cfg,
    section: run.section,
    plan: run.plan,
    result,
    backend: describeDevice(dev),
    architecture: run.job.architecture,
    initFrom: opts.initFrom,
    data: run.data,
  });
  if (!result.alreadyFinished)
    process.stdout.write(`${run.plan.label}: saved ${run.path} (${result.state.seconds.toFixed(1)} s)\n`);
}

/** NAME for NAME.safetensors (or NAME.pt): the card files are NAME.card.json and NAME.card.md. */
const cardBase = (modelPath: string) => modelPath.replace(/\.(safetensors|pt)$/, '');

/** The card beside a model file: NAME.card.json for NAME.safetensors (or NAME.pt). */
export function cardPathOf(modelPath: string): string {
  return `${cardBase(modelPath)}.card.json`;
}

/** A small card next to each model: config, seed, schedule, wall time, final losses. */
export function writeModelCard(
  modelPath: string,
  info: {
    title: string;
    config: string;
    section: string;
    plan: TrainPlan;
    result: TrainResult;
    backend: string;
    architecture: object;
    initFrom?: string;
    data?: object;
  },
): void {
  const { plan, result } = info;
  // A fine-tuning stage (--init-from) keeps the earlier stages in the card: those recorded in
  // the card of the checkpoint it started from (written next to it by its own training).
  let earlier: { schedule: object; wall_time_s: number; seed: number }[] = [];
  const prevCard = info.initFrom ? cardPathOf(info.initFrom) : null;
  if (prevCard && existsSync(prevCard)) {
    const prev = JSON.parse(readFileSync(prevCard, 'utf8'));
    earlier = [
      ...(prev.earlier_stages ?? []),
      { schedule: prev.schedule, wall_time_s: prev.wall_time_s, seed: prev.seed },
    ];
  }
  const h = result.state.history;
  const last = h[h.length - 1];
  // The config as seen from the folder above the model's (the repository root for models/).
  const config = relative(resolve(dirname(modelPath), '..'), resolve(info.config));
  const card = {
    model: info.title,
    file: modelPath.split('/').pop(),
    config,
    section: info.section,
    seed: plan.seed,
    schedule: {
      epochs: plan.epochs,
      steps_per_epoch: plan.stepsPerEpoch,
      steps: plan.epochs * plan.stepsPerEpoch,
      batch_size: plan.batchSize,
      lr: plan.lr,
      weight_decay: plan.weightDecay,
      warmup_steps: plan.stepsPerEpoch,
      lr_schedule: 'linear warm-up (1 epoch) + cosine',
    },
    backend: info.backend,
    wall_time_s: +result.state.seconds.toFixed(1),
    ...(earlier.length > 0
      ? {
          earlier_stages: earlier,
          total_wall_time_s: +(earlier.reduce((a, e) => a + e.wall_time_s, 0) + result.state.seconds).toFixed(1),
        }
      : {}),
    final_train_loss: last?.loss,
    final_val_loss: last?.valLoss,
    ...(info.data
      ? {
          training_data: info.data,
          // null: no held-out events (holdout: 0), so no best epoch was chosen
          best_epoch: result.bestEpoch !== undefined ? result.bestEpoch + 1 : null,
          best_val_loss: h.find((e) => e.epoch === result.bestEpoch)?.valLoss ?? null,
        }
      : {}),
    architecture: info.architecture,
    // Epochs counted from 1, as the progress lines and messages count them.
    history: h.map((e) => ({
      epoch: e.epoch + 1,
      loss: +e.loss.toFixed(5),
      ...(e.valLoss !== undefined ? { val_loss: +e.valLoss.toFixed(5) } : {}),
      seconds: +e.seconds.toFixed(1),
    })),
  };
  const base = cardBase(modelPath);
  writeFileAtomic(`${base}.card.json`, new TextEncoder().encode(JSON.stringify(card, null, 2) + '\n'));
  const totalWall = (card as { total_wall_time_s?: number }).total_wall_time_s;
  const md = [
    `# ${info.title}`,
    '',
    `| | |`,
    `|---|---|`,
    `| file | \`${card.file}\` |`,
    `| config | \`${config}\` → \`${info.section}\` |`,
    `| seed | ${plan.seed} |`,
    `| schedule | ${plan.epochs} epochs × ${plan.stepsPerEpoch} steps = ${plan.epochs * plan.stepsPerEpoch} steps` +
      `, batch ${plan.batchSize}` +
      `, AdamW lr ${plan.lr} (1-epoch warm-up + cosine), weight decay ${plan.weightDecay} |`,
    `| backend | ${info.backend} |`,
    ...earlier.map((e, i) => {
      const sc = e.schedule as { steps: number; lr: number; batch_size: number };
      return `| stage ${i + 1} | ${sc.steps} steps, batch ${sc.batch_size}, lr ${sc.lr}, ${e.wall_time_s} s |`;
    }),
    ...(earlier.length > 0
      ? [`| stage ${earlier.length + 1} (fine-tuning from stage ${earlier.length}) | see schedule above |`]
      : []),
    `| training wall time | ${card.wall_time_s} s${earlier.length > 0 ? ` (all stages: ${totalWall} s)` : ''} |`,
    `| final training loss | ${last?.loss.toFixed(5)} |`,
    ...(last?.valLoss !== undefined ? [`| final validation loss | ${last.valLoss.toFixed(5)} |`] : []),
    ...(info.data ? dataRows(info.data, result.bestEpoch, h) : []),
    '',
    'Closure against the exact truth: see `closure.md` from `fnf validate`' +
      ' (the numbers are copied into `models/README.md`).',
    '',
  ].join('\n');
  writeFileAtomic(`${base}.card.md`, new TextEncoder().encode(md));
}

/** Card rows for training on files: the best epoch kept (counted from 1), and per sample its events and weights. */
function dataRows(data: object, bestEpoch: number | undefined, h: { epoch: number; valLoss?: number }[]): string[] {
  const samples =
    (
      data as {
        samples?: {
          sample: string;
          files: string[];
          class_events?: { A: number; B: number };
          train: WeightSummary;
          holdout: WeightSummary;
        }[];
      }
    ).samples ?? [];
  const best = h.find((e) => e.epoch === bestEpoch);
  return [
    ...(best?.valLoss !== undefined
      ? [`| model file holds | epoch ${best.epoch + 1} (lowest held-out NLL, ${best.valLoss.toFixed(5)}) |`]
      : []),
    ...samples.map(
      (s) =>
        `| ${s.sample} | ${s.files.map((f) => `\`${f.split('/').pop()}\``).join(', ')}: ${s.train.events} training ` +
        `(${s.train.negative_weights} negative weights, Σw ${s.train.sum_w}` +
        `, effective ${s.train.effective_events}) + ` +
        `${s.holdout.events} held-out events` +
        (s.class_events ? ` (class A ${s.class_events.A}, class B ${s.class_events.B})` : '') +
        ' |',
    ),
  ];
}
