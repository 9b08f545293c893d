/**
 * One density panel on a canvas, drawn the way the validation figures draw it: the truth as
 * filled highest-density contours (colour map bands, alpha 0.75), the model as dashed black
 * contours by the same mass rule, axes with round ticks, and optional arrows and a marker.
 * Contours come from d3-contour (marching squares) on the grid of densities.
 */
import { contours } from 'd3-contour';
import { colorScale, type ColorMapName } from '../../../src/plot/colors.js';
import { hpdLevels } from '../../../src/plot/levels.js';
import { axisTicks, formatTick } from '../../../src/plot/ticks.js';
import { CMAP_RANGE, FONT_FAMILY, MASSES, MODEL_LINE, TRUTH_ALPHA } from './style-constants.js';

export type Range = [number, number];

/** Densities (not logs) on an n × n grid over xRange × yRange, x fastest. */
export interface DensityField {
  n: number;
  values: Float64Array;
}

export interface PanelSpec {
  title: string;
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  xRange: Range;
  yRange: Range;
  fills: { field: DensityField; cmap: ColorMapName }[];
  lines: DensityField[];
  /** Arrows from (x, y) by (dx, dy), in data units, drawn in `color`. */
  arrows?: { at: Float32Array; d: Float32Array; color: string }[];
  marker?: [number, number];
  /** 'equal': one data unit is as long on both axes (the canvas height follows its width). */
  aspect?: 'equal';
}

/** Margins around the plotting area (CSS px): ticks and labels left and below, titles above. */
const MARGIN = { left: 52, right: 14, top: 50, bottom: 44 };

/** Pixel box of the plotting area inside a canvas of CSS size w × h. */
export function plotBox(w: number, h: number): { left: number; top: number; width: number; height: number } {
  const { left, top } = MARGIN;
  return { left, top, width: Math.max(10, w - left - MARGIN.right), height: Math.max(10, h - top - MARGIN.bottom) };
}

/** The CSS height that gives a canvas of width w equal axis scales over xr × yr. */
export function equalAspectHeight(w: number, xr: Range, yr: Range): number {
  const box = Math.max(10, w - MARGIN.left - MARGIN.right);
  return Math.round((box * (yr[1] - yr[0])) / (xr[1] - xr[0]) + MARGIN.top + MARGIN.bottom);
}

/** Levels (ascending) enclosing MASSES of the density, as validate/style.ts levelsOf. */
export function levelsOf(f: DensityField, xr: Range, yr: Range): number[] {
  const cell = ((xr[1] - xr[0]) / (f.n - 1)) * ((yr[1] - yr[0]) / (f.n - 1));
  return hpdLevels(f.values, cell, MASSES).sort((a, b) => a - b);
}

/** The density's mass on the grid (the same cell rule as levelsOf). */
export function massInView(f: DensityField, xr: Range, yr: Range): number {
  const cell = ((xr[1] - xr[0]) / (f.n - 1)) * ((yr[1] - yr[0]) / (f.n - 1));
  let sum = 0;
  for (const v of f.values) sum += v;
  return sum * cell;
}

/** exp of log-densities, guarding −∞ and NaN as zero density. */
export function densities(logp: ArrayLike<number>, from: number, count: number): Float64Array {
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const v = Math.exp(logp[from + i]);
    out[i] = Number.isFinite(v) ? v : 0;
  }
  return out;
}

export function drawPanel(canvas: HTMLCanvasElement, spec: PanelSpec): void {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth;
  if (spec.aspect === 'equal') {
    canvas.style.aspectRatio = 'auto';
    canvas.style.height = `${equalAspectHeight(w, spec.xRange, spec.yRange)}px`;
  }
  const h = canvas.clientHeight;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const g = canvas.getContext('2d')!;
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.fillStyle = '#ffffff';
  g.fillRect(0, 0, w, h);
  const box = plotBox(w, h);
  const { xRange: xr, yRange: yr } = spec;
  const px = (x: number) => box.left + ((x - xr[0]) / (xr[1] - xr[0])) * box.width;
  const py = (y: number) => box.top + box.height - ((y - yr[0]) / (yr[1] - yr[0])) * box.height;

  g.save();
  g.beginPath();
  g.rect(box.left, box.top, box.width, box.height);
  g.clip();
  for (const { field, cmap } of spec.fills) fillContours(g, field, cmap, xr, yr, px, py, dpr);
  for (const f of spec.lines) lineContours(g, f, xr, yr, px, py);
  for (const a of spec.arrows ?? []) drawArrows(g, a.at, a.d, a.color, px, py);
  g.restore();
  drawAxes(g, spec, box, px, py);
  // after the clip: a point on the window's edge keeps its whole cross
  if (spec.marker) drawMarker(g, px(spec.marker[0]), py(spec.marker[1]));
}

function drawMarker(g: CanvasRenderingContext2D, mx: number, my: number): void {
  g.strokeStyle = '#d62728';
  g.lineWidth = 2;
  g.beginPath();
  g.moveTo(mx - 7, my);
  g.lineTo(mx + 7, my);
  g.moveTo(mx, my - 7);
  g.lineTo(mx, my + 7);
  g.stroke();
}

/**
 * Draw `text` from x within `width`: at `size` px if it fits, else at the largest size down to
 * MIN_TEXT_PX that does, else at MIN_TEXT_PX squeezed to the width (a phone-wide panel's subtitle
 * keeps all its parts legible instead of running off the canvas).
 */
function fitText(g: CanvasRenderingContext2D, text: string, x: number, y: number, width: number, size: number): void {
  let px = size;
  g.font = `${px}px ${FONT_FAMILY}`;
  while (px > MIN_TEXT_PX && g.measureText(text).width > width) {
    px -= 0.5;
    g.font = `${px}px ${FONT_FAMILY}`;
  }
  g.fillText(text, x, y, width);
}

const MIN_TEXT_PX = 9;

type Px = (v: number) => number;

/** Grid index coordinates of d3-contour (cell centres at i + 0.5) → data → pixels. */
function ringPath(
  g: CanvasRenderingContext2D,
  ring: number[][],
  f: DensityField,
  xr: Range,
  yr: Range,
  px: Px,
  py: Px,
) {
  const sx = (xr[1] - xr[0]) / (f.n - 1);
  const sy = (yr[1] - yr[0]) / (f.n - 1);
  ring.forEach(([gx, gy], i) => {
    const X = px(xr[0] + (gx - 0.5) * sx);
    const Y = py(yr[0] + (gy - 0.5) * sy);
    if (i === 0) g.moveTo(X, Y);
    else g.lineTo(X, Y);
  });
  g.closePath();
}

/** One offscreen layer for the filled contours, reused while the canvas size stays. */
let layer: OffscreenCanvas | null = null;
function layerFor(w: number, h: number): OffscreenCanvas {
  if (!layer || layer.width !== w || layer.height !== h) layer = new OffscreenCanvas(w, h);
  return layer;
}

function fillContours(
  g: CanvasRenderingContext2D,
  f: DensityField,
  cmap: ColorMapName,
  xr: Range,
  yr: Range,
  px: Px,
  py: Px,
  dpr: number,
): void {
  const levels = levelsOf(f, xr, yr);
  const band = colorScale(cmap, [0, Math.max(1, levels.length - 1)], { range: CMAP_RANGE });
  // Nested regions drawn opaque on a layer, the layer then at the figures' alpha: bands, not sums.
  const layer = layerFor(g.canvas.width, g.canvas.height);
  const lg = layer.getContext('2d')!;
  lg.setTransform(1, 0, 0, 1, 0, 0);
  lg.clearRect(0, 0, layer.width, layer.height);
  lg.setTransform(dpr, 0, 0, dpr, 0, 0);
  const shapes = contours().size([f.n, f.n]).thresholds(levels)(f.values as unknown as number[]);
  shapes.forEach((s, k) => {
    lg.fillStyle = band(k);
    lg.beginPath();
    for (const poly of s.coordinates) for (const ring of poly) ringPath(lg as never, ring, f, xr, yr, px, py);
    lg.fill('evenodd');
  });
  g.save();
  g.setTransform(1, 0, 0, 1, 0, 0);
  g.globalAlpha = TRUTH_ALPHA;
  g.drawImage(layer, 0, 0);
  g.restore();
}

function lineContours(g: CanvasRenderingContext2D, f: DensityField, xr: Range, yr: Range, px: Px, py: Px): void {
  const levels = levelsOf(f, xr, yr);
  g.strokeStyle = MODEL_LINE.color;
  g.lineWidth = MODEL_LINE.width;
  g.setLineDash(MODEL_LINE.dash);
  for (const s of contours().size([f.n, f.n]).thresholds(levels)(f.values as unknown as number[])) {
    g.beginPath();
    for (const poly of s.coordinates) for (const ring of poly) ringPath(g, ring, f, xr, yr, px, py);
    g.stroke();
  }
  g.setLineDash([]);
}

function drawArrows(g: CanvasRenderingContext2D, at: Float32Array, d: Float32Array, color: string, px: Px, py: Px) {
  g.strokeStyle = color;
  g.fillStyle = color;
  g.lineWidth = 1.3;
  for (let i = 0; i < at.length; i += 2) {
    const x0 = px(at[i]);
    const y0 = py(at[i + 1]);
    const x1 = px(at[i] + d[i]);
    const y1 = py(at[i + 1] + d[i + 1]);
    const len = Math.hypot(x1 - x0, y1 - y0);
    if (!(len > 0.5)) continue;
    const ux = (x1 - x0) / len;
    const uy = (y1 - y0) / len;
    const head = Math.min(6, 0.45 * len);
    g.beginPath();
    g.moveTo(x0, y0);
    g.lineTo(x1, y1);
    g.stroke();
    g.beginPath();
    g.moveTo(x1, y1);
    g.lineTo(x1 - head * ux + 0.5 * head * uy, y1 - head * uy - 0.5 * head * ux);
    g.lineTo(x1 - head * ux - 0.5 * head * uy, y1 - head * uy + 0.5 * head * ux);
    g.closePath();
    g.fill();
  }
}

/** "x_{1}" → x₁ (the figures' rich-text subscripts, as Unicode for canvas text). */
export function subscripts(s: string): string {
  const sub: Record<string, string> = { '0': '₀', '1': '₁', '2': '₂', '3': '₃' };
  return s.replace(/_\{([^}]*)\}/g, (_, t: string) => [...t].map((ch) => sub[ch] ?? ch).join(''));
}

function drawAxes(g: CanvasRenderingContext2D, spec: PanelSpec, box: ReturnType<typeof plotBox>, px: Px, py: Px): void {
  g.strokeStyle = '#000';
  g.lineWidth = 1;
  g.strokeRect(box.left + 0.5, box.top + 0.5, box.width, box.height);
  g.fillStyle = '#000';
  g.font = `13px ${FONT_FAMILY}`;
  const xt = axisTicks(spec.xRange[0], spec.xRange[1], Math.max(3, Math.round(box.width / 70)));
  g.textAlign = 'center';
  g.textBaseline = 'top';
  for (const v of xt.values) {
    const X = px(v);
    g.beginPath();
    g.moveTo(X, box.top + box.height);
    g.lineTo(X, box.top + box.height + 4);
    g.stroke();
    g.fillText(formatTick(v, xt.step), X, box.top + box.height + 6);
  }
  const yt = axisTicks(spec.yRange[0], spec.yRange[1], Math.max(3, Math.round(box.height / 60)));
  g.textAlign = 'right';
  g.textBaseline = 'middle';
  for (const v of yt.values) {
    const Y = py(v);
    g.beginPath();
    g.moveTo(box.left - 4, Y);
    g.lineTo(box.left, Y);
    g.stroke();
    g.fillText(formatTick(v, yt.step), box.left - 6, Y);
  }
  g.font = `14px ${FONT_FAMILY}`;
  g.textAlign = 'center';
  g.textBaseline = 'bottom';
  g.fillText(subscripts(spec.xLabel), box.left + box.width / 2, box.top + box.height + 40);
  g.save();
  g.translate(14, box.top + box.height / 2);
  g.rotate(-Math.PI / 2);
  g.textBaseline = 'middle';
  g.fillText(subscripts(spec.yLabel), 0, 0);
  g.restore();
  g.textAlign = 'left';
  g.font = `bold 15px ${FONT_FAMILY}`;
  g.textBaseline = 'alphabetic';
  g.fillText(subscripts(spec.title), box.left, 20);
  if (spec.subtitle) {
    // from the canvas's left edge when it does not fit beside the y-axis labels
    const text = subscripts(spec.subtitle);
    g.font = `12px ${FONT_FAMILY}`;
    const x0 = g.measureText(text).width <= box.width + MARGIN.right - 2 ? box.left : 4;
    fitText(g, text, x0, 38, g.canvas.clientWidth - x0 - 2, 12);
  }
}
