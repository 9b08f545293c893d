/**
 * Two ways to get bytes out of the shared memory:
 *
 * - `Heap`: persistent allocations (parameters, gradients, optimizer moments, loaded models).
 *   An address-ordered first-fit free list over a bump pointer; they live until freed.
 * - `Arena`: the step arena. Every op output and gradient of one training or evaluation step
 *   comes from it, and `reset()` after the optimizer step makes all of it reusable at once.
 *   It takes chunks from the heap, so arena and persistent data never overlap.
 *
 * Every block is 64-byte aligned: a f32x4 load never straddles a cache line, and threads that
 * write neighbouring blocks never share one.
 */
import { Memory, RESERVED_BYTES } from './memory.js';

export const ALIGN = 64;
const alignUp = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

interface FreeBlock {
  ptr: number;
  bytes: number;
}

export class Heap {
  private top = RESERVED_BYTES;
  /**
   * Released blocks, sorted by address, never two adjacent (release merges neighbours), none
   * ending at `top` (that one lowers `top` instead). A program that loads and frees models again
   * and again (a server, a checkpoint scan) frees hundreds of small mask and layout blocks each
   * time: unmerged, the next model's large parameter block fits none of them and the heap grows
   * on every reload although nothing is live.
   */
  private free: FreeBlock[] = [];
  private sizes = new Map<number, number>();

  constructor(readonly memory: Memory) {}

  alloc(bytes: number): number {
    const need = alignUp(Math.max(bytes, ALIGN));
    const i = this.free.findIndex((b) => b.bytes >= need);
    let ptr: number;
    if (i >= 0) {
      const block = this.free[i];
      ptr = block.ptr;
      if (block.bytes === need) this.free.splice(i, 1);
      else {
        block.ptr += need;
        block.bytes -= need;
      }
    } else {
      ptr = this.top;
      this.top += need;
      this.memory.ensure(this.top);
    }
    this.sizes.set(ptr, need);
    return ptr;
  }

  release(ptr: number): void {
    const bytes = this.sizes.get(ptr);
    if (bytes === undefined) throw new Error(`heap: release of unknown block at ${ptr}`);
    this.sizes.delete(ptr);
    // First free block above ptr (binary search: a model frees hundreds of blocks at once).
    let lo = 0,
      hi = this.free.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.free[mid].ptr < ptr) lo = mid + 1;
      else hi = mid;
    }
    const prev = lo > 0 ? this.free[lo - 1] : null;
    const next = lo < this.free.length ? this.free[lo] : null;
    let block: FreeBlock;
    if (prev && prev.ptr + prev.bytes === ptr) {
      prev.bytes += bytes;
      block = prev;
      lo--;
    } else {
      block = { ptr, bytes };
      this.free.splice(lo, 0, block);
    }
    if (next && block.ptr + block.bytes === next.ptr) {
      block.bytes += next.bytes;
      this.free.splice(lo + 1, 1);
    }
    // Only the last free block can end at top.
    if (block.ptr + block.bytes === this.top) {
      this.top = block.ptr;
      this.free.splice(lo, 1);
    }
  }

  /** Bytes handed out and not released (for leak checks in tests). */
  get liveBytes(): number {
    let s = 0;
    for (const b of this.sizes.values()) s += b;
    return s;
  }
}

/** A chunk list with a bump pointer; `reset()` rewinds to the first chunk and keeps them all. */
export class Arena {
  private chunks: { ptr: number; bytes: number }[] = [];
  private chunk = 0;
  private offset = 0;

  constructor(
    readonly heap: Heap,
    readonly chunkBytes = 16 << 20,
  ) {}

  alloc(bytes: number): number {
    const need = alignUp(Math.max(bytes, ALIGN));
    for (;;) {
      const c = this.chunks[this.chunk];
      if (c === undefined) {
        const size = Math.max(this.chunkBytes, need);
        this.chunks.push({ ptr: this.heap.alloc(size), bytes: size });
        this.offset = 0;
        continue;
      }
      if (this.offset + need <= c.bytes) {
        const ptr = c.ptr + this.offset;
        this.offset += need;
        return ptr;
      }
      this.chunk++;
      this.offset = 0;
    }
  }

  /** Everything allocated since the last reset becomes reusable. */
  reset(): void {
    this.chunk = 0;
    this.offset = 0;
  }

  /** Marks let a long evaluation release its temporaries in blocks (see `Device.scoped`). */
  mark(): { chunk: number; offset: number } {
    return { chunk: this.chunk, offset: this.offset };
  }

  rewind(m: { chunk: number; offset: number }): void {
    this.chunk = m.chunk;
    this.offset = m.offset;
  }
}
