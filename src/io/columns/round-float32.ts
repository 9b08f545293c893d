/**
 * Decimal text → float32 with one rounding, as if the digits were rounded straight to float32.
 *
 * Number(text) rounds the digits to the nearest float64, and Math.fround rounds that again; the
 * two roundings agree except when the float64 lands exactly halfway between two adjacent float32
 * values (a float32 midpoint is exact in float64, and rounding is monotonic, so anywhere else the
 * float64 lies on the same side of every midpoint as the digits). There Math.fround breaks the
 * tie to even, while the digits may lie just above or below the midpoint: e.g.
 * '1.00000005960464477539062500001' is 1 + 2^-24 + 1e-29, which rounds up to 1 + 2^-23 in
 * float32, but its float64 is 1 + 2^-24 exactly, which fround rounds down to 1. Only those rare
 * values are decided from the digits, by an exact BigInt comparison with the midpoint.
 */

/** The largest float32, and the midpoint above it: from there on float32 rounding gives ±Infinity. */
const MAX_FLOAT32 = 3.4028234663852886e38;
const OVERFLOW_MIDPOINT = 3.4028235677973366e38; // 2^128 − 2^103

/** Whether the float64 `d` lies exactly halfway between two adjacent float32 values (cheap: the hot path). */
export function isFloat32Midpoint(d: number): boolean {
  const f = Math.fround(d);
  if (f === d || d !== d) return false; // a float32 already, or NaN
  if (f === Infinity || f === -Infinity) return Math.abs(d) === OVERFLOW_MIDPOINT;
  // If d is a midpoint, the other neighbour g = 2d − f is exact and a float32, and d their mean.
  const g = 2 * d - f;
  return (f + g) / 2 === d && Math.fround(g) === g;
}

/**
 * The float32 nearest to the decimal `text` (a plain decimal as csv.ts accepts it), whose float64
 * `d` is a float32 midpoint (isFloat32Midpoint): the neighbour on the digits' side of `d`, or on
 * a true tie the even one, as Math.fround gives.
 */
export function float32AtMidpoint(text: string, d: number): number {
  const f = Math.fround(d);
  const other = f === Infinity || f === -Infinity ? Math.sign(d) * MAX_FLOAT32 : 2 * d - f;
  const side = compareDecimal(text, d);
  if (side === 0) return f;
  return side > 0 ? Math.max(f, other) : Math.min(f, other);
}

/** −1, 0 or 1 as the exact value of the decimal `text` is below, at or above the finite float64 `d`. */
export function compareDecimal(text: string, d: number): number {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text.trim());
  if (!m) throw new Error(`compareDecimal: '${text}' is not a decimal number`);
  const [, sign, whole, fraction = '', exponent = '0'] = m;
  let digits = BigInt(whole + fraction || '0'); // |text| = digits · 10^scale10
  const scale10 = Number(exponent) - fraction.length;
  const textSign = digits === 0n ? 0 : sign === '-' ? -1 : 1;
  if (textSign !== Math.sign(d) || textSign === 0) return Math.sign(textSign - Math.sign(d));
  const exact = binary(Math.abs(d)); // |d| = mantissa · 2^scale2
  let mantissa = exact.mantissa;
  const scale2 = exact.scale2;
  // Both sides to integers: the side with a negative power is multiplied by its inverse.
  if (scale10 >= 0) digits *= 10n ** BigInt(scale10);
  else mantissa *= 10n ** BigInt(-scale10);
  if (scale2 >= 0) mantissa *= 2n ** BigInt(scale2);
  else digits *= 2n ** BigInt(-scale2);
  return textSign * (digits < mantissa ? -1 : digits > mantissa ? 1 : 0);
}

/** A finite non-negative float64 as mantissa · 2^scale2, both exact. */
function binary(d: number): { mantissa: bigint; scale2: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, d);
  const bits = view.getBigUint64(0);
  const exponent = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & 0xfffffffffffffn;
  return exponent === 0
    ? { mantissa: fraction, scale2: -1074 }
    : { mantissa: fraction | 0x10000000000000n, scale2: exponent - 1075 };
}
