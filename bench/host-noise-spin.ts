/**
 * How often a busy thread is taken off its CPU: spin on the clock for a while and record every
 * gap between two readings longer than GAP_MS (on a quiet core consecutive readings are well
 * under a microsecond apart, so a longer gap is time the thread did not run: a hypervisor or
 * the OS scheduling something else). Used by host-noise.bench.ts on the calling thread and, as a
 * worker thread's module, on a second one at the same time.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';

/** Gaps shorter than this are not counted (timer granularity, cache misses). */
const GAP_MS = 0.005;

export interface SpinGaps {
  /** Wall time spun, ms. */
  ms: number;
  /** Gaps longer than 5 µs. */
  gaps: number;
  /** Their summed length, ms. */
  lostMs: number;
  /** The gaps' lengths, ms, sorted ascending. */
  lengths: number[];
}

/** Spin for `ms` milliseconds, recording the gaps. */
export function spinGaps(ms: number): SpinGaps {
  const t0 = performance.now();
  const lengths: number[] = [];
  let last = t0;
  for (;;) {
    const t = performance.now();
    if (t - last > GAP_MS) lengths.push(t - last);
    last = t;
    if (t - t0 >= ms) break;
  }
  lengths.sort((a, b) => a - b);
  return { ms: last - t0, gaps: lengths.length, lostMs: lengths.reduce((s, g) => s + g, 0), lengths };
}

// As a worker (started by host-noise.bench.ts): spin for each requested duration and report.
if (!isMainThread && (workerData as { hostNoise?: boolean } | null)?.hostNoise) {
  parentPort!.on('message', (ms: number) => parentPort!.postMessage(spinGaps(ms)));
}
