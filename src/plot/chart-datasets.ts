/**
 * The line-like panel items as Chart.js datasets: lines, step histograms (filled or not, on
 * linear or log axes), bands between two curves, error-bar centres and scatter points. Maps,
 * spans, whiskers and text are drawn by the overlay and decoration layers instead.
 */
import { withAlpha } from './colors.js';
import type { PanelItem } from './panel.js';

/** Chart.js datasets for `items`, each later item drawn over the earlier ones (descending `order`). */
export function chartDatasets(items: readonly PanelItem[], logY: boolean): Record<string, unknown>[] {
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
  for (const it of items) {
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

  return datasets;
}
