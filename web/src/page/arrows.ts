/**
 * Displacement arrows on the kinematic panels: one length factor per view, and a cap on the few
 * arrows that would still cross several grid cells (at large ν the residual displaces points far
 * from the data most; drawn at full length they become long lines over their neighbours).
 */
import type { ViewState } from '../engine/protocol.js';

/** Arrows as drawn: the kept ones and the capped ones (shortened to the cap, shown lighter). */
export interface ArrowGroups {
  kept: Float32Array;
  capped: Float32Array;
  /** How many arrows were capped. */
  nCapped: number;
}

/**
 * Arrow length factor: the median |Δ| spans 0.8 of the grid spacing (1 when arrows already fit).
 * The median, not the maximum: the squeeze displaces far points most, and scaling by the longest
 * arrows would shrink those near the data to dots.
 */
export function arrowScaleFor(d: Float32Array, spacing: number): number {
  const lengths: number[] = [];
  for (let i = 0; i < d.length; i += 2) lengths.push(Math.hypot(d[i], d[i + 1]));
  lengths.sort((a, b) => a - b);
  const typical = lengths[Math.floor(0.5 * (lengths.length - 1))] ?? 0;
  return typical > 0.8 * spacing ? (0.8 * spacing) / typical : 1;
}

/** Arrows longer than this many grid spacings (after scaling) are capped to it. */
export const ARROW_CAP_SPACINGS = 1.5;

/**
 * d (pairs Δx, Δy) times `scale`, split in two arrays of the same length as d: arrows up to
 * `cap` long in `kept`, longer ones shortened to `cap` (same direction) in `capped`; each
 * arrow's entries are zero in the other array (a zero arrow is not drawn).
 */
export function capArrows(d: Float32Array, scale: number, cap: number): ArrowGroups {
  const kept = new Float32Array(d.length);
  const capped = new Float32Array(d.length);
  let nCapped = 0;
  for (let i = 0; i < d.length; i += 2) {
    const dx = d[i] * scale;
    const dy = d[i + 1] * scale;
    const len = Math.hypot(dx, dy);
    if (len > cap) {
      capped[i] = (dx * cap) / len;
      capped[i + 1] = (dy * cap) / len;
      nCapped++;
    } else {
      kept[i] = dx;
      kept[i + 1] = dy;
    }
  }
  return { kept, capped, nCapped };
}

/** The arrows' ink, and the lighter ink of capped ones (their true length is longer). */
export const ARROW_COLOR = '#2b2b2b';
export const CAPPED_ARROW_COLOR = '#9a9a9a';

/**
 * The displacement field a kinematic redraw may show: the last extras' arrows, but only where
 * the panel's own state has arrows on and the same model (residual kind, base only) — a kin
 * update arrives before its extras, and arrows of the model just switched away from (or of a
 * view whose arrows were just turned off) would otherwise be drawn under the new subtitle.
 * ν may differ while a slider moves (the extras follow when it rests): `atNu` is then the ν
 * the arrows belong to, for the subtitle to say so.
 */
export function arrowsToDraw(
  panel: ViewState,
  extra: { state: ViewState; arrows: Float32Array | null } | null,
): { d: Float32Array; atNu: [number, number] | null } | null {
  if (!extra?.arrows || !extra.state.arrows || !panel.arrows || panel.baseOnly) return null;
  if (extra.state.residual !== panel.residual || extra.state.baseOnly) return null;
  const same = extra.state.nu[0] === panel.nu[0] && extra.state.nu[1] === panel.nu[1];
  return { d: extra.arrows, atNu: same ? null : [extra.state.nu[0], extra.state.nu[1]] };
}
