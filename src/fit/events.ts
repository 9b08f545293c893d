/**
 * The data a fit sees: n events of x [n, 2] and (unless the fit uses x only) y [n, 2], with an
 * optional per-event weight (1 when absent; an Asimov sample carries weights), and the class
 * contexts the density models take, built once per sample.
 */
import { concatArrays } from '../analysis/columns.js';

export interface FitEvents {
  n: number;
  x: Float32Array;
  y: Float32Array | null;
  /** per-event weights (an Asimov sample); null: every event counts once. */
  weights: Float64Array | null;
  /** The true class per event when known (toys, labelled files); the fit never reads it. */
  truthClass?: Uint8Array;
}

/** One-hot context [n, 2] of class `cls` for every event (A = [1, 0], B = [0, 1]). */
export function classContext(n: number, cls: 0 | 1): Float32Array {
  const out = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) out[2 * i + cls] = 1;
  return out;
}

/** Score context [n, 4] = (one-hot class, x1, x2), the order the score models were trained with. */
export function scoreContext(x: Float32Array, cls: 0 | 1): Float32Array {
  const n = x.length / 2;
  const out = new Float32Array(4 * n);
  for (let i = 0; i < n; i++) {
    out[4 * i + cls] = 1;
    out[4 * i + 2] = x[2 * i];
    out[4 * i + 3] = x[2 * i + 1];
  }
  return out;
}

/**
 * The events of several files as one sample, in file order (data often come split by run). Either every
 * file has weights or none: a mix would silently count some events once and others by their weight.
 */
export function concatEvents(parts: readonly FitEvents[], files: readonly string[]): FitEvents {
  if (parts.length === 1) return parts[0];
  const weighted = parts.map((p) => p.weights !== null);
  if (weighted.some((w) => w !== weighted[0])) {
    const odd = files[weighted.indexOf(!weighted[0])];
    throw new Error(
      weighted[0]
        ? `${odd} has no weight column and ${files[0]} has: give every file weights, or none`
        : `${odd} has a weight column and ${files[0]} has none: give every file weights, or none`,
    );
  }
  const withY = parts.every((p) => p.y !== null);
  return {
    n: parts.reduce((a, p) => a + p.n, 0),
    x: concatArrays(
      parts.map((p) => p.x),
      (n) => new Float32Array(n),
    ),
    y: withY
      ? concatArrays(
          parts.map((p) => p.y!),
          (n) => new Float32Array(n),
        )
      : null,
    weights: weighted[0]
      ? concatArrays(
          parts.map((p) => p.weights!),
          (n) => new Float64Array(n),
        )
      : null,
  };
}

/** Sum of weights (the effective number of events). */
export function totalWeight(ev: FitEvents): number {
  if (!ev.weights) return ev.n;
  let s = 0;
  for (let i = 0; i < ev.n; i++) s += ev.weights[i];
  return s;
}

/**
 * Refuses a sample a fit cannot use, naming `where`, the field and what was expected: n a positive whole
 * number (an empty sample has no minimum: the fit would report μ at its start as valid), x (and y) holding
 * exactly 2n values and weights exactly n finite values summing above 0. The likelihood reads the arrays
 * by n, so without this a wrong n silently fits part of the sample or reads past its end, and a short
 * weights array turns into "f is not finite at the start". `weightName` says what the weights are to
 * the user (a file's weight column).
 */
export function checkEvents(ev: FitEvents, where: string, weightName = 'weights'): void {
  if (ev === null || typeof ev !== 'object') {
    throw new Error(`${where}: expected events { n, x, y, weights }, got ${ev === null ? 'null' : typeof ev}`);
  }
  const { n } = ev;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
    throw new Error(`${where}: n must be the number of events (a whole number ≥ 0), got ${String(n)}`);
  }
  if (n === 0) throw new Error(`${where}: no events; a fit needs at least one`);
  const pairs: [string, ArrayLike<number> | null | undefined][] = [
    ['x', ev.x],
    ['y', ev.y],
  ];
  for (const [name, a] of pairs) {
    if (name === 'y' && (a === null || a === undefined)) continue;
    const len = a && typeof a === 'object' && typeof a.length === 'number' ? a.length : undefined;
    if (len !== 2 * n) {
      throw new Error(
        `${where}: ${name} must hold 2·n = ${2 * n} values (n = ${n} events of ${name}1, ${name}2), ` +
          (len === undefined ? `got ${a === null ? 'null' : typeof a}` : `got ${len} (${len / 2} events)`),
      );
    }
  }
  const w = ev.weights;
  if (w === null || w === undefined) return;
  if (typeof w !== 'object' || w.length !== n) {
    const got = typeof w === 'object' && typeof w.length === 'number' ? `${w.length}` : typeof w;
    throw new Error(`${where}: ${weightName} must hold one value per event (n = ${n}), got ${got}`);
  }
  let sum = 0;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(w[i])) {
      throw new Error(`${where}: the weight of event ${i} (${weightName}) is ${w[i]}, expected a finite number`);
    }
    sum += w[i];
  }
  // Negative weights are allowed (NLO samples have some); a total that is not positive leaves the NLL
  // without a minimum (it falls without bound as events are made improbable).
  if (!(sum > 0)) throw new Error(`${where}: ${weightName} sum to ${sum}; a fit needs Σw > 0`);
}

/** Throws naming the first non-finite value (the column and row) of a sample. */
export function checkFinite(ev: FitEvents, where: string): void {
  const cols: [string, Float32Array | null][] = [
    ['x', ev.x],
    ['y', ev.y],
  ];
  for (const [name, a] of cols) {
    if (!a) continue;
    for (let i = 0; i < a.length; i++) {
      if (!Number.isFinite(a[i])) {
        throw new Error(
          `${where}: ${name}${(i % 2) + 1} of event ${Math.floor(i / 2)} is ${a[i]}, expected a finite number`,
        );
      }
    }
  }
}
