/** Colours, labels and the PNG writer the fit figures share (atomic writes, one look for every figure). */
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import type { Figure } from '../plot/index.js';
import { COLORS } from '../plot/colors.js';

export const MODEL_COLORS: Record<string, string> = { flow: '#d62728', truth: '#1f1f1f', base: '#1f77b4' };
export const MODEL_DASH: Record<string, number[] | undefined> = { flow: undefined, truth: [6, 4], base: [2, 3] };
/** Signal is class A and background class B: the classes' colours in every other figure. */
export const SIGNAL_COLOR = COLORS.classA;
export const BACKGROUND_COLOR = COLORS.classB;
/** The impact bars: ν̂ + σ̂ and ν̂ − σ̂ (not classes, so not the classes' colours). */
export const IMPACT_UP_COLOR = '#d62728';
export const IMPACT_DOWN_COLOR = '#7f7f7f';

/** Axis label of a fit parameter. */
export function paramLabel(name: string): string {
  if (name === 'mu') return 'μ';
  if (name.startsWith('nu_')) return `ν_{${name.slice(3)}}`;
  return name;
}

export function savePng(dir: string, file: string, fig: Figure): string {
  const path = join(dir, file);
  writeFileAtomic(path, fig.toPng());
  return path;
}
