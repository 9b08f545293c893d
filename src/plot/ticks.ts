/**
 * Tick positions and labels. Chart.js would add its (unrounded) min and max as ticks when the
 * range is fixed, giving labels such as "2.137"; we always fix the range, so the ticks are
 * chosen here (1-2-5 steps) and handed to Chart.js, and the colour bars use the same code.
 */

const SUPERSCRIPT: Record<string, string> = {
  '0': '⁰',
  '1': '¹',
  '2': '²',
  '3': '³',
  '4': '⁴',
  '5': '⁵',
  '6': '⁶',
  '7': '⁷',
  '8': '⁸',
  '9': '⁹',
  '-': '⁻',
};

export const superscript = (s: string): string =>
  s
    .split('')
    .map((c) => SUPERSCRIPT[c] ?? c)
    .join('');

/** A "nice" step (1, 2, 2.5 or 5 × 10^k) giving about `target` intervals over the span. */
export function niceStep(span: number, target: number): number {
  const raw = span / Math.max(target, 1);
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  const f = raw / p;
  const m = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10;
  return m * p;
}

/** Ticks at multiples of a nice step inside [lo, hi] (inclusive within rounding). */
export function niceTicks(lo: number, hi: number, target = 5): { values: number[]; step: number } {
  if (!(hi > lo)) return { values: [lo], step: 1 };
  const step = niceStep(hi - lo, target);
  const eps = step * 1e-9;
  const first = Math.ceil((lo - eps) / step);
  const last = Math.floor((hi + eps) / step);
  const values: number[] = [];
  for (let k = first; k <= last; k++) {
    const v = k * step;
    values.push(Math.abs(v) < eps ? 0 : v);
  }
  return { values, step };
}

/** niceTicks with at least `min` ticks (short axes such as ratio panels still get 3 labels). */
export function axisTicks(lo: number, hi: number, target: number, min = 3): { values: number[]; step: number } {
  let t = niceTicks(lo, hi, target);
  for (let k = target + 1; t.values.length < min && k <= 12; k++) t = niceTicks(lo, hi, k);
  return t;
}

/** Unicode minus for negative numbers (typographically matches "+" and reads better than "-"). */
const minus = (s: string) => s.replace(/^-/, '−');

/**
 * Label for a tick value at a given step: fixed decimals matching the step; scientific
 * "2.5×10⁻⁴" when the step is tiny or the values large, so no offset text is ever needed.
 */
export function formatTick(v: number, step: number): string {
  const sci = step < 1e-3 || Math.abs(v) >= 1e5;
  if (v === 0) return sci ? '0' : (0).toFixed(stepDecimals(step));
  const av = Math.abs(v);
  if (sci) {
    const e = Math.floor(Math.log10(av));
    let mant = v / Math.pow(10, e);
    const stepMant = step / Math.pow(10, e);
    const dec = Math.max(0, Math.min(4, -Math.floor(Math.log10(stepMant) + 1e-9)));
    mant = Number(mant.toFixed(dec));
    if (Math.abs(mant) >= 10) return formatTick(v, step * 10);
    const ms = mant === 1 ? '' : mant === -1 ? '−' : `${minus(mant.toFixed(dec))}×`;
    return `${ms}10${superscript(String(e))}`;
  }
  return minus(v.toFixed(stepDecimals(step)));
}

const stepDecimals = (step: number) => Math.max(0, -Math.floor(Math.log10(step) + 1e-9) + (isHalfStep(step) ? 1 : 0));

/** 2.5 × 10^k steps need one more decimal than the step's magnitude suggests. */
function isHalfStep(step: number): boolean {
  const p = Math.pow(10, Math.floor(Math.log10(step) + 1e-9));
  return Math.abs(step / p - 2.5) < 1e-6;
}

/** Ticks for a log axis: decades, plus 2 and 5 when the range spans fewer than 3 decades. */
export function logTicks(lo: number, hi: number): number[] {
  if (!(lo > 0) || !(hi > lo)) return [];
  const e0 = Math.floor(Math.log10(lo));
  const e1 = Math.ceil(Math.log10(hi));
  const mult = Math.log10(hi / lo) < 2.5 ? [1, 2, 5] : [1];
  const every = Math.max(1, Math.ceil((e1 - e0) / 8));
  const out: number[] = [];
  for (let e = e0; e <= e1; e++) {
    if ((e - e0) % every !== 0 && mult.length === 1) continue;
    for (const m of mult) {
      const v = m * Math.pow(10, e);
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(v);
    }
  }
  return out;
}

export function formatLogTick(v: number): string {
  const e = Math.round(Math.log10(v));
  if (Math.abs(v - Math.pow(10, e)) < 1e-9 * v) {
    return e >= -2 && e <= 3 ? minus(String(Number(v.toPrecision(6)))) : `10${superscript(String(e))}`;
  }
  return minus(String(Number(v.toPrecision(3))));
}
