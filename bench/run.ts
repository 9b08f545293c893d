/**
 * Benchmark runner: `node dist/bench/run.js [--only PREFIX]… [--profile]` (npm run bench).
 *
 * Imports every `*.bench.js` beside this file (each registers its families in registry.ts),
 * runs the families whose name matches a `--only` prefix (all when none is given), prints a
 * table and writes bench/results/latest.json. Each figure is the median over repeated timed
 * samples after a warm-up (which also lets V8 tier the wasm up to its optimising compiler);
 * a sample times a batch of calls just long enough (~2 ms) for the clock to resolve it.
 * `--profile` instead breaks the model-level paths down by kernel, op and thread (profile.ts).
 * The `machine` record names the CPU and the clock measured in the run (machine.ts); matmul
 * figures also come as a share of the 128-bit FMA peak at that clock.
 */
import { readdirSync, readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Memory } from '../src/tensor/memory.js';
import { Heap } from '../src/tensor/allocator.js';
import { tsKernels } from '../src/backend/ts/index.js';
import { loadWasmKernels, packageRoot, wasmBuildInfo, type WasmBuild } from '../src/backend/wasm/index.js';
import { families, type BenchBackend, type BenchContext, type BenchResult } from './registry.js';
import { machineInfo, measureClockGHz, SIMD128_FLOP_PER_CYCLE, type MachineInfo } from './machine.js';
import { runProfile, type ProfileEntry } from './profile.js';

const SAMPLES = 41;
/** Short samples: on a shared machine a preempted sample is an outlier the median drops. */
const SAMPLE_MS = 2;
const WARMUP_MS = 200;

/** Median ms per call: warm up, size a batch to ~SAMPLE_MS, time SAMPLES batches. */
export function medianMs(fn: () => void): number {
  const t0 = performance.now();
  let calls = 0;
  do {
    fn();
    calls++;
  } while (performance.now() - t0 < WARMUP_MS || calls < 3);
  const perCall = (performance.now() - t0) / calls;
  const batch = Math.max(1, Math.round(SAMPLE_MS / perCall));
  const samples = perCall > 50 ? 7 : SAMPLES; // the slow baselines: fewer samples
  const t: number[] = [];
  for (let s = 0; s < samples; s++) {
    const a = performance.now();
    for (let i = 0; i < batch; i++) fn();
    t.push((performance.now() - a) / batch);
  }
  t.sort((x, y) => x - y);
  return t[t.length >> 1];
}

function parseArgs(argv: string[]): { only: string[]; profile: boolean } {
  const only: string[] = [];
  let profile = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--profile') profile = true;
    else if (a === '--only') {
      const v = argv[++i];
      if (!v) throw new Error('bench: --only needs a name prefix (e.g. --only matmul)');
      only.push(v);
    } else if (a.startsWith('--only=')) only.push(a.slice('--only='.length));
    else throw new Error(`bench: unknown argument "${a}" (expected --only NAME or --profile)`);
  }
  return { only, profile };
}

/** Each 1- and 2-thread wasm matmul figure as a share of the 128-bit FMA peak at the measured clock. */
function peakShares(results: BenchResult[], ghz: number): BenchResult[] {
  return results
    .filter((r) => r.unit === 'GFLOP/s' && r.backend === 'wasm' && /^matmul\.(fwd|dx|dw)$/.test(r.name))
    .map((r) => ({
      ...r,
      name: `${r.name}.peak_share`,
      value: +((100 * r.value) / (SIMD128_FLOP_PER_CYCLE * ghz * r.threads)).toFixed(1),
      unit: `% of 128-bit FMA peak at ${ghz} GHz`,
    }));
}

/** A family runs when a prefix names it or something inside it (`matmul` or `matmul.fwd`). */
const familyWanted = (name: string, only: string[]) =>
  only.length === 0 || only.some((p) => name.startsWith(p) || p.startsWith(`${name}.`));
const resultWanted = (name: string, only: string[]) =>
  only.length === 0 || only.some((p) => name.startsWith(p) || p.startsWith(name));

async function main(): Promise<void> {
  const { only, profile } = parseArgs(process.argv.slice(2));
  const machine = { ...machineInfo(), wasmBuild: wasmBuildInfo().chosen, date: new Date().toISOString() };
  console.log(`machine: ${machine.kind} (${machine.model}), ${machine.cpus} CPUs, ${machine.measuredGHz} GHz measured`);
  if (profile) {
    writeResults(machine, [], only, await runProfile(only));
    return;
  }
  const here = dirname(fileURLToPath(import.meta.url));
  for (const f of readdirSync(here)
    .filter((f) => f.endsWith('.bench.js'))
    .sort()) {
    await import(pathToFileURL(join(here, f)).href);
  }
  const chosen = families.filter((f) => familyWanted(f.name, only));
  if (chosen.length === 0) {
    throw new Error(`bench: no family matches ${only.join(', ')}; known: ${families.map((f) => f.name).join(', ')}`);
  }

  const memory = new Memory(256 << 20);
  const heap = new Heap(memory);
  const info = wasmBuildInfo();
  const builds: WasmBuild[] = info.relaxedSupported
    ? [info.chosen, info.chosen === 'relaxed' ? 'simd' : 'relaxed']
    : ['simd'];
  const backends: BenchBackend[] = [];
  for (const build of builds) {
    backends.push({ backend: 'wasm', build, kernels: await loadWasmKernels(memory, heap, { build }) });
  }
  backends.push({ backend: 'ts', kernels: tsKernels });
  const ctx: BenchContext = { memory, heap, backends, wasmBuild: info.chosen, time: medianMs };

  const results: BenchResult[] = [];
  for (const family of chosen) {
    // The matmul shares need the clock of their own minutes (a VM's speed drifts, and the start-up
    // probe can be minutes away): probed just before and after the family, the higher one is used
    // (the lower, conservative share).
    const before = family.name === 'matmul' ? measureClockGHz() : 0;
    let got = (await family.run(ctx)).filter((r) => resultWanted(r.name, only));
    if (family.name === 'matmul') {
      const ghz = Math.max(before, measureClockGHz());
      const clock: BenchResult = {
        name: 'matmul.clock',
        shape: [],
        backend: 'probe',
        threads: 1,
        value: ghz,
        unit: 'GHz',
      };
      // The FMA probe's rate in FLOP per cycle: 16 when the core's two 128-bit FMA pipes are ours.
      const probe = got.find((r) => r.name === 'matmul.fma_probe');
      const perCycle: BenchResult[] = probe
        ? [
            {
              ...probe,
              name: 'matmul.fma_probe.flop_per_cycle',
              value: +(probe.value / ghz).toFixed(1),
              unit: `FLOP per cycle at ${ghz} GHz`,
            },
          ]
        : [];
      got = [...got, ...peakShares(got, ghz), ...perCycle, clock];
    }
    printTable(family.name, got);
    results.push(...got);
  }
  writeResults(machine, results, only, null);
}

/**
 * bench/results/latest.json: the machine, the figures (merged with the previous file's under
 * --only) and the latest profile (kept from the previous file when this run made none).
 */
function writeResults(machine: MachineInfo, results: BenchResult[], only: string[], profile: ProfileEntry[] | null) {
  const outDir = join(packageRoot(), 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  const outFile = join(outDir, 'latest.json');
  const old = previous(outFile, machine);
  const kept = only.length === 0 && !profile ? results : merged(old?.results ?? [], results);
  const body = { machine, results: kept, profile: profile ?? old?.profile ?? null };
  writeFileSync(outFile, JSON.stringify(body, null, 2) + '\n');
  console.log(`\nwrote ${outFile}`);
}

/** The previous results file, when it was written on the same Node and CPU model (else null). */
function previous(file: string, machine: { node: string; model: string }) {
  if (!existsSync(file)) return null;
  try {
    const old = JSON.parse(readFileSync(file, 'utf8')) as {
      machine?: { node?: string; model?: string };
      results?: BenchResult[];
      profile?: ProfileEntry[] | null;
    };
    if (old.machine?.node !== machine.node || old.machine?.model !== machine.model) return null;
    return { results: Array.isArray(old.results) ? old.results : [], profile: old.profile ?? null };
  } catch {
    return null;
  }
}

/** The previous figures that this run did not measure again, then this run's. */
function merged(old: BenchResult[], fresh: BenchResult[]): BenchResult[] {
  const key = (r: BenchResult) => `${r.name}|${r.shape.join('x')}|${r.backend}|${r.build ?? ''}|${r.threads}`;
  const freshKeys = new Set(fresh.map(key));
  return [...old.filter((r) => !freshKeys.has(key(r))), ...fresh];
}

function printTable(family: string, rows: BenchResult[]): void {
  console.log(`\n== ${family}`);
  const head = ['name', 'shape', 'backend', 'threads', 'value', 'unit'];
  const cells = rows.map((r) => [
    r.name,
    r.shape.join('×'),
    r.build ? `${r.backend}-${r.build}` : r.backend,
    String(r.threads),
    r.value.toFixed(r.value >= 100 ? 1 : 2),
    r.unit,
  ]);
  const width = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((s, i) => (i >= 3 ? s.padStart(width[i]) : s.padEnd(width[i]))).join('  ');
  console.log(line(head));
  for (const c of cells) console.log(line(c));
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
