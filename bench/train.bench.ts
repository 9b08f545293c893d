/**
 * Model-level benchmarks: train_step.<model> (ms per optimizer step at batch 1024, with steps/s),
 * logprob_100k.<model> and sample_100k.<model> (ms for 100 000 points), for the four models of the
 * reference architecture on the wasm backend. Weights are freshly initialised: the time of these
 * paths does not depend on their values.
 */
import { createDevice } from '../src/backend/index.js';
import type { Device } from '../src/backend/device.js';
import { NSF, type NSFConfig } from '../src/flows/nsf.js';
import { SystematicCorrectedModel } from '../src/systematics/corrected-model.js';
import { residualDefaults } from '../src/systematics/config.js';
import { AdamW } from '../src/train/adamw.js';
import { nominalBatch, templateBatch, type Sector } from '../src/train/batches.js';
import { trainStep, type TrainJob } from '../src/train/trainer.js';
import { defaultGeneratorConfig, withNuisance } from '../src/toy/index.js';
import { Rng } from '../src/toy/rng.js';
import { register, type BenchResult } from './registry.js';

const flow = (context: number, transforms: number): NSFConfig => ({
  features: 2, context, bins: 20, transforms, hiddenFeatures: [128, 128, 128], slope: 1e-3, bound: 5,
});

type ModelName = 'kin_base' | 'score_base' | 'kin_residual' | 'score_residual';

function build(dev: Device, name: ModelName) {
  const sector: Sector = name.startsWith('kin') ? 'kin' : 'score';
  const rng = Rng.fromSeed(1);
  const base = new NSF(dev, sector === 'kin' ? flow(2, 2) : flow(4, 3)).init(rng);
  const gen = defaultGeneratorConfig();
  if (name.endsWith('base')) {
    return {
      params: base.params,
      draw: (r: Rng) => nominalBatch(sector, r, 1024, gen),
      logProb: ((tape, x, c) => base.logProbVar(tape, x, c)) as TrainJob['logProb'],
      eval: (x: Float32Array, c: Float32Array) => base.logProb(x, c),
      sample: (c: Float32Array, r: Rng) => base.sample(c.length / base.config.context, c, r),
    };
  }
  const model = new SystematicCorrectedModel(
    dev,
    base,
    residualDefaults({ featuresDim: 2, contextDim: base.config.context, numNuisances: 2, numResidualLayers: sector === 'kin' ? 1 : 2, hiddenFeatures: sector === 'kin' ? [128, 128] : [128, 128, 128] }),
  ).init(rng);
  // Non-zero last layers, so the residual path costs what it costs after training.
  for (const e of model.stack) if (e.kind === 'residual') for (const n of e.layer.nets) n.init(rng, false);
  const templates = [[1, 0], [-1, 0], [0, 1], [0, -1]].map((m, i) => ({ name: `t${i}`, m, generator: withNuisance(gen, [m[0], m[1]]) }));
  return {
    params: model.params,
    draw: (r: Rng) => templateBatch(sector, r, 1024, templates),
    logProb: ((tape, x, c, nu) => model.logProbVar(tape, x, c, nu!)) as TrainJob['logProb'],
    eval: (x: Float32Array, c: Float32Array) => model.logProb(x, c, new Float32Array((x.length / 2) * 2).fill(0.5)),
    sample: (c: Float32Array, r: Rng) => model.sample(c, new Float32Array((c.length / model.config.contextDim) * 2).fill(0.5), r),
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

register({
  name: 'train_step',
  async run() {
    const out: BenchResult[] = [];
    for (const threads of [1, 2]) {
      const dev = await createDevice({ backend: 'wasm', threads });
      const build_ = (dev.kernels as { build?: string }).build;
      for (const name of ['kin_base', 'score_base', 'kin_residual', 'score_residual'] as ModelName[]) {
        const m = build(dev, name);
        const opt = new AdamW(m.params);
        const job = { device: dev, params: m.params, logProb: m.logProb } as TrainJob;
        const rng = Rng.fromSeed(2);
        const batches = Array.from({ length: 8 }, () => m.draw(rng));
        for (let i = 0; i < 10; i++) trainStep(job, opt, batches[i % 8], 1e-4);
        const times: number[] = [];
        for (let rep = 0; rep < 9; rep++) {
          const t0 = performance.now();
          for (let i = 0; i < 10; i++) trainStep(job, opt, batches[i % 8], 1e-4);
          times.push((performance.now() - t0) / 10);
        }
        const ms = median(times);
        out.push({ name: `train_step.${name}`, shape: [1024], backend: 'wasm', ...(build_ ? { build: build_ as 'simd' } : {}), threads, value: +ms.toFixed(3), unit: 'ms' });
        out.push({ name: `train_step.${name}.steps_per_s`, shape: [1024], backend: 'wasm', threads, value: +(1000 / ms).toFixed(1), unit: 'steps/s' });
        opt.free();
      }
      (dev.kernels as { dispose?: () => void }).dispose?.();
    }
    return out;
  },
});

register({
  name: 'logprob_100k',
  async run() {
    const out: BenchResult[] = [];
    for (const threads of [1, 2]) {
      const dev = await createDevice({ backend: 'wasm', threads });
      for (const name of ['kin_base', 'score_base', 'kin_residual', 'score_residual'] as ModelName[]) {
        const m = build(dev, name);
        const b = m.draw(Rng.fromSeed(3));
        const n = 100_000;
        const C = b.context.length / b.n;
        const x = new Float32Array(2 * n), c = new Float32Array(C * n);
        for (let i = 0; i < n; i++) {
          const j = i % b.n;
          x.set(b.x.subarray(2 * j, 2 * j + 2), 2 * i);
          c.set(b.context.subarray(C * j, C * j + C), C * i);
        }
        m.eval(x, c);
        const lp: number[] = [], sm: number[] = [];
        for (let rep = 0; rep < 3; rep++) {
          let t0 = performance.now();
          m.eval(x, c);
          lp.push(performance.now() - t0);
          t0 = performance.now();
          m.sample(c, Rng.fromSeed(rep));
          sm.push(performance.now() - t0);
        }
        out.push({ name: `logprob_100k.${name}`, shape: [n], backend: 'wasm', threads, value: +median(lp).toFixed(1), unit: 'ms' });
        out.push({ name: `sample_100k.${name}`, shape: [n], backend: 'wasm', threads, value: +median(sm).toFixed(1), unit: 'ms' });
      }
      (dev.kernels as { dispose?: () => void }).dispose?.();
    }
    return out;
  },
});
