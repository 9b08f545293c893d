/**
 * `host.preempt`: how much a busy thread of this host is kept off its CPU, one thread spinning
 * alone and two at once (host-noise-spin.ts). A split kernel call ends when its slowest chunk
 * does, so every time one of the threads is descheduled mid-call the other waits: on a VM
 * whose vCPUs are taken away often, the 2-thread speed-up of a training step made of ~150 calls
 * of 20–300 µs is capped by the host, not by the code. Quote train_step's speed-ups with these.
 *
 *   host.preempt.rate     gaps > 5 µs per second of spinning (per thread)
 *   host.preempt.lost     share of the wall time inside those gaps, % (per thread)
 *   host.preempt.median   median gap, µs;  host.preempt.p99  99th percentile gap, µs
 * threads = 1: the calling thread alone; 2: the calling thread and a worker at the same time
 * (their mean).
 */
import { Worker } from 'node:worker_threads';
import { spinGaps, type SpinGaps } from './host-noise-spin.js';
import { register, type BenchResult } from './registry.js';

const SPIN_MS = 2000;

/** Per figure: its name, how one thread's run gives it, the unit. */
const FIGURES: [string, (r: SpinGaps) => number, string][] = [
  ['host.preempt.rate', (r) => (r.gaps / r.ms) * 1000, 'gaps/s'],
  ['host.preempt.lost', (r) => (100 * r.lostMs) / r.ms, '% of wall time'],
  ['host.preempt.median', (r) => quantile(r, 0.5) * 1000, 'µs'],
  ['host.preempt.p99', (r) => quantile(r, 0.99) * 1000, 'µs'],
];

function quantile(r: SpinGaps, q: number): number {
  return r.lengths.length ? r.lengths[Math.floor(q * (r.lengths.length - 1))] : 0;
}

/** The figures of `runs` (one per thread spinning at the time), averaged over the threads. */
function summary(runs: SpinGaps[]): BenchResult[] {
  return FIGURES.map(([name, of, unit]) => ({
    name,
    shape: [SPIN_MS],
    backend: 'host',
    threads: runs.length,
    value: Number((runs.reduce((s, r) => s + of(r), 0) / runs.length).toPrecision(4)),
    unit,
  }));
}

register({
  name: 'host',
  async run() {
    const worker = new Worker(new URL('./host-noise-spin.js', import.meta.url), { workerData: { hostNoise: true } });
    try {
      const spinThere = (ms: number) =>
        new Promise<SpinGaps>((resolve, reject) => {
          worker.once('message', resolve);
          worker.once('error', reject);
          worker.postMessage(ms);
        });
      await spinThere(50); // the worker is up and its loop compiled
      spinGaps(50);
      const alone = spinGaps(SPIN_MS);
      const there = spinThere(SPIN_MS);
      const here = spinGaps(SPIN_MS);
      return [...summary([alone]), ...summary([here, await there])];
    } finally {
      await worker.terminate();
    }
  },
});
