/**
 * The decorations of a panel, drawn after everything else: rich-text axis titles, the frame,
 * title, subtitle and top legend stacked above the chart area, the colour bar (with the arrow
 * key of a quiver), notes and the inside legend in the corner that hides the least data.
 */
import type { Ctx } from './canvas.js';
import { AXIS_TITLE_PAD, TICK_LEN, categoryTicks } from './chart-axes.js';
import { drawColorbar, drawLegend, layoutLegend, type Area, type LegendLayout } from './draw.js';
import { bestCorner, cornerBox } from './legend-placement.js';
import type { QuiverKeys, YMapper } from './overlays.js';
import type { Corner, Panel } from './panel.js';
import { fillRich, measureRich } from './richtext.js';
import { richFont, type Theme } from './theme.js';

/** What the layout above and right of the chart area reserved, and what decorating found. */
export interface Reserve {
  titleLines: string[];
  subtitleLines: string[];
  /** Set by the 'best' inside legend when every corner would cover data: re-render with 'top'. */
  legendCollides: boolean;
  legend: LegendLayout | null;
  top: number;
  right: number;
}

type Box = { left: number; right: number; top: number; bottom: number };

/** Draws the decorations of panel p (see the file header) into the finished chart. */
export function decorate(
  ctx: Ctx,
  m: YMapper,
  axes: { x: Box; y: Box },
  p: Panel,
  r: Reserve,
  theme: Theme,
  width: number,
  insideEntries: ReturnType<Panel['legendEntries']> | null,
  keys: QuiverKeys,
): void {
  const a = m.area;
  ctx.save();
  // Axis titles where Chart.js reserved (and transparently drew) them, as rich text.
  ctx.fillStyle = theme.textColor;
  const lf = richFont(theme, theme.labelSize);
  if (p.options.xLabel && !p.options.hideXTickLabels) {
    const xs = axes.x;
    fillRich(
      ctx,
      p.options.xLabel,
      (xs.left + xs.right) / 2,
      xs.bottom - AXIS_TITLE_PAD - (theme.labelSize * 1.2) / 2,
      lf,
      'center',
    );
  }
  if (p.options.yLabel) {
    const ys = axes.y;
    ctx.save();
    ctx.translate(ys.left + AXIS_TITLE_PAD + (theme.labelSize * 1.2) / 2, (ys.top + ys.bottom) / 2);
    ctx.rotate(-Math.PI / 2);
    fillRich(ctx, p.options.yLabel, 0, 0, lf, 'center');
    ctx.restore();
  }
  // Category names of categorical axes: centred under the x ticks, right-aligned beside the y ticks.
  const xCats = p.options.xCategories;
  if (xCats && !p.options.hideXTickLabels) {
    const tf = richFont(theme, theme.tickSize);
    for (const i of categoryTicks(xCats, [m.xMin, m.xMax])) {
      fillRich(ctx, xCats[i], m.px(i), axes.x.top + TICK_LEN + 3 + theme.tickSize * 0.6, tf, 'center');
    }
  }
  const cats = p.options.yCategories;
  if (cats) {
    const tf = richFont(theme, theme.tickSize);
    for (const i of categoryTicks(cats, [m.yMin, m.yMax])) {
      fillRich(ctx, cats[i], axes.y.right - TICK_LEN - 3, m.py(i), tf, 'right');
    }
  }
  // Frame.
  ctx.strokeStyle = theme.frameColor;
  ctx.lineWidth = 1;
  ctx.setLineDash([]);
  ctx.strokeRect(
    Math.round(a.left) + 0.5,
    Math.round(a.top) + 0.5,
    Math.round(a.right - a.left) - 1,
    Math.round(a.bottom - a.top) - 1,
  );

  // Title and top legend, stacked upwards from the chart area.
  let y = a.top - Math.round(theme.tickSize * 0.6);
  if (r.legend) {
    y -= r.legend.height + 2;
    const cx = (a.left + a.right) / 2;
    const w = Math.max(r.legend.width, a.right - a.left);
    drawLegend(ctx, r.legend, cx - w / 2, y, w, theme);
    y -= 2;
  }
  if (r.subtitleLines.length) {
    const lh = Math.round(theme.tickSize * 1.3);
    y -= r.subtitleLines.length * lh;
    const font = richFont(theme, theme.tickSize);
    ctx.fillStyle = '#555555';
    r.subtitleLines.forEach((line, i) => {
      const half = measureRich(ctx, line, font) / 2;
      const cx = Math.min(Math.max((a.left + a.right) / 2, half + 4), width - half - 4);
      fillRich(ctx, line, cx, y + i * lh + lh / 2, font, 'center');
    });
  }
  if (r.titleLines.length) {
    const lh = Math.round(theme.titleSize * 1.3);
    y -= r.titleLines.length * lh + 2;
    const font = richFont(theme, theme.titleSize);
    ctx.fillStyle = theme.textColor;
    r.titleLines.forEach((line, i) => {
      // Centred on the chart area, but kept inside the panel when the line is long.
      const half = measureRich(ctx, line, font) / 2;
      const cx = Math.min(Math.max((a.left + a.right) / 2, half + 4), width - half - 4);
      fillRich(ctx, line, cx, y + i * lh + lh / 2, font, 'center');
    });
  }

  // Colour bar (with the arrow key when the panel has a quiver).
  const q = p.items.find((it) => it.kind === 'quiver');
  let key: { lengthPx: number; text: string; color: string } | undefined;
  if (q && q.kind === 'quiver') {
    const geo = keys.get(q);
    if (geo && geo.maxMagnitude > 0) {
      const maxPx = 46;
      const perUnit = geo.factor * geo.pixelsPerUnitX;
      const len = keyLength(Math.min(geo.maxMagnitude, maxPx / perUnit));
      key = { lengthPx: len * perUnit, text: q.keyLabel(len), color: theme.textColor };
    }
  }
  if (p.colorbar) drawColorbar(ctx, a, p.colorbar, theme, key);
  else if (key) drawColorbar(ctx, { ...a, bottom: a.top + 40 }, { scale: { domain: [0, 1] } as never }, theme, key);

  // Notes and the inside legend.
  const used = new Set<Corner>();
  for (const it of p.items)
    if (it.kind === 'note') {
      drawNote(ctx, a, it.text, it.corner, theme);
      used.add(it.corner);
    }
  if (insideEntries && insideEntries.length) {
    const lay = layoutLegend(ctx, insideEntries, theme, 0); // one entry per row
    const bw = lay.width + 14;
    const bh = lay.height + 8;
    let corner: Corner;
    if (p.options.legendCorner && p.options.legendCorner !== 'best') corner = p.options.legendCorner;
    else {
      const best = bestCorner(ctx, a, bw, bh, used);
      if (best.inkFraction > 0.004) {
        r.legendCollides = true;
        ctx.restore();
        return;
      }
      corner = best.corner;
    }
    const [bx, by] = cornerBox(a, corner, bw, bh);
    ctx.fillStyle = 'rgba(255,255,255,0.85)';
    ctx.fillRect(bx, by, bw, bh);
    ctx.strokeStyle = 'rgba(0,0,0,0.25)';
    ctx.strokeRect(bx + 0.5, by + 0.5, bw - 1, bh - 1);
    drawLegend(ctx, lay, bx + 7, by + 4, lay.width, theme);
  }
  ctx.restore();
}

/** Largest 1-2-5 number ≤ v (the reference arrow's length in data units). */
function keyLength(v: number): number {
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  const f = v / p;
  const m = f >= 5 ? 5 : f >= 2 ? 2 : 1;
  return Number((m * p).toPrecision(3));
}

function drawNote(ctx: Ctx, a: Area, text: string, corner: Corner, theme: Theme): void {
  const lines = text.split('\n');
  const font = richFont(theme, theme.tickSize);
  const lh = Math.round(theme.tickSize * 1.35);
  const w = Math.max(...lines.map((l) => measureRich(ctx, l, font))) + 10;
  const h = lines.length * lh + 6;
  const [x, y] = cornerBox(a, corner, w, h);
  ctx.fillStyle = 'rgba(255,255,255,0.85)';
  ctx.fillRect(x, y, w, h);
  ctx.strokeStyle = 'rgba(0,0,0,0.25)';
  ctx.strokeRect(x + 0.5, y + 0.5, w - 1, h - 1);
  ctx.fillStyle = theme.textColor;
  lines.forEach((l, i) => fillRich(ctx, l, x + 5, y + 3 + i * lh + lh / 2, font));
}
