/**
 * Panel → pixels. Chart.js draws the axes, ticks, grid lines and the line-like datasets
 * (lines, steps, histograms, bands, markers, scatter); one inline plugin draws everything
 * Chart.js has no element for (contours, heat maps, arrows, whiskers, colour bar, legend,
 * titles, notes) in the chart's own coordinates.
 *
 * Each panel gets its own canvas: Chart.js owns and clears the whole canvas it draws on and
 * sizes its layout from it, so sharing one big canvas between charts would have them erase
 * each other. The figure composites the finished panel canvases.
 */
import { createCanvas, type Canvas } from '@napi-rs/canvas';
import { Chart } from './chartjs.js';
import { withAlpha } from './colors.js';
import {
  clipToArea,
  colorbarWidth,
  drawClippedMarkers,
  drawColorbar,
  drawContourFill,
  drawContourLines,
  drawErrorBars,
  drawHeatmap,
  drawLegend,
  drawQuiver,
  layoutLegend,
  type Area,
  type Ctx,
  type LegendLayout,
  type Mapper,
  type QuiverGeometry,
} from './draw.js';
import { gridStep } from './grid.js';
import type { Corner, Panel, PanelItem, Range } from './panel.js';
import { fillRich, measureRich, plainText } from './richtext.js';
import { cssFont, richFont, wrapText, type Theme } from './theme.js';
import { axisTicks, formatLogTick, formatTick, logTicks, niceStep } from './ticks.js';

const MAP_KINDS = new Set<PanelItem['kind']>(['contourFill', 'contourLines', 'heatmap', 'quiver']);
const UNDERLAY_KINDS = new Set<PanelItem['kind']>([
  'hspan',
  'vspan',
  'heatmap',
  'contourFill',
  'hline',
  'vline',
  'errorbar',
]);

export const isMapPanel = (p: Panel): boolean => p.items.some((it) => MAP_KINDS.has(it.kind));

function extend(r: Range | null, lo: number, hi: number): Range | null {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return r;
  return r ? [Math.min(r[0], lo), Math.max(r[1], hi)] : [lo, hi];
}

function extent(a: ArrayLike<number>, positiveOnly = false): Range | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (!Number.isFinite(v) || (positiveOnly && v <= 0)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : null;
}

/** The axis ranges a panel will use: the fixed ones, else derived from the items. */
export function panelRanges(p: Panel): { x: Range; y: Range } {
  const logY = !!p.options.logY;
  let x: Range | null = null;
  let y: Range | null = null;
  let padX = false;
  let fromZero = false;
  let padY = false;
  const addY = (a: ArrayLike<number>) => {
    const e = extent(a, logY);
    if (e) y = extend(y, e[0], e[1]);
  };
  const addX = (a: ArrayLike<number>) => {
    const e = extent(a);
    if (e) x = extend(x, e[0], e[1]);
  };
  for (const it of p.items) {
    switch (it.kind) {
      case 'line':
        addX(it.x);
        addY(it.y);
        padY = true;
        break;
      case 'band':
        addX(it.x);
        addY(it.lo);
        addY(it.hi);
        padY = true;
        break;
      case 'errorbar':
        addX(it.x);
        addY(it.yLo);
        addY(it.yHi);
        padY = true;
        padX = true;
        break;
      case 'scatter':
        addX(it.x);
        addY(it.y);
        padX = true;
        padY = true;
        break;
      case 'hist':
        addX(it.edges);
        addY(it.values);
        fromZero = true;
        padY = true;
        break;
      case 'contourFill':
      case 'contourLines':
      case 'quiver':
        x = extend(x, it.grid.x0, it.grid.x1);
        y = extend(y, it.grid.y0, it.grid.y1);
        break;
      case 'heatmap': {
        const [dx, dy] = gridStep(it.grid);
        x = extend(x, it.grid.x0 - dx / 2, it.grid.x1 + dx / 2);
        y = extend(y, it.grid.y0 - dy / 2, it.grid.y1 + dy / 2);
        break;
      }
      default:
        break;
    }
  }
  let xr: Range = p.options.xRange ?? x ?? [0, 1];
  if (!p.options.xRange && x && padX) {
    const s = (xr[1] - xr[0]) * 0.05 || 0.5;
    xr = [xr[0] - s, xr[1] + s];
  }
  if (xr[1] === xr[0]) xr = [xr[0] - 0.5, xr[1] + 0.5];
  let yr: Range;
  if (p.options.yRange) yr = p.options.yRange;
  else if (!y) yr = logY ? [0.1, 10] : [0, 1];
  else if (logY) {
    const [a, b] = y as Range;
    yr = [a / 1.5, b * 1.5];
  } else {
    let [a, b] = y as Range;
    if (fromZero && a >= 0) a = 0;
    const s = (b - a) * 0.05 || 0.5;
    yr = [fromZero && a === 0 ? 0 : a - (padY ? s : 0), b + (padY ? s : 0)];
  }
  if (yr[1] === yr[0]) yr = [yr[0] - 0.5, yr[1] + 0.5];
  return { x: xr, y: yr };
}

interface Reserve {
  titleLines: string[];
  subtitleLines: string[];
  /** Set by the 'best' inside legend when every corner would cover data: re-render with 'top'. */
  legendCollides: boolean;
  legend: LegendLayout | null;
  top: number;
  right: number;
}

const TICK_LEN = 5;
/** Padding on the outer side of the axis titles (Chart.js places the title this far from the edge). */
const AXIS_TITLE_PAD = 2;

/** Estimated y-axis column width (tick labels + label) for a panel of the given height. */
export function estimateYAxisWidth(p: Panel, height: number, theme: Theme, measure: Ctx): number {
  const { y } = panelRanges(p);
  measure.font = cssFont(theme, theme.tickSize);
  let labels: string[];
  if (p.options.logY) labels = logTicks(y[0], y[1]).map(formatLogTick);
  else {
    const t = axisTicks(y[0], y[1], yTickTarget(height * 0.7));
    labels = t.values.map((v) => formatTick(v, t.step));
  }
  const w = Math.max(0, ...labels.map((s) => measure.measureText(s).width));
  return Math.ceil(w + TICK_LEN + 10 + (p.options.yLabel ? theme.labelSize * 1.25 + 6 : 0));
}

const xTickTarget = (len: number) => Math.max(2, Math.min(10, Math.floor(len / 85)));
const yTickTarget = (len: number) => Math.max(2, Math.min(10, Math.floor(len / 48)));

/** Renders one panel into a fresh canvas of the given size. */
export function renderPanel(p: Panel, width: number, height: number, theme: Theme, forceLegendTop = false): Canvas {
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  const o = p.options;
  const ranges = panelRanges(p);
  const mapPanel = isMapPanel(p);
  const gridOn = o.grid ?? !mapPanel;
  const yAxisMin = o.yAxisWidth ?? 0;
  const entries = p.legendEntries();
  const legendMode = entries.length === 0 ? 'none' : forceLegendTop ? 'top' : (o.legend ?? 'top');

  // Space above the chart area (title, top legend) and right of it (colour bar / key column).
  const quiver = p.items.find((it) => it.kind === 'quiver');
  const right =
    p.colorbar || quiver
      ? colorbarWidth(ctx, p.colorbar ?? { scale: { domain: [0, 1] } as never }, theme, quiver ? '= 0.25' : undefined) +
        6
      : 14;
  const innerWidth = Math.max(50, width - Math.max(yAxisMin, 50) - right - 8);
  const titleLines = o.title ? wrapText(ctx, o.title, richFont(theme, theme.titleSize), width - 16) : [];
  const legend = legendMode === 'top' ? layoutLegend(ctx, entries, theme, innerWidth) : null;
  const subtitleLines = o.subtitle ? wrapText(ctx, o.subtitle, richFont(theme, theme.tickSize), width - 16) : [];
  const titleH =
    titleLines.length * Math.round(theme.titleSize * 1.3) + subtitleLines.length * Math.round(theme.tickSize * 1.3);
  const top =
    (o.topGap ?? 0) +
    (titleH > 0 || legend ? 6 : 2) +
    titleH +
    (titleH > 0 ? 4 : 0) +
    (legend ? legend.height + 4 : 0) +
    Math.round(theme.tickSize * 0.6);
  const reserve: Reserve = { titleLines, subtitleLines, legendCollides: false, legend, top, right };
  const basePadding = { left: 6, right, top, bottom: 4 + (o.bottomGap ?? 0) };

  const datasets: Record<string, unknown>[] = [];
  const push = (d: Record<string, unknown>) => {
    datasets.push({ order: -datasets.length, pointHoverRadius: 0, pointHitRadius: 0, ...d });
    return datasets.length - 1;
  };
  const pts = (x: ArrayLike<number>, y: ArrayLike<number>) => {
    const out = new Array<{ x: number; y: number }>(x.length);
    for (let i = 0; i < x.length; i++) out[i] = { x: x[i], y: y[i] };
    return out;
  };
  const logY = !!o.logY;
  for (const it of p.items) {
    switch (it.kind) {
      case 'line':
        push({
          type: 'line',
          data: pts(it.x, it.y),
          borderColor: withAlpha(it.color, it.alpha),
          borderWidth: it.width,
          borderDash: it.dash,
          pointRadius: it.marker,
          pointBackgroundColor: it.color,
          pointBorderWidth: 0,
          fill: false,
          stepped: it.stepped ? 'before' : false,
        });
        break;
      case 'hist': {
        const base = logY ? NaN : 0;
        const d: { x: number; y: number }[] = [];
        const n = it.values.length;
        if (!logY) d.push({ x: it.edges[0], y: base });
        for (let i = 0; i < n; i++) d.push({ x: it.edges[i], y: logY && !(it.values[i] > 0) ? NaN : it.values[i] });
        d.push({ x: it.edges[n], y: logY && !(it.values[n - 1] > 0) ? NaN : it.values[n - 1] });
        if (!logY) d.push({ x: it.edges[n], y: base });
        push({
          type: 'line',
          data: d,
          stepped: 'before',
          pointRadius: 0,
          borderColor: it.filled ? withAlpha(it.color, Math.min(1, it.fillAlpha + 0.2)) : it.color,
          borderWidth: it.filled ? 1 : it.width,
          borderDash: it.dash,
          fill: it.filled ? (logY ? 'start' : { value: 0 }) : false,
          backgroundColor: withAlpha(it.color, it.fillAlpha),
        });
        break;
      }
      case 'band': {
        const lo = push({
          type: 'line',
          data: pts(it.x, it.lo),
          borderWidth: 0,
          pointRadius: 0,
          fill: false,
          stepped: it.stepped ? 'before' : false,
          borderColor: 'rgba(0,0,0,0)',
        });
        push({
          type: 'line',
          data: pts(it.x, it.hi),
          borderWidth: 0,
          pointRadius: 0,
          fill: lo,
          stepped: it.stepped ? 'before' : false,
          borderColor: 'rgba(0,0,0,0)',
          backgroundColor: withAlpha(it.color, it.alpha),
        });
        break;
      }
      case 'errorbar':
        push({
          type: 'line',
          data: pts(it.x, it.y),
          showLine: it.line,
          borderColor: it.color,
          borderWidth: 1.5,
          borderDash: it.lineDash,
          pointRadius: it.marker,
          pointBackgroundColor: it.color,
          pointBorderWidth: 0,
          fill: false,
        });
        break;
      case 'scatter':
        push({
          type: 'scatter',
          data: pts(it.x, it.y),
          pointRadius: it.radius,
          pointBackgroundColor: withAlpha(it.color, it.alpha),
          pointBorderWidth: 0,
          showLine: false,
        });
        break;
      default:
        break;
    }
  }

  const font = (size: number) => ({ family: theme.fontFamily, size });
  const xAxisHeight =
    TICK_LEN + 3 + theme.tickSize * 1.2 + (o.xLabel ? 2 + theme.labelSize * 1.2 + AXIS_TITLE_PAD : 0) + 1;
  const scaleCommon = (display: boolean) => ({
    grid: {
      display: true,
      color: gridOn ? theme.gridColor : 'rgba(0,0,0,0)',
      drawTicks: true,
      tickColor: theme.frameColor,
      tickLength: TICK_LEN,
      tickWidth: 1,
    },
    border: { display: false },
    ticks: {
      display,
      font: font(theme.tickSize),
      color: theme.textColor,
      autoSkip: false,
      maxRotation: 0,
      minRotation: 0,
      padding: 3,
    },
  });

  const keys: QuiverKeys = new Map();
  // While equalAspect re-lays the chart out, skip the costly layers; they are drawn once at the end.
  let layersOn = o.aspect !== 'equal';
  const plugin = {
    id: 'fnflowLayers',
    beforeDraw(chart: Chart) {
      const c = chart.ctx as unknown as Ctx;
      c.save();
      c.fillStyle = theme.background;
      c.fillRect(0, 0, width, height);
      c.restore();
    },
    beforeDatasetsDraw(chart: Chart) {
      if (!layersOn) return;
      drawLayers(
        chart.ctx as unknown as Ctx,
        mapperOf(chart),
        p.items.filter((it) => UNDERLAY_KINDS.has(it.kind)),
        'under',
        keys,
      );
    },
    afterDatasetsDraw(chart: Chart) {
      if (!layersOn) return;
      drawLayers(chart.ctx as unknown as Ctx, mapperOf(chart), p.items, 'over', keys);
    },
    afterDraw(chart: Chart) {
      if (!layersOn) return;
      decorate(
        chart.ctx as unknown as Ctx,
        mapperOf(chart),
        { x: chart.scales.x, y: chart.scales.y },
        p,
        reserve,
        theme,
        width,
        legendMode === 'inside' ? entries : null,
        keys,
      );
    },
  };

  const config = {
    type: 'line',
    data: { datasets },
    options: {
      responsive: false,
      animation: false,
      devicePixelRatio: 1,
      parsing: false,
      events: [],
      layout: { padding: { ...basePadding } },
      plugins: {
        legend: { display: false },
        title: { display: false },
        tooltip: { enabled: false },
        decimation: { enabled: false },
      },
      scales: {
        x: {
          type: 'linear',
          min: ranges.x[0],
          max: ranges.x[1],
          ...scaleCommon(!o.hideXTickLabels),
          title: {
            display: !!o.xLabel && !o.hideXTickLabels,
            text: plainText(o.xLabel ?? ''),
            font: font(theme.labelSize),
            color: 'rgba(0,0,0,0)',
            padding: { top: 2, bottom: AXIS_TITLE_PAD },
          },
          afterBuildTicks(scale: { ticks: { value: number }[]; width: number }) {
            scale.ticks = axisTicks(ranges.x[0], ranges.x[1], xTickTarget(scale.width), 2).values.map((value) => ({
              value,
            }));
          },
          afterFit(scale: { height: number }) {
            // Chart.js caps an axis at half the panel height; never let that squeeze labels together.
            if (!o.hideXTickLabels) scale.height = Math.max(scale.height, xAxisHeight);
          },
          ticks: { ...scaleCommon(!o.hideXTickLabels).ticks, callback: tickLabel },
        },
        y: {
          type: logY ? 'logarithmic' : 'linear',
          min: ranges.y[0],
          max: ranges.y[1],
          ...scaleCommon(true),
          title: {
            display: !!o.yLabel,
            text: plainText(o.yLabel ?? ''),
            font: font(theme.labelSize),
            color: 'rgba(0,0,0,0)',
            padding: { top: AXIS_TITLE_PAD, bottom: 4 },
          },
          afterBuildTicks(scale: { ticks: { value: number }[]; height: number }) {
            const vals = logY
              ? logTicks(ranges.y[0], ranges.y[1])
              : axisTicks(ranges.y[0], ranges.y[1], yTickTarget(scale.height)).values;
            scale.ticks = thinTicks(vals, ranges.y, scale.height, theme.tickSize * 1.35, logY).map((value) => ({
              value,
            }));
          },
          afterFit(scale: { width: number }) {
            scale.width = Math.max(scale.width, yAxisMin);
          },
          ticks: { ...scaleCommon(true).ticks, callback: logY ? (v: number) => formatLogTick(v) : tickLabel },
        },
      },
    },
    plugins: [plugin],
  };

  const chart = new Chart(ctx as never, config as never);
  if (o.aspect === 'equal') {
    equalAspect(chart, ranges, basePadding);
    layersOn = true;
    chart.draw();
  }
  if (reserve.legendCollides) {
    chart.destroy();
    return renderPanel(p, width, height, theme, true);
  }
  // Copy out before destroy(): Chart.js clears its canvas when it is destroyed.
  const out = createCanvas(width, height);
  out.getContext('2d').drawImage(canvas, 0, 0);
  chart.destroy();
  return out;
}

/**
 * Drops ticks until neighbouring labels are at least `minGap` px apart (short ratio panels);
 * as a last resort keeps the single tick nearest the middle of the range.
 */
function thinTicks(vals: number[], r: Range, lengthPx: number, minGap: number, log: boolean): number[] {
  const pos = (v: number) => (log ? Math.log(v / r[0]) / Math.log(r[1] / r[0]) : (v - r[0]) / (r[1] - r[0])) * lengthPx;
  const fits = (t: number[]) => t.every((v, i) => i === 0 || pos(v) - pos(t[i - 1]) >= minGap);
  let cur = vals;
  for (let every = 2; !fits(cur) && every <= vals.length; every++) {
    // Keep every k-th tick, phased so the one nearest the middle survives.
    const mid = vals.reduce(
      (b, v, i) => (Math.abs(pos(v) - lengthPx / 2) < Math.abs(pos(vals[b]) - lengthPx / 2) ? i : b),
      0,
    );
    cur = vals.filter((_, i) => (i - mid) % every === 0);
  }
  return cur;
}

function tickLabel(this: unknown, value: number | string, _i: number, ticks: { value: number }[]): string {
  const v = Number(value);
  const step = ticks.length > 1 ? Math.abs(ticks[1].value - ticks[0].value) : niceStep(Math.abs(v) || 1, 1);
  return formatTick(v, step);
}

/** A mapper that also knows the y-range (for marking clipped points). */
interface YMapper extends Mapper {
  yMin: number;
  yMax: number;
}

function mapperOf(chart: Chart): YMapper {
  const xs = chart.scales.x;
  const ys = chart.scales.y;
  const a = chart.chartArea;
  return {
    px: (v) => xs.getPixelForValue(v),
    py: (v) => ys.getPixelForValue(v),
    area: { left: a.left, top: a.top, right: a.right, bottom: a.bottom },
    yMin: ys.min,
    yMax: ys.max,
  };
}

/**
 * Equal aspect by shrinking the chart box (the data ranges stay as configured): re-layout with
 * extra padding on the long side until one data unit spans the same pixels on both axes.
 */
function equalAspect(
  chart: Chart,
  r: { x: Range; y: Range },
  base: { left: number; right: number; top: number; bottom: number },
): void {
  const pad = { ...base };
  for (let iter = 0; iter < 4; iter++) {
    const a = chart.chartArea;
    const w = a.right - a.left;
    const h = a.bottom - a.top;
    const ux = w / (r.x[1] - r.x[0]);
    const uy = h / (r.y[1] - r.y[0]);
    if (Math.abs(ux / uy - 1) < 0.003) return;
    if (ux > uy) {
      const extra = w - uy * (r.x[1] - r.x[0]);
      pad.left += extra / 2;
      pad.right += extra / 2;
    } else {
      const extra = h - ux * (r.y[1] - r.y[0]);
      pad.top += extra / 2;
      pad.bottom += extra / 2;
    }
    (chart.options as { layout: { padding: unknown } }).layout.padding = { ...pad };
    chart.update('none');
  }
}

function drawLayers(ctx: Ctx, m: YMapper, items: PanelItem[], pass: 'under' | 'over', keys: QuiverKeys): void {
  const a = m.area;
  for (const it of items) {
    ctx.save();
    switch (it.kind) {
      case 'hspan':
      case 'vspan': {
        if (pass !== 'under') break;
        clipToArea(ctx, a);
        ctx.fillStyle = withAlpha(it.color, it.alpha);
        if (it.kind === 'hspan') {
          const y0 = m.py(it.hi);
          ctx.fillRect(a.left, y0, a.right - a.left, m.py(it.lo) - y0);
        } else {
          const x0 = m.px(it.lo);
          ctx.fillRect(x0, a.top, m.px(it.hi) - x0, a.bottom - a.top);
        }
        break;
      }
      case 'hline':
      case 'vline': {
        if (pass !== 'under') break;
        clipToArea(ctx, a);
        ctx.strokeStyle = it.color;
        ctx.lineWidth = it.width;
        ctx.setLineDash(it.dash);
        ctx.beginPath();
        if (it.kind === 'hline') {
          const y = m.py(it.value);
          ctx.moveTo(a.left, y);
          ctx.lineTo(a.right, y);
        } else {
          const x = m.px(it.value);
          ctx.moveTo(x, a.top);
          ctx.lineTo(x, a.bottom);
        }
        ctx.stroke();
        break;
      }
      case 'heatmap':
        if (pass === 'under') drawHeatmap(ctx, m, it.grid, it.scale, it.alpha);
        break;
      case 'contourFill':
        if (pass === 'under') {
          clipToArea(ctx, a);
          drawContourFill(ctx, m, it.grid, it.levels, { colors: it.colors, alpha: it.alpha });
        }
        break;
      case 'errorbar':
        if (pass === 'under')
          drawErrorBars(ctx, m, it.x, it.y, it.yLo, it.yHi, { color: it.color, width: 1.3, cap: 0 }, it.xErr);
        else if (it.markClipped) drawClippedMarkers(ctx, m, it.x, it.y, m.yMin, m.yMax, it.color);
        break;
      case 'contourLines':
        if (pass === 'over')
          drawContourLines(ctx, m, it.grid, it.levels, (k) => ({
            color: it.colors[k],
            width: it.width,
            dash: it.dash,
            alpha: it.alpha,
          }));
        break;
      case 'quiver':
        if (pass === 'over') {
          const scale = it.scale;
          const geo = drawQuiver(
            ctx,
            m,
            it.grid,
            it.u,
            it.v,
            scale ? (mag) => scale(mag) : () => it.color,
            it.arrowScale,
            it.width,
          );
          keys.set(it, geo);
        }
        break;
      default:
        break;
    }
    ctx.restore();
  }
}

/** Quiver geometry of the last draw, for the key above the colour bar (one map per render). */
type QuiverKeys = Map<object, QuiverGeometry>;

type Box = { left: number; right: number; top: number; bottom: number };

function decorate(
  ctx: Ctx,
  m: Mapper,
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

function cornerBox(a: Area, c: Corner, w: number, h: number): [number, number] {
  const inset = 6;
  const x = c.endsWith('left') ? a.left + inset : a.right - inset - w;
  const y = c.startsWith('upper') ? a.top + inset : a.bottom - inset - h;
  return [Math.round(x), Math.round(y)];
}

/** The corner whose box covers the fewest non-background pixels (already drawn data), and that fraction. */
function bestCorner(
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
