/**
 * The regular-grid field every 2-D primitive draws (contours, heat maps, arrows), and the few
 * helpers to build one from a function.
 */

export type Numbers = ArrayLike<number>;

/**
 * A scalar field sampled on a regular grid of points: the value at (x_i, y_j) is
 * values[i + j·nx] with x_i = linspace(x0, x1, nx)[i] and y_j = linspace(y0, y1, ny)[j].
 * Row j = 0 is the bottom (smallest y). A histogram is a Grid2D at its bin centres.
 */
export interface Grid2D {
  nx: number;
  ny: number;
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  values: Numbers;
}

/** Point spacing along x and y (0 for a single point). */
export function gridStep(g: Grid2D): [number, number] {
  return [g.nx > 1 ? (g.x1 - g.x0) / (g.nx - 1) : 0, g.ny > 1 ? (g.y1 - g.y0) / (g.ny - 1) : 0];
}

/** Area per grid point (dx·dy), the cellArea that hpdLevels wants. */
export function gridCellArea(g: Grid2D): number {
  const [dx, dy] = gridStep(g);
  return dx * dy;
}

export function checkGrid(g: Grid2D, what: string): void {
  if (!(Number.isInteger(g.nx) && Number.isInteger(g.ny) && g.nx >= 2 && g.ny >= 2)) {
    throw new Error(`plot/grid ${what}: nx, ny must be integers ≥ 2, got ${g.nx} × ${g.ny}`);
  }
  if (g.values.length !== g.nx * g.ny) {
    throw new Error(`plot/grid ${what}: values length ${g.values.length} != nx·ny = ${g.nx}·${g.ny}`);
  }
  if (!(g.x1 > g.x0) || !(g.y1 > g.y0))
    throw new Error(`plot/grid ${what}: need x0 < x1 and y0 < y1, got [${g.x0}, ${g.x1}] × [${g.y0}, ${g.y1}]`);
}

/** Samples f on linspace(x0, x1, nx) × linspace(y0, y1, ny). */
export function gridFromFunction(
  f: (x: number, y: number) => number,
  x: [number, number],
  y: [number, number],
  nx: number,
  ny: number,
): Grid2D & { values: Float64Array } {
  const values = new Float64Array(nx * ny);
  const dx = (x[1] - x[0]) / (nx - 1);
  const dy = (y[1] - y[0]) / (ny - 1);
  for (let j = 0; j < ny; j++) {
    const yj = y[0] + j * dy;
    for (let i = 0; i < nx; i++) values[i + j * nx] = f(x[0] + i * dx, yj);
  }
  return { nx, ny, x0: x[0], x1: x[1], y0: y[0], y1: y[1], values };
}

/** [min, max] of the finite values (throws when there is none). */
export function finiteExtent(values: Numbers, what = 'values'): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (lo > hi) throw new Error(`plot/grid finiteExtent: ${what} has no finite value`);
  return [lo, hi];
}

/** max |v| over finite values, at least `floor` (a symmetric colour range for diverging maps). */
export function symmetricLimit(values: Numbers, floor = 1e-9): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) {
    const a = Math.abs(values[i]);
    if (Number.isFinite(a) && a > m) m = a;
  }
  return Math.max(m, floor);
}
