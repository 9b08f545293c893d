/**
 * Minimal rich text for labels: `_{...}` / `^{...}` draw a smaller, lowered / raised run
 * (braces required, so identifiers such as "generator_shift_up" print as they are), so
 * "ν_{shift}" or "σ^{2}" read like the paper notation where Unicode has no sub/superscript
 * letters (there is no subscript f, q, z). Hand-written because
 * canvas text has no markup and Chart.js draws plain strings only; this is ~60 lines.
 */
import type { Measurer } from './theme.js';

export interface Run {
  text: string;
  /** 0 base line, −1 subscript, +1 superscript. */
  shift: -1 | 0 | 1;
}

export function parseRich(s: string): Run[] {
  const runs: Run[] = [];
  let base = '';
  let i = 0;
  const flush = () => {
    if (base) runs.push({ text: base, shift: 0 });
    base = '';
  };
  while (i < s.length) {
    const c = s[i];
    if ((c === '_' || c === '^') && s[i + 1] === '{') {
      const end = s.indexOf('}', i + 2);
      if (end > 0) {
        flush();
        runs.push({ text: s.slice(i + 2, end), shift: c === '_' ? -1 : 1 });
        i = end + 1;
        continue;
      }
    }
    base += c;
    i++;
  }
  flush();
  return runs;
}

/** The text without markup (what a plain-string consumer should show / reserve space for). */
export const plainText = (s: string): string =>
  parseRich(s)
    .map((r) => r.text)
    .join('');

const SCRIPT = 0.72;

/** Font string for a run, given the base font pieces. */
function runFont(run: Run, size: number, family: string, weight: string): string {
  return `${weight} ${run.shift === 0 ? size : Math.round(size * SCRIPT)}px ${family}`;
}

export interface RichFont {
  size: number;
  family: string;
  weight?: 'normal' | 'bold';
}

export function measureRich(m: Measurer, s: string, f: RichFont): number {
  let w = 0;
  for (const r of parseRich(s)) {
    m.font = runFont(r, f.size, f.family, f.weight ?? 'normal');
    w += m.measureText(r.text).width;
  }
  return w;
}

interface Drawer extends Measurer {
  fillText(s: string, x: number, y: number): void;
  textAlign: string;
  textBaseline: string;
}

/**
 * Draws rich text with its vertical middle at y; align relative to x. Leaves textAlign /
 * textBaseline set to left / middle.
 */
export function fillRich(
  ctx: Drawer,
  s: string,
  x: number,
  y: number,
  f: RichFont,
  align: 'left' | 'center' | 'right' = 'left',
): void {
  const w = measureRich(ctx, s, f);
  let cx = align === 'left' ? x : align === 'center' ? x - w / 2 : x - w;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  for (const r of parseRich(s)) {
    ctx.font = runFont(r, f.size, f.family, f.weight ?? 'normal');
    const dy = r.shift === -1 ? f.size * 0.25 : r.shift === 1 ? -f.size * 0.35 : 0;
    ctx.fillText(r.text, cx, y + dy);
    cx += ctx.measureText(r.text).width;
  }
}
