/**
 * The worker side of worker-runner.ts: owns one gpu.js instance (webgpu on a GPU host, any
 * mode in tests), runs each job, awaits the result (webgpu kernels return promises), posts the
 * rows back and signals through the shared Int32Array.
 */
import { workerData, type MessagePort } from 'node:worker_threads';
import { KERNEL_SOURCES, type GpuKernelName } from './kernel-sources.js';
import { actualMode, importGpuJs, installNodeWebGpu, type GpuJsInstance, type GpuJsKernel } from './gpujs-module.js';
import { asRows, kernelSettings } from './runner.js';
import type { WorkerJob, WorkerReply } from './worker-runner.js';

const { signal, port, mode } = workerData as { signal: Int32Array; port: MessagePort; mode: string };

function reply(r: WorkerReply): void {
  port.postMessage(r);
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
}

async function start(): Promise<GpuJsInstance | null> {
  const loaded = await importGpuJs();
  if (!loaded.ok) {
    reply({ ok: false, reason: loaded.reason });
    return null;
  }
  if (mode === 'webgpu') {
    const w = await installNodeWebGpu();
    if (!w.ok) {
      reply({ ok: false, reason: w.reason });
      return null;
    }
  }
  const gpu = new loaded.module.GPU({ mode });
  reply({ ok: true, mode: actualMode(loaded.module, gpu) });
  return gpu;
}

const kernels = new Map<GpuKernelName, GpuJsKernel>();

async function runJob(gpu: GpuJsInstance, job: WorkerJob): Promise<WorkerReply> {
  let k = kernels.get(job.name);
  if (!k) {
    // asyncMode: the same await works for every mode; webgpu is async whatever we ask.
    k = gpu.createKernel(KERNEL_SOURCES[job.name] as (...a: never[]) => number, kernelSettings(true));
    kernels.set(job.name, k);
  }
  k.setOutput(job.output);
  const rows = asRows(await k(...job.args), job.name);
  return { ok: true, rows };
}

start().then(
  (gpu) => {
    if (!gpu) return;
    port.on('message', (job: WorkerJob) => {
      runJob(gpu, job).then(reply, (e: unknown) => reply({ ok: false, reason: (e as Error).message ?? String(e) }));
    });
  },
  (e: unknown) => reply({ ok: false, reason: `gpu.js worker failed to start: ${(e as Error).message ?? String(e)}` }),
);
