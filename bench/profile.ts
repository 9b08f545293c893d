/**
 * `npm run bench -- --profile [--only PREFIX]…`: where the time of a training step, a 100k-point
 * logProb and a 100k-point sampling goes, for each of the four models (and the four on the
 * shipped trained base flow, `<model>_trained`) on 1 and 2 threads — per
 * kernel, per op kind (forward and backward), per thread (busy, waiting), and the share outside
 * kernels. Printed as tables and returned for the `profile` record of bench/results/latest.json.
 * Figures are per step (or per 100k-point call). See src/backend/profiler.ts for what each
 * figure includes.
 */
import { createDevice } from '../src/backend/index.js';
import { Profiler, type ProfileReport, type TimeStat } from '../src/backend/profiler.js';
import { Rng } from '../src/random/rng.js';
import { spinGaps } from './host-noise-spin.js';
import { STEP_MODELS, WARMUP_STEPS, build, evalPoints, stepper, type BenchModel } from './train.bench.js';

export interface ProfileEntry {
  scenario: string;
  threads: number;
  /** Steps (or calls) the figures are averaged over. */
  repeats: number;
  /** Every time in ms per step (or per call). */
  perStep: ProfileReport;
  /**
   * With a pool: gaps > 5 µs per second of a thread spinning just before (host-noise-spin.ts),
   * to read the pool's counts against how often this host takes a busy thread off its CPU.
   */
  hostPreempt?: number;
}

/** Milliseconds of spinning before each pooled profile to sample the host's noise. */
const NOISE_MS = 200;

const PROFILED_STEPS = 40;
const EVAL_POINTS = 100_000;

type Scenario = { name: string; run: (p: Profiler, model: BenchModel) => number };

const SCENARIOS: Scenario[] = [
  {
    name: 'train_step',
    run(p, model) {
      const s = stepper(p.device, model);
      s.steps(WARMUP_STEPS);
      p.reset();
      s.steps(PROFILED_STEPS);
      s.free();
      return PROFILED_STEPS;
    },
  },
  {
    name: 'logprob_100k',
    run(p, model) {
      const m = build(p.device, model);
      const { x, c } = evalPoints(m, EVAL_POINTS);
      m.eval(x, c);
      p.reset();
      m.eval(x, c);
      return 1;
    },
  },
  {
    name: 'sample_100k',
    run(p, model) {
      const m = build(p.device, model);
      const { c } = evalPoints(m, EVAL_POINTS);
      m.sample(c, Rng.fromSeed(1));
      p.reset();
      m.sample(c, Rng.fromSeed(2));
      return 1;
    },
  },
];

function perStep(r: ProfileReport, n: number): ProfileReport {
  const scale = (rec: Record<string, TimeStat>) =>
    Object.fromEntries(Object.entries(rec).map(([k, s]) => [k, { calls: s.calls / n, ms: s.ms / n }]));
  return {
    wallMs: r.wallMs / n,
    kernelMs: r.kernelMs / n,
    outsideKernels: r.outsideKernels,
    kernels: scale(r.kernels),
    forward: scale(r.forward),
    backward: scale(r.backward),
    threads: r.threads.map((t) => ({ thread: t.thread, busyMs: t.busyMs / n, waitMs: t.waitMs / n })),
    splitMs: r.splitMs / n,
    unsplitMs: r.unsplitMs / n,
    pooledCalls: r.pooledCalls / n,
    callerAloneCalls: r.callerAloneCalls / n,
    callerAloneMs: r.callerAloneMs / n,
    workerWakeups: r.workerWakeups / n,
  };
}

const wanted = (name: string, only: string[]) =>
  only.length === 0 || only.some((p) => name.startsWith(p) || p.startsWith(name));

export async function runProfile(only: string[]): Promise<ProfileEntry[]> {
  const out: ProfileEntry[] = [];
  for (const threads of [1, 2]) {
    const dev = await createDevice({ backend: 'wasm', threads });
    try {
      for (const sc of SCENARIOS) {
        for (const model of STEP_MODELS) {
          const scenario = `${sc.name}.${model}`;
          if (!wanted(scenario, only)) continue;
          const noise = threads > 1 ? spinGaps(NOISE_MS) : null;
          const p = new Profiler(dev);
          const n = sc.run(p, model);
          const entry: ProfileEntry = { scenario, threads, repeats: n, perStep: perStep(p.report(), n) };
          if (noise) entry.hostPreempt = Math.round((noise.gaps / noise.ms) * 1000);
          dev.arena.reset();
          printEntry(entry);
          out.push(entry);
        }
      }
    } finally {
      (dev.kernels as { dispose?: () => void }).dispose?.();
    }
  }
  if (out.length === 0) throw new Error(`bench --profile: nothing matches ${only.join(', ')}`);
  return out;
}

const ms = (v: number) => v.toFixed(v >= 10 ? 2 : 3);
const pct = (v: number) => `${(100 * v).toFixed(1)} %`;

function table(title: string, rec: Record<string, TimeStat>, wall: number, limit = 12): void {
  const rows = Object.entries(rec).slice(0, limit);
  if (rows.length === 0) return;
  const w = Math.max(title.length, ...rows.map(([k]) => k.length));
  console.log(`  ${title.padEnd(w)}  ${'calls'.padStart(7)}  ${'ms'.padStart(8)}  ${'share'.padStart(7)}`);
  for (const [k, s] of rows) {
    const calls = s.calls.toFixed(s.calls >= 10 ? 0 : 1).padStart(7);
    console.log(`  ${k.padEnd(w)}  ${calls}  ${ms(s.ms).padStart(8)}  ${pct(s.ms / wall).padStart(7)}`);
  }
  const rest = Object.entries(rec).slice(limit);
  if (rest.length > 0) console.log(`  (${rest.length} more in the JSON)`);
}

function printEntry(e: ProfileEntry): void {
  const r = e.perStep;
  const unit = e.scenario.startsWith('train_step') ? 'step' : 'call';
  console.log(
    `\n== profile ${e.scenario}, ${e.threads} thread${e.threads > 1 ? 's' : ''}: ${ms(r.wallMs)} ms per ${unit}` +
      ` (over ${e.repeats}); kernels ${ms(r.kernelMs)} ms, outside kernels ${pct(r.outsideKernels)}`,
  );
  table('kernel', r.kernels, r.wallMs);
  table('op (forward)', r.forward, r.wallMs);
  table('op (backward)', r.backward, r.wallMs);
  if (r.threads.length > 0) {
    const split = `kernel time in pooled chunks ${ms(r.splitMs)} ms, on the caller alone ${ms(r.unsplitMs)} ms`;
    console.log(`  ${split}`);
    const alone = r.pooledCalls > 0 ? pct(r.callerAloneCalls / r.pooledCalls) : '–';
    console.log(
      `  split calls ${r.pooledCalls.toFixed(1)}; the caller ran every chunk of ${alone} of them, ` +
        `${ms(r.callerAloneMs)} ms (no worker came in time); ` +
        `workers woken from sleep ${r.workerWakeups.toFixed(1)} times`,
    );
    if (e.hostPreempt !== undefined) {
      console.log(`  host: ${e.hostPreempt} gaps > 5 µs per second of a thread spinning just before`);
    }
    console.log(
      `  ${'thread'.padEnd(8)}  ${'busy ms'.padStart(8)}  ${'wait ms'.padStart(8)}  ${'busy/wall'.padStart(9)}`,
    );
    for (const t of r.threads) {
      const name = t.thread === 0 ? 'caller' : `worker ${t.thread - 1}`;
      const line = `${ms(t.busyMs).padStart(8)}  ${ms(t.waitMs).padStart(8)}  ${pct(t.busyMs / r.wallMs).padStart(9)}`;
      console.log(`  ${name.padEnd(8)}  ${line}`);
    }
  }
}
