/**
 * Where a fit's time goes (issue 16): one toy's flow fit (MIGRAD + HESSE, optional MINOS on μ) under the
 * Profiler, with counts of NLL / gradient calls and of distinct ν the density model was evaluated at.
 * Usage: node dist/bench/fit-profile.js [events=2000] [threads=1] [minos=0]
 */
import { join } from 'node:path';
import { createDevice } from '../src/backend/index.js';
import { Profiler } from '../src/backend/profiler.js';
import { loadConfig } from '../src/config/load.js';
import { Rng } from '../src/random/rng.js';
import { loadFitModels } from '../src/fit/setup.js';
import { makeSource } from '../src/fit/sources.js';
import { MixtureLikelihood } from '../src/fit/likelihood.js';
import { drawToy } from '../src/fit/toy-data.js';
import { fitLikelihood } from '../src/fit/run-fit.js';
import { packageRoot } from '../src/backend/wasm/index.js';

const [nArg, tArg, mArg, repArg] = process.argv.slice(2);
const n = Number(nArg ?? 2000);
const threads = Number(tArg ?? 1);
const withMinos = mArg === '1';
const reps = Number(repArg ?? 1);
const sys = loadConfig(join(packageRoot(), 'configs/systematics.yaml'), 'systematics');
const dev = await createDevice({ backend: 'wasm', threads });
const prof = new Profiler(dev);
const models = loadFitModels(prof.device, sys, 'xy');
const gen = models.truthAt!([0.5, -0.4]);
const top = (r: Record<string, { calls: number; ms: number }>, k = 8) =>
  Object.entries(r)
    .slice(0, k)
    .map(([name, s]) => `${name} ${s.calls}× ${s.ms.toFixed(0)} ms`)
    .join('; ');
for (let rep = 0; rep < reps; rep++) {
  const ev = drawToy(Rng.fromSeed(7 + rep), n, 0.3, gen);
  for (const model of ['flow', 'truth'] as const) {
    const src = makeSource(model, models, ev);
    let evals = 0;
    let gradEvals = 0;
    const inner = src.evaluate.bind(src);
    let lastKey = '';
    src.evaluate = (nu, grad) => {
      const key = `${nu.join(',')}|${grad}`;
      if (key !== lastKey) {
        evals++;
        if (grad) gradEvals++;
      }
      lastKey = key;
      return inner(nu, grad);
    };
    const lik = new MixtureLikelihood(src, ev, { nuisanceNames: models.nuisanceNames });
    prof.reset();
    const cpu0 = process.cpuUsage();
    const fit = fitLikelihood(lik, { minos: withMinos ? ['mu'] : [] });
    const r = prof.report();
    const cpu = process.cpuUsage(cpu0);
    const mu = fit.json.parameters[0];
    const cpuS = ((cpu.user + cpu.system) / 1e6).toFixed(2);
    console.log(
      `${model} n=${n} threads=${threads}: wall ${fit.json.wall_s.toFixed(2)} s, cpu ${cpuS} s, ` +
        `nfcn ${fit.json.nfcn} ngrad ${fit.json.ngrad}, model evaluations ${evals} (with grad ${gradEvals}); ` +
        `mu ${mu.value.toFixed(5)} ± ${mu.error.toFixed(5)} minos ${JSON.stringify(mu.minos)}`,
    );
    if (model === 'flow') {
      const outside = (100 * r.outsideKernels).toFixed(0);
      console.log(`  kernels ${r.kernelMs.toFixed(0)} ms of ${r.wallMs.toFixed(0)}; outside ${outside} %`);
      console.log(`  kernels: ${top(r.kernels)}`);
      console.log(`  forward: ${top(r.forward)}`);
      console.log(`  backward: ${top(r.backward)}`);
      if (r.threads.length)
        console.log(
          `  threads: ${JSON.stringify(r.threads)} split ${r.splitMs.toFixed(0)} unsplit ${r.unsplitMs.toFixed(0)}`,
        );
    }
  }
}
process.exit(0);
