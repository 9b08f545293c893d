/**
 * `train.file_epoch`: what a training epoch costs when its events come from a 1M-event file
 * instead of the generator (issue 17 target: no more than generated data + 10 %). Both runs are
 * the trainer's real epoch for the kin base flow (2 threads, batch 1024, the schedule's steps per
 * epoch): the steps, the validation at the epoch's end (files: every held-out event, 100 000 of
 * them; generator: the config's 10 drawn batches) and the checkpoint write. They are timed in
 * interleaved rounds (generator, file, file, generator, …) because this VM's speed drifts from one
 * minute to the next; the figures are medians, the ratio the median of the per-round ratios. The
 * file's one-time read (Parquet, into columns, then the held-out split) is reported apart.
 * FNF_BENCH_EPOCH_STEPS sets the steps per epoch (default 1000, the shipped schedule's).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDevice } from '../src/backend/index.js';
import { writeColumns } from '../src/io/columns/write.js';
import { Rng } from '../src/random/rng.js';
import { defaultGeneratorConfig, generateBatch } from '../src/toy/index.js';
import { fileTraining } from '../src/train/file-data.js';
import { baseFlowJob } from '../src/train/jobs.js';
import { train, type TrainPlan } from '../src/train/trainer.js';
import { register, type BenchResult } from './registry.js';

const EVENTS = 1_000_000;
const ROUNDS = 3;
const KIN_FLOW = {
  features: 2,
  context: 2,
  bins: 20,
  transforms: 2,
  hiddenFeatures: [128, 128, 128],
  slope: 1e-3,
  bound: 5,
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The toy's nominal events as the columns `fnf generate-dataset --format parquet` writes. */
function writeToyFile(path: string): void {
  const b = generateBatch(Rng.fromSeed(1), EVENTS, defaultGeneratorConfig());
  const col = (from: Float32Array, k: number) => Float32Array.from({ length: EVENTS }, (_, i) => from[2 * i + k]);
  writeColumns(path, 'parquet', [
    { name: 'x1', values: col(b.x, 0) },
    { name: 'x2', values: col(b.x, 1) },
    { name: 'y1', values: col(b.y, 0) },
    { name: 'y2', values: col(b.y, 1) },
    { name: 'label', values: Int32Array.from({ length: EVENTS }, (_, i) => b.cOneHot[2 * i + 1]) },
  ]);
}

register({
  name: 'train.file_epoch',
  async run(): Promise<BenchResult[]> {
    const steps = Number(process.env.FNF_BENCH_EPOCH_STEPS ?? 1000);
    const dir = mkdtempSync(join(tmpdir(), 'fnflow-epoch-bench-'));
    const dev = await createDevice({ backend: 'wasm', threads: 2 });
    try {
      const file = join(dir, 'nominal.parquet');
      writeToyFile(file);
      const t0 = performance.now();
      const columns = { features: ['x1', 'x2'] as [string, string], scores: ['y1', 'y2'] as [string, string] };
      const files = await fileTraining(
        'kin',
        {
          holdout: 0.1,
          placeholders: 'refuse',
          columns: { ...columns, class: 'label' },
          nominal: { files: [{ path: file }] },
          templates: [],
        },
        'base',
        1,
      );
      const readSeconds = (performance.now() - t0) / 1000;
      const plan = (valBatches: number): TrainPlan => ({
        label: 'bench',
        epochs: 1,
        stepsPerEpoch: steps,
        batchSize: 1024,
        lr: 1e-4,
        weightDecay: 0.01,
        seed: 1,
        valBatches,
      });
      const epoch = async (fromFile: boolean): Promise<number> => {
        const source = fromFile ? { batches: files.batches, validationBatch: 1024 } : undefined;
        const path = join(dir, fromFile ? 'file.safetensors' : 'gen.safetensors');
        const { job } = baseFlowJob(dev, 'kin', KIN_FLOW, defaultGeneratorConfig(), path, 1, false, undefined, source);
        const s = performance.now();
        await train(job, plan(fromFile ? 0 : 10));
        const seconds = (performance.now() - s) / 1000;
        job.params.free();
        return seconds;
      };
      await epoch(false); // warm-up: V8 optimises the step's JS
      const gen: number[] = [];
      const fromFile: number[] = [];
      const ratio: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        const times = new Map<boolean, number>();
        for (const fromFileFirst of r % 2 === 0 ? [false, true] : [true, false])
          times.set(fromFileFirst, await epoch(fromFileFirst));
        const gs = times.get(false)!;
        const fs = times.get(true)!;
        gen.push(gs);
        fromFile.push(fs);
        ratio.push(fs / gs);
        console.log(`train.file_epoch round ${r + 1}: generator ${gs.toFixed(2)} s, file ${fs.toFixed(2)} s`);
      }
      const base = { shape: [EVENTS, steps], backend: 'wasm', threads: 2 };
      return [
        { ...base, name: 'train.file_epoch.generator', value: +median(gen).toFixed(3), unit: 's' },
        { ...base, name: 'train.file_epoch.file', value: +median(fromFile).toFixed(3), unit: 's' },
        { ...base, name: 'train.file_epoch.ratio', value: +median(ratio).toFixed(3), unit: '× generator epoch' },
        { ...base, name: 'train.file_epoch.read', value: +readSeconds.toFixed(3), unit: 's (once per run)' },
      ];
    } finally {
      (dev.kernels as { dispose?: () => void }).dispose?.();
      rmSync(dir, { recursive: true, force: true });
    }
  },
});
