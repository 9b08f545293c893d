/**
 * The overlay layers: what a panel draws in the chart's coordinates that Chart.js has no
 * element for (spans, reference lines, heat maps, contours, error-bar whiskers, arrows). The
 * underlay pass runs before Chart.js draws its datasets, the overlay pass after.
 */
import type { Chart } from './chartjs.js';
import type { Ctx } from './canvas.js';
import { withAlpha } from './colors.js';
import {
  clipToArea,
  drawClippedMarkers,
  drawContourFill,
  drawContourLines,
  drawErrorBars,
  drawHeatmap,
  drawQuiver,
  type Mapper,
  type QuiverGeometry,
} from './draw.js';
import type { PanelItem } from './panel.js';

/** Item kinds drawn under the Chart.js datasets; the rest (and error-bar clip marks) go over. */
export const UNDERLAY_KINDS = new Set<PanelItem['kind']>([
  'hspan',
  'vspan',
  'heatmap',
  'contourFill',
  'hline',
  'vline',
  'errorbar',
]);

/** Quiver geometry of the last draw, for the key above the colour bar (one map per render). */
export type QuiverKeys = Map<object, QuiverGeometry>;

/** A mapper that also knows the y-range (for marking clipped points). */
export interface YMapper extends Mapper {
  yMin: number;
  yMax: number;
  xMin: number;
  xMax: number;
}

export function mapperOf(chart: Chart): YMapper {
  const xs = chart.scales.x;
  const ys = chart.scales.y;
  const a = chart.chartArea;
  return {
    px: (v) => xs.getPixelForValue(v),
    py: (v) => ys.getPixelForValue(v),
    area: { left: a.left, top: a.top, right: a.right, bottom: a.bottom },
    yMin: ys.min,
    yMax: ys.max,
    xMin: xs.min,
    xMax: xs.max,
  };
}

export function drawLayers(ctx: Ctx, m: YMapper, items: PanelItem[], pass: 'under' | 'over', keys: QuiverKeys): void {
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
