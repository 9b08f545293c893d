/**
 * Comparing our numbers with golden ones: one row per quantity with the max |Δ| and the
 * tolerance rule from ../shared/golden/README.md ("Recommended tolerances", float32 column).
 */

export interface Tolerance {
  /** |Δ| ≤ abs + rel·|v| */
  abs: number;
  rel: number;
  label: string;
}

export const TOL = {
  logProb: { abs: 1e-4, rel: 5e-6, label: '1e-4 + 5e-6·|v|' },
  position: { abs: 1e-4, rel: 0, label: '1e-4' },
  residual: { abs: 1e-5, rel: 0, label: '1e-5' },
  raw: { abs: 1e-4, rel: 0, label: '1e-4' },
  loss: { abs: 1e-5, rel: 0, label: '1e-5' },
  truth: { abs: 1e-10, rel: 1e-10, label: '1e-10·max(1,|v|)' },
} satisfies Record<string, Tolerance>;

export interface CompareRow {
  quantity: string;
  n: number;
  maxAbs: number;
  /** worst |Δ| / allowed; ≤ 1 passes. */
  worst: number;
  tolerance: string;
  ok: boolean;
}

export function flat(v: unknown): number[] {
  return Array.isArray(v) ? (v as unknown[]).flatMap(flat) : [v as number];
}

export function compare(quantity: string, ours: ArrayLike<number>, golden: unknown, tol: Tolerance): CompareRow {
  const g = flat(golden);
  if (g.length !== ours.length) {
    return {
      quantity,
      n: g.length,
      maxAbs: Infinity,
      worst: Infinity,
      tolerance: `length ${ours.length} vs ${g.length}`,
      ok: false,
    };
  }
  let maxAbs = 0,
    worst = 0;
  for (let i = 0; i < g.length; i++) {
    const d = Math.abs(ours[i] - g[i]);
    const allowed = tol.abs + tol.rel * Math.abs(g[i]);
    if (!(d <= maxAbs)) maxAbs = d;
    const r = d / allowed;
    if (!(r <= worst)) worst = r;
  }
  return { quantity, n: g.length, maxAbs, worst, tolerance: tol.label, ok: worst <= 1 };
}

export interface GradStats {
  l2: number;
  sum: number;
  first4: number[];
}

/** Gradient rows: l2 relative ≤ 1e-3; sum and first4 within 1e-3·l2. */
export function compareGrad(name: string, ours: Float32Array, golden: GradStats): CompareRow[] {
  let l2 = 0,
    s = 0;
  for (const v of ours) {
    l2 += v * v;
    s += v;
  }
  l2 = Math.sqrt(l2);
  const scale = golden.l2;
  const rel = Math.abs(l2 - golden.l2) / Math.max(golden.l2, 1e-30);
  const dsum = Math.abs(s - golden.sum);
  const dfirst = Math.max(...golden.first4.map((v, i) => Math.abs(ours[i] - v)));
  const allowed = 1e-3 * Math.max(scale, 1e-12);
  return [
    {
      quantity: `grad ${name} l2`,
      n: 1,
      maxAbs: Math.abs(l2 - golden.l2),
      worst: rel / 1e-3,
      tolerance: 'rel 1e-3',
      ok: rel <= 1e-3,
    },
    {
      quantity: `grad ${name} sum,first4`,
      n: 5,
      maxAbs: Math.max(dsum, dfirst),
      worst: Math.max(dsum, dfirst) / allowed,
      tolerance: '1e-3·l2',
      ok: Math.max(dsum, dfirst) <= allowed,
    },
  ];
}

export function formatRows(title: string, rows: CompareRow[]): string {
  const w = Math.max(8, ...rows.map((r) => r.quantity.length));
  const lines = [
    title,
    `${'quantity'.padEnd(w)}  ${'n'.padStart(5)}  ${'max |Δ|'.padStart(10)}  ${'tolerance'.padEnd(18)}  status`,
  ];
  for (const r of rows) {
    lines.push(
      `${r.quantity.padEnd(w)}  ${String(r.n).padStart(5)}  ${r.maxAbs.toExponential(2).padStart(10)}` +
        `  ${r.tolerance.padEnd(18)}  ${r.ok ? 'ok' : 'FAIL'}`,
    );
  }
  return lines.join('\n');
}
