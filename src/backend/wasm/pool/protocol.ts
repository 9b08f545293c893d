/**
 * The control block a kernel pool shares between the calling thread and its workers, and the
 * table of kernels the pool can split. Imported by the worker, so it imports nothing at run time
 * (the kernel module's export names are checked as a type only).
 *
 * Why a control block and not a message per call: a kernel here takes 50–800 µs and a
 * postMessage round trip tens of µs; workers instead watch one word in a SharedArrayBuffer
 * and read the job straight from it.
 *
 * A job is a kernel call cut into a fixed list of chunks (row / element / block ranges). The
 * cuts depend on the call only, so the result does not depend on which thread runs which
 * chunk; threads CLAIM chunks one at a time, the caller too. On a loaded machine a worker that
 * is not running yet simply claims nothing and the caller does its chunks itself, instead of
 * the caller waiting a scheduler time slice for it.
 *
 * Each thread first claims its HOME chunk (thread t: chunk t), then any chunk left. Calls cut
 * the same rows the same way, so thread t keeps meeting the rows it wrote in the kernel before,
 * in its own core's cache. (With a single claim counter the first thread to look took chunk 0,
 * the caller or the worker about equally often, and half the rows crossed cores every call:
 * a training step ran a third slower on two threads than its chunks did alone.)
 *
 * The JOB word packs (sequence s, chunk count); CLAIMS[c] holds 2s while chunk c of job s is
 * open and 2s + 1 once claimed. A claim is one compare-exchange 2s → 2s + 1, which also proves
 * that job s is still the current one: the caller opens the next job's chunks only after every
 * chunk of this one is done, and a finished job leaves no chunk open. Whoever claims a chunk of
 * job s may then read the job's fields; a thread that saw an older job fails its exchange.
 *
 * Layout (Int32 slots of one SharedArrayBuffer; the f64 regions overlay the same bytes):
 *
 *   JOB          seq (12 bits) · chunks (10 bits); workers wait on it
 *   DONE         chunks finished in the current job (reset before each job)
 *   MAIN_WAITING 1 while the caller sleeps on DONE (finishers then notify it)
 *   SLEEPERS     workers sleeping on JOB (the caller notifies only when > 0)
 *   KERNEL       index into KERNELS;  NARGS  argument count;  SHUTDOWN  1: workers return
 *   ERR_CHUNK    chunk + 1 of the first failure (0: none); ERR_THREAD thread + 1 that ran it
 *                (thread 0 is the caller, w + 1 worker w); ERR_LEN length of its message
 *   BLOCK, N     for the blocked sum: block size and element count
 *   PROFILE      1: each thread adds the time it spends running chunks to BUSY[t] (bench --profile)
 *   SCRATCH[t]   the matmul packing area of thread t (each thread packs its own operands)
 *   STATE[w]     worker w: 0 starting, 1 ready, 2 gone (set by the worker as it exits)
 *   ERR_TEXT     the failure's message, one UTF-16 unit per slot
 *   RAN[t]       chunks thread t has run since start-up (a statistic: who did the work)
 *   WAKES[w]     times worker w slept on JOB and was woken by a job (a statistic: each wake-up
 *                costs the call tens of µs, the spin before sleeping was too short for the gap)
 *   BOUNDS[c]    chunk c covers [BOUNDS[c], BOUNDS[c+1]) of the kernel's range argument
 *   CLAIMS[c]    2s: chunk c of job s is open; 2s + 1: claimed
 *   ARGS (f64)   the kernel's arguments; f64 holds every i32 pointer and f32 scalar exactly
 *   PARTIALS(f64) one float64 partial per block of the blocked sum, summed in order by the caller
 *   BUSY (f64)   ms thread t has spent running chunks while PROFILE was on
 */
import type { KernelExports } from '../loader.js';

export const JOB = 0;
export const DONE = 1;
export const MAIN_WAITING = 2;
export const SLEEPERS = 3;
export const KERNEL = 4;
export const NARGS = 5;
export const SHUTDOWN = 6;
export const ERR_CHUNK = 7;
export const ERR_THREAD = 8;
export const ERR_LEN = 9;
export const BLOCK = 10;
export const N = 11;
export const PROFILE = 12;

/** Most threads one pool may have (caller + workers). */
export const MAX_THREADS = 64;
export const SCRATCH = 16; // MAX_THREADS slots
export const STATE = 80; // MAX_THREADS - 1 slots used
export const ERR_TEXT = 144;
export const ERR_TEXT_MAX = 256;
export const RAN = 400; // MAX_THREADS slots
export const WAKES = 464; // MAX_THREADS - 1 slots used
/** Most chunks one job may have (the JOB word has 10 bits for it). */
export const MAX_CHUNKS = 1023;
export const BOUNDS = 1024; // MAX_CHUNKS + 1 slots
export const CLAIMS = 2048; // MAX_CHUNKS slots

export const STATE_STARTING = 0;
export const STATE_READY = 1;
export const STATE_GONE = 2;

/** Float64 slot index of the arguments (byte 12288). */
export const ARGS_F64 = 1536;
export const MAX_ARGS = 16;
/** Float64 slot index of the block partials (byte 12416). */
export const PARTIALS_F64 = ARGS_F64 + MAX_ARGS;
export const MAX_PARTIALS = 4096;
/** Float64 slot index of the per-thread busy times. */
export const BUSY_F64 = PARTIALS_F64 + MAX_PARTIALS;
export const CONTROL_BYTES = (BUSY_F64 + MAX_THREADS) * 8;

/** The JOB word: sequence (mod 4096) · chunk count. */
export const jobWord = (seq: number, chunks: number): number => ((seq & 0xfff) << 20) | (chunks << 10);
export const seqOf = (job: number): number => job >>> 20;
export const chunksOf = (job: number): number => (job >>> 10) & 0x3ff;

/** Open the chunks of job `seq` (before its JOB word is stored, which publishes them). */
export function openChunks(ctl: Int32Array, seq: number, chunks: number): void {
  for (let c = 0; c < chunks; c++) ctl[CLAIMS + c] = 2 * seq;
}

/**
 * The blocked sum: Σx is defined as float64 sums of fixed blocks of `sumBlockSize(n)` elements
 * added in block order. The block size depends on n only, never on the thread count, so one
 * thread and eight give the same bits; and a tensor of up to 4096 elements is one block.
 */
export const SUM_BLOCK = 4096;
export function sumBlockSize(n: number): number {
  return SUM_BLOCK * Math.max(1, Math.ceil(n / (SUM_BLOCK * MAX_PARTIALS)));
}

/** How a kernel is split: which argument holds r0 (r1 follows it), which the scratch pointer. */
export interface PoolKernel {
  /** The kernel's id in `K` (the callers' name for it). */
  id: string;
  /** Export name in the kernel module. */
  name: keyof KernelExports;
  nargs: number;
  range: number;
  /** Index of the scratch pointer argument, or −1. */
  scratch: number;
  /** The blocked sum: the range counts blocks and each block's f64 goes to PARTIALS. */
  blocks?: boolean;
  /** The export returns −1 or the first element it refused (gather: an index out of range). */
  refuses?: string;
}

/** Every kernel the pool can split; a job names one by its index here (the KERNEL slot). */
export const KERNELS = [
  { id: 'MatmulNT', name: 'matmul_nt', nargs: 12, range: 8, scratch: 10 },
  { id: 'MatmulNN', name: 'matmul_nn', nargs: 11, range: 7, scratch: 9 },
  { id: 'MatmulTN', name: 'matmul_tn', nargs: 11, range: 7, scratch: 9 },
  { id: 'Unary', name: 'unary', nargs: 5, range: 3, scratch: -1 },
  { id: 'Binary', name: 'binary', nargs: 9, range: 7, scratch: -1 },
  { id: 'ActBackward', name: 'act_backward', nargs: 6, range: 4, scratch: -1 },
  { id: 'SumRows', name: 'sum_rows', nargs: 6, range: 4, scratch: -1 },
  { id: 'SumCols', name: 'sum_cols', nargs: 6, range: 4, scratch: -1 },
  { id: 'SumAll', name: 'sum_all_f64', nargs: 3, range: 1, scratch: -1, blocks: true },
  { id: 'AdamW', name: 'adamw', nargs: 14, range: 4, scratch: -1 },
  { id: 'SplineForward', name: 'spline_forward', nargs: 11, range: 4, scratch: 9 },
  { id: 'SplineInverse', name: 'spline_inverse', nargs: 10, range: 4, scratch: 9 },
  { id: 'SplineBackward', name: 'spline_backward', nargs: 12, range: 6, scratch: -1 },
  { id: 'Gather', name: 'gather', nargs: 7, range: 4, scratch: -1, refuses: 'index out of range' },
  { id: 'MatmulTNBlocks', name: 'matmul_tn_blocks', nargs: 13, range: 9, scratch: 11 },
  { id: 'SumRowsBlocks', name: 'sum_rows_blocks', nargs: 7, range: 5, scratch: -1 },
  { id: 'Fill', name: 'fill', nargs: 4, range: 2, scratch: -1 },
  { id: 'GatherRows', name: 'gather_rows', nargs: 7, range: 4, scratch: -1, refuses: 'row index out of range' },
  { id: 'MatmulSparseRows', name: 'matmul_sparse_rows', nargs: 13, range: 9, scratch: 11 },
  { id: 'MatmulTNSparse', name: 'matmul_tn_sparse', nargs: 12, range: 8, scratch: 10 },
] as const satisfies readonly PoolKernel[];

export type KernelId = (typeof KERNELS)[number]['id'];

/** Kernel ids → their KERNELS index, derived from the list (so the two cannot disagree). */
export const K = Object.freeze(Object.fromEntries(KERNELS.map((k, i) => [k.id, i]))) as {
  readonly [Id in KernelId]: number;
};

type ExportFn = (...args: number[]) => number | void;

/**
 * Float64 partials of blocks [b0, b1) of x (n elements, blocks of `block`) into `out` at
 * PARTIALS_F64 + b. The one definition of the blocked sum, used single-threaded too.
 */
export function sumBlocks(
  sumF64: ExportFn,
  x: number,
  n: number,
  block: number,
  b0: number,
  b1: number,
  out: Float64Array,
): void {
  for (let b = b0; b < b1; b++) {
    const e0 = b * block;
    out[PARTIALS_F64 + b] = sumF64(x, e0, Math.min(e0 + block, n)) as number;
  }
}

/**
 * Run chunk `chunk` of the current job with `exports` (the caller's instance or a worker's: both
 * run this same code), packing into `scratch`. `args` is a reusable array.
 */
export function runChunk(
  exports: Record<string, unknown>,
  ctl: Int32Array,
  f64: Float64Array,
  chunk: number,
  scratch: number,
  args: number[],
): void {
  const k: PoolKernel = KERNELS[ctl[KERNEL]];
  const fn = exports[k.name] as ExportFn;
  const r0 = ctl[BOUNDS + chunk],
    r1 = ctl[BOUNDS + chunk + 1];
  if (r1 <= r0) return;
  if (k.blocks) {
    sumBlocks(fn, f64[ARGS_F64], ctl[N], ctl[BLOCK], r0, r1, f64);
    return;
  }
  const nargs = ctl[NARGS];
  args.length = nargs;
  for (let i = 0; i < nargs; i++) args[i] = f64[ARGS_F64 + i];
  args[k.range] = r0;
  args[k.range + 1] = r1;
  if (k.scratch >= 0) args[k.scratch] = scratch;
  const r = fn(...args);
  if (k.refuses && typeof r === 'number' && r >= 0) throw new Error(`${k.name}: ${k.refuses} at element ${r}`);
}

/**
 * Claim and run chunks of job `job` (a JOB word) until none is left: this thread's home chunk
 * first, then any other still open. `thread` is 0 for the caller, w + 1 for worker w. Failures
 * are recorded, and the chunk still counts as done so the job always completes.
 */
export function claimChunks(
  exports: Record<string, unknown>,
  ctl: Int32Array,
  f64: Float64Array,
  thread: number,
  args: number[],
  job: number,
): void {
  const open = 2 * seqOf(job);
  const chunks = chunksOf(job);
  for (let i = 0; i < chunks; i++) {
    const chunk = (thread + i) % chunks;
    if (Atomics.compareExchange(ctl, CLAIMS + chunk, open, open + 1) !== open) continue;
    const t0 = ctl[PROFILE] ? performance.now() : 0;
    try {
      runChunk(exports, ctl, f64, chunk, ctl[SCRATCH + thread], args);
    } catch (e) {
      reportFailure(ctl, chunk, thread, e instanceof Error ? `${e.name}: ${e.message}` : String(e));
    }
    if (t0) f64[BUSY_F64 + thread] += performance.now() - t0;
    ctl[RAN + thread]++;
    Atomics.add(ctl, DONE, 1);
    if (Atomics.load(ctl, MAIN_WAITING)) Atomics.notify(ctl, DONE);
  }
}

/** Record the first failed chunk, the thread that ran it and its message (truncated). */
export function reportFailure(ctl: Int32Array, chunk: number, thread: number, message: string): void {
  if (Atomics.compareExchange(ctl, ERR_CHUNK, 0, chunk + 1) !== 0) return;
  ctl[ERR_THREAD] = thread + 1;
  const len = Math.min(message.length, ERR_TEXT_MAX);
  for (let i = 0; i < len; i++) ctl[ERR_TEXT + i] = message.charCodeAt(i);
  Atomics.store(ctl, ERR_LEN, len);
}

export function failureText(ctl: Int32Array): string {
  const len = Atomics.load(ctl, ERR_LEN);
  let s = '';
  for (let i = 0; i < len; i++) s += String.fromCharCode(ctl[ERR_TEXT + i]);
  return s;
}

/** What the pool posts to each worker once, at start-up. */
export interface WorkerInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  /** Worker index w (thread w + 1). */
  index: number;
  /** How long a worker keeps spinning on JOB after a job before it sleeps. */
  spinMicros: number;
}
