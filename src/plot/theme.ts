/**
 * Fonts, sizes and neutral colours for a figure. Passed down explicitly (never set on
 * Chart.defaults), so two figures with different themes can be drawn in one process.
 */
import { measureRich, type RichFont } from './richtext.js';

export interface Theme {
  fontFamily: string;
  /** Pixel sizes at fontScale 1; tick labels ≥ 13 px so figures read at 100 % zoom. */
  tickSize: number;
  labelSize: number;
  titleSize: number;
  suptitleSize: number;
  legendSize: number;
  textColor: string;
  gridColor: string;
  frameColor: string;
  background: string;
}

export const DEFAULT_THEME: Theme = {
  fontFamily: "'DejaVu Sans', 'Helvetica', 'Arial', sans-serif",
  tickSize: 13,
  labelSize: 15,
  titleSize: 15,
  suptitleSize: 19,
  legendSize: 13,
  textColor: '#1a1a1a',
  gridColor: 'rgba(0,0,0,0.08)',
  frameColor: '#333333',
  background: '#ffffff',
};

/** The theme with every font size multiplied by `s` (rounded to whole pixels). */
export function scaleTheme(t: Theme, s: number): Theme {
  const r = (v: number) => Math.max(8, Math.round(v * s));
  return {
    ...t,
    tickSize: r(t.tickSize),
    labelSize: r(t.labelSize),
    titleSize: r(t.titleSize),
    suptitleSize: r(t.suptitleSize),
    legendSize: r(t.legendSize),
  };
}

export const cssFont = (t: Theme, size: number, weight: 'normal' | 'bold' = 'normal'): string =>
  `${weight} ${size}px ${t.fontFamily}`;

/** Minimal text-measuring surface (a canvas 2-D context). */
export interface Measurer {
  font: string;
  measureText(s: string): { width: number };
}

export const richFont = (t: Theme, size: number): RichFont => ({ size, family: t.fontFamily });

/** Greedy word wrap to `maxWidth` pixels (rich-text aware); explicit "\n" always breaks. */
export function wrapText(m: Measurer, text: string, font: RichFont, maxWidth: number): string[] {
  const lines: string[] = [];
  for (const para of text.split('\n')) {
    const words = para.split(/(\s+)/).filter((w) => w.length > 0);
    let cur = '';
    for (const w of words) {
      const next = cur + w;
      if (cur.trim() !== '' && measureRich(m, next.trimEnd(), font) > maxWidth && w.trim() !== '') {
        lines.push(cur.trimEnd());
        cur = w;
      } else cur = next;
    }
    lines.push(cur.trim());
  }
  return lines;
}
