/**
 * Canvas drawing of what Chart.js has no element for: filled / line contours, heat-map images,
 * arrow fields, error-bar whiskers, colour bars and legends. Every function takes a 2-D context
 * and a `Mapper` (data → pixel, from the Chart.js scales of the panel), so the layers land
 * exactly in the chart's coordinates.
 */
import { newCanvas, type Ctx } from './canvas.js';
import { contours } from 'd3-contour';
import { rgba, withAlpha, type ColorScale, interpolator, parseColor, type ColorMapName } from './colors.js';
import { checkGrid, type Grid2D, type Numbers } from './grid.js';
import { fillRich, measureRich } from './richtext.js';
import { cssFont, richFont, type Theme } from './theme.js';
import { formatTick, niceTicks } from './ticks.js';

export interface Area {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

export interface Mapper {
  px(x: number): number;
  py(y: number): number;
  area: Area;
}

export function clipToArea(ctx: Ctx, a: Area): void {
  ctx.beginPath();
  ctx.rect(a.left, a.top, a.right - a.left, a.bottom - a.top);
  ctx.clip();
}

// ---------------------------------------------------------------------------------------------
// Contours

type Ring = number[][];

/**
 * d3-contour places grid sample i at coordinate i + 0.5 and closes regions along the outer
 * border at 0 and n; we clamp to the outermost samples so filled regions end at the grid edge.
 */
function gridToPixel(g: Grid2D, m: Mapper): (p: number[]) => [number, number] {
  const dx = (g.x1 - g.x0) / (g.nx - 1);
  const dy = (g.y1 - g.y0) / (g.ny - 1);
  return (p) => {
    const u = Math.min(Math.max(p[0], 0.5), g.nx - 0.5) - 0.5;
    const v = Math.min(Math.max(p[1], 0.5), g.ny - 0.5) - 0.5;
    return [m.px(g.x0 + u * dx), m.py(g.y0 + v * dy)];
  };
}

function contourRings(g: Grid2D, level: number): Ring[][] {
  const gen = contours().size([g.nx, g.ny]).thresholds([level]);
  // d3 only indexes the values, so a typed array works as is (its types say number[]).
  const [mp] = gen(g.values as number[]);
  return mp ? (mp.coordinates as Ring[][]) : [];
}

export interface ContourFillStyle {
  /** One colour per level: region ≥ levels[k] (and < levels[k+1]) gets colors[k]. */
  colors: string[];
  alpha: number;
}

/**
 * Filled contours: each super-level set {f ≥ levels[k]} is painted opaque, in ascending order,
 * on an off-screen layer that is then composited once with `alpha` — so nested bands do not
 * stack their transparency and the top band (up to the maximum) is filled: no hole at the mode.
 */
export function drawContourFill(ctx: Ctx, m: Mapper, g: Grid2D, levels: number[], style: ContourFillStyle): void {
  checkGrid(g, 'contourFill');
  if (style.colors.length !== levels.length)
    throw new Error(`plot/draw contourFill: ${style.colors.length} colours for ${levels.length} levels`);
  const a = m.area;
  const w = Math.max(1, Math.ceil(a.right - a.left));
  const h = Math.max(1, Math.ceil(a.bottom - a.top));
  const layer = newCanvas(w, h);
  const lc = layer.getContext('2d');
  lc.translate(-a.left, -a.top);
  const toPx = gridToPixel(g, m);
  const order = levels.map((l, k) => [l, k] as const).sort((p, q) => p[0] - q[0]);
  for (const [level, k] of order) {
    lc.beginPath();
    for (const poly of contourRings(g, level)) {
      for (const ring of poly) {
        ring.forEach((p, i) => {
          const [x, y] = toPx(p);
          if (i === 0) lc.moveTo(x, y);
          else lc.lineTo(x, y);
        });
        lc.closePath();
      }
    }
    lc.fillStyle = withAlpha(style.colors[k], 1);
    lc.fill('evenodd');
  }
  ctx.save();
  ctx.globalAlpha = style.alpha;
  ctx.drawImage(layer, a.left, a.top);
  ctx.restore();
}

export interface LineStyle {
  color: string;
  width: number;
  dash: number[];
  alpha: number;
}

/**
 * Contour lines; the segments d3-contour adds along the grid border to close a region are
 * skipped, so a contour cut by the window ends at the edge instead of tracing the frame.
 */
export function drawContourLines(
  ctx: Ctx,
  m: Mapper,
  g: Grid2D,
  levels: number[],
  styleOf: (k: number) => LineStyle,
): void {
  checkGrid(g, 'contourLines');
  const toPx = gridToPixel(g, m);
  const onSameEdge = (p: number[], q: number[]) =>
    (p[0] === 0 && q[0] === 0) ||
    (p[0] === g.nx && q[0] === g.nx) ||
    (p[1] === 0 && q[1] === 0) ||
    (p[1] === g.ny && q[1] === g.ny);
  ctx.save();
  clipToArea(ctx, m.area);
  levels.forEach((level, k) => {
    const s = styleOf(k);
    ctx.beginPath();
    for (const poly of contourRings(g, level)) {
      for (const ring of poly) {
        let pen = false;
        for (let i = 0; i < ring.length; i++) {
          const [x, y] = toPx(ring[i]);
          if (i > 0 && pen && !onSameEdge(ring[i - 1], ring[i])) ctx.lineTo(x, y);
          else ctx.moveTo(x, y);
          pen = true;
        }
      }
    }
    ctx.strokeStyle = withAlpha(s.color, s.alpha);
    ctx.lineWidth = s.width;
    ctx.setLineDash(s.dash);
    ctx.lineJoin = 'round';
    ctx.stroke();
  });
  ctx.restore();
}

// ---------------------------------------------------------------------------------------------
// Heat map

/**
 * Heat map: one image pixel per grid point, scaled up without smoothing so cells stay crisp;
 * each cell is centred on its grid point (the image extends half a cell beyond x0..x1).
 */
export function drawHeatmap(ctx: Ctx, m: Mapper, g: Grid2D, scale: ColorScale, alpha = 1): void {
  checkGrid(g, 'heatmap');
  const img = newCanvas(g.nx, g.ny);
  const ic = img.getContext('2d');
  const data = ic.createImageData(g.nx, g.ny);
  for (let j = 0; j < g.ny; j++) {
    const row = g.ny - 1 - j; // image rows run top-down, grid rows bottom-up
    for (let i = 0; i < g.nx; i++) {
      const v = g.values[i + j * g.nx];
      const o = 4 * (row * g.nx + i);
      if (!Number.isFinite(v)) {
        data.data[o + 3] = 0;
        continue;
      }
      const c = scale.rgb(v);
      data.data[o] = c[0];
      data.data[o + 1] = c[1];
      data.data[o + 2] = c[2];
      data.data[o + 3] = 255;
    }
  }
  ic.putImageData(data, 0, 0);
  const dx = (g.x1 - g.x0) / (g.nx - 1);
  const dy = (g.y1 - g.y0) / (g.ny - 1);
  const xl = m.px(g.x0 - dx / 2);
  const xr = m.px(g.x1 + dx / 2);
  const yt = m.py(g.y1 + dy / 2);
  const yb = m.py(g.y0 - dy / 2);
  ctx.save();
  clipToArea(ctx, m.area);
  ctx.imageSmoothingEnabled = false;
  ctx.globalAlpha = alpha;
  ctx.drawImage(img, Math.min(xl, xr), Math.min(yt, yb), Math.abs(xr - xl), Math.abs(yb - yt));
  ctx.restore();
}

// ---------------------------------------------------------------------------------------------
// Arrow field

export interface QuiverGeometry {
  /** Data-unit vector → pixel length factor actually used (pixels per data unit along x). */
  pixelsPerUnitX: number;
  /** Multiplier applied to the vectors (1 = true length in data units). */
  factor: number;
  maxMagnitude: number;
}

/**
 * Arrows at grid points, Δ = (u, v) in data units. `scale` 'auto' makes the longest arrow 0.9
 * grid spacings long (never overlapping, always visible); a number draws Δ·scale in data units.
 * Returns the geometry so the caller can draw a reference-length key.
 */
export function drawQuiver(
  ctx: Ctx,
  m: Mapper,
  g: Omit<Grid2D, 'values'>,
  u: Numbers,
  v: Numbers,
  colorOf: (mag: number) => string,
  scale: 'auto' | number,
  widthPx = 1.6,
): QuiverGeometry {
  const n = g.nx * g.ny;
  if (u.length !== n || v.length !== n)
    throw new Error(`plot/draw quiver: u, v need nx·ny = ${n} values, got ${u.length}, ${v.length}`);
  const dx = (g.x1 - g.x0) / (g.nx - 1);
  const dy = (g.y1 - g.y0) / (g.ny - 1);
  const sx = m.px(g.x0 + 1) - m.px(g.x0);
  const sy = m.py(g.y0 + 1) - m.py(g.y0); // negative: y grows upwards
  let maxPix = 0;
  let maxMag = 0;
  for (let k = 0; k < n; k++) {
    const mag = Math.hypot(u[k], v[k]);
    if (!Number.isFinite(mag)) continue;
    maxMag = Math.max(maxMag, mag);
    maxPix = Math.max(maxPix, Math.hypot(u[k] * sx, v[k] * sy));
  }
  const cell = Math.min(Math.abs(dx * sx), Math.abs(dy * sy));
  const factor = scale === 'auto' ? (maxPix > 0 ? (0.9 * cell) / maxPix : 1) : scale;
  ctx.save();
  clipToArea(ctx, m.area);
  for (let j = 0; j < g.ny; j++) {
    for (let i = 0; i < g.nx; i++) {
      const k = i + j * g.nx;
      const mag = Math.hypot(u[k], v[k]);
      if (!Number.isFinite(mag)) continue;
      const x0 = m.px(g.x0 + i * dx);
      const y0 = m.py(g.y0 + j * dy);
      drawArrow(ctx, x0, y0, x0 + u[k] * factor * sx, y0 + v[k] * factor * sy, colorOf(mag), widthPx);
    }
  }
  ctx.restore();
  return { pixelsPerUnitX: Math.abs(sx), factor, maxMagnitude: maxMag };
}

/** One arrow from (x0, y0) to (x1, y1) in pixels; shorter than 2 px it becomes a dot. */
export function drawArrow(
  ctx: Ctx,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  color: string,
  widthPx: number,
): void {
  const len = Math.hypot(x1 - x0, y1 - y0);
  ctx.fillStyle = color;
  ctx.strokeStyle = color;
  if (len < 2) {
    ctx.beginPath();
    ctx.arc(x0, y0, widthPx * 0.7, 0, 2 * Math.PI);
    ctx.fill();
    return;
  }
  const head = Math.min(0.4 * len, 3 + 2.5 * widthPx);
  const ux = (x1 - x0) / len;
  const uy = (y1 - y0) / len;
  const bx = x1 - ux * head;
  const by = y1 - uy * head;
  const hw = head * 0.5;
  ctx.lineWidth = widthPx;
  ctx.setLineDash([]);
  ctx.beginPath();
  ctx.moveTo(x0, y0);
  ctx.lineTo(bx, by);
  ctx.stroke();
  ctx.beginPath();
  ctx.moveTo(x1, y1);
  ctx.lineTo(bx - uy * hw, by + ux * hw);
  ctx.lineTo(bx + uy * hw, by - ux * hw);
  ctx.closePath();
  ctx.fill();
}

// ---------------------------------------------------------------------------------------------
// Error bars

export interface ErrorBarStyle {
  color: string;
  width: number;
  cap: number;
}

/** Vertical (and optional horizontal) whiskers, clipped to the chart area. */
export function drawErrorBars(
  ctx: Ctx,
  m: Mapper,
  x: Numbers,
  y: Numbers,
  yLo: Numbers,
  yHi: Numbers,
  s: ErrorBarStyle,
  xErr?: Numbers,
): void {
  ctx.save();
  clipToArea(ctx, m.area);
  ctx.strokeStyle = s.color;
  ctx.lineWidth = s.width;
  ctx.setLineDash([]);
  ctx.beginPath();
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(y[i]) || !Number.isFinite(x[i])) continue;
    const px = m.px(x[i]);
    if (Number.isFinite(yLo[i]) && Number.isFinite(yHi[i]) && yHi[i] > yLo[i]) {
      const a = m.py(yLo[i]);
      const b = m.py(yHi[i]);
      ctx.moveTo(px, a);
      ctx.lineTo(px, b);
      if (s.cap > 0) {
        ctx.moveTo(px - s.cap / 2, a);
        ctx.lineTo(px + s.cap / 2, a);
        ctx.moveTo(px - s.cap / 2, b);
        ctx.lineTo(px + s.cap / 2, b);
      }
    }
    if (xErr && Number.isFinite(xErr[i]) && xErr[i] > 0) {
      const py = m.py(y[i]);
      ctx.moveTo(m.px(x[i] - xErr[i]), py);
      ctx.lineTo(m.px(x[i] + xErr[i]), py);
    }
  }
  ctx.stroke();
  ctx.restore();
}

/**
 * Points whose value lies outside the y-range: an open triangle on the frame pointing the way
 * the point left, so a clipped ratio is never silently missing (figures.md §C.12).
 */
export function drawClippedMarkers(
  ctx: Ctx,
  m: Mapper,
  x: Numbers,
  y: Numbers,
  yMin: number,
  yMax: number,
  color: string,
): number {
  let count = 0;
  ctx.save();
  ctx.fillStyle = color;
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(y[i]) || !Number.isFinite(x[i])) continue;
    const up = y[i] > yMax;
    const down = y[i] < yMin;
    if (!up && !down) continue;
    const px = m.px(x[i]);
    if (px < m.area.left - 0.5 || px > m.area.right + 0.5) continue;
    count++;
    const edge = up ? m.area.top + 1 : m.area.bottom - 1;
    const d = up ? 1 : -1;
    ctx.beginPath();
    ctx.moveTo(px, edge);
    ctx.lineTo(px - 4.5, edge + d * 8);
    ctx.lineTo(px + 4.5, edge + d * 8);
    ctx.closePath();
    ctx.fill();
  }
  ctx.restore();
  return count;
}

// ---------------------------------------------------------------------------------------------
// Colour bar

export interface ColorbarSpec {
  scale: ColorScale;
  label?: string;
  /** Discrete boundaries (filled contours); omitted = continuous. */
  levels?: number[];
}

/** Width the colour-bar column needs: gap, bar, tick labels, rotated label. */
export function colorbarWidth(ctx: Ctx, spec: ColorbarSpec, theme: Theme, keyText?: string): number {
  const ticks = niceTicks(spec.scale.domain[0], spec.scale.domain[1], 6);
  ctx.font = cssFont(theme, theme.tickSize);
  let tw = 0;
  for (const v of ticks.values) tw = Math.max(tw, ctx.measureText(formatTick(v, ticks.step)).width);
  if (keyText) tw = Math.max(tw, ctx.measureText(keyText).width - 22);
  return CB_GAP + CB_BAR + 6 + tw + (spec.label ? 10 + theme.labelSize * 1.2 : 4) + 4;
}

const CB_GAP = 14;
const CB_BAR = 16;

/**
 * Vertical colour bar in the column right of the chart area: one colour per pixel row (no
 * banding), nice ticks with self-contained labels (no separate offset text to collide with
 * titles), label rotated alongside.
 */
export function drawColorbar(
  ctx: Ctx,
  area: Area,
  spec: ColorbarSpec,
  theme: Theme,
  key?: { lengthPx: number; text: string; color: string },
): void {
  const x = area.right + CB_GAP;
  let top = area.top;
  const bottom = area.bottom;
  if (key) {
    // Reference arrow above the bar: the same quantity the bar colours (|Δ|), in data units.
    const ky = top + 6;
    drawArrow(ctx, x, ky, x + key.lengthPx, ky, key.color, 1.6);
    ctx.font = cssFont(theme, theme.tickSize);
    ctx.fillStyle = theme.textColor;
    ctx.textAlign = 'left';
    ctx.textBaseline = 'top';
    ctx.fillText(key.text, x, ky + 7);
    top += 6 + 7 + theme.tickSize * 1.3 + 8;
  }
  const [d0, d1] = spec.scale.domain;
  const h = bottom - top;
  if (h < 20) return;
  const valueAt = (py: number) => d0 + ((bottom - py) / h) * (d1 - d0);
  for (let py = Math.floor(top); py < Math.ceil(bottom); py++) {
    let v = valueAt(py + 0.5);
    if (spec.levels && spec.levels.length > 0) {
      // Discrete bar: the colour of the band the value falls in, white below the first level.
      let k = -1;
      for (let i = 0; i < spec.levels.length; i++) if (v >= spec.levels[i]) k = i;
      if (k < 0) {
        ctx.fillStyle = theme.background;
        ctx.fillRect(x, py, CB_BAR, 1);
        continue;
      }
      v = spec.levels[k];
    }
    ctx.fillStyle = spec.scale(v);
    ctx.fillRect(x, Math.max(py, top), CB_BAR, Math.min(py + 1, bottom) - Math.max(py, top));
  }
  ctx.strokeStyle = theme.frameColor;
  ctx.lineWidth = 1;
  ctx.setLineDash([]);
  ctx.strokeRect(x + 0.5, top + 0.5, CB_BAR - 1, h - 1);
  const ticks = niceTicks(d0, d1, Math.max(2, Math.min(8, Math.round(h / 45))));
  ctx.font = cssFont(theme, theme.tickSize);
  ctx.fillStyle = theme.textColor;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  let maxW = 0;
  for (const v of ticks.values) {
    const py = bottom - ((v - d0) / (d1 - d0)) * h;
    ctx.beginPath();
    ctx.moveTo(x + CB_BAR, py);
    ctx.lineTo(x + CB_BAR + 4, py);
    ctx.stroke();
    const s = formatTick(v, ticks.step);
    maxW = Math.max(maxW, ctx.measureText(s).width);
    ctx.fillText(s, x + CB_BAR + 6, py);
  }
  if (spec.label) {
    ctx.save();
    ctx.translate(x + CB_BAR + 6 + maxW + 8 + theme.labelSize * 0.6, (top + bottom) / 2);
    ctx.rotate(-Math.PI / 2);
    fillRich(ctx, spec.label, 0, 0, richFont(theme, theme.labelSize), 'center');
    ctx.restore();
  }
}

// ---------------------------------------------------------------------------------------------
// Legend

export type LegendEntry =
  | { kind: 'line'; label: string; color: string; width?: number; dash?: number[]; alpha?: number }
  | { kind: 'patch'; label: string; color: string; alpha?: number; edge?: string }
  /** A swatch showing three bands of a colour map (filled contours). */
  | { kind: 'cmap'; label: string; cmap: ColorMapName; range?: [number, number]; alpha?: number }
  | { kind: 'marker'; label: string; color: string; errorBar?: boolean; line?: boolean; size?: number }
  | { kind: 'scatter'; label: string; color: string; alpha?: number };

const SYMBOL_W = 30;
const SYMBOL_GAP = 7;
const ENTRY_GAP = 20;

export interface LegendLayout {
  rows: { entries: LegendEntry[]; width: number }[];
  rowHeight: number;
  width: number;
  height: number;
}

/** Splits entries into rows no wider than maxWidth (greedy, in order). */
export function layoutLegend(ctx: Ctx, entries: LegendEntry[], theme: Theme, maxWidth: number): LegendLayout {
  const font = richFont(theme, theme.legendSize);
  const rows: LegendLayout['rows'] = [];
  let cur: LegendEntry[] = [];
  let w = 0;
  for (const e of entries) {
    const ew = SYMBOL_W + SYMBOL_GAP + measureRich(ctx, e.label, font);
    const add = cur.length === 0 ? ew : ENTRY_GAP + ew;
    if (cur.length > 0 && w + add > maxWidth) {
      rows.push({ entries: cur, width: w });
      cur = [e];
      w = ew;
    } else {
      cur.push(e);
      w += add;
    }
  }
  if (cur.length) rows.push({ entries: cur, width: w });
  const rowHeight = Math.round(theme.legendSize * 1.55);
  return { rows, rowHeight, width: Math.max(0, ...rows.map((r) => r.width)), height: rows.length * rowHeight };
}

/** Draws a laid-out legend with its top-left corner at (x, y); rows are centred in `width`. */
export function drawLegend(ctx: Ctx, lay: LegendLayout, x: number, y: number, width: number, theme: Theme): void {
  ctx.save();
  const font = richFont(theme, theme.legendSize);
  lay.rows.forEach((row, r) => {
    let cx = x + (width - row.width) / 2;
    const cy = y + r * lay.rowHeight + lay.rowHeight / 2;
    for (const e of row.entries) {
      drawLegendSymbol(ctx, e, cx, cy);
      ctx.fillStyle = theme.textColor;
      fillRich(ctx, e.label, cx + SYMBOL_W + SYMBOL_GAP, cy, font);
      cx += SYMBOL_W + SYMBOL_GAP + measureRich(ctx, e.label, font) + ENTRY_GAP;
    }
  });
  ctx.restore();
}

function drawLegendSymbol(ctx: Ctx, e: LegendEntry, x: number, cy: number): void {
  ctx.save();
  ctx.setLineDash([]);
  const h = 11;
  switch (e.kind) {
    case 'line':
      ctx.strokeStyle = withAlpha(e.color, e.alpha ?? 1);
      ctx.lineWidth = Math.max(e.width ?? 2, 1.5);
      ctx.setLineDash(e.dash ?? []);
      ctx.beginPath();
      ctx.moveTo(x, cy);
      ctx.lineTo(x + SYMBOL_W, cy);
      ctx.stroke();
      break;
    case 'patch':
      ctx.fillStyle = withAlpha(e.color, e.alpha ?? 1);
      ctx.fillRect(x, cy - h / 2, SYMBOL_W, h);
      if (e.edge) {
        ctx.strokeStyle = e.edge;
        ctx.lineWidth = 1.5;
        ctx.strokeRect(x + 0.75, cy - h / 2 + 0.75, SYMBOL_W - 1.5, h - 1.5);
      }
      break;
    case 'cmap': {
      const f = interpolator(e.cmap);
      const [t0, t1] = e.range ?? [0.25, 0.95];
      for (let b = 0; b < 3; b++) {
        ctx.fillStyle = rgba(parseColor(f(t0 + ((t1 - t0) * b) / 2)).rgb, e.alpha ?? 1);
        ctx.fillRect(x + (b * SYMBOL_W) / 3, cy - h / 2, SYMBOL_W / 3 + 0.5, h);
      }
      break;
    }
    case 'marker': {
      const r = e.size ?? 3.5;
      ctx.strokeStyle = e.color;
      ctx.fillStyle = e.color;
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      if (e.line) {
        ctx.moveTo(x, cy);
        ctx.lineTo(x + SYMBOL_W, cy);
      }
      if (e.errorBar) {
        ctx.moveTo(x + SYMBOL_W / 2, cy - h / 2 - 1);
        ctx.lineTo(x + SYMBOL_W / 2, cy + h / 2 + 1);
      }
      ctx.stroke();
      ctx.beginPath();
      ctx.arc(x + SYMBOL_W / 2, cy, r, 0, 2 * Math.PI);
      ctx.fill();
      break;
    }
    case 'scatter':
      ctx.fillStyle = withAlpha(e.color, Math.max(e.alpha ?? 1, 0.6));
      for (const [dx, dy] of [
        [6, -2],
        [13, 3],
        [20, -3],
        [25, 2],
        [10, 1],
      ]) {
        ctx.beginPath();
        ctx.arc(x + dx, cy + dy, 1.8, 0, 2 * Math.PI);
        ctx.fill();
      }
      break;
  }
  ctx.restore();
}
