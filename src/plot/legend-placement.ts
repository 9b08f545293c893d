/**
 * Where a box goes inside the chart area: the four corners, and the corner whose box would
 * cover the least already-drawn data (read back from the canvas pixels).
 */
import type { Ctx } from './canvas.js';
import type { Area } from './draw.js';
import type { Corner } from './panel.js';

/** Top-left pixel of a w × h box in corner c of the area, 6 px in from its edges. */
export function cornerBox(a: Area, c: Corner, w: number, h: number): [number, number] {
  const inset = 6;
  const x = c.endsWith('left') ? a.left + inset : a.right - inset - w;
  const y = c.startsWith('upper') ? a.top + inset : a.bottom - inset - h;
  return [Math.round(x), Math.round(y)];
}

/** The corner whose box covers the fewest non-background pixels (already drawn data), and that fraction. */
export function bestCorner(
  ctx: Ctx,
  a: Area,
  w: number,
  h: number,
  used: Set<Corner>,
): { corner: Corner; inkFraction: number } {
  const corners: Corner[] = ['upper right', 'upper left', 'lower right', 'lower left'];
  let best: Corner = 'upper right';
  let bestInk = Infinity;
  for (const c of corners) {
    if (used.has(c)) continue;
    const [x, y] = cornerBox(a, c, w, h);
    const img = ctx.getImageData(x, y, Math.max(1, Math.round(w)), Math.max(1, Math.round(h)));
    let ink = 0;
    for (let i = 0; i < img.data.length; i += 4) {
      const d = 765 - img.data[i] - img.data[i + 1] - img.data[i + 2];
      if (d > 120) ink++; // ignore light grid lines
    }
    if (ink < bestInk) {
      bestInk = ink;
      best = c;
    }
  }
  return { corner: best, inkFraction: bestInk / Math.max(1, w * h) };
}
