/**
 * The fit's costs (issue 16), on the shipped models (configs/systematics.yaml):
 *   fit.nll_grad.<n>  — NLL + gradient in (μ, ν) of the flow likelihood over n events (x and y), at a new ν
 *                       each call (so the model runs: 4 residual forward + backward passes), 1 and 2 threads;
 *   fit.single.<n>    — one flow fit (MIGRAD + HESSE) of n events;
 *   fit.toy.<n>       — one complete toy (flow and truth fits with HESSE) of n events, and toys per minute.
 * The sizes are the (100 000, 20 000, 2 000); FNF_BENCH_FIT_SCALE (e.g. 0.1) shrinks them all
 * for a quick sanity run. Each figure is the median of 3 runs (one run of a fit takes seconds: the
 * sample protocol of run.ts is for millisecond kernels). A PyTorch peer is not written yet.
 */
import { join } from 'node:path';
import { createDevice } from '../src/backend/index.js';
import { loadConfig } from '../src/config/load.js';
import { Rng } from '../src/random/rng.js';
import { loadFitModels, makeSource } from '../src/fit/setup.js';
import { MixtureLikelihood } from '../src/fit/likelihood.js';
import { drawToy } from '../src/fit/toy-data.js';
import { fitLikelihood } from '../src/fit/run-fit.js';
import { packageRoot } from '../src/backend/wasm/index.js';
import { register, type BenchResult } from './registry.js';

const median3 = (fn: () => void): number => {
  const t: number[] = [];
  for (let i = 0; i < 3; i++) {
    const a = performance.now();
    fn();
    t.push(performance.now() - a);
  }
  return t.sort((a, b) => a - b)[1];
};

register({
  name: 'fit',
  async run(): Promise<BenchResult[]> {
    const scale = Number(process.env.FNF_BENCH_FIT_SCALE ?? '1');
    const size = (n: number) => Math.max(100, Math.round(n * (scale > 0 ? scale : 1)));
    const sys = loadConfig(join(packageRoot(), 'configs/systematics.yaml'), 'systematics');
    const out: BenchResult[] = [];
    for (const threads of [1, 2]) {
      const dev = await createDevice({ backend: 'wasm', threads });
      const models = loadFitModels(dev, sys, 'xy');
      const gen = models.truthAt([0.5, -0.4]);
      const nGrad = size(100_000);
      const ev = drawToy(Rng.fromSeed(1), nGrad, 0.3, gen);
      const lik = new MixtureLikelihood(makeSource('flow', models, ev), ev, { nuisanceNames: models.nuisanceNames });
      let step = 0;
      const g = new Float64Array(3);
      const ms = median3(() => lik.value(Float64Array.from([0.3, 0.4 + 1e-3 * ++step, -0.3]), g));
      out.push({ name: `fit.nll_grad.${nGrad}`, shape: [nGrad], backend: 'wasm', threads, value: ms, unit: 'ms' });

      const nSingle = size(20_000);
      const evS = drawToy(Rng.fromSeed(2), nSingle, 0.3, gen);
      const single = median3(() =>
        fitLikelihood(
          new MixtureLikelihood(makeSource('flow', models, evS), evS, { nuisanceNames: models.nuisanceNames }),
        ),
      );
      out.push({
        name: `fit.single.${nSingle}`,
        shape: [nSingle],
        backend: 'wasm',
        threads,
        value: single / 1000,
        unit: 's',
      });

      const nToy = size(2_000);
      let toy = 0;
      const perToy = median3(() => {
        const e = drawToy(Rng.fromSeed(10 + ++toy), nToy, 0.3, gen);
        for (const m of ['flow', 'truth'] as const) {
          fitLikelihood(new MixtureLikelihood(makeSource(m, models, e), e, { nuisanceNames: models.nuisanceNames }));
        }
      });
      out.push({ name: `fit.toy.${nToy}`, shape: [nToy], backend: 'wasm', threads, value: perToy / 1000, unit: 's' });
      out.push({
        name: `fit.toy.${nToy}.rate`,
        shape: [nToy],
        backend: 'wasm',
        threads,
        value: 60_000 / perToy,
        unit: 'toys/min',
      });
    }
    return out;
  },
});
