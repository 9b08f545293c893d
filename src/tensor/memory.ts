/**
 * The one linear memory every tensor lives in.
 *
 * It is a shared `WebAssembly.Memory` imported by the kernel module, so a kernel call passes
 * byte offsets and copies nothing, and worker threads can run kernels over the same bytes.
 * The ts backend reads and writes the very same bytes through Float32Array views, so parity
 * tests compare like with like.
 *
 * Growing a memory replaces `memory.buffer`; every view made before is then too short (shared
 * memory) or detached (unshared). So nobody keeps a view: `f32()` re-derives the whole-memory
 * view whenever the buffer object changed, and `Tensor.data` is derived from it on demand.
 */
// For the declarations: the WebAssembly names below resolve without the DOM lib.
import './wasm-globals.js';

export const PAGE_BYTES = 65536;
/** 4 GiB: the most a 32-bit wasm memory can address. */
export const MAX_PAGES = 65536;
/** Bytes below this belong to the kernel module's static data (asconfig `memoryBase`). */
export const RESERVED_BYTES = 1 << 20;

export class Memory {
  readonly wasm: WebAssembly.Memory;
  private buffer: ArrayBufferLike;
  private f32View: Float32Array;
  private i32View: Int32Array;

  constructor(initialBytes = 64 << 20) {
    const initial = Math.max(32, Math.ceil(initialBytes / PAGE_BYTES));
    this.wasm = new WebAssembly.Memory({ initial, maximum: MAX_PAGES, shared: true });
    this.buffer = this.wasm.buffer;
    this.f32View = new Float32Array(this.buffer);
    this.i32View = new Int32Array(this.buffer);
  }

  get byteLength(): number {
    return this.wasm.buffer.byteLength;
  }

  /** Whole-memory float view, fresh after any growth. */
  f32(): Float32Array {
    this.refresh();
    return this.f32View;
  }

  /** Whole-memory int32 view (control words, indices), fresh after any growth. */
  i32(): Int32Array {
    this.refresh();
    return this.i32View;
  }

  /** Make sure at least `endByte` bytes are addressable. */
  ensure(endByte: number): void {
    const have = this.wasm.buffer.byteLength;
    if (endByte <= have) return;
    // Grow geometrically so a long run does not grow page by page.
    const wantBytes = Math.max(endByte, Math.min(have * 2, MAX_PAGES * PAGE_BYTES));
    const pages = Math.ceil((wantBytes - have) / PAGE_BYTES);
    if (have / PAGE_BYTES + pages > MAX_PAGES) {
      throw new RangeError(`out of memory: need ${endByte} bytes, the wasm memory is limited to 4 GiB`);
    }
    this.wasm.grow(pages);
    this.refresh();
  }

  private refresh(): void {
    if (this.buffer !== this.wasm.buffer) {
      this.buffer = this.wasm.buffer;
      this.f32View = new Float32Array(this.buffer);
      this.i32View = new Int32Array(this.buffer);
    }
  }
}
