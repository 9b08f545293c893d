/**
 * One panel of a figure: what to draw (items added through the methods below, in drawing
 * order) and how the axes look. Pure description; `renderPanel` (render.ts) turns it into
 * pixels with Chart.js.
 */
import { COLORS, colorScale, divergingScale, type ColorMapName, type ColorScale } from './colors.js';
import type { LegendEntry } from './draw.js';
import { checkGrid, finiteExtent, symmetricLimit, type Grid2D, type Numbers } from './grid.js';

export type Range = [number, number];
export type Corner = 'upper right' | 'upper left' | 'lower right' | 'lower left';

export interface PanelOptions {
  title?: string;
  /** A smaller grey line under the title (numbers such as a KL or a scale ratio; never covers data). */
  subtitle?: string;
  xLabel?: string;
  yLabel?: string;
  /** Fixed axis ranges; omitted = from the data (grids exactly, lines/points padded 5 % in y). */
  xRange?: Range;
  yRange?: Range;
  logY?: boolean;
  /**
   * Named rows instead of a numeric y axis: label i (rich text, e.g. "ν_{shift}") at y = i. Pulls,
   * impacts and other per-parameter plots read their rows by name, not by an index and a key.
   */
  yCategories?: string[];
  /** Named columns instead of a numeric x axis: label i (rich text) at x = i. */
  xCategories?: string[];
  /** 'equal': one data unit is as long in x as in y (the chart box shrinks, the ranges stay). */
  aspect?: 'auto' | 'equal';
  /** Light grid lines; default on for line/histogram panels, off for 2-D maps. */
  grid?: boolean;
  /** Hide x tick labels (the main panel above a ratio panel that shares x). */
  hideXTickLabels?: boolean;
  /**
   * 'top': a row above the chart area (never covers data, the default);
   * 'inside': a boxed legend in a corner of the chart area (`legendCorner`; 'best', the default,
   * takes the emptiest corner and falls back to 'top' when every corner would cover data); 'none'.
   */
  legend?: 'top' | 'inside' | 'none';
  legendCorner?: Corner | 'best';
  /** Minimum width of the y-axis column in px, so stacked panels' chart areas line up. */
  yAxisWidth?: number;
  /** Extra empty pixels at the bottom of the panel (space between stacks). */
  bottomGap?: number;
  /** Extra empty pixels above the title. */
  topGap?: number;
}

export interface LineItem {
  kind: 'line';
  x: Numbers;
  y: Numbers;
  label?: string;
  color: string;
  width: number;
  dash: number[];
  alpha: number;
  /** Circle markers of this radius (0 = none). */
  marker: number;
  /** Step drawing: each y holds until the next x. */
  stepped: boolean;
}

export interface HistItem {
  kind: 'hist';
  edges: Numbers;
  values: Numbers;
  label?: string;
  color: string;
  /** Filled ('stepfilled') or outline only ('step'). */
  filled: boolean;
  fillAlpha: number;
  width: number;
  dash: number[];
}

export interface BandItem {
  kind: 'band';
  x: Numbers;
  lo: Numbers;
  hi: Numbers;
  label?: string;
  color: string;
  alpha: number;
  stepped: boolean;
}

export interface ErrorBarItem {
  kind: 'errorbar';
  x: Numbers;
  y: Numbers;
  yLo: Float64Array;
  yHi: Float64Array;
  xErr?: Numbers;
  label?: string;
  color: string;
  marker: number;
  /** Connect the points with a line. */
  line: boolean;
  lineDash: number[];
  /** Mark points outside the y-range with triangles on the frame. */
  markClipped: boolean;
}

export interface ScatterItem {
  kind: 'scatter';
  x: Numbers;
  y: Numbers;
  label?: string;
  color: string;
  alpha: number;
  radius: number;
}

export interface RefLineItem {
  kind: 'hline' | 'vline';
  value: number;
  color: string;
  width: number;
  dash: number[];
  label?: string;
}

export interface SpanItem {
  kind: 'hspan' | 'vspan';
  lo: number;
  hi: number;
  color: string;
  alpha: number;
  label?: string;
}

export interface ContourFillItem {
  kind: 'contourFill';
  grid: Grid2D;
  levels: number[];
  colors: string[];
  cmap: ColorMapName;
  cmapRange: Range;
  alpha: number;
  label?: string;
}

export interface ContourLineItem {
  kind: 'contourLines';
  grid: Grid2D;
  levels: number[];
  colors: string[];
  width: number;
  dash: number[];
  alpha: number;
  label?: string;
}

export interface HeatmapItem {
  kind: 'heatmap';
  grid: Grid2D;
  scale: ColorScale;
  alpha: number;
}

export interface QuiverItem {
  kind: 'quiver';
  grid: Omit<Grid2D, 'values'>;
  u: Numbers;
  v: Numbers;
  /** Colour by |Δ| (null: the fixed `color`). */
  scale: ColorScale | null;
  color: string;
  arrowScale: 'auto' | number;
  width: number;
  /** Text of the reference-length key, given its length in data units. */
  keyLabel: (len: number) => string;
  label?: string;
}

export interface NoteItem {
  kind: 'note';
  text: string;
  corner: Corner;
}

export type PanelItem =
  | LineItem
  | HistItem
  | BandItem
  | ErrorBarItem
  | ScatterItem
  | RefLineItem
  | SpanItem
  | ContourFillItem
  | ContourLineItem
  | HeatmapItem
  | QuiverItem
  | NoteItem;

export interface ColorbarRequest {
  scale: ColorScale;
  label?: string;
  levels?: number[];
}

/** Common style options. */
export interface StyleOptions {
  label?: string;
  color?: string;
  width?: number;
  dash?: number[];
  alpha?: number;
}

function toLevels(levels: number[], what: string): number[] {
  const l = levels.filter((v) => Number.isFinite(v));
  if (l.length === 0) throw new Error(`plot/panel ${what}: no finite level`);
  return [...l].sort((a, b) => a - b);
}

function sameLength(what: string, ...arrs: [string, Numbers][]): void {
  const n = arrs[0][1].length;
  for (const [name, a] of arrs) {
    if (a.length !== n)
      throw new Error(`plot/panel ${what}: ${name} has length ${a.length}, expected ${n} (= ${arrs[0][0]}.length)`);
  }
}

export class Panel {
  readonly items: PanelItem[] = [];
  readonly extraLegend: LegendEntry[] = [];
  colorbar: ColorbarRequest | null = null;

  constructor(readonly options: PanelOptions = {}) {}

  /** A line (optionally stepped, with circle markers). */
  line(x: Numbers, y: Numbers, o: StyleOptions & { marker?: number; stepped?: boolean } = {}): this {
    sameLength('line', ['x', x], ['y', y]);
    this.items.push({
      kind: 'line',
      x,
      y,
      label: o.label,
      color: o.color ?? COLORS.model,
      width: o.width ?? 2,
      dash: o.dash ?? [],
      alpha: o.alpha ?? 1,
      marker: o.marker ?? 0,
      stepped: o.stepped ?? false,
    });
    return this;
  }

  /** A histogram from its edges (n+1) and bin values (n): filled ('stepfilled') or outline. */
  hist(edges: Numbers, values: Numbers, o: StyleOptions & { filled?: boolean; fillAlpha?: number } = {}): this {
    if (edges.length !== values.length + 1)
      throw new Error(`plot/panel hist: edges length ${edges.length} must be values length ${values.length} + 1`);
    this.items.push({
      kind: 'hist',
      edges,
      values,
      label: o.label,
      color: o.color ?? COLORS.model,
      filled: o.filled ?? false,
      fillAlpha: o.fillAlpha ?? 0.35,
      width: o.width ?? 2,
      dash: o.dash ?? [],
    });
    return this;
  }

  /** Shaded band between lo(x) and hi(x) (e.g. mean ± σ). */
  band(x: Numbers, lo: Numbers, hi: Numbers, o: StyleOptions & { stepped?: boolean } = {}): this {
    sameLength('band', ['x', x], ['lo', lo], ['hi', hi]);
    this.items.push({
      kind: 'band',
      x,
      lo,
      hi,
      label: o.label,
      color: o.color ?? COLORS.model,
      alpha: o.alpha ?? 0.2,
      stepped: o.stepped ?? false,
    });
    return this;
  }

  /**
   * Markers with error bars; `yErr` symmetric, or [lower, upper] distances. `line` connects
   * the markers (mean ± σ vs ν scans).
   */
  errorbar(
    x: Numbers,
    y: Numbers,
    yErr: Numbers | [Numbers, Numbers] | null,
    o: StyleOptions & { marker?: number; line?: boolean; markClipped?: boolean; xErr?: Numbers } = {},
  ): this {
    sameLength('errorbar', ['x', x], ['y', y]);
    const n = x.length;
    const yLo = new Float64Array(n);
    const yHi = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let lo = 0;
      let hi = 0;
      if (yErr && Array.isArray(yErr) && yErr.length === 2 && typeof yErr[0] === 'object') {
        const [a, b] = yErr as [Numbers, Numbers];
        lo = a[i];
        hi = b[i];
      } else if (yErr) {
        lo = hi = (yErr as Numbers)[i];
      }
      yLo[i] = y[i] - lo;
      yHi[i] = y[i] + hi;
    }
    this.items.push({
      kind: 'errorbar',
      x,
      y,
      yLo,
      yHi,
      xErr: o.xErr,
      label: o.label,
      color: o.color ?? COLORS.model,
      marker: o.marker ?? 3,
      line: o.line ?? false,
      lineDash: o.dash ?? [],
      markClipped: o.markClipped ?? true,
    });
    return this;
  }

  /** A point cloud (small, translucent markers). */
  scatter(x: Numbers, y: Numbers, o: StyleOptions & { radius?: number } = {}): this {
    sameLength('scatter', ['x', x], ['y', y]);
    this.items.push({
      kind: 'scatter',
      x,
      y,
      label: o.label,
      color: o.color ?? COLORS.model,
      alpha: o.alpha ?? 0.25,
      radius: o.radius ?? 1.3,
    });
    return this;
  }

  hline(y: number, o: StyleOptions = {}): this {
    this.items.push({
      kind: 'hline',
      value: y,
      color: o.color ?? '#555555',
      width: o.width ?? 1.2,
      dash: o.dash ?? [5, 4],
      label: o.label,
    });
    return this;
  }

  vline(x: number, o: StyleOptions = {}): this {
    this.items.push({
      kind: 'vline',
      value: x,
      color: o.color ?? '#555555',
      width: o.width ?? 1.2,
      dash: o.dash ?? [5, 4],
      label: o.label,
    });
    return this;
  }

  /** Horizontal band lo ≤ y ≤ hi across the panel (e.g. the ±10 % band of a ratio panel). */
  hspan(lo: number, hi: number, o: StyleOptions = {}): this {
    this.items.push({ kind: 'hspan', lo, hi, color: o.color ?? '#808080', alpha: o.alpha ?? 0.12, label: o.label });
    return this;
  }

  vspan(lo: number, hi: number, o: StyleOptions = {}): this {
    this.items.push({ kind: 'vspan', lo, hi, color: o.color ?? '#808080', alpha: o.alpha ?? 0.12, label: o.label });
    return this;
  }

  /**
   * Filled contours: band k = {levels[k] ≤ f < levels[k+1]}, the last band up to the maximum.
   * Colours sampled from `cmap` over `cmapRange` (default 0.25–0.95, skipping near-white),
   * or given explicitly. `colorbar` adds a discrete colour bar.
   */
  contourFill(
    grid: Grid2D,
    levels: number[],
    o: {
      cmap?: ColorMapName;
      cmapRange?: Range;
      colors?: string[];
      alpha?: number;
      label?: string;
      colorbar?: string | true;
    } = {},
  ): this {
    checkGrid(grid, 'contourFill');
    const lv = toLevels(levels, 'contourFill');
    const cmap = o.cmap ?? 'Blues';
    const cmapRange = o.cmapRange ?? [0.25, 0.95];
    const band = colorScale(cmap, [0, Math.max(1, lv.length - 1)], { range: cmapRange });
    const colors = o.colors ?? lv.map((_, k) => band(k));
    if (colors.length !== lv.length)
      throw new Error(`plot/panel contourFill: ${colors.length} colours for ${lv.length} levels`);
    this.items.push({
      kind: 'contourFill',
      grid,
      levels: lv,
      colors,
      cmap,
      cmapRange,
      alpha: o.alpha ?? 0.6,
      label: o.label,
    });
    if (o.colorbar !== undefined) {
      const s = colorScale(cmap, [lv[0], lv[lv.length - 1]], { range: cmapRange });
      this.colorbar = { scale: s, label: o.colorbar === true ? undefined : o.colorbar, levels: lv };
    }
    return this;
  }

  /** Contour lines at the given levels, one colour (or one per level). */
  contourLines(grid: Grid2D, levels: number[], o: StyleOptions & { colors?: string[] } = {}): this {
    checkGrid(grid, 'contourLines');
    const lv = toLevels(levels, 'contourLines');
    const colors = o.colors ?? lv.map(() => o.color ?? COLORS.model);
    if (colors.length !== lv.length)
      throw new Error(`plot/panel contourLines: ${colors.length} colours for ${lv.length} levels`);
    this.items.push({
      kind: 'contourLines',
      grid,
      levels: lv,
      colors,
      width: o.width ?? 1.5,
      dash: o.dash ?? [],
      alpha: o.alpha ?? 1,
      label: o.label,
    });
    return this;
  }

  /**
   * Heat map of a grid with a colour bar. `diverging`: symmetric limits ±max|v| (or ±`limit`)
   * centred at 0, map RdBu_r by default; otherwise `range` (default min..max), map viridis.
   */
  heatmap(
    grid: Grid2D,
    o: {
      cmap?: ColorMapName;
      range?: Range;
      diverging?: boolean;
      limit?: number;
      colorbar?: string | false;
      alpha?: number;
    } = {},
  ): this {
    checkGrid(grid, 'heatmap');
    let scale: ColorScale;
    if (o.diverging) {
      scale = divergingScale(o.limit ?? symmetricLimit(grid.values), o.cmap ?? 'RdBu_r');
    } else {
      const r = o.range ?? finiteExtent(grid.values, 'heatmap grid');
      scale = colorScale(o.cmap ?? 'viridis', r[1] > r[0] ? r : [r[0] - 0.5, r[0] + 0.5]);
    }
    this.items.push({ kind: 'heatmap', grid, scale, alpha: o.alpha ?? 1 });
    if (o.colorbar !== false) this.colorbar = { scale, label: o.colorbar };
    return this;
  }

  /**
   * Arrow field at the grid points, Δ = (u, v) in data units, coloured by |Δ| over
   * `colorRange` (default 0 … max|Δ|: the colour says the size, not a tiny spread). `scale`
   * 'auto' (default) fits the longest arrow into 0.9 grid spacings; a reference arrow with
   * its length in data units sits above the colour bar.
   */
  quiver(
    grid: Omit<Grid2D, 'values'>,
    u: Numbers,
    v: Numbers,
    o: {
      cmap?: ColorMapName;
      colorRange?: Range;
      color?: string;
      scale?: 'auto' | number;
      width?: number;
      colorbar?: string | false;
      keyLabel?: (len: number) => string;
      label?: string;
    } = {},
  ): this {
    const n = grid.nx * grid.ny;
    if (u.length !== n || v.length !== n)
      throw new Error(`plot/panel quiver: u, v need nx·ny = ${n} values, got ${u.length}, ${v.length}`);
    let scale: ColorScale | null = null;
    if (!o.color) {
      let maxMag = 0;
      for (let k = 0; k < n; k++) {
        const m = Math.hypot(u[k], v[k]);
        if (Number.isFinite(m)) maxMag = Math.max(maxMag, m);
      }
      scale = colorScale(o.cmap ?? 'viridis', o.colorRange ?? [0, maxMag > 0 ? maxMag : 1]);
    }
    this.items.push({
      kind: 'quiver',
      grid,
      u,
      v,
      scale,
      color: o.color ?? COLORS.model,
      arrowScale: o.scale ?? 'auto',
      width: o.width ?? 1.6,
      keyLabel: o.keyLabel ?? ((len) => `= ${len}`),
      label: o.label,
    });
    if (scale && o.colorbar !== false) this.colorbar = { scale, label: o.colorbar };
    return this;
  }

  /** A short text in a corner of the chart area (boxed), e.g. a KL value or a scale ratio. */
  note(text: string, corner: Corner = 'upper left'): this {
    this.items.push({ kind: 'note', text, corner });
    return this;
  }

  /** A legend entry not tied to an item (e.g. a level rule "contours: 50/80/95 % mass"). */
  legendEntry(e: LegendEntry): this {
    this.extraLegend.push(e);
    return this;
  }

  /** Legend entries of the labelled items, in order, then the extra ones. */
  legendEntries(): LegendEntry[] {
    const out: LegendEntry[] = [];
    for (const it of this.items) {
      if (!('label' in it) || !it.label) continue;
      switch (it.kind) {
        case 'line':
          out.push(
            it.marker > 0
              ? { kind: 'marker', label: it.label, color: it.color, line: true, size: it.marker }
              : { kind: 'line', label: it.label, color: it.color, width: it.width, dash: it.dash, alpha: it.alpha },
          );
          break;
        case 'hist':
          out.push(
            it.filled
              ? { kind: 'patch', label: it.label, color: it.color, alpha: it.fillAlpha }
              : { kind: 'line', label: it.label, color: it.color, width: it.width, dash: it.dash },
          );
          break;
        case 'band':
        case 'hspan':
        case 'vspan':
          out.push({ kind: 'patch', label: it.label, color: it.color, alpha: Math.max(it.alpha, 0.2) });
          break;
        case 'errorbar':
          out.push({
            kind: 'marker',
            label: it.label,
            color: it.color,
            errorBar: true,
            line: it.line,
            size: it.marker,
          });
          break;
        case 'scatter':
          out.push({ kind: 'scatter', label: it.label, color: it.color, alpha: it.alpha });
          break;
        case 'hline':
        case 'vline':
          out.push({ kind: 'line', label: it.label, color: it.color, width: it.width, dash: it.dash });
          break;
        case 'contourFill':
          out.push({ kind: 'cmap', label: it.label, cmap: it.cmap, range: it.cmapRange, alpha: it.alpha });
          break;
        case 'contourLines':
          out.push({
            kind: 'line',
            label: it.label,
            color: it.colors[Math.floor(it.colors.length / 2)],
            width: it.width,
            dash: it.dash,
            alpha: it.alpha,
          });
          break;
        case 'quiver':
          out.push({
            kind: 'line',
            label: it.label,
            color: it.scale ? it.scale(it.scale.domain[1] * 0.6) : it.color,
            width: 2,
          });
          break;
      }
    }
    return [...out, ...this.extraLegend];
  }
}
