/**
 * The axis ranges of a panel: the fixed ones it was given, else the extent of its items, padded
 * by the rules of each item kind (histograms from zero, markers with a margin, maps exact).
 */
import { gridStep } from './grid.js';
import type { Panel, PanelItem, Range } from './panel.js';

const MAP_KINDS = new Set<PanelItem['kind']>(['contourFill', 'contourLines', 'heatmap', 'quiver']);

/** A panel that draws a 2-D map (contours, heat map, arrows): no grid lines by default. */
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
    const b = (y as Range)[1];
    let a = (y as Range)[0];
    if (fromZero && a >= 0) a = 0;
    const s = (b - a) * 0.05 || 0.5;
    yr = [fromZero && a === 0 ? 0 : a - (padY ? s : 0), b + (padY ? s : 0)];
  }
  if (yr[1] === yr[0]) yr = [yr[0] - 0.5, yr[1] + 0.5];
  return { x: xr, y: yr };
}
