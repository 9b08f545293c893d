/**
 * Model-level benchmarks: train_step.<model> (ms per optimizer step at batch 1024, with steps/s,
 * the 2-thread speed-up and, with a PyTorch peer, the ratio to PyTorch),
 * logprob_100k.<model> and sample_100k.<model> (ms for 100 000 points), for the four models of the
 * reference architecture on the wasm backend, freshly initialised; and train_step of the four on
 * the shipped trained base flow, `<model>_trained` (a base model's own weights; a residual
 * model's frozen base under fresh residual networks, where residual training starts). The time
 * depends on the weights since relu layers' zeros are skipped (assembly/sparse-rows.ts): half the
 * hidden activations are zeros at initialisation, 70–85 % in the shipped score model (a training
 * from scratch need not reach that: bench/README.md, "Relu zeros"). PyTorch's
 * dense products take the same time on either weights: the `_trained` rows compare against its
 * step of the same architecture.
 */
import { createDevice } from '../src/backend/index.js';
import type { Device } from '../src/backend/device.js';
import { NSF, type NSFConfig } from '../src/flows/nsf.js';
import { SystematicCorrectedModel } from '../src/systematics/corrected-model.js';
import { residualDefaults } from '../src/systematics/config.js';
import { AdamW } from '../src/train/adamw.js';
import { nominalBatch, templateBatch } from '../src/train/batches.js';
import type { Sector } from '../src/toy/sector.js';
import { trainStep, type TrainJob } from '../src/train/trainer.js';
import { defaultGeneratorConfig, withNuisance } from '../src/toy/index.js';
import { Rng } from '../src/random/rng.js';
import { register, type BenchResult } from './registry.js';
import { PyTorchPeer } from './pytorch/peer.js';
import { loadBaseFlow } from '../src/models/load.js';
import { shippedModelPath } from '../src/models/shipped.js';
import { spinGaps } from './host-noise-spin.js';

const flow = (context: number, transforms: number): NSFConfig => ({
  features: 2,
  context,
  bins: 20,
  transforms,
  hiddenFeatures: [128, 128, 128],
  slope: 1e-3,
  bound: 5,
});

export type ModelName = 'kin_base' | 'score_base' | 'kin_residual' | 'score_residual';
/**
 * A bench model: one of the four, or with `_trained` on the shipped trained base flow — a base
 * model's own weights, or a residual model's frozen base under fresh residual networks (where a
 * residual training starts).
 */
export type BenchModel = ModelName | `${ModelName}_trained`;

/** The architecture a bench model has (what the PyTorch peer times for it). */
export const architectureOf = (name: BenchModel): ModelName => name.replace('_trained', '') as ModelName;

/**
 * A fresh base flow, or the shipped one for a `_trained` name (loaded trainable; a residual
 * model freezes its base itself).
 */
function baseFlow(dev: Device, name: BenchModel, sector: Sector, rng: Rng): NSF {
  if (!name.endsWith('_trained')) return new NSF(dev, sector === 'kin' ? flow(2, 2) : flow(4, 3)).init(rng);
  return loadBaseFlow(dev, shippedModelPath(sector === 'kin' ? 'kin_density' : 'score_density'));
}

export function build(dev: Device, name: BenchModel) {
  const sector: Sector = name.startsWith('kin') ? 'kin' : 'score';
  const rng = Rng.fromSeed(1);
  const base = baseFlow(dev, name, sector, rng);
  const gen = defaultGeneratorConfig();
  if (!name.includes('residual')) {
    return {
      params: base.params,
      draw: (r: Rng) => nominalBatch(sector, r, 1024, gen),
      logProb: ((tape, x, cond) => base.logProbVar(tape, x, cond)) as TrainJob['logProb'],
      eval: (x: Float32Array, c: Float32Array) => base.logProb(x, { context: c }),
      sample: (c: Float32Array, r: Rng) => base.sample(c.length / base.config.context, { context: c }, r),
    };
  }
  const model = new SystematicCorrectedModel(
    dev,
    base,
    residualDefaults({
      featuresDim: 2,
      contextDim: base.config.context,
      numNuisances: 2,
      numResidualLayers: sector === 'kin' ? 1 : 2,
      hiddenFeatures: sector === 'kin' ? [128, 128] : [128, 128, 128],
    }),
  ).init(rng);
  // Non-zero last layers, so the residual path costs what it costs after training.
  for (const layer of model.layers) for (const n of layer.nets) n.init(rng, false);
  const templates = [
    [1, 0],
    [-1, 0],
    [0, 1],
    [0, -1],
  ].map((m, i) => ({ name: `t${i}`, m, generator: withNuisance(gen, [m[0], m[1]]) }));
  return {
    params: model.params,
    draw: (r: Rng) => templateBatch(sector, r, 1024, templates),
    logProb: ((tape, x, cond) => model.logProbVar(tape, x, cond)) as TrainJob['logProb'],
    eval: (x: Float32Array, c: Float32Array) =>
      model.logProb(x, { context: c, nu: new Float32Array((x.length / 2) * 2).fill(0.5) }),
    sample: (c: Float32Array, r: Rng) =>
      model.sample(
        c.length / model.config.contextDim,
        { context: c, nu: new Float32Array((c.length / model.config.contextDim) * 2).fill(0.5) },
        r,
      ),
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export const MODELS: ModelName[] = ['kin_base', 'score_base', 'kin_residual', 'score_residual'];
/** train_step's models: the four, then the four on the shipped trained base (relu zeros as in use). */
export const STEP_MODELS: BenchModel[] = [...MODELS, ...MODELS.map((m) => `${m}_trained` as const)];
/** Untimed steps before the first round: V8 needs ~100 steps to optimise the step's JS. */
export const WARMUP_STEPS = 150;
/** Rounds; each times one block of every contender, in alternating order. */
const ROUNDS = 15;
/** Steps per timed block, after a few untimed ones (they absorb the switch between contenders). */
const BLOCK_STEPS = 8;
const SETTLE_STEPS = 3;
/** Milliseconds of spinning per model to sample the host's noise (`.host_preempt`). */
const NOISE_MS = 400;

/** n AdamW steps of a fresh `name` model on `dev` (its own optimizer and batches). */
export function stepper(dev: Device, name: BenchModel) {
  const m = build(dev, name);
  const opt = new AdamW(m.params);
  const job = { device: dev, params: m.params, logProb: m.logProb } as TrainJob;
  const rng = Rng.fromSeed(2);
  const batches = Array.from({ length: 8 }, () => m.draw(rng));
  let i = 0;
  return {
    steps(n: number): void {
      for (let k = 0; k < n; k++, i++) trainStep(job, opt, batches[i % 8], 1e-4);
    },
    free: () => opt.free(),
  };
}

/** ms per step of one timed block. */
function timeBlock(run: (n: number) => void): number {
  run(SETTLE_STEPS);
  const t0 = performance.now();
  run(BLOCK_STEPS);
  return (performance.now() - t0) / BLOCK_STEPS;
}

/**
 * Training steps with 1 and 2 threads, and PyTorch with 2 threads when a Python with torch is
 * there (pytorch/peer.ts), timed in interleaved rounds: this VM's speed drifts by ±20 % from
 * one minute to the next, and a contender timed a minute apart from another would be compared
 * with a different machine. Each figure is the median over the rounds; the ratios are the
 * medians of the per-round ratios (`.speedup_2t`: 1-thread / 2-thread time; `.vs_pytorch`:
 * our 2-thread time / PyTorch's).
 */
register({
  name: 'train_step',
  async run() {
    const out: BenchResult[] = [];
    const devs = [
      await createDevice({ backend: 'wasm', threads: 1 }),
      await createDevice({ backend: 'wasm', threads: 2 }),
    ];
    const build_ = (devs[0].kernels as { build?: string }).build as 'simd' | undefined;
    let torch = await PyTorchPeer.start(2, (why) => console.log(`train_step: no PyTorch comparison (${why})`));
    // A peer that fails mid-way costs the comparison, not the run: our figures are still reported.
    const torchTime = async (name: string, steps: number): Promise<number | null> => {
      if (!torch) return null;
      try {
        return await torch.time(name, steps);
      } catch (e) {
        console.log(`train_step: PyTorch comparison stopped (${e instanceof Error ? e.message : String(e)})`);
        torch.close();
        torch = null;
        return null;
      }
    };
    try {
      for (const name of STEP_MODELS) {
        const ours = devs.map((d) => stepper(d, name));
        for (const s of ours) s.steps(WARMUP_STEPS);
        await torchTime(architectureOf(name), 20);
        // How noisy the host is in these minutes (host-noise.bench.ts): read the speed-ups with it.
        const noise = spinGaps(NOISE_MS);
        const t1: number[] = [],
          t2: number[] = [],
          tt: number[] = [],
          speedup: number[] = [],
          vsTorch: number[] = [];
        for (let r = 0; r < ROUNDS; r++) {
          const a = timeBlock((n) => ours[r % 2].steps(n));
          const b = timeBlock((n) => ours[1 - (r % 2)].steps(n));
          const [one, two] = r % 2 ? [b, a] : [a, b];
          t1.push(one);
          t2.push(two);
          speedup.push(one / two);
          await torchTime(architectureOf(name), SETTLE_STEPS);
          const pt = await torchTime(architectureOf(name), BLOCK_STEPS);
          if (pt !== null) {
            tt.push(pt);
            vsTorch.push(two / pt);
          }
        }
        for (const [threads, ts] of [
          [1, t1],
          [2, t2],
        ] as const) {
          const ms = median(ts);
          out.push({
            name: `train_step.${name}`,
            shape: [1024],
            backend: 'wasm',
            ...(build_ ? { build: build_ } : {}),
            threads,
            value: +ms.toFixed(3),
            unit: 'ms',
          });
          out.push({
            name: `train_step.${name}.steps_per_s`,
            shape: [1024],
            backend: 'wasm',
            threads,
            value: +(1000 / ms).toFixed(1),
            unit: 'steps/s',
          });
        }
        out.push({
          name: `train_step.${name}.speedup_2t`,
          shape: [1024],
          backend: 'wasm',
          threads: 2,
          value: +median(speedup).toFixed(3),
          unit: '× (1 thread / 2)',
        });
        out.push({
          name: `train_step.${name}.host_preempt`,
          shape: [NOISE_MS],
          backend: 'host',
          threads: 1,
          value: +((noise.gaps / noise.ms) * 1000).toFixed(0),
          unit: 'gaps > 5 µs per s (before the rounds)',
        });
        if (torch && tt.length === ROUNDS) {
          out.push({
            name: `train_step.${name}.pytorch`,
            shape: [1024],
            backend: `pytorch ${torch.version}`,
            threads: 2,
            value: +median(tt).toFixed(3),
            unit: 'ms',
          });
          out.push({
            name: `train_step.${name}.vs_pytorch`,
            shape: [1024],
            backend: 'wasm',
            threads: 2,
            value: +median(vsTorch).toFixed(3),
            unit: '× PyTorch time',
          });
        }
        for (const s of ours) s.free();
      }
    } finally {
      torch?.close();
      for (const d of devs) (d.kernels as { dispose?: () => void }).dispose?.();
    }
    return out;
  },
});

/** n points (x and context) for logProb and sampling: one training batch repeated. */
export function evalPoints(m: ReturnType<typeof build>, n: number): { x: Float32Array; c: Float32Array } {
  const b = m.draw(Rng.fromSeed(3));
  const C = b.context.length / b.n;
  const x = new Float32Array(2 * n),
    c = new Float32Array(C * n);
  for (let i = 0; i < n; i++) {
    const j = i % b.n;
    x.set(b.x.subarray(2 * j, 2 * j + 2), 2 * i);
    c.set(b.context.subarray(C * j, C * j + C), C * i);
  }
  return { x, c };
}

register({
  name: 'logprob_100k',
  async run() {
    const out: BenchResult[] = [];
    for (const threads of [1, 2]) {
      const dev = await createDevice({ backend: 'wasm', threads });
      for (const name of ['kin_base', 'score_base', 'kin_residual', 'score_residual'] as ModelName[]) {
        const m = build(dev, name);
        const n = 100_000;
        const { x, c } = evalPoints(m, n);
        m.eval(x, c);
        const lp: number[] = [],
          sm: number[] = [];
        for (let rep = 0; rep < 3; rep++) {
          let t0 = performance.now();
          m.eval(x, c);
          lp.push(performance.now() - t0);
          t0 = performance.now();
          m.sample(c, Rng.fromSeed(rep));
          sm.push(performance.now() - t0);
        }
        out.push({
          name: `logprob_100k.${name}`,
          shape: [n],
          backend: 'wasm',
          threads,
          value: +median(lp).toFixed(1),
          unit: 'ms',
        });
        out.push({
          name: `sample_100k.${name}`,
          shape: [n],
          backend: 'wasm',
          threads,
          value: +median(sm).toFixed(1),
          unit: 'ms',
        });
      }
      (dev.kernels as { dispose?: () => void }).dispose?.();
    }
    return out;
  },
});
