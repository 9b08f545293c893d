/**
 * Regular 2-D grids over a window: the points a density is evaluated at, the grid shape for a
 * point budget, and context rows repeated once per point.
 */
// From the plot modules themselves, not plot/index: no canvas comes along (the browser page uses this).
import type { Grid2D } from '../plot/grid.js';
import { linspace } from '../plot/histogram.js';

export type Range2 = [number, number];

/** A grid without its values: nx × ny points from (x0, y0) to (x1, y1), ends included. */
export type GridSpec = Omit<Grid2D, 'values'>;

export function gridSpec(xr: Range2, yr: Range2, nx: number, ny: number): GridSpec {
  return { nx, ny, x0: xr[0], x1: xr[1], y0: yr[0], y1: yr[1] };
}

/** The points of linspace(x) × linspace(y) as [nx·ny, 2] rows, x fastest (the Grid2D value order). */
export function gridPoints(g: GridSpec): Float32Array {
  const xs = linspace(g.x0, g.x1, g.nx);
  const ys = linspace(g.y0, g.y1, g.ny);
  const out = new Float32Array(g.nx * g.ny * 2);
  let k = 0;
  for (let j = 0; j < g.ny; j++) {
    for (let i = 0; i < g.nx; i++) {
      out[k++] = xs[i];
      out[k++] = ys[j];
    }
  }
  return out;
}

/** Grid point counts (nx, ny) for a window, with about `total` points and square cells. */
export function gridShape(xr: Range2, yr: Range2, total: number): [number, number] {
  const aspect = (xr[1] - xr[0]) / (yr[1] - yr[0]);
  const ny = Math.max(2, Math.round(Math.sqrt(total / aspect)));
  const nx = Math.max(2, Math.round(total / ny));
  return [nx, ny];
}

/** One row repeated n times: [n, row.length]. */
export function repeatRow(row: ArrayLike<number>, n: number): Float32Array {
  const w = row.length;
  const out = new Float32Array(n * w);
  for (let i = 0; i < n; i++) for (let j = 0; j < w; j++) out[i * w + j] = row[j];
  return out;
}
