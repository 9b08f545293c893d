/** Placeholder, filled below. */
import type { ToyFile } from './toys.js';
export function toyFigures(_dir: string, _f: ToyFile): string[] {
  return [];
}
