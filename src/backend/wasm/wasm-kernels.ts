/**
 * The wasm backend: the `Kernels` table over the AssemblyScript SIMD module.
 *
 * Each method checks shapes (errors name the kernel and the shapes), then either makes one
 * export call over the whole range, or — with a worker pool and a call big enough to gain
 * (pool/split.ts) — cuts the range into fixed chunks that all threads of the pool claim and run
 * at once. The cuts fall on whole tiles / vector groups and no reduction depends on them, so a
 * split call gives the same bits as one call, whichever thread runs which chunk.
 */
import type { AdamWHyper, Kernels, SplineSpec } from '../kernels.js';
import { Act, Binary, Broadcast, Unary } from '../kernels.js';
import type { Memory } from '../../tensor/memory.js';
import type { Heap } from '../../tensor/allocator.js';
import { shapeStr, Tensor } from '../../tensor/tensor.js';
import type { KernelExports, WasmBuild } from './kernel-module.js';
import type { KernelPoolCore } from './pool/pool-core.js';
import type { HostThresholds } from './pool/calibration-cache.js';
import { K as K_, KERNELS, PARTIALS_F64, sumBlockSize } from './pool/protocol.js';
import {
  DEFAULT_THRESHOLDS,
  checkThresholds,
  cutByWeight,
  cutRange,
  partCount,
  type SplitThresholds,
} from './pool/split.js';
import { checkMatmulNN, checkMatmulNT, checkMatmulTN } from '../matmul-checks.js';
import { badIndex, badRow, checkGather, checkGatherRows } from '../gather-checks.js';

const BROADCAST_NAMES = ['same', 'row', 'col', 'scalar'];

/**
 * Below this many columns of the sparse operand (NT, NN) or of the output (TN) the dense tiles
 * run even when asked for the sparse kernels: a row's compaction and pieces cost more than the
 * few products they save (a first layer's 6 inputs).
 */
const SPARSE_MIN_K = 32;

/** The unary maps that are scalar float loops (exp, log, softplus, sigmoid, tanh, elu): dearer per element. */
const MATH_MAPS = new Set<number>([Unary.Exp, Unary.Log, Unary.Softplus, Unary.Sigmoid, Unary.Tanh, Unary.Elu]);

/** Per group of `grain` rows, the columns its ranges cover (the work of those rows in a ranged TN). */
function rowGroupWidths(ranges: Tensor, M: number, grain: number): Float64Array {
  const r = ranges.data;
  const w = new Float64Array(Math.ceil(M / grain));
  for (let i = 0; i < M; i++) w[Math.floor(i / grain)] += r[2 * i + 1] - r[2 * i];
  return w;
}

/**
 * Batch blocks of a weight or bias gradient (matmulTN, sumRows) over R rows: 1 below 1024 rows,
 * else the largest power of two (at most 16) that leaves 512+ rows per block — a power of two,
 * so that two or four threads get equal shares, on the row cuts the other kernels make.
 */
export function batchBlocks(R: number): number {
  let blocks = 1;
  while (blocks < 16 && R >= 1024 * blocks) blocks *= 2;
  return blocks;
}

/** A heap allocation kept between calls and grown on demand. */
interface HeapArea {
  ptr: number;
  bytes: number;
}

function fail(kernel: string, detail: string): never {
  throw new Error(`wasm ${kernel}: ${detail}`);
}

export class WasmKernels implements Kernels {
  readonly name = 'wasm';
  /** The matmul packing area of each thread (0: the calling thread, w + 1: worker w). */
  private scratchAreas: HeapArea[] = [];
  /** Partial sums of batch blocks (matmulTN, sumRows). */
  private partialsArea: HeapArea = { ptr: 0, bytes: 0 };

  constructor(
    readonly memory: Memory,
    readonly heap: Heap,
    readonly exports: KernelExports,
    /** Which module runs: plain SIMD or relaxed SIMD (fused multiply-add). */
    readonly build: WasmBuild,
    /** The compiled module, for worker threads to instantiate on the same memory. */
    readonly module: WebAssembly.Module,
    /** Worker threads that split big calls; null: everything on the calling thread. */
    readonly pool: KernelPoolCore | null = null,
    /** Least work per chunk before a call is split (tests lower them to split everything). */
    thresholds: Readonly<SplitThresholds> = DEFAULT_THRESHOLDS,
  ) {
    this.current = checkThresholds(thresholds);
    // Enough for any layer up to 256 × 256 at once; grows on demand.
    this.scratch(exports.matmul_scratch_bytes(256, 256));
  }

  private current: Readonly<SplitThresholds>;
  /** Where the thresholds came from when the loader chose them for this host (null: as given). */
  thresholdSource: HostThresholds | null = null;

  /** Least work per chunk before a call is split, by kind (pool/split.ts). */
  get thresholds(): Readonly<SplitThresholds> {
    return this.current;
  }

  /**
   * Use other thresholds from now on (the start-up calibration, pool/calibrate.ts). They decide
   * only how calls are cut, never a result's bits: every cut falls on whole tiles or vector
   * groups, and a batch of 1024+ rows is summed in the same blocks whatever the cut.
   */
  setThresholds(t: Readonly<SplitThresholds>): void {
    this.current = checkThresholds(t);
  }

  /** Threads a call may use (the caller and the pool's workers). */
  get threads(): number {
    return this.pool ? this.pool.threads : 1;
  }

  /** Gives the packing scratch back to the heap and stops the worker threads. */
  dispose(): void {
    for (const area of [...this.scratchAreas, this.partialsArea]) {
      if (area.ptr) this.heap.release(area.ptr);
      area.ptr = area.bytes = 0;
    }
    this.scratchAreas = [];
    this.pool?.close();
  }

  /** `area`'s pointer, reallocated first when it holds fewer than `bytes`. */
  private grown(area: HeapArea, bytes: number): number {
    if (!(bytes <= area.bytes)) {
      if (area.ptr) this.heap.release(area.ptr);
      area.ptr = this.heap.alloc(bytes);
      area.bytes = bytes;
    }
    return area.ptr;
  }

  /** The partial sums of batch blocks (matmulTN, sumRows), at least `bytes` long. */
  private partials(bytes: number): number {
    return this.grown(this.partialsArea, bytes);
  }

  /** Thread `thread`'s matmul packing area, at least `bytes` long. */
  private scratch(bytes: number, thread = 0): number {
    return this.grown((this.scratchAreas[thread] ??= { ptr: 0, bytes: 0 }), bytes);
  }

  /**
   * Cut one call into `parts` chunks over [0, n) on multiples of `grain` and run them on the
   * pool. `args` is the export's argument list; its range (and scratch) slots are filled per chunk.
   */
  private split(
    label: string,
    kernel: number,
    args: number[],
    n: number,
    grain: number,
    parts: number,
    scratchBytes = 0,
    bounds: number[] = cutRange(n, parts, grain),
  ): void {
    let scratch: number[] | null = null;
    if (scratchBytes > 0) {
      scratch = [];
      for (let t = 0; t < this.threads; t++) scratch.push(this.scratch(scratchBytes, t));
    }
    this.pool!.run(label, kernel, args, bounds, scratch, this.exports as unknown as Record<string, unknown>);
  }

  /**
   * Run export `kernel` with `args` (its range slots already [0, n)): on the pool in `parts`
   * chunks when parts > 1, else here on the calling thread with its packing scratch. One place
   * for the choice, so every kernel method states its arguments once.
   */
  private dispatch(
    label: string,
    kernel: number,
    args: number[],
    n: number,
    grain: number,
    parts: number,
    scratchBytes = 0,
    bounds?: number[],
  ): number | void {
    if (parts > 1) {
      this.split(label, kernel, args, n, grain, parts, scratchBytes, bounds);
      return;
    }
    const k = KERNELS[kernel];
    if (k.scratch >= 0) args[k.scratch] = this.scratch(scratchBytes);
    return (this.exports as unknown as Record<string, (...a: number[]) => number | void>)[k.name](...args);
  }

  private own(kernel: string, ...ts: (Tensor | null)[]): void {
    for (const t of ts) {
      if (t && t.memory !== this.memory) fail(kernel, `tensor ${shapeStr(t.shape)} lives in another memory`);
    }
  }

  matmulNT(
    out: Tensor,
    x: Tensor,
    w: Tensor,
    bias: Tensor | null,
    act: Act,
    ranges: Tensor | null = null,
    sparse = false,
  ): void {
    const M = x.rows,
      K = x.cols,
      N = w.rows;
    checkMatmulNT('wasm', out, x, w, bias, act, ranges);
    this.own('matmulNT', out, x, w, bias, ranges);
    const rp = ranges ? ranges.ptr : 0;
    if (sparse && K >= SPARSE_MIN_K) {
      this.sparseRows(out, x, w, true, bias ? bias.ptr : 0, act, rp);
      return;
    }
    const bytes = this.exports.matmul_scratch_bytes(N, K);
    const parts = partCount(this.threads, this.current.matmulFlops, 2 * M * K * N, M, 4);
    this.dispatch(
      'matmulNT',
      K_.MatmulNT,
      [out.ptr, x.ptr, w.ptr, bias ? bias.ptr : 0, M, K, N, act, 0, M, 0, rp],
      M,
      4,
      parts,
      bytes,
    );
  }

  matmulNN(out: Tensor, a: Tensor, b: Tensor, accumulate: boolean, ranges: Tensor | null = null, sparse = false): void {
    const M = a.rows,
      K = a.cols,
      N = b.cols;
    checkMatmulNN('wasm', out, a, b, ranges);
    this.own('matmulNN', out, a, b, ranges);
    const rp = ranges ? ranges.ptr : 0;
    if (sparse && !accumulate && K >= SPARSE_MIN_K) {
      this.sparseRows(out, a, b, false, 0, Act.None, rp);
      return;
    }
    const bytes = this.exports.matmul_scratch_bytes(N, K);
    const parts = partCount(this.threads, this.current.matmulFlops, 2 * M * K * N, M, 4);
    this.dispatch(
      'matmulNN',
      K_.MatmulNN,
      [out.ptr, a.ptr, b.ptr, M, K, N, accumulate ? 1 : 0, 0, M, 0, rp],
      M,
      4,
      parts,
      bytes,
    );
  }

  /**
   * matmulNT / matmulNN over a left operand with many zeros (assembly/sparse-rows.ts): the
   * kernel compacts each row and falls back to the dense tiles itself when the first rows it
   * sees are dense; either way the bits of the dense product. Split over rows like the dense
   * call (the same cuts: 4-row grains), at the dense call's work estimate (an upper bound).
   */
  private sparseRows(out: Tensor, a: Tensor, b: Tensor, transB: boolean, bias: number, act: Act, rp: number): void {
    const M = a.rows,
      K = a.cols,
      N = out.cols;
    const bytes = this.exports.sparse_rows_scratch_bytes(K, N);
    const parts = partCount(this.threads, this.current.matmulFlops, 2 * M * K * N, M, 4);
    this.dispatch(
      transB ? 'matmulNT' : 'matmulNN',
      K_.MatmulSparseRows,
      [out.ptr, a.ptr, b.ptr, transB ? 1 : 0, bias, M, K, N, act, 0, M, 0, rp],
      M,
      4,
      parts,
      bytes,
    );
  }

  matmulTN(out: Tensor, a: Tensor, b: Tensor, accumulate: boolean, ranges: Tensor | null = null, sparse = false): void {
    const R = a.rows,
      M = a.cols,
      N = b.cols;
    checkMatmulTN('wasm', out, a, b, accumulate, ranges);
    this.own('matmulTN', out, a, b, ranges);
    const bytes = this.exports.matmul_scratch_bytes(N, R);
    const rp = ranges ? ranges.ptr : 0;
    const blocks = batchBlocks(R);
    if (blocks >= 2) {
      // A batch of 1024+ rows: cut into a power of two of blocks of 512+ rows, each summed on
      // its own, then added in block order — on every thread count, so the bits depend on R
      // alone. Split over the blocks, a thread reads the rows it wrote in the kernels before
      // (matmuls and elementwise kernels cut the batch the same way) instead of every row: by
      // output rows, each of two threads read all of x, written long before in the forward and
      // half of it in the other core's cache (a weight gradient ran ~15 % slower than the dx
      // product of the same size in a training step).
      const stride = M * N * 4;
      const partials = this.partials((blocks - 1) * stride);
      const parts = partCount(this.threads, this.current.matmulFlops, 2 * M * R * N, blocks, 1);
      if (sparse && !accumulate && N >= SPARSE_MIN_K) {
        // a's zeros skipped (assembly/sparse-tn.ts), the same blocks and the same bits.
        this.dispatch(
          'matmulTN',
          K_.MatmulTNSparse,
          [out.ptr, partials, a.ptr, b.ptr, M, R, N, blocks, 0, blocks, 0, rp],
          blocks,
          1,
          parts,
          this.exports.sparse_tn_scratch_bytes(R, N, blocks, M, rp),
        );
      } else {
        this.dispatch(
          'matmulTN',
          K_.MatmulTNBlocks,
          [out.ptr, partials, a.ptr, b.ptr, M, R, N, accumulate ? 1 : 0, blocks, 0, blocks, 0, rp],
          blocks,
          1,
          parts,
          bytes,
        );
      }
      const view = (c: number) => new Tensor(this.memory, partials + (c - 1) * stride, [M, N]);
      for (let c = 1; c < blocks; c++) this.binary(Binary.Add, out, out, view(c), Broadcast.Same);
      return;
    }
    // Split by output rows (columns of a): each part reads all R rows but writes its own rows.
    const parts = partCount(this.threads, this.current.matmulFlops, 2 * M * R * N, M, 4);
    // With ranges, rows cost their range's width: cut so each thread gets an equal share of work.
    const bounds = ranges && parts > 1 ? cutByWeight(M, parts, 4, rowGroupWidths(ranges, M, 4)) : undefined;
    this.dispatch(
      'matmulTN',
      K_.MatmulTN,
      [out.ptr, a.ptr, b.ptr, M, R, N, accumulate ? 1 : 0, 0, M, 0, rp],
      M,
      4,
      parts,
      bytes,
      bounds,
    );
  }

  gather(out: Tensor, src: Tensor, index: Tensor, scale: Tensor): void {
    checkGather('wasm gather', out, index, scale);
    this.own('gather', out, src, index, scale);
    const n = index.size;
    // ~2 ns per element (an indexed load): priced like the scalar math maps, not a stream.
    const parts = partCount(this.threads, this.current.mathMap, n, n, 16);
    // Split, a chunk that meets a bad index throws in its thread and the pool reports it;
    // on this thread the export returns the element.
    const bad = this.dispatch(
      'gather',
      K_.Gather,
      [out.ptr, src.ptr, index.ptr, scale.ptr, 0, n, src.size],
      n,
      16,
      parts,
    );
    if (typeof bad === 'number' && bad >= 0) badIndex('wasm gather', bad, index, src);
  }

  gatherRows(out: Tensor, src: Tensor, rows: Tensor): void {
    checkGatherRows('wasm gatherRows', out, src, rows);
    this.own('gatherRows', out, src, rows);
    const R = rows.size;
    // A copy: priced as a stream of R·N elements, cut on whole rows.
    const parts = partCount(this.threads, this.current.streaming, R * out.cols, R, 1);
    const bad = this.dispatch(
      'gatherRows',
      K_.GatherRows,
      [out.ptr, src.ptr, rows.ptr, out.cols, 0, R, src.rows],
      R,
      1,
      parts,
    );
    if (typeof bad === 'number' && bad >= 0) badRow('wasm gatherRows', bad, rows, src);
  }

  unary(op: Unary, out: Tensor, x: Tensor): void {
    if (out.size !== x.size)
      fail('unary', `op ${op}: out ${shapeStr(out.shape)} and x ${shapeStr(x.shape)} differ in size`);
    if (op < Unary.Neg || op > Unary.Reciprocal) fail('unary', `unknown op code ${op}`);
    this.own('unary', out, x);
    const n = x.size;
    const parts = partCount(this.threads, MATH_MAPS.has(op) ? this.current.mathMap : this.current.streaming, n, n, 16);
    this.dispatch('unary', K_.Unary, [op, out.ptr, x.ptr, 0, n], n, 16, parts);
  }

  fill(out: Tensor, value: number): void {
    this.own('fill', out);
    const n = out.size;
    // A store stream, priced like the other streaming kernels.
    const parts = partCount(this.threads, this.current.streaming, n, n, 16);
    this.dispatch('fill', K_.Fill, [out.ptr, Math.fround(value), 0, n], n, 16, parts);
  }

  binary(op: Binary, out: Tensor, a: Tensor, b: Tensor, mode: Broadcast): void {
    const M = a.rows,
      N = a.cols;
    // Built only when a check fails: this runs on every call of the hot path.
    const what = () =>
      `op ${op}, a ${shapeStr(a.shape)}, b ${shapeStr(b.shape)}, mode ${BROADCAST_NAMES[mode] ?? mode}`;
    if (op < Binary.Add || op > Binary.Div) fail('binary', `${what()}: unknown op code`);
    if (out.size !== a.size) fail('binary', `${what()}: out ${shapeStr(out.shape)} must have a's size ${a.size}`);
    const want =
      mode === Broadcast.Same
        ? a.size
        : mode === Broadcast.Row
          ? N
          : mode === Broadcast.Col
            ? M
            : mode === Broadcast.Scalar
              ? 1
              : -1;
    if (want < 0) fail('binary', `${what()}: unknown broadcast mode`);
    if (b.size !== want) fail('binary', `${what()}: b must have ${want} elements`);
    this.own('binary', out, a, b);
    const n = a.size;
    const parts = partCount(this.threads, this.current.streaming, n, n, 16);
    this.dispatch('binary', K_.Binary, [op, mode, out.ptr, a.ptr, b.ptr, M, N, 0, n], n, 16, parts);
  }

  actBackward(act: Act, dx: Tensor, dy: Tensor, y: Tensor): void {
    if (dx.size !== dy.size || y.size !== dy.size) {
      fail(
        'actBackward',
        `dx ${shapeStr(dx.shape)}, dy ${shapeStr(dy.shape)}, y ${shapeStr(y.shape)} must have one size`,
      );
    }
    if (act < Act.None || act > Act.Tanh) fail('actBackward', `unknown activation code ${act}`);
    this.own('actBackward', dx, dy, y);
    const n = dy.size;
    const parts = partCount(this.threads, this.current.streaming, n, n, 16);
    this.dispatch('actBackward', K_.ActBackward, [act, dx.ptr, dy.ptr, y.ptr, 0, n], n, 16, parts);
  }

  sumRows(out: Tensor, x: Tensor): void {
    if (out.size !== x.cols)
      fail('sumRows', `x ${shapeStr(x.shape)} → out ${shapeStr(out.shape)}: out must have ${x.cols} elements`);
    this.own('sumRows', out, x);
    const M = x.rows,
      N = x.cols;
    const blocks = batchBlocks(M);
    if (blocks >= 2) {
      // A batch of 1024+ rows: float64 column sums per batch block (each thread sums the rows it
      // wrote, as matmulTN), added here in block order and rounded once. Cut by columns instead,
      // each thread read half of every row, half of them in the other core's cache, and two
      // threads ran no faster than one.
      const partials = this.partials(blocks * N * 8);
      const parts = partCount(this.threads, this.current.streaming, M * N, blocks, 1);
      this.dispatch('sumRows', K_.SumRowsBlocks, [partials, x.ptr, M, N, blocks, 0, blocks], blocks, 1, parts);
      const p = new Float64Array(this.memory.wasm.buffer, partials, blocks * N);
      const o = out.data;
      for (let c = 0; c < N; c++) {
        let s = 0;
        for (let b = 0; b < blocks; b++) s += p[b * N + c];
        o[c] = s;
      }
      return;
    }
    // Split by columns: each part sums its columns down all rows, in the same order as one call.
    const parts = partCount(this.threads, this.current.streaming, M * N, N, 8);
    this.dispatch('sumRows', K_.SumRows, [out.ptr, x.ptr, M, N, 0, N], N, 8, parts);
  }

  sumCols(out: Tensor, x: Tensor): void {
    if (out.size !== x.rows)
      fail('sumCols', `x ${shapeStr(x.shape)} → out ${shapeStr(out.shape)}: out must have ${x.rows} elements`);
    this.own('sumCols', out, x);
    const M = x.rows,
      N = x.cols;
    const parts = partCount(this.threads, this.current.streaming, M * N, M, 16);
    this.dispatch('sumCols', K_.SumCols, [out.ptr, x.ptr, M, N, 0, M], M, 16, parts);
  }

  sumAll(out: Tensor, x: Tensor): void {
    if (out.size !== 1) fail('sumAll', `out ${shapeStr(out.shape)} must have one element`);
    this.own('sumAll', out, x);
    // Σ = float64 sums of fixed blocks added in block order (protocol.ts `sumBlockSize`): the
    // blocks depend on the size only, so threads change who sums a block, never the result.
    const n = x.size;
    const block = sumBlockSize(n);
    const blocks = Math.ceil(n / block);
    const parts = partCount(this.threads, this.current.streaming, n, blocks, 1);
    let s = 0;
    if (parts > 1) {
      const pool = this.pool!;
      pool.run(
        'sumAll',
        K_.SumAll,
        [x.ptr, 0, 0],
        cutRange(blocks, parts, 1),
        null,
        this.exports as unknown as Record<string, unknown>,
        { n, block },
      );
      for (let b = 0; b < blocks; b++) s += pool.f64[PARTIALS_F64 + b];
    } else {
      for (let e0 = 0; e0 < n; e0 += block) s += this.exports.sum_all_f64(x.ptr, e0, Math.min(e0 + block, n));
    }
    out.data[0] = s;
  }

  adamw(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, h: AdamWHyper): void {
    const n = param.size;
    if (grad.size !== n || m.size !== n || v.size !== n) {
      fail(
        'adamw',
        `param ${shapeStr(param.shape)}, grad ${shapeStr(grad.shape)}` +
          `, m ${shapeStr(m.shape)}, v ${shapeStr(v.shape)} must have one size`,
      );
    }
    if (!(h.step >= 1)) fail('adamw', `step must be ≥ 1 (1-based), got ${h.step}`);
    this.own('adamw', param, grad, m, v);
    // Bias corrections in float64, as PyTorch computes them in Python floats.
    const bc1 = 1 - Math.pow(h.beta1, h.step);
    const bc2 = 1 - Math.pow(h.beta2, h.step);
    // Through Math.fround: the export takes f32, and the pool passes the values as f64.
    const f = Math.fround;
    const scalars = [
      f(1 - h.lr * h.weightDecay),
      f(h.beta1),
      f(1 - h.beta1),
      f(h.beta2),
      f(1 - h.beta2),
      f(h.lr / bc1),
      f(Math.sqrt(bc2)),
      f(h.eps),
    ];
    const parts = partCount(this.threads, this.current.streaming, 4 * n, n, 16);
    this.dispatch('adamw', K_.AdamW, [param.ptr, grad.ptr, m.ptr, v.ptr, 0, n, ...scalars], n, 16, parts);
  }

  private splineChecks(kernel: string, n: number, params: Tensor, spec: SplineSpec, ...per: Tensor[]): void {
    const P = 3 * spec.bins - 1;
    if (!(spec.bins >= 1) || !Number.isInteger(spec.bins))
      fail(kernel, `bins must be a positive integer, got ${spec.bins}`);
    if (params.size !== n * P) {
      fail(kernel, `params ${shapeStr(params.shape)} must hold ${n} × ${P} (3·${spec.bins} − 1) values`);
    }
    for (const t of per) {
      if (t.size !== n) fail(kernel, `tensor ${shapeStr(t.shape)} must have ${n} elements like x`);
    }
    if (!(spec.slope > 0)) fail(kernel, `slope must be > 0, got ${spec.slope}`);
    this.own(kernel, params, ...per);
  }

  private splineExport<K extends 'spline_forward' | 'spline_inverse' | 'spline_backward' | 'spline_scratch_bytes'>(
    name: K,
  ): NonNullable<KernelExports[K]> {
    const f = this.exports[name];
    if (typeof f !== 'function') {
      throw new Error(
        `wasm ${name}: spline kernels missing from the wasm build (assembly/spline.ts); run \`npm run build:wasm\``,
      );
    }
    return f as NonNullable<KernelExports[K]>;
  }

  /** The forward's saved masses: [n, 2K] in this memory (the backward reads what the forward wrote). */
  private checkSaved(kernel: string, saved: Tensor | null, n: number, spec: SplineSpec): void {
    if (!saved) return;
    if (saved.size !== 2 * spec.bins * n) {
      fail(kernel, `saved ${shapeStr(saved.shape)} must hold 2·${spec.bins} masses for each of the ${n} elements`);
    }
    this.own(kernel, saved);
  }

  /** Per-thread scratch of the spline forward / inverse: the clamped values and masses of two blocks. */
  private splineScratchBytes(bins: number): number {
    return this.splineExport('spline_scratch_bytes')(bins);
  }

  splineForward(
    y: Tensor,
    ladj: Tensor,
    x: Tensor,
    params: Tensor,
    spec: SplineSpec,
    saved: Tensor | null = null,
  ): void {
    this.splineMap('splineForward', K_.SplineForward, y, ladj, x, params, spec, saved);
  }

  splineInverse(x: Tensor, ladj: Tensor, y: Tensor, params: Tensor, spec: SplineSpec): void {
    this.splineMap('splineInverse', K_.SplineInverse, x, ladj, y, params, spec, null);
  }

  /** Forward or inverse: value and ladj of every element of `input`, with the per-thread scratch. */
  private splineMap(
    label: 'splineForward' | 'splineInverse',
    kernel: number,
    out: Tensor,
    ladj: Tensor,
    input: Tensor,
    params: Tensor,
    spec: SplineSpec,
    saved: Tensor | null,
  ): void {
    this.splineExport(label === 'splineForward' ? 'spline_forward' : 'spline_inverse');
    this.splineChecks(label, input.size, params, spec, out, ladj, input);
    this.checkSaved(label, saved, input.size, spec);
    const n = input.size,
      ls = Math.fround(Math.log(spec.slope)),
      bound = Math.fround(spec.bound);
    const bytes = this.splineScratchBytes(spec.bins);
    const parts = partCount(this.threads, this.current.spline, n, n, 16);
    // The forward's last argument: where to keep its masses (0: nowhere); the inverse has none.
    const args = [out.ptr, ladj.ptr, input.ptr, params.ptr, 0, n, spec.bins, bound, ls, 0];
    if (label === 'splineForward') args.push(saved ? saved.ptr : 0);
    this.dispatch(label, kernel, args, n, 16, parts, bytes);
  }

  splineBackward(
    dx: Tensor,
    dparams: Tensor,
    gy: Tensor,
    gl: Tensor,
    x: Tensor,
    params: Tensor,
    spec: SplineSpec,
    saved: Tensor | null = null,
  ): void {
    this.splineExport('spline_backward');
    this.splineChecks('splineBackward', x.size, params, spec, dx, gy, gl, x);
    if (dparams.size !== params.size) {
      fail('splineBackward', `dparams ${shapeStr(dparams.shape)} must match params ${shapeStr(params.shape)}`);
    }
    this.own('splineBackward', dparams);
    this.checkSaved('splineBackward', saved, x.size, spec);
    const n = x.size,
      ls = Math.fround(Math.log(spec.slope)),
      bound = Math.fround(spec.bound);
    // 3× the forward's work per element: the split pays off at a third of the size.
    const parts = partCount(this.threads, this.current.spline, 3 * n, n, 16);
    this.dispatch(
      'splineBackward',
      K_.SplineBackward,
      [dx.ptr, dparams.ptr, gy.ptr, gl.ptr, x.ptr, params.ptr, 0, n, spec.bins, bound, ls, saved ? saved.ptr : 0],
      n,
      16,
      parts,
    );
  }
}
