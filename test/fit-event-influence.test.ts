/**
 * One event carrying a parameter's error (src/fit/event-influence.ts): on a synthetic density whose
 * events all depend smoothly on ν except one with a narrow dip (what a far-tail event crossing the
 * base spline's bound does to the shipped score flow), the fit flags that event and that parameter
 * only; on the smooth density it flags nothing; the toy summary counts the flagged fits. Events the model
 * gives no support (a 1e30 sentinel) are named, worst first, whether their −log p is huge, ∞ or NaN, and
 * whatever their weights (which only decide whether an event counts).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ClassDensities, DensitySource } from '../src/fit/density-source.js';
import type { FitEvents } from '../src/fit/events.js';
import { MixtureLikelihood } from '../src/fit/likelihood.js';
import {
  DOMINANT_EVENT_SHARE,
  OUTLIER_NATS,
  largestEventShares,
  outlierEvents,
  outlierNote,
} from '../src/fit/event-influence.js';
import { fitLikelihood } from '../src/fit/run-fit.js';
import { fitTable } from '../src/fit/table.js';
import { summarizeToys, summaryMarkdown } from '../src/fit/toy-summary.js';
import type { ToyRecord, ToyStudyMeta } from '../src/fit/toys.js';

const N = 400;

/**
 * Event i: log p_c = a_c,i − ½ (ν₀ − m_i)² / 4 − ½ (ν₁ − m'_i)² / 4 with m, m' spread around 0, so each
 * event is a weak Gaussian constraint on ν; `dipAt` adds to event 0's class-A density a narrow
 * Gaussian bump in ν₁ (height 6 nats, width 0.02) there.
 */
function source(dipAt: number | null): DensitySource {
  const K = 2;
  const compute = (nu: readonly number[], grad: boolean): ClassDensities => {
    const lA = new Float64Array(N);
    const lB = new Float64Array(N);
    const dA = grad ? new Float64Array(N * K) : null;
    const dB = grad ? new Float64Array(N * K) : null;
    for (let i = 0; i < N; i++) {
      const m0 = Math.sin(i) * 0.5;
      const m1 = Math.cos(1.7 * i) * 0.5;
      const q = -0.125 * ((nu[0] - m0) ** 2 + (nu[1] - m1) ** 2);
      lA[i] = q + (i % 3 === 0 ? 0.4 : -0.3);
      lB[i] = q;
      let dip = 0;
      let ddip = 0;
      if (dipAt !== null && i === 0) {
        const z = (nu[1] - dipAt) / 0.02;
        dip = 6 * Math.exp(-0.5 * z * z);
        ddip = (-dip * z) / 0.02;
        lA[i] += dip;
      }
      if (dA && dB) {
        for (const [k, m] of [
          [0, m0],
          [1, m1],
        ] as const) {
          dA[i * K + k] = -0.25 * (nu[k] - m) + (k === 1 ? ddip : 0);
          dB[i * K + k] = -0.25 * (nu[k] - m);
        }
      }
    }
    return { lA, lB, dA, dB };
  };
  return { name: 'flow', numNuisances: K, evaluate: compute, valuesAt: (nu) => compute(nu, false) };
}

const events: FitEvents = { n: N, x: new Float32Array(2 * N), y: null, weights: null };
const likelihood = (dipAt: number | null) =>
  new MixtureLikelihood(source(dipAt), events, { nuisanceNames: ['shift', 'squeeze'], startNu: [0, dipAt ?? 0] });

test('a smooth density: no event carries more than a few per cent of any curvature', () => {
  const fit = fitLikelihood(likelihood(null));
  assert.ok(fit.json.valid);
  assert.not.ok(fit.flags.single_event);
  for (const p of fit.json.parameters.slice(1)) {
    assert.ok(p.largest_event && p.largest_event.share < 0.05, `${p.name}: ${JSON.stringify(p.largest_event)}`);
  }
  assert.not.match(fit.message, /curvature/);
});

test("one event's narrow dip in ν_squeeze: the fit lands in it, and says that event carries the error", () => {
  // The dip sits where the smooth NLL is ~1 above its minimum; started near it (as MIGRAD got there in
  // the toys), the fit stays in it.
  const lik = likelihood(0.15);
  const fit = fitLikelihood(lik);
  const squeeze = fit.json.parameters[2];
  assert.ok(Math.abs(squeeze.value - 0.15) < 0.02, `ν_squeeze ${squeeze.value} in the dip`);
  assert.is(squeeze.largest_event?.event, 0);
  assert.ok(squeeze.largest_event!.share > 0.5, `share ${squeeze.largest_event!.share}`);
  assert.ok(fit.json.parameters[1].largest_event!.share < DOMINANT_EVENT_SHARE, 'ν_shift is not dominated');
  assert.ok(fit.flags.single_event);
  assert.match(fit.message, /nu_squeeze: event 0 alone gives \d+ % of the NLL's curvature/);
  assert.match(fitTable('flow', fit), /one event dominates YES/);
  // The same numbers from the function itself; a parameter without an error is left out.
  const theta = Array.from(fit.result.values);
  const shares = largestEventShares(lik, theta, [0, NaN, fit.result.errors[2]]);
  assert.equal(
    shares.map((s) => s.param),
    [2],
  );
  assert.ok(Math.abs(shares[0].share - squeeze.largest_event!.share) < 1e-12);
});

test('outliers: non-finite −log p and −log p far above the median are named, worst first', () => {
  const nlp = Float64Array.from({ length: 50 }, (_, i) => 3 + 0.01 * i);
  assert.is(outlierEvents(nlp).count, 0, 'a plain sample has none');
  nlp[7] = 3 + OUTLIER_NATS + 1; // just over the line
  nlp[20] = 1.6e60;
  nlp[31] = Infinity;
  nlp[40] = NaN;
  nlp[44] = -5e5; // far more probable than the median: a density spike, not missing support
  nlp[45] = 3 + OUTLIER_NATS - 1; // just under
  const o = outlierEvents(nlp);
  assert.is(o.count, 4);
  assert.equal(
    o.worst.map((w) => w.event),
    [31, 40, 20],
  );
  assert.match(
    outlierNote(o),
    new RegExp(
      "^4 events have a −log p over 100 above the median event's, outside the model's support: " +
        'event \\(−log p\\) 31 \\(∞\\), 40 \\(NaN\\), 20 \\(1\\.60e\\+60\\) and 1 more, 0-based',
    ),
  );
});

test('outliers: weights decide which events count, never how improbable an event is', () => {
  const nlp = Float64Array.from({ length: 1000 }, (_, i) => 3 + 0.002 * i);
  // Large weights (w·(−log p) up to 1 800 nats) on ordinary events: none is outside the support.
  const every100th = Float64Array.from({ length: 1000 }, (_, i) => (i % 100 === 0 ? 60 : 1));
  assert.is(outlierEvents(nlp, every100th).count, 0, 'w = 60 on every 100th event');
  assert.is(outlierEvents(nlp, new Float64Array(1000).fill(1000)).count, 0, 'all weights 1000');
  // A sentinel event is flagged whatever its weight (negative included); one of weight 0 takes no part.
  nlp[5] = 1e6;
  nlp[6] = 1e6;
  const w = new Float64Array(1000).fill(0.01);
  w[5] = -0.5;
  w[6] = 0;
  const o = outlierEvents(nlp, w);
  assert.equal(o, { count: 1, worst: [{ event: 5, term: 1e6 }] });
});

test('outliers: a fit names the events outside the support, valid or not, whatever the weights', () => {
  const noSupportAt9: DensitySource = {
    name: 'truth',
    numNuisances: 0,
    evaluate: () => {
      const lA = Float64Array.from({ length: N }, (_, i) => (i === 9 ? -Infinity : -2));
      return { lA, lB: lA.map((v) => v - 0.5), dA: new Float64Array(0), dB: new Float64Array(0) };
    },
    valuesAt(nu) {
      return this.evaluate(nu, false);
    },
  };
  const fit = fitLikelihood(new MixtureLikelihood(noSupportAt9, events, { nuisanceNames: [] }));
  assert.equal(fit.json.outlier_events, { count: 1, worst: [{ event: 9, term: Infinity }] });
  assert.match(fit.message, /1 event has a −log p over 100 .* event \(−log p\) 9 \(∞\), 0-based/);
  // Weight 60 on every fifth event (its w·(−log p), ~130 nats, lies over 100 above the median): still event 9 alone.
  const weights = Float64Array.from({ length: N }, (_, i) => (i % 5 === 0 ? 60 : 1));
  const lik = new MixtureLikelihood(noSupportAt9, { ...events, weights }, { nuisanceNames: [] });
  const wfit = fitLikelihood(lik, { weightedEvents: true });
  assert.equal(wfit.json.outlier_events, { count: 1, worst: [{ event: 9, term: Infinity }] });
});

test('toy summary: fits resting on one event are counted, with the pull width without them', () => {
  const meta: ToyStudyMeta = {
    truth: { mu: 0.3, nu: [0, 0] },
    nuisance_names: ['shift', 'squeeze'],
    events: N,
    n_toys: 6,
    seed: 1,
    models: ['flow'],
    observables: 'x',
    extended: false,
    minos: [],
  };
  const pulls = [0.5, -0.5, 1, -1, 0, 12];
  const toys: ToyRecord[] = pulls.map((p, index) => ({
    index,
    global_obs: [0, 0],
    fits: {
      flow: {
        names: ['mu', 'nu_shift', 'nu_squeeze'],
        values: [0.3, 0, 0.1 * p],
        errors: [0.01, 1, 0.1],
        minos: [null, null, null],
        valid: true,
        edm: 0,
        nfcn: 10,
        message: '',
        dominated: p === 12 ? ['nu_squeeze'] : [],
      },
    },
  }));
  const s = summarizeToys(meta, toys);
  const sq = s.models.flow.parameters[2];
  assert.is(sq.single_event, 1);
  assert.ok(Math.abs(sq.pull_width_others! - Math.sqrt(2.5 / 4)) < 1e-12, `width without ${sq.pull_width_others}`);
  assert.is(s.models.flow.parameters[1].single_event, undefined);
  assert.match(summaryMarkdown(meta, s), /flow nu_squeeze: 1 fit\(s\) rest on one event/);
});

test.run();
