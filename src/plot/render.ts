/**
 * Panel → pixels. Chart.js draws the axes, ticks, grid lines and the line-like datasets
 * (chart-datasets.ts, chart-axes.ts); one inline plugin draws, in the chart's own coordinates,
 * everything Chart.js has no element for: the overlay layers under and over the datasets
 * (overlays.ts), then titles, legends, colour bar and notes (decorations.ts).
 *
 * Each panel gets its own canvas: Chart.js owns and clears the whole canvas it draws on and
 * sizes its layout from it, so sharing one big canvas between charts would have them erase
 * each other. The figure composites the finished panel canvases.
 */
import { newCanvas, type Canvas, type Ctx } from './canvas.js';
import { chartScales, equalAspect } from './chart-axes.js';
import { chartDatasets } from './chart-datasets.js';
import { Chart } from './chartjs.js';
import { decorate, type Reserve } from './decorations.js';
import { colorbarWidth, layoutLegend } from './draw.js';
import { drawLayers, mapperOf, UNDERLAY_KINDS, type QuiverKeys } from './overlays.js';
import type { Panel } from './panel.js';
import { isMapPanel, panelRanges } from './ranges.js';
import { richFont, wrapText, type Theme } from './theme.js';

export { estimateYAxisWidth } from './chart-axes.js';

/** Renders one panel into a fresh canvas of the given size. */
export function renderPanel(p: Panel, width: number, height: number, theme: Theme, forceLegendTop = false): Canvas {
  const canvas = newCanvas(width, height);
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

  const datasets = chartDatasets(p.items, !!o.logY);

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
      scales: chartScales(p, ranges, theme, gridOn, yAxisMin),
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
  const out = newCanvas(width, height);
  out.getContext('2d').drawImage(canvas, 0, 0);
  chart.destroy();
  return out;
}
