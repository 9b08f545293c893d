/**
 * Colours: named class colours, colour maps from d3-scale-chromatic by matplotlib-style name
 * ("Blues", "RdBu_r", "viridis"), and value → rgba mapping (sequential or diverging about 0).
 */
import * as chroma from 'd3-scale-chromatic';

/** Class and role colours shared by all figures (figures.md §0.1). */
export const COLORS = {
  classA: '#1e90ff', // dodgerblue
  classB: '#ff8c00', // darkorange
  truth: '#2ca02c',
  model: '#000000',
  nominal: '#7f7f7f',
  reference: '#7f7f7f',
} as const;

/** Colour-map names understood by `interpolator` (append "_r" to reverse any of them). */
export type ColorMapBase =
  | 'Blues'
  | 'Oranges'
  | 'Greens'
  | 'Greys'
  | 'Purples'
  | 'Reds'
  | 'RdBu'
  | 'PuOr'
  | 'PiYG'
  | 'BrBG'
  | 'viridis'
  | 'magma'
  | 'inferno'
  | 'plasma'
  | 'cividis';

// Typed by our own names, not `typeof chroma.…`: the emitted .d.ts then needs no d3 types, which
// are a development dependency (a library user's type check would fail on them).
export const COLOR_MAPS: Readonly<Record<ColorMapBase, (t: number) => string>> = {
  Blues: chroma.interpolateBlues,
  Oranges: chroma.interpolateOranges,
  Greens: chroma.interpolateGreens,
  Greys: chroma.interpolateGreys,
  Purples: chroma.interpolatePurples,
  Reds: chroma.interpolateReds,
  RdBu: chroma.interpolateRdBu,
  PuOr: chroma.interpolatePuOr,
  PiYG: chroma.interpolatePiYG,
  BrBG: chroma.interpolateBrBG,
  viridis: chroma.interpolateViridis,
  magma: chroma.interpolateMagma,
  inferno: chroma.interpolateInferno,
  plasma: chroma.interpolatePlasma,
  cividis: chroma.interpolateCividis,
};

export type ColorMapName = ColorMapBase | `${ColorMapBase}_r`;

/** t ∈ [0, 1] → CSS colour string for a named map. */
export function interpolator(name: ColorMapName): (t: number) => string {
  const reversed = name.endsWith('_r');
  const base = (reversed ? name.slice(0, -2) : name) as ColorMapBase;
  const f = COLOR_MAPS[base];
  if (!f)
    throw new Error(
      `plot/colors: unknown colour map "${name}" (known: ${Object.keys(COLOR_MAPS).join(', ')}, each also with _r)`,
    );
  return reversed ? (t) => f(1 - t) : f;
}

export type RGB = [number, number, number];

/** Parses "#rgb", "#rrggbb", "rgb(r, g, b)" and "rgba(r, g, b, a)" (what d3 and our callers produce). */
export function parseColor(css: string): { rgb: RGB; alpha: number } {
  const s = css.trim();
  if (s.startsWith('#')) {
    const h = s.slice(1);
    if (h.length === 3 || h.length === 6) {
      const full =
        h.length === 3
          ? h
              .split('')
              .map((c) => c + c)
              .join('')
          : h;
      const n = parseInt(full, 16);
      if (!Number.isNaN(n)) return { rgb: [(n >> 16) & 255, (n >> 8) & 255, n & 255], alpha: 1 };
    }
  }
  const m = /^rgba?\(\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)\s*(?:,\s*([\d.]+)\s*)?\)$/.exec(s);
  if (m) return { rgb: [Number(m[1]), Number(m[2]), Number(m[3])], alpha: m[4] === undefined ? 1 : Number(m[4]) };
  throw new Error(`plot/colors parseColor: cannot parse colour "${css}" (expected #rrggbb or rgb()/rgba())`);
}

/** The same colour with alpha replaced (multiplied into any alpha it already had). */
export function withAlpha(css: string, alpha: number): string {
  const { rgb, alpha: a0 } = parseColor(css);
  return rgba(rgb, a0 * alpha);
}

export function rgba(rgb: RGB, alpha = 1): string {
  const a = Math.round(Math.min(Math.max(alpha, 0), 1) * 1000) / 1000;
  return `rgba(${Math.round(rgb[0])},${Math.round(rgb[1])},${Math.round(rgb[2])},${a})`;
}

export interface ColorScale {
  (v: number): string;
  /** The [r, g, b] for a value (0–255), for writing image pixels. */
  rgb(v: number): RGB;
  domain: [number, number];
  mapName: ColorMapName;
  /** Colour-map parameter t ∈ [0, 1] for a value (clamped). */
  t(v: number): number;
}

export interface ColorScaleOptions {
  alpha?: number;
  /** Sub-range of the colour map actually used (e.g. [0.2, 1] to skip near-white). */
  range?: [number, number];
}

/**
 * Linear value → colour map over `domain` (values outside clamp to the ends); returns
 * `rgba(...)` strings. NaN maps to fully transparent.
 */
export function colorScale(name: ColorMapName, domain: [number, number], opts: ColorScaleOptions = {}): ColorScale {
  const f = interpolator(name);
  const alpha = opts.alpha ?? 1;
  const [r0, r1] = opts.range ?? [0, 1];
  const [d0, d1] = domain;
  if (!(Number.isFinite(d0) && Number.isFinite(d1)))
    throw new Error(`plot/colors colorScale(${name}): domain must be finite, got [${d0}, ${d1}]`);
  const span = d1 - d0;
  const cache = new Map<number, RGB>();
  const tOf = (v: number) => {
    const u = span === 0 ? 0.5 : (v - d0) / span;
    return r0 + (r1 - r0) * Math.min(Math.max(u, 0), 1);
  };
  const rgbOf = (v: number): RGB => {
    // Quantise to 1/1024 so large images reuse parsed colours (invisible at 8-bit output).
    const key = Math.round(tOf(v) * 1024);
    let c = cache.get(key);
    if (!c) {
      c = parseColor(f(key / 1024)).rgb;
      cache.set(key, c);
    }
    return c;
  };
  const scale = ((v: number) => (Number.isNaN(v) ? 'rgba(0,0,0,0)' : rgba(rgbOf(v), alpha))) as ColorScale;
  scale.rgb = rgbOf;
  scale.domain = [d0, d1];
  scale.mapName = name;
  scale.t = tOf;
  return scale;
}

/**
 * Diverging scale centred at 0 with symmetric limits ±maxAbs (0 maps to the map's midpoint).
 * Default map RdBu_r: negative blue, positive red (as the reference's cross-term maps).
 */
export function divergingScale(
  maxAbs: number,
  name: ColorMapName = 'RdBu_r',
  opts: ColorScaleOptions = {},
): ColorScale {
  if (!(maxAbs > 0) || !Number.isFinite(maxAbs))
    throw new Error(`plot/colors divergingScale: maxAbs must be > 0 and finite, got ${maxAbs}`);
  return colorScale(name, [-maxAbs, maxAbs], opts);
}

/** `n` distinct colours sampled from a map between t0 and t1 (e.g. viridis 0.05 … 0.85 for probe points). */
export function sampleColors(name: ColorMapName, n: number, t0 = 0.05, t1 = 0.85): string[] {
  const f = interpolator(name);
  const out: string[] = [];
  for (let i = 0; i < n; i++)
    out.push(rgba(parseColor(f(n === 1 ? (t0 + t1) / 2 : t0 + ((t1 - t0) * i) / (n - 1))).rgb));
  return out;
}
