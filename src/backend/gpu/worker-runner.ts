/**
 * A synchronous `KernelRunner` over a gpu.js instance that lives in a worker thread.
 *
 * Why: gpu.js's webgpu mode — the one GPU mode that runs in Node without a native build —
 * only offers asynchronous kernels (WebGPU has no synchronous readback), while the engine's
 * `Kernels` interface is synchronous. The worker awaits the kernel; this thread posts the job
 * and blocks on `Atomics.wait` until the worker signals, then takes the reply with
 * `receiveMessageOnPort` (which needs no event-loop turn).
 *
 * Cost per call, on top of the kernel: copying the inputs into the message (structured clone)
 * and the rows back, plus a thread hand-off (tens of µs). The same runner works with the
 * synchronous modes too ('cpu' in the tests), so this path is exercised without a GPU.
 */
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { GpuKernelName } from './kernel-sources.js';
import type { KernelMode } from './gpujs-module.js';
import type { KernelArg, KernelRunner } from './runner.js';

/** Messages from the worker (see gpujs-worker.ts). */
export type WorkerReply = { ok: true; mode?: KernelMode; rows?: Float32Array[] } | { ok: false; reason: string };

export interface WorkerJob {
  name: GpuKernelName;
  output: [number] | [number, number];
  args: KernelArg[];
}

/** Start-up can compile shaders / create a Dawn device: allow it some time. */
const INIT_TIMEOUT_MS = 60_000;
/** One kernel call; a hung driver fails the call instead of hanging the process. */
const CALL_TIMEOUT_MS = 120_000;
/** After the signal, how long (ms) the reply may take to show on the port. */
const REPLY_GRACE_MS = 2_000;

export class WorkerRunner implements KernelRunner {
  private closed = false;

  private constructor(
    private readonly worker: Worker,
    private readonly port: MessagePort,
    private readonly signal: Int32Array,
    readonly mode: KernelMode,
  ) {}

  /**
   * Start the worker with gpu.js in `mode` ('webgpu', 'cpu', …); resolves to the runner or to
   * the reason it could not start (no adapter, gpu.js missing, …).
   */
  static start(mode: string): { ok: true; runner: WorkerRunner } | { ok: false; reason: string } {
    const signal = new Int32Array(new SharedArrayBuffer(4));
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(new URL('./gpujs-worker.js', import.meta.url), {
      workerData: { signal, port: port2, mode },
      transferList: [port2],
    });
    worker.unref();
    port1.unref();
    const reply = waitReply(signal, port1, INIT_TIMEOUT_MS, `starting gpu.js (${mode}) in a worker`);
    if (!reply.ok) {
      void worker.terminate();
      return reply;
    }
    return { ok: true, runner: new WorkerRunner(worker, port1, signal, reply.mode ?? 'unknown') };
  }

  run(name: GpuKernelName, output: [number] | [number, number], args: KernelArg[]): Float32Array[] {
    if (this.closed) throw new Error(`gpu ${name}: the gpu.js worker was disposed`);
    // Copies: a view on the shared wasm memory would be shared, not copied, by postMessage.
    const copies = args.map((a) => (typeof a === 'number' ? a : a.slice()));
    const transfer: ArrayBuffer[] = [];
    for (const a of copies) if (typeof a !== 'number') transfer.push(a.buffer as ArrayBuffer);
    const job: WorkerJob = { name, output, args: copies };
    this.port.postMessage(job, transfer);
    const reply = waitReply(this.signal, this.port, CALL_TIMEOUT_MS, `gpu ${name}`);
    if (!reply.ok) throw new Error(`gpu ${name} (gpu.js ${this.mode}, in the worker): ${reply.reason}`);
    return reply.rows ?? [];
  }

  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    this.port.close();
    void this.worker.terminate();
  }
}

/** Block until the worker signals, then take its reply off the port. */
function waitReply(signal: Int32Array, port: MessagePort, timeoutMs: number, what: string): WorkerReply {
  const r = Atomics.wait(signal, 0, 0, timeoutMs);
  if (r === 'timed-out')
    return { ok: false, reason: `${what}: no answer from the gpu.js worker within ${timeoutMs / 1000} s` };
  Atomics.store(signal, 0, 0);
  // The worker posts, then signals; on a loaded machine the posted message can become visible on
  // this side of the port a moment after the signal (seen in full test runs at load ~13), so
  // look again for a short while before calling the reply missing.
  let msg = receiveMessageOnPort(port);
  for (let waited = 0; !msg && waited < REPLY_GRACE_MS; waited++) {
    Atomics.wait(signal, 0, 0, 1);
    msg = receiveMessageOnPort(port);
  }
  if (!msg) return { ok: false, reason: `${what}: the gpu.js worker signalled without a reply` };
  return msg.message as WorkerReply;
}
