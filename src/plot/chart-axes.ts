/**
 * The Chart.js axes of a panel: linear or log scales over the panel's ranges, our own tick
 * choice (nice steps, thinned on short axes), tick labels, transparent axis titles that only
 * reserve the space the decoration layer writes the rich-text titles into, the y-axis width
 * estimate that lines stacked panels up, and equal aspect by re-layout.
 */
import type { Chart } from './chartjs.js';
import type { Ctx } from './canvas.js';
import type { Panel, Range } from './panel.js';
import { panelRanges } from './ranges.js';
import { plainText } from './richtext.js';
import { cssFont, type Theme } from './theme.js';
import { axisTicks, formatLogTick, formatTick, logTicks, niceStep } from './ticks.js';

export const TICK_LEN = 5;
/** Padding on the outer side of the axis titles (Chart.js places the title this far from the edge). */
export const AXIS_TITLE_PAD = 2;

/** Estimated y-axis column width (tick labels + label) for a panel of the given height. */
export function estimateYAxisWidth(p: Panel, height: number, theme: Theme, measure: Ctx): number {
  const { y } = panelRanges(p);
  measure.font = cssFont(theme, theme.tickSize);
  let labels: string[];
  if (p.options.logY) labels = logTicks(y[0], y[1]).map(formatLogTick);
  else if (p.options.yCategories) labels = p.options.yCategories.map(plainText);
  else {
    const t = axisTicks(y[0], y[1], yTickTarget(height * 0.7));
    labels = t.values.map((v) => formatTick(v, t.step));
  }
  const w = Math.max(0, ...labels.map((s) => measure.measureText(s).width));
  return Math.ceil(w + TICK_LEN + 10 + (p.options.yLabel ? theme.labelSize * 1.25 + 6 : 0));
}

const xTickTarget = (len: number) => Math.max(2, Math.min(10, Math.floor(len / 85)));
const yTickTarget = (len: number) => Math.max(2, Math.min(10, Math.floor(len / 48)));

/**
 * The `scales` option of a panel's chart. `gridLines`: draw grid lines (ticks are always drawn);
 * `yAxisMin`: the y-axis column is at least this wide (px), so stacked panels line up.
 */
export function chartScales(
  p: Panel,
  ranges: { x: Range; y: Range },
  theme: Theme,
  gridLines: boolean,
  yAxisMin: number,
): Record<string, unknown> {
  const o = p.options;
  const logY = !!o.logY;
  const font = (size: number) => ({ family: theme.fontFamily, size });
  const xAxisHeight =
    TICK_LEN + 3 + theme.tickSize * 1.2 + (o.xLabel ? 2 + theme.labelSize * 1.2 + AXIS_TITLE_PAD : 0) + 1;
  const scaleCommon = (display: boolean) => ({
    grid: {
      display: true,
      color: gridLines ? theme.gridColor : 'rgba(0,0,0,0)',
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

  return {
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
        if (o.xCategories) {
          scale.ticks = categoryTicks(o.xCategories, ranges.x).map((value) => ({ value }));
          return;
        }
        scale.ticks = axisTicks(ranges.x[0], ranges.x[1], xTickTarget(scale.width), 2).values.map((value) => ({
          value,
        }));
      },
      afterFit(scale: { height: number }) {
        // Chart.js caps an axis at half the panel height; never let that squeeze labels together.
        if (!o.hideXTickLabels) scale.height = Math.max(scale.height, xAxisHeight);
      },
      ticks: {
        ...scaleCommon(!o.hideXTickLabels).ticks,
        // As for y: category names are drawn as rich text by the decorations.
        ...(o.xCategories ? { color: 'rgba(0,0,0,0)' } : {}),
        callback: o.xCategories ? (v: number) => plainText(o.xCategories![Math.round(v)] ?? '') : tickLabel,
      },
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
        if (o.yCategories) {
          scale.ticks = categoryTicks(o.yCategories, ranges.y).map((value) => ({ value }));
          return;
        }
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
      ticks: {
        ...scaleCommon(true).ticks,
        // Category names are drawn as rich text by the decorations; Chart.js only reserves their width.
        ...(o.yCategories ? { color: 'rgba(0,0,0,0)' } : {}),
        callback: o.yCategories
          ? (v: number) => plainText(o.yCategories![Math.round(v)] ?? '')
          : logY
            ? (v: number) => formatLogTick(v)
            : tickLabel,
      },
    },
  };
}

/** The rows of a categorical y axis that lie inside the y range. */
export function categoryTicks(categories: readonly string[], y: Range): number[] {
  return categories.map((_, i) => i).filter((i) => i >= y[0] && i <= y[1]);
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

/**
 * Equal aspect by shrinking the chart box (the data ranges stay as configured): re-layout with
 * extra padding on the long side until one data unit spans the same pixels on both axes.
 */
export function equalAspect(
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
