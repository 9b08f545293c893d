/**
 * Whether one event carries a fit parameter's error: per nuisance, each event's share of the NLL's
 * curvature at the minimum, from second differences of the per-event NLL terms over ±1 error.
 *
 * Why: a flow's density can change sharply with ν for a single far-tail event (in the shipped score
 * model, an event whose transformed y crosses the base spline's bound, B = 5, where the base density
 * spikes by ~10 nats over 0.1 in y). The NLL then has a narrow dip in that ν, MIGRAD settles in it and
 * HESSE reports an error several times too small. In the 500-toy study the four worst flow fits
 * (pulls 5.5–14σ) each rested on one event giving 84–97 % of the ν_squeeze curvature; 27 flow fits
 * had an event above a quarter (their errors a median 0.73 of the truth's), no truth fit did. The
 * fit says so instead of leaving it to a pull plot.
 */
import type { MixtureLikelihood } from './likelihood.js';

/** Above this share of a parameter's curvature from one event, the fit warns. */
export const DOMINANT_EVENT_SHARE = 0.25;

export interface EventShare {
  /** The parameter's index in θ. */
  param: number;
  /** The event with the largest curvature, and its share of the total (constraint included). */
  event: number;
  share: number;
}

/**
 * For each nuisance of `lik` with a positive finite error: the largest single-event share of the
 * second difference of the NLL over θ ± error·e_k. Two model evaluations per nuisance, without
 * gradients. A parameter whose total curvature over that step is not positive is left out (the
 * minimum is not a minimum on that scale: HESSE has said so already).
 */
export function largestEventShares(
  lik: MixtureLikelihood,
  theta: readonly number[],
  errors: readonly number[],
  mid: Float64Array = lik.eventTerms(theta),
): EventShare[] {
  const out: EventShare[] = [];
  for (let k = 0; k < lik.K; k++) {
    const j = lik.nuOffset + k;
    const h = errors[j];
    if (!(h > 0 && Number.isFinite(h))) continue;
    const at = (sign: number) => lik.eventTerms(theta.map((v, i) => (i === j ? v + sign * h : v)));
    const [up, dn] = [at(1), at(-1)];
    let total = 1 / (lik.sigmas[k] * lik.sigmas[k]); // the Gaussian constraint's curvature
    let most = -Infinity;
    let event = -1;
    for (let i = 0; i < mid.length; i++) {
      const c = (up[i] - 2 * mid[i] + dn[i]) / (h * h);
      total += c;
      if (c > most) {
        most = c;
        event = i;
      }
    }
    if (total > 0 && Number.isFinite(total) && event >= 0)
      out.push({ param: j, event, share: Math.max(0, most) / total });
  }
  return out;
}

/**
 * An event this many nats less probable than the median event is not a tail event but one the model
 * gives no support (a unit mistake, a sentinel such as −999 or 1e30, a column from another file): for a
 * unit Gaussian it would sit 14σ out. One such event can carry the whole NLL (a 1e30 entry made it 1.6e60
 * and stopped MIGRAD at its start with "EDM above max"), so the fit names it instead of failing vaguely.
 */
export const OUTLIER_NATS = 100;

export interface Outliers {
  /** How many events are non-finite or more than OUTLIER_NATS above the median event's −log p. */
  count: number;
  /** The first few of them (0-based event indices) with their −log p (without weights), worst first. */
  worst: { event: number; term: number }[];
}

/**
 * The events outside the model's support, from each event's −log p without its weight
 * (MixtureLikelihood.eventNegLogP): support is a property of the event, and a weight of 60 on an
 * ordinary event must not read as 400 nats of improbability. `weights` only decides which events
 * count: those of weight 0 take no part in the fit, so they are neither flagged nor in the median.
 * Events far more probable than the median are not flagged (a density spike is not missing support).
 */
export function outlierEvents(negLogP: Float64Array, weights: Float64Array | null = null, shown = 3): Outliers {
  const counts = (i: number) => !weights || weights[i] !== 0;
  const size = (t: number) => (Number.isNaN(t) ? Infinity : t);
  const finite: number[] = [];
  for (let i = 0; i < negLogP.length; i++) if (counts(i) && Number.isFinite(negLogP[i])) finite.push(negLogP[i]);
  finite.sort((a, b) => a - b);
  const median = finite.length > 0 ? finite[finite.length >> 1] : 0;
  const flagged: { event: number; term: number }[] = [];
  for (let i = 0; i < negLogP.length; i++) {
    if (counts(i) && !(size(negLogP[i]) - median <= OUTLIER_NATS)) flagged.push({ event: i, term: negLogP[i] });
  }
  flagged.sort((a, b) => size(b.term) - size(a.term));
  return { count: flagged.length, worst: flagged.slice(0, shown) };
}

/** One line for the fit's note: which events, their −log p, and what to check. */
export function outlierNote(o: Outliers): string {
  const term = (t: number) => (Number.isFinite(t) ? t.toPrecision(3) : t > 0 ? '∞' : String(t));
  const list = o.worst.map((w) => `${w.event} (${term(w.term)})`).join(', ');
  const more = o.count > o.worst.length ? ` and ${o.count - o.worst.length} more` : '';
  return (
    `${o.count === 1 ? '1 event has' : `${o.count} events have`} a −log p over ${OUTLIER_NATS} above the median ` +
    `event's, outside the model's support: event (−log p) ${list}${more}, 0-based; check the data for ` +
    'sentinels, unit mistakes or stray columns'
  );
}
