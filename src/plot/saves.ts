/**
 * How a figure reaches its file. `saveNow` draws, encodes and writes before returning; a
 * `DeferredSaves` draws at once but leaves the PNG compression to the canvas library's thread
 * pool (Figure.savePngAsync), so a long job keeps computing while earlier figures compress, and
 * `settle()` waits for every file. Both write the same bytes; the path is known at once either way.
 */
import type { Figure } from './figure.js';

/** Saves `fig` as the PNG at `path` (or starts to) and returns the path. */
export type SaveFigure = (fig: Figure, path: string) => string;

export const saveNow: SaveFigure = (fig, path) => fig.savePng(path);

export class DeferredSaves {
  private readonly pending: Promise<string>[] = [];

  /** A SaveFigure: draws now, encodes and writes later. */
  readonly save: SaveFigure = (fig, path) => {
    const p = fig.savePngAsync(path);
    // Keep an early failure from surfacing as an unhandled rejection before settle() is awaited.
    p.catch(() => {});
    this.pending.push(p);
    return path;
  };

  /** Waits for every file started so far; rejects with the first failure (after all have finished). */
  async settle(): Promise<string[]> {
    const results = await Promise.allSettled(this.pending.splice(0));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason as Error;
    return results.map((r) => (r as PromiseFulfilledResult<string>).value);
  }
}
