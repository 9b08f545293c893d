/**
 * GPU host check (run by bench/gpu-check.sh): times the gpu backend against wasm on the
 * matmuls of the hyper-network, the spline kernels and one kernel-level training step, and
 * writes everything — the probe's verdict, the parity test log, the timings — to one JSON file.
 *
 *   node dist/bench/gpu-check.js [--out FILE] [--test-log FILE] [--test-status N] [--gpu-mode cpu]
 *
 * `--gpu-mode cpu` times gpu.js's cpu mode instead of a GPU (a dry run of this script on a
 * host without one; the 100k spline sizes are skipped there, they take minutes in plain JS).
 *
 * Without a usable GPU the gpu rows carry the reason instead of timings (the wasm rows are
 * still measured), so the file always says what happened. Each figure is the median of a
 * few timed calls after a warm-up; kept short so the whole script fits its 5-minute budget.
 */
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import os from 'node:os';
import { Act, type Kernels, type SplineSpec } from '../src/backend/kernels.js';
import { loadWasmKernels } from '../src/backend/wasm/index.js';
import { loadGpuKernels, probeGpu, type GpuKernels } from '../src/backend/gpu/index.js';
import { fillUniform } from '../src/backend/gpu/parity-probe.js';
import { Memory } from '../src/tensor/memory.js';
import { Heap } from '../src/tensor/allocator.js';
import { Tensor } from '../src/tensor/tensor.js';

interface Row {
  name: string;
  shape: number[];
  backend: string;
  /** median ms per call, or null with `error` */
  ms: number | null;
  /** GFLOP/s (matmuls) or M elements/s (splines) */
  rate?: number;
  error?: string;
}

function args(argv: string[]): { out: string; testLog?: string; testStatus?: number; dryRun: boolean } {
  const get = (k: string) => {
    const i = argv.indexOf(k);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const status = get('--test-status');
  const mode = get('--gpu-mode');
  if (mode !== undefined && mode !== 'cpu')
    throw new Error(`gpu-check: --gpu-mode accepts only "cpu" (a dry run), got "${mode}"`);
  return {
    out: get('--out') ?? 'bench/results/gpu-check.json',
    testLog: get('--test-log'),
    testStatus: status === undefined ? undefined : Number(status),
    dryRun: mode === 'cpu',
  };
}

/** Median ms of `fn` over up to 9 calls after 2 warm-up calls, within ~3 s. */
function medianMs(fn: () => void): number {
  fn();
  fn();
  const t: number[] = [];
  const start = performance.now();
  while (t.length < 9 && (t.length < 3 || performance.now() - start < 3000)) {
    const a = performance.now();
    fn();
    t.push(performance.now() - a);
  }
  t.sort((x, y) => x - y);
  return t[t.length >> 1];
}

const memory = new Memory(256 << 20);
const heap = new Heap(memory);
let seed = 1;
function tensor(shape: number[], lo = -1, hi = 1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const t = new Tensor(memory, heap.alloc(n * 4), shape);
  fillUniform(t.data, seed++ * 7919, lo, hi);
  return t;
}
const view = (t: Tensor, shape: number[]) => new Tensor(memory, t.ptr, shape);

const MATMUL_SHAPES: [number, number, number][] = [
  [1024, 6, 128],
  [1024, 128, 128],
  [1024, 128, 118],
];
const SPEC: SplineSpec = { bins: 20, bound: 5, slope: 1e-3 };

function matmulRows(k: Kernels, backend: string): Row[] {
  const rows: Row[] = [];
  for (const [M, K, N] of MATMUL_SHAPES) {
    const x = tensor([M, K]),
      w = tensor([N, K]),
      b = tensor([N]),
      y = tensor([M, N]);
    const dy = tensor([M, N]),
      dx = tensor([M, K]),
      dw = tensor([N, K]);
    const gflop = (2 * M * K * N) / 1e9;
    const add = (name: string, fn: () => void) => {
      const ms = medianMs(fn);
      rows.push({ name, shape: [M, K, N], backend, ms, rate: gflop / (ms / 1e3) });
    };
    add('matmul.fwd', () => k.matmulNT(y, x, w, b, Act.Relu));
    add('matmul.dx', () => k.matmulNN(dx, dy, w, false));
    add('matmul.dw', () => k.matmulTN(dw, dy, x, false));
  }
  return rows;
}

function splineRows(k: Kernels, backend: string, sizes: number[]): Row[] {
  const rows: Row[] = [];
  const P = 3 * SPEC.bins - 1;
  for (const n of sizes) {
    const x = tensor([n], -5.5, 5.5),
      raw = tensor([n, P], -2, 2),
      y = tensor([n]),
      l = tensor([n]);
    const gy = tensor([n]),
      gl = tensor([n]),
      dx = tensor([n]),
      dp = tensor([n, P]);
    const add = (name: string, fn: () => void) => {
      const ms = medianMs(fn);
      rows.push({ name, shape: [n, SPEC.bins], backend, ms, rate: n / 1e6 / (ms / 1e3) });
    };
    add('spline.forward', () => k.splineForward(y, l, x, raw, SPEC));
    add('spline.inverse', () => k.splineInverse(x, l, y, raw, SPEC));
    add('spline.backward', () => k.splineBackward(dx, dp, gy, gl, x, raw, SPEC));
  }
  return rows;
}

/**
 * One training step of a 2-feature NSF transform at kernel level (batch 1024, hidden 128,
 * K = 20): hyper-network forward (3 linear layers, relu), spline forward, log-det sum,
 * spline backward, the layers' backward, AdamW on every weight and bias.
 */
function trainStepRow(k: Kernels, backend: string): Row {
  const B = 1024,
    D = 6,
    H = 128,
    F = 2,
    P = 3 * SPEC.bins - 1,
    O = F * P;
  const W = [tensor([H, D], -0.3, 0.3), tensor([H, H], -0.1, 0.1), tensor([O, H], -0.1, 0.1)];
  const bias = [tensor([H], 0, 0), tensor([H], 0, 0), tensor([O], 0, 0)];
  const opt = [...W, ...bias].map((p) => ({
    p,
    g: tensor(p.shape as number[], 0, 0),
    m: tensor(p.shape as number[], 0, 0),
    v: tensor(p.shape as number[], 0, 0),
  }));
  const x = tensor([B, D]),
    feat = tensor([B * F], -4, 4);
  const h1 = tensor([B, H]),
    h2 = tensor([B, H]),
    raw = tensor([B, O]);
  const z = tensor([B * F]),
    ladj = tensor([B * F]),
    logdet = tensor([B]);
  const gz = tensor([B * F]),
    gl = tensor([B * F], -1, -1),
    dfeat = tensor([B * F]),
    draw = tensor([B, O]);
  const dh2 = tensor([B, H]),
    dh1 = tensor([B, H]),
    tmp = tensor([B, H]);
  let step = 0;
  const ms = medianMs(() => {
    k.matmulNT(h1, x, W[0], bias[0], Act.Relu);
    k.matmulNT(h2, h1, W[1], bias[1], Act.Relu);
    k.matmulNT(raw, h2, W[2], bias[2], Act.None);
    k.splineForward(z, ladj, feat, view(raw, [B * F, P]), SPEC);
    k.sumCols(logdet, view(ladj, [B, F]));
    gz.data.set(z.data); // ∂(½z²)/∂z
    k.splineBackward(dfeat, view(draw, [B * F, P]), gz, gl, feat, view(raw, [B * F, P]), SPEC);
    k.matmulTN(opt[2].g, draw, h2, false);
    k.sumRows(opt[5].g, draw);
    k.matmulNN(tmp, draw, W[2], false);
    k.actBackward(Act.Relu, dh2, tmp, h2);
    k.matmulTN(opt[1].g, dh2, h1, false);
    k.sumRows(opt[4].g, dh2);
    k.matmulNN(tmp, dh2, W[1], false);
    k.actBackward(Act.Relu, dh1, tmp, h1);
    k.matmulTN(opt[0].g, dh1, x, false);
    k.sumRows(opt[3].g, dh1);
    step++;
    for (const o of opt)
      k.adamw(o.p, o.g, o.m, o.v, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, step });
  });
  return { name: 'train.step', shape: [B, H, SPEC.bins], backend, ms };
}

function measure(k: Kernels, backend: string, dryRun = false): Row[] {
  return [
    ...matmulRows(k, backend),
    ...splineRows(k, backend, dryRun ? [2048] : [2048, 100_000]),
    trainStepRow(k, backend),
  ];
}

async function main(): Promise<void> {
  const { out, testLog, testStatus, dryRun } = args(process.argv.slice(2));
  const t0 = performance.now();
  const probe = await probeGpu();
  const wasm = await loadWasmKernels(memory, heap);
  const rows: Row[] = measure(wasm, `wasm-${wasm.build}`);
  let gpu: GpuKernels | null = null;
  let gpuError: string | undefined;
  try {
    gpu = await loadGpuKernels(
      memory,
      heap,
      dryRun ? { mode: 'cpu', fallback: wasm } : { require: true, fallback: wasm },
    );
    rows.push(...measure(gpu, `gpu-${gpu.mode}`, dryRun));
  } catch (e) {
    gpuError = (e as Error).message;
    rows.push({ name: 'all', shape: [], backend: 'gpu', ms: null, error: gpuError });
  } finally {
    gpu?.dispose();
  }
  const log = testLog && existsSync(testLog) ? readFileSync(testLog, 'utf8') : undefined;
  const report = {
    machine: {
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      cpus: os.cpus().length,
      model: os.cpus()[0]?.model ?? 'unknown',
      date: new Date().toISOString(),
    },
    probe,
    gpuError,
    parityTests:
      testStatus === undefined ? null : { passed: testStatus === 0, exitCode: testStatus, logTail: log?.slice(-4000) },
    results: rows,
    seconds: (performance.now() - t0) / 1e3,
  };
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
  for (const r of rows) {
    const unit = r.name.startsWith('matmul') ? 'GFLOP/s' : 'M/s';
    const v = r.ms === null ? r.error : `${r.ms.toFixed(3)} ms${r.rate ? `  (${r.rate.toFixed(2)} ${unit})` : ''}`;
    console.log(`${r.name.padEnd(16)} ${r.shape.join('×').padEnd(14)} ${r.backend.padEnd(14)} ${v}`);
  }
  console.log(`probe: ${probe.available ? 'gpu' : 'no gpu'} — ${probe.reason}`);
  console.log(`wrote ${out}`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
