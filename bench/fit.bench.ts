/**
 * The fit's costs (issue 16), on the shipped models (configs/systematics.yaml), three families:
 *   fit.nll_grad.<n> — NLL + gradient in (μ, ν) of the flow likelihood over n events (x and y), at a new ν
 *                      each call (so the model runs: kin and score residual, both classes, forward and
 *                      ν-backward), 1 and 2 threads, and PyTorch (bench/pytorch/fit_nll.py) at 1 and 2 threads on
 *                      the same events with the same weights, in interleaved rounds; `.vs_pytorch` = median of the
 *                      per-round ratios of our time to PyTorch's at the same thread count. Before timing, the
 *                      peer's NLL and gradient at one ν are compared with ours (`.peer_rel_diff`, the largest
 *                      relative difference). `.cpu`, `.pytorch.cpu`, `.vs_pytorch_cpu`: process CPU time (all
 *                      threads), the figure a loaded machine distorts least. PyTorch takes the events in
 *                      slices of 8192 rows, as ours does (CHUNK_ROWS; all 100k at once its autograd graph is
 *                      gigabytes and it ran slower here); FNF_BENCH_FIT_TORCH_CHUNK sets another slice (0: all
 *                      at once).
 *   fit.single.<n>   — one flow fit (MIGRAD + HESSE) of n events, with its model-evaluation count;
 *   fit.toy.<n>      — one complete toy (flow and truth fits with HESSE) of n events, and toys per minute;
 *                      `.minos` the same with MINOS on μ.
 * The sizes are the issue's (100 000, 20 000, 2 000); FNF_BENCH_FIT_SCALE (e.g. 0.05) shrinks them all for a
 * sanity run; FNF_BENCH_FIT_ROUNDS sets the nll_grad rounds (default 5). The fits are medians of 3 runs (a
 * run takes seconds: the sample protocol of run.ts is for millisecond kernels).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDevice } from '../src/backend/index.js';
import type { Device } from '../src/backend/device.js';
import { loadConfig } from '../src/config/load.js';
import { Rng } from '../src/random/rng.js';
import { loadFitModels } from '../src/fit/setup.js';
import { makeSource, type FitModels } from '../src/fit/sources.js';
import { MixtureLikelihood } from '../src/fit/likelihood.js';
import type { FitEvents } from '../src/fit/events.js';
import { drawToy } from '../src/fit/toy-data.js';
import { fitLikelihood } from '../src/fit/run-fit.js';
import { packageRoot } from '../src/backend/wasm/index.js';
import { CHUNK_ROWS } from '../src/flows/chunked.js';
import { PyTorchPeer } from './pytorch/peer.js';
import { register, type BenchResult } from './registry.js';

const median = (a: number[]): number => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : 0.5 * (s[s.length / 2 - 1] + s[s.length / 2]);
};

const median3 = (fn: () => void): number => {
  const t: number[] = [];
  for (let i = 0; i < 3; i++) {
    const a = performance.now();
    fn();
    t.push(performance.now() - a);
  }
  return median(t);
};

const scaled = (n: number): number => {
  const scale = Number(process.env.FNF_BENCH_FIT_SCALE ?? '1');
  return Math.max(100, Math.round(n * (scale > 0 ? scale : 1)));
};

const GEN_NU = [0.5, -0.4];

async function openModels(threads: number): Promise<{ dev: Device; models: FitModels }> {
  const sys = loadConfig(join(packageRoot(), 'configs/systematics.yaml'), 'systematics');
  const dev = await createDevice({ backend: 'wasm', threads });
  return { dev, models: loadFitModels(dev, sys, 'xy') };
}

const flowLikelihood = (models: FitModels, ev: FitEvents) =>
  new MixtureLikelihood(makeSource('flow', models, ev), ev, { nuisanceNames: models.nuisanceNames });

const result = (name: string, n: number, threads: number, value: number, unit: string): BenchResult => ({
  name,
  shape: [n],
  backend: /\.pytorch(\.|$)/.test(name) ? 'pytorch' : 'wasm',
  threads,
  value: +value.toPrecision(5),
  unit,
});

/** The events as the peer reads them: x [n, 2] then y [n, 2], float32. */
function writeEvents(ev: FitEvents): { file: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'fnf-fit-bench-'));
  const file = join(dir, 'events.f32');
  const all = new Float32Array(4 * ev.n);
  all.set(ev.x);
  all.set(ev.y!, 2 * ev.n);
  writeFileSync(file, new Uint8Array(all.buffer));
  return { file, done: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The largest relative difference between our NLL and gradient and the peer's at one point. */
async function comparePeer(peer: PyTorchPeer, lik: MixtureLikelihood, theta: number[]): Promise<number> {
  const g = new Float64Array(3);
  const ours = [lik.value(Float64Array.from(theta), g), ...g];
  const line = await peer.ask(`nll ${theta.join(' ')}`);
  const theirs = line.split(/\s+/).map(Number);
  if (theirs.length !== 4 || !theirs.every(Number.isFinite)) throw new Error(`PyTorch peer: nll answered '${line}'`);
  // the gradient's scale is the NLL's over the parameters' unit: compare each component with |NLL| / n too
  const scale = Math.abs(ours[0]) / lik.events.n;
  const rel = ours.map((v, i) => Math.abs(v - theirs[i]) / Math.max(Math.abs(v), i === 0 ? 0 : scale));
  const worst = Math.max(...rel);
  const show = (a: number[]) => a.map((v) => v.toPrecision(9)).join(' ');
  console.log(
    `fit.nll_grad: ours ${show(ours)}; PyTorch ${show(theirs)}; largest relative difference ${worst.toExponential(2)}`,
  );
  return worst;
}

register({
  name: 'fit.nll_grad',
  async run(): Promise<BenchResult[]> {
    const n = scaled(100_000);
    const rounds = Number(process.env.FNF_BENCH_FIT_ROUNDS ?? '5');
    const sides = [await openModels(1), await openModels(2)];
    const ev = drawToy(Rng.fromSeed(1), n, 0.3, sides[0].models.truthAt!(GEN_NU));
    const liks = sides.map((s) => flowLikelihood(s.models, ev));
    let step = 0;
    const g = new Float64Array(3);
    /** CPU ms of the last call (the process's, all threads): on a loaded machine it says more than wall time. */
    let oursCpu = 0;
    const ours = (k: number): number => {
      const a = performance.now();
      const c = process.cpuUsage();
      liks[k].value(Float64Array.from([0.3, 0.4 + 1e-3 * ++step, -0.3]), g);
      const u = process.cpuUsage(c);
      oursCpu = (u.user + u.system) / 1000;
      return performance.now() - a;
    };
    const out: BenchResult[] = [];
    let peer = await PyTorchPeer.start(
      1,
      (why) => console.log(`fit.nll_grad: no PyTorch comparison (${why})`),
      'fit_nll.py',
    );
    const events = writeEvents(ev);
    try {
      if (peer) {
        const ok = await peer.ask(`load ${events.file} ${n}`);
        if (ok !== `ok ${n}`) throw new Error(`PyTorch peer: load answered '${ok}'`);
        const diff = await comparePeer(peer, liks[0], [0.3, 0.4, -0.3]);
        out.push(result(`fit.nll_grad.${n}.peer_rel_diff`, n, 1, diff, 'relative'));
        if (!(diff < 1e-3)) {
          console.log('fit.nll_grad: the peer computes another NLL (difference above 1e-3): not timed');
          peer.close();
          peer = null;
        }
      }
      const chunk = Number(process.env.FNF_BENCH_FIT_TORCH_CHUNK ?? String(CHUNK_ROWS));
      let torchCpu = 0;
      const torch = async (threads: number): Promise<number> => {
        await peer!.ask(`threads ${threads}`);
        const [ms, cpu] = (await peer!.ask(`time 1 ${chunk}`)).split(' ').map(Number);
        if (!(ms > 0)) throw new Error('PyTorch peer: time answered no number');
        torchCpu = cpu;
        return ms;
      };
      ours(0);
      ours(1);
      if (peer) await torch(2);
      const t: number[][] = [[], []];
      const tt: number[][] = [[], []];
      const vs: number[][] = [[], []];
      const cpu: number[][] = [[], []];
      const cpuTorch: number[][] = [[], []];
      for (let r = 0; r < rounds; r++) {
        for (const k of r % 2 ? [1, 0] : [0, 1]) {
          t[k].push(ours(k));
          cpu[k].push(oursCpu);
        }
        for (const k of peer ? (r % 2 ? [0, 1] : [1, 0]) : []) {
          tt[k].push(await torch(k + 1));
          cpuTorch[k].push(torchCpu);
          vs[k].push(t[k][r] / tt[k][r]);
        }
        const cpuText = (a: number[][]) => `CPU ${a[0][r].toFixed(0)} / ${a[1][r].toFixed(0)} ms`;
        console.log(`  ours ${cpuText(cpu)}${peer ? `; PyTorch ${cpuText(cpuTorch)}` : ''}`);
        const torchText = peer ? `; PyTorch ${tt[0][r].toFixed(0)} / ${tt[1][r].toFixed(0)} ms` : '';
        console.log(
          `fit.nll_grad round ${r}: 1 / 2 threads ${t[0][r].toFixed(0)} / ${t[1][r].toFixed(0)} ms${torchText}`,
        );
      }
      for (const k of [0, 1]) {
        out.push(result(`fit.nll_grad.${n}`, n, k + 1, median(t[k]), 'ms'));
        if (!peer) continue;
        out.push(result(`fit.nll_grad.${n}.pytorch`, n, k + 1, median(tt[k]), 'ms'));
        out.push(result(`fit.nll_grad.${n}.vs_pytorch`, n, k + 1, median(vs[k]), '× (ours / PyTorch)'));
        out.push(result(`fit.nll_grad.${n}.cpu`, n, k + 1, median(cpu[k]), 'ms CPU'));
        out.push(result(`fit.nll_grad.${n}.pytorch.cpu`, n, k + 1, median(cpuTorch[k]), 'ms CPU'));
        const ratios = cpu[k].map((c, r) => c / cpuTorch[k][r]);
        out.push(result(`fit.nll_grad.${n}.vs_pytorch_cpu`, n, k + 1, median(ratios), '× (ours / PyTorch, CPU)'));
      }
    } finally {
      peer?.close();
      events.done();
    }
    return out;
  },
});

register({
  name: 'fit.single',
  async run(): Promise<BenchResult[]> {
    const n = scaled(20_000);
    const out: BenchResult[] = [];
    for (const threads of [1, 2]) {
      const { models } = await openModels(threads);
      const ev = drawToy(Rng.fromSeed(2), n, 0.3, models.truthAt!(GEN_NU));
      let nfcn = 0;
      const s = median3(() => {
        nfcn = fitLikelihood(flowLikelihood(models, ev)).json.nfcn;
      });
      out.push(result(`fit.single.${n}`, n, threads, s / 1000, 's'));
      out.push(result(`fit.single.${n}.nfcn`, n, threads, nfcn, 'calls'));
    }
    return out;
  },
});

register({
  name: 'fit.toy',
  async run(): Promise<BenchResult[]> {
    const n = scaled(2_000);
    const out: BenchResult[] = [];
    for (const threads of [1, 2]) {
      const { models } = await openModels(threads);
      const gen = models.truthAt!(GEN_NU);
      let toy = 0;
      for (const minos of [false, true]) {
        const perToy = median3(() => {
          const e = drawToy(Rng.fromSeed(10 + ++toy), n, 0.3, gen);
          for (const m of ['flow', 'truth'] as const) {
            const lik = new MixtureLikelihood(makeSource(m, models, e), e, { nuisanceNames: models.nuisanceNames });
            fitLikelihood(lik, { minos: minos ? ['mu'] : [] });
          }
        });
        const name = `fit.toy.${n}${minos ? '.minos' : ''}`;
        out.push(result(name, n, threads, perToy / 1000, 's'));
        out.push(result(`${name}.rate`, n, threads, 60_000 / perToy, 'toys/min'));
      }
    }
    return out;
  },
});
