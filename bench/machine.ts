/**
 * What machine a bench ran on, for the `machine` record of every results file: the CPU as the
 * kernel reports it (model name, vendor, family/model/stepping, the SIMD extensions that matter
 * to V8's code), a host kind (Zen 4, Intel Xeon, …), and the clock measured in the run.
 *
 * Why measure the clock: a VM's model name often hides the part ("AMD EPYC") and the clock moves
 * with load and turbo, while the kernels' efficiency is only meaningful against the peak at the
 * clock they actually ran at. The probe times chains of dependent 32-bit adds: one add per cycle
 * on every x86 core since the Pentium Pro, so adds per second ≈ cycles per second.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface MachineInfo {
  node: string;
  cpus: number;
  /** os.cpus()[0].model: what the BIOS or hypervisor calls it. */
  model: string;
  vendor: string;
  family: number | null;
  modelNumber: number | null;
  stepping: number | null;
  /** The host kind the figures stand for, e.g. "AMD Zen 4" or "Intel Xeon (AVX-512)". */
  kind: string;
  /** SIMD extensions present (avx2, avx512f, fma). */
  simd: string[];
  /** Clock measured by the dependent-add probe, GHz (median of several runs). */
  measuredGHz: number;
}

function cpuinfo(): Record<string, string> {
  try {
    const first = readFileSync('/proc/cpuinfo', 'utf8').split('\n\n')[0];
    const out: Record<string, string> = {};
    for (const line of first.split('\n')) {
      const i = line.indexOf(':');
      if (i > 0) out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
    }
    return out;
  } catch {
    return {}; // not Linux: the fields stay unknown
  }
}

const int = (s: string | undefined): number | null => (s !== undefined && /^\d+$/.test(s) ? Number(s) : null);

/** AMD's family 25 (0x19) is Zen 3 and Zen 4, told apart by model range; 26 (0x1a) is Zen 5. */
function hostKind(vendor: string, family: number | null, model: number | null, name: string, simd: string[]): string {
  if (vendor === 'AuthenticAMD' && family !== null && model !== null) {
    if (family === 23) return 'AMD Zen / Zen 2';
    if (family === 25) return (model >= 0x10 && model <= 0x1f) || model >= 0x60 ? 'AMD Zen 4' : 'AMD Zen 3';
    if (family === 26) return 'AMD Zen 5';
    return `AMD family ${family}`;
  }
  if (vendor === 'GenuineIntel')
    return `Intel ${/xeon/i.test(name) ? 'Xeon' : 'Core'}${simd.includes('avx512f') ? ' (AVX-512)' : ''}`;
  return name || 'unknown';
}

/**
 * GHz from chains of dependent adds (the JIT keeps `x = (x + k) | 0` one add each). The 16 adds of
 * an iteration are written out: with an inner loop of 16, its taken branch (not the add chain) set
 * the pace on Zen 4 and the probe read ~1.6–2.5 GHz on a 3.5 GHz host, which put matmul figures
 * above 100 % of peak (eighth session).
 */
export function measureClockGHz(): number {
  // The loop counter and branch run beside the chain on other ALUs, once per 16 adds, so the
  // chain's latency (one cycle per add) sets the pace.
  const chain = (iters: number, k: number): number => {
    let x = 0;
    for (let i = 0; i < iters; i++) {
      x = (x + k) | 0;
      x = (x + k) | 0;
      x = (x + k) | 0;
      x = (x + k) | 0;
      x = (x + k) | 0;
      x = (x + k) | 0;
      x = (x + k) | 0;
      x = (x + k) | 0;
      x = (x + k) | 0;
      x = (x + k) | 0;
      x = (x + k) | 0;
      x = (x + k) | 0;
      x = (x + k) | 0;
      x = (x + k) | 0;
      x = (x + k) | 0;
      x = (x + k) | 0;
    }
    return x;
  };
  const iters = 2_000_000;
  let sink = 0;
  for (let w = 0; w < 5; w++) sink += chain(iters, w + 1); // let V8 optimise it
  const ghz: number[] = [];
  for (let r = 0; r < 9; r++) {
    const t0 = performance.now();
    sink += chain(iters, r + 3);
    const ms = performance.now() - t0;
    ghz.push((16 * iters) / (ms * 1e6));
  }
  if (sink === 0.5) console.log(sink); // keeps the chains observable
  ghz.sort((a, b) => a - b);
  return +ghz[ghz.length >> 1].toFixed(2);
}

export function machineInfo(): MachineInfo {
  const info = cpuinfo();
  const model = os.cpus()[0]?.model ?? info['model name'] ?? 'unknown';
  const flags = (info.flags ?? '').split(/\s+/);
  const simd = ['sse4_2', 'avx2', 'fma', 'avx512f'].filter((f) => flags.includes(f));
  const vendor = info.vendor_id ?? 'unknown';
  const family = int(info['cpu family']);
  const modelNumber = int(info.model);
  return {
    node: process.version,
    cpus: os.cpus().length,
    model,
    vendor,
    family,
    modelNumber,
    stepping: int(info.stepping),
    kind: hostKind(vendor, family, modelNumber, info['model name'] ?? model, simd),
    simd,
    measuredGHz: measureClockGHz(),
  };
}

/**
 * FLOP per cycle per core of f32x4 FMAs (wasm SIMD is 128 bits wide): two FMA pipes × 4 lanes ×
 * 2 FLOP on Zen 3/4/5 and on Intel cores since Haswell.
 */
export const SIMD128_FLOP_PER_CYCLE = 16;
