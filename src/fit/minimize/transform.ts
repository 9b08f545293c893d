/**
 * MINUIT's parameter transform: the minimizer walks an unbounded internal coordinate, the objective sees
 * the bounded external one.
 *
 *   both bounds [a, b]: ext = a + (b − a)/2 · (sin(int) + 1)      int = asin(2(ext − a)/(b − a) − 1)
 *   lower bound a:      ext = a − 1 + √(int² + 1)                  int = √((ext − a + 1)² − 1)
 *   upper bound b:      ext = b + 1 − √(int² + 1)                  int = √((b − ext + 1)² − 1)
 *   no bound:           ext = int
 *
 * The chain rule needs dext/dint (gradient: g_int = g_ext · dext/dint; covariance: V_ext = J V_int J with
 * J = diag(dext/dint)) and, for the internal Hessian of HESSE's external one, d²ext/dint². At a bound the
 * first derivative vanishes: that is how the transform keeps the walk inside, and why HESSE works in
 * external coordinates (see hesse.ts).
 */

export const enum BoundKind {
  None = 0,
  Lower = 1,
  Upper = 2,
  Both = 3,
}

export interface Bounds {
  kind: BoundKind;
  lower: number;
  upper: number;
}

export function boundsOf(lower: number | undefined, upper: number | undefined): Bounds {
  const hasLo = lower !== undefined && Number.isFinite(lower);
  const hasHi = upper !== undefined && Number.isFinite(upper);
  const kind = hasLo && hasHi ? BoundKind.Both : hasLo ? BoundKind.Lower : hasHi ? BoundKind.Upper : BoundKind.None;
  return { kind, lower: hasLo ? lower! : -Infinity, upper: hasHi ? upper! : Infinity };
}

export function toExternal(b: Bounds, int: number): number {
  switch (b.kind) {
    case BoundKind.Both:
      return b.lower + 0.5 * (b.upper - b.lower) * (Math.sin(int) + 1);
    case BoundKind.Lower:
      return b.lower - 1 + Math.sqrt(int * int + 1);
    case BoundKind.Upper:
      return b.upper + 1 - Math.sqrt(int * int + 1);
    default:
      return int;
  }
}

/** The inverse, clamping an external value that sits (by rounding) just outside its bounds. */
export function toInternal(b: Bounds, ext: number): number {
  switch (b.kind) {
    case BoundKind.Both: {
      const s = (2 * (ext - b.lower)) / (b.upper - b.lower) - 1;
      return Math.asin(Math.min(1, Math.max(-1, s)));
    }
    case BoundKind.Lower: {
      const u = Math.max(0, ext - b.lower) + 1;
      return Math.sqrt(u * u - 1);
    }
    case BoundKind.Upper: {
      const u = Math.max(0, b.upper - ext) + 1;
      return Math.sqrt(u * u - 1);
    }
    default:
      return ext;
  }
}

/** dext/dint at the internal value. */
export function dExtDInt(b: Bounds, int: number): number {
  switch (b.kind) {
    case BoundKind.Both:
      return 0.5 * (b.upper - b.lower) * Math.cos(int);
    case BoundKind.Lower:
      return int / Math.sqrt(int * int + 1);
    case BoundKind.Upper:
      return -int / Math.sqrt(int * int + 1);
    default:
      return 1;
  }
}

/** d²ext/dint² at the internal value. */
export function d2ExtDInt2(b: Bounds, int: number): number {
  switch (b.kind) {
    case BoundKind.Both:
      return -0.5 * (b.upper - b.lower) * Math.sin(int);
    case BoundKind.Lower:
      return 1 / Math.pow(int * int + 1, 1.5);
    case BoundKind.Upper:
      return -1 / Math.pow(int * int + 1, 1.5);
    default:
      return 0;
  }
}
