/**
 * The control block a kernel pool shares between the calling thread and its workers, and the
 * table of kernels the pool can split. Imported by the worker, so it imports nothing.
 *
 * Why a control block and not a message per call: a kernel here takes 50–800 µs and a
 * postMessage round trip tens of µs; workers instead watch one generation word in a
 * SharedArrayBuffer and read the job straight from it.
 *
 * Layout (Int32 slots of one SharedArrayBuffer; the f64 regions overlay the same bytes):
 *
 *   GEN          job generation; the caller bumps it after writing a job, workers wait on it.
 *                Its low 7 bits are the job's part count, so a worker that takes no part reads
 *                nothing else (the caller may already be writing the next job: it waits only
 *                for the parts it dispatched).
 *   DONE         workers that finished the current job (reset to 0 before each job)
 *   MAIN_WAITING 1 while the caller sleeps on DONE (workers then notify it)
 *   SLEEPERS     workers sleeping on GEN (the caller notifies only when > 0)
 *   KERNEL       index into KERNELS (part 0 of every job is the caller's own)
 *   NARGS        argument count;  SHUTDOWN 1 asks the workers to return
 *   ERR_PART     part + 1 of the first failed part (0: none); ERR_LEN length of its message
 *   BLOCK, N     for the blocked sum: block size and element count
 *   BOUNDS[p]    part p covers [BOUNDS[p], BOUNDS[p+1]) of the kernel's range argument
 *   SCRATCH[p]   the matmul packing area of part p (each thread packs its own operands)
 *   STATE[w]     worker w: 0 starting, 1 ready, 2 gone (set by the worker as it exits)
 *   ERR_TEXT     the failed part's message, one UTF-16 unit per slot
 *   ARGS (f64)   the kernel's arguments; f64 holds every i32 pointer and f32 scalar exactly
 *   PARTIALS(f64) one float64 partial per block of the blocked sum, summed in order by the caller
 */
export const GEN = 0;
export const DONE = 1;
export const MAIN_WAITING = 2;
export const SLEEPERS = 3;
export const KERNEL = 4;
export const NARGS = 6;
export const SHUTDOWN = 7;
export const ERR_PART = 8;
export const ERR_LEN = 9;
export const BLOCK = 10;
export const N = 11;

/** Most parts one job may have (caller + workers). */
export const MAX_PARTS = 64;
/** GEN = sequence · GEN_STEP + parts. */
export const GEN_STEP = 128;
export const partsOf = (gen: number): number => gen & (GEN_STEP - 1);
export const BOUNDS = 16; // MAX_PARTS + 1 slots
export const SCRATCH = 96; // MAX_PARTS slots
export const STATE = 160; // MAX_PARTS slots
export const ERR_TEXT = 224;
export const ERR_TEXT_MAX = 256;

export const STATE_STARTING = 0;
export const STATE_READY = 1;
export const STATE_GONE = 2;

/** Float64 slot index of the arguments (byte 4096). */
export const ARGS_F64 = 512;
export const MAX_ARGS = 16;
/** Float64 slot index of the block partials (byte 8192). */
export const PARTIALS_F64 = 1024;
export const MAX_PARTIALS = 4096;
export const CONTROL_BYTES = (PARTIALS_F64 + MAX_PARTIALS) * 8;

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
  /** Export name in the kernel module. */
  name: string;
  nargs: number;
  range: number;
  /** Index of the scratch pointer argument, or −1. */
  scratch: number;
  /** The blocked sum: the range counts blocks and each block's f64 goes to PARTIALS. */
  blocks?: boolean;
}

export const KERNELS: readonly PoolKernel[] = [
  { name: 'matmul_nt', nargs: 11, range: 8, scratch: 10 },
  { name: 'matmul_nn', nargs: 10, range: 7, scratch: 9 },
  { name: 'matmul_tn', nargs: 10, range: 7, scratch: 9 },
  { name: 'unary', nargs: 5, range: 3, scratch: -1 },
  { name: 'binary', nargs: 9, range: 7, scratch: -1 },
  { name: 'act_backward', nargs: 6, range: 4, scratch: -1 },
  { name: 'sum_rows', nargs: 6, range: 4, scratch: -1 },
  { name: 'sum_cols', nargs: 6, range: 4, scratch: -1 },
  { name: 'sum_all_f64', nargs: 3, range: 1, scratch: -1, blocks: true },
  { name: 'adamw', nargs: 14, range: 4, scratch: -1 },
  { name: 'spline_forward', nargs: 9, range: 4, scratch: -1 },
  { name: 'spline_inverse', nargs: 9, range: 4, scratch: -1 },
  { name: 'spline_backward', nargs: 11, range: 6, scratch: -1 },
];

/** Kernel ids, the KERNELS index of each export. */
export const enum K {
  MatmulNT = 0,
  MatmulNN = 1,
  MatmulTN = 2,
  Unary = 3,
  Binary = 4,
  ActBackward = 5,
  SumRows = 6,
  SumCols = 7,
  SumAll = 8,
  AdamW = 9,
  SplineForward = 10,
  SplineInverse = 11,
  SplineBackward = 12,
}

type ExportFn = (...args: number[]) => number | void;

/**
 * Float64 partials of blocks [b0, b1) of x (n elements, blocks of `block`) into `out` at
 * PARTIALS_F64 + b. The one definition of the blocked sum, used single-threaded too.
 */
export function sumBlocks(
  sumF64: ExportFn, x: number, n: number, block: number, b0: number, b1: number, out: Float64Array,
): void {
  for (let b = b0; b < b1; b++) {
    const e0 = b * block;
    out[PARTIALS_F64 + b] = sumF64(x, e0, Math.min(e0 + block, n)) as number;
  }
}

/**
 * Run part `part` of the job in the control block with `exports` (the caller's instance or a
 * worker's: both run this same code). `args` is a reusable array of the argument count.
 */
export function runPart(
  exports: Record<string, unknown>, ctl: Int32Array, f64: Float64Array, part: number, args: number[],
): void {
  const k = KERNELS[ctl[KERNEL]];
  const fn = exports[k.name] as ExportFn;
  const r0 = ctl[BOUNDS + part], r1 = ctl[BOUNDS + part + 1];
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
  if (k.scratch >= 0) args[k.scratch] = ctl[SCRATCH + part];
  fn(...args);
}

/** Record the first failure of a part in the control block (message truncated). */
export function reportFailure(ctl: Int32Array, part: number, message: string): void {
  if (Atomics.compareExchange(ctl, ERR_PART, 0, part + 1) !== 0) return;
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
  /** Worker index w; it runs part w + 1. */
  index: number;
  /** How long a worker keeps spinning on GEN after a job before it sleeps. */
  spinMicros: number;
}
