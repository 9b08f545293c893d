/**
 * `fnf fit` figures:
 *   fit_nuisances.png — left: post-fit nuisance pulls (ν̂ − ν̃)/σ with the post-fit error bars σ̂/σ
 *     per model; right: μ's impacts ranked, Δμ̂ when μ is refitted with each ν fixed at ν̂ ± σ̂
 *     (the first model that fits ν, normally flow); with --extended the same for the signal yield;
 *   fit_data_vs_model.png — data in each observable (x1, x2, and y1, y2 when used) against the fitted
 *     mixture of each model, signal and background stacked (from draws of the fitted model at ν̂:
 *     class A and B samples weighted to μ̂N and (1 − μ̂)N, or to the fitted yields), with a data/model
 *     ratio panel; weighted events as Σw per bin with √Σw² errors.
 */
import { Figure, type LegendEntry } from '../plot/index.js';
import { Rng } from '../random/rng.js';
import { migrad } from './minimize/index.js';
import type { FitEvents } from './events.js';
import { totalWeight } from './events.js';
import { modelDraws } from './model-draws.js';
import type { FitModels } from './sources.js';
import type { ModelFit } from './run-fit.js';
import { likelihoodFor, type LikelihoodSettings } from './session.js';
import type { TruthPoint } from './truth-spec.js';
import {
  BACKGROUND_COLOR,
  IMPACT_DOWN_COLOR,
  IMPACT_UP_COLOR,
  MODEL_COLORS,
  paramLabel,
  savePng,
  SIGNAL_COLOR,
} from './figure-style.js';

export interface FitFigureInput {
  models: FitModels;
  events: FitEvents;
  fits: Record<string, ModelFit>;
  settings: LikelihoodSettings;
  truth?: TruthPoint;
}

const SAMPLES_PER_CLASS = 20_000;
const IMPACT_RULE = '(ν fixed at ν̂ ± σ̂, the rest refitted)';

/** The files fitFigures writes into its directory (`fnf fit` checks each can be written before it fits). */
export const FIT_FIGURE_FILES = ['fit_nuisances.png', 'fit_data_vs_model.png'] as const;

export function fitFigures(dir: string, inp: FitFigureInput): string[] {
  return [nuisanceFigure(dir, inp), dataFigure(dir, inp)];
}

/** The parameter of interest as the figures name it: μ, or the signal yield of an extended fit. */
const poiOf = (inp: FitFigureInput) => (inp.settings.extended ? 'n̂_sig' : 'μ̂');

/** Signal and background yields of a fit (μ̂Σw and (1 − μ̂)Σw, or the fitted yields) and its ν̂. */
function yieldsOf(
  inp: FitFigureInput,
  f: ModelFit['result'],
  sumW: number,
): { sig: number; bkg: number; nu: number[] } {
  const v = Array.from(f.values);
  return inp.settings.extended
    ? { sig: v[0], bkg: v[1], nu: v.slice(2) }
    : { sig: v[0] * sumW, bkg: (1 - v[0]) * sumW, nu: v.slice(1) };
}

function nuisanceFigure(dir: string, inp: FitFigureInput): string {
  const names = inp.models.nuisanceNames.map((n) => `nu_${n}`);
  // The base model ignores ν: its "ν̂ = 0 ± 1" is the constraint alone, not a fit, so it is not drawn.
  const all = Object.keys(inp.fits);
  const models = all.filter((m) => m !== 'base');
  const baseNote = all.includes('base') ? '; base: ν not fitted' : '';
  const fig = new Figure({
    width: 1300,
    height: Math.max(520, 300 + 70 * names.length), // rows stay readable with many nuisances
    cols: 2,
    legend: models.map((m): LegendEntry => ({ kind: 'marker', label: m, color: MODEL_COLORS[m], errorBar: true })),
    suptitle: `Post-fit nuisances (ν̃ = 0, σ = 1) and the impacts on ${poiOf(inp)} ${IMPACT_RULE}`,
  });
  const p = fig.panel(0, 0, {
    title: `nuisance pulls (ν̂ − ν̃)/σ, bars σ̂/σ${baseNote}`,
    xLabel: 'pull',
    xRange: [-3, 3],
    yRange: [-0.7, names.length - 0.3],
    yCategories: names.map(paramLabel),
    legend: 'none',
  });
  // ±1σ green and ±2σ yellow, as pull plots are read
  p.vspan(-1, 1, { color: '#00aa00', alpha: 0.16 });
  p.vspan(-2, -1, { color: '#f0c000', alpha: 0.25 }).vspan(1, 2, { color: '#f0c000', alpha: 0.25 });
  models.forEach((m, mi) => {
    const f = inp.fits[m].json;
    const ys: number[] = [];
    const xs: number[] = [];
    const es: number[] = [];
    names.forEach((n, k) => {
      const q = f.parameters.find((pp) => pp.name === n);
      if (!q) return;
      ys.push(k + (mi - (models.length - 1) / 2) * 0.15);
      xs.push(q.value);
      es.push(q.error);
    });
    // horizontal error bars: draw each as a line segment with a marker
    xs.forEach((x, i) => p.line([x - es[i], x + es[i]], [ys[i], ys[i]], { color: MODEL_COLORS[m], width: 2.5 }));
    p.scatter(xs, ys, { color: MODEL_COLORS[m], radius: 5, alpha: 1 });
  });

  // impacts of the first model with ν-dependence
  const im = models[0] ?? all[0];
  const impacts = impactsOf(im, inp);
  const order = impacts.map((_, k) => k).sort((a, b) => impacts[b].size - impacts[a].size);
  // Largest impact on top: row y holds order[K − 1 − y]; the x range holds every bar with a margin.
  const reach = 1.15 * Math.max(...impacts.map((i) => i.size), 1e-12);
  const q = fig.panel(0, 1, {
    title: `${im}: impact on ${poiOf(inp)} (ranked; red ν̂ + σ̂, grey ν̂ − σ̂)`,
    xLabel: `Δ${poiOf(inp)}`,
    xRange: [-reach, reach],
    yRange: [-0.7, names.length - 0.3],
    yCategories: names.map((_, y) => paramLabel(names[order[names.length - 1 - y]])),
    legend: 'none',
  });
  order.forEach((k, rank) => {
    const y = names.length - 1 - rank;
    q.line([0, impacts[k].up], [y + 0.1, y + 0.1], { color: IMPACT_UP_COLOR, width: 8 });
    q.line([0, impacts[k].down], [y - 0.1, y - 0.1], { color: IMPACT_DOWN_COLOR, width: 8 });
  });
  q.vline(0, { color: '#555555', width: 1 });
  return savePng(dir, FIT_FIGURE_FILES[0], fig);
}

function impactsOf(model: string, inp: FitFigureInput): { up: number; down: number; size: number }[] {
  const f = inp.fits[model];
  const lik = likelihoodFor(model as 'flow', inp.models, inp.events, inp.settings);
  const muHat = f.result.values[0];
  return inp.models.nuisanceNames.map((_, k) => {
    const j = lik.nuOffset + k;
    const at = (v: number) => {
      const params = f.params.map((p, i) => ({
        ...p,
        value: i === j ? v : f.result.values[i],
        fixed: p.fixed || i === j,
      }));
      return migrad(lik.fcn, params, { errordef: 0.5, strategy: 0 }).values[0] - muHat;
    };
    const err = f.json.parameters[j].error; // as reported (for weighted events, the sandwich error)
    const up = at(f.result.values[j] + err);
    const down = at(f.result.values[j] - err);
    return { up, down, size: Math.max(Math.abs(up), Math.abs(down)) };
  });
}

function dataFigure(dir: string, inp: FitFigureInput): string {
  const useY = inp.models.observables === 'xy' && inp.events.y !== null;
  const obs = useY ? ['x₁', 'x₂', 'y₁', 'y₂'] : ['x₁', 'x₂'];
  const models = Object.keys(inp.fits);
  const ev = inp.events;
  const sumW = totalWeight(ev);
  const col = (d: number) =>
    Float64Array.from({ length: ev.n }, (_, i) => (d < 2 ? ev.x[2 * i + d] : ev.y![2 * i + d - 2]));
  const fig = new Figure({
    width: 430 * obs.length,
    height: 430 * models.length + 120,
    rows: 2 * models.length,
    cols: obs.length,
    heightRatios: models.flatMap(() => [3, 1]),
    legend: [
      { kind: 'marker', label: 'data', color: '#000000', errorBar: true },
      { kind: 'patch', label: `signal (class A), ${inp.settings.extended ? 'n̂_sig' : 'μ̂N'}`, color: SIGNAL_COLOR },
      {
        kind: 'patch',
        label: `background (class B), ${inp.settings.extended ? 'n̂_bkg' : '(1 − μ̂)N'}`,
        color: BACKGROUND_COLOR,
      },
    ],
    suptitle:
      `Data (${ev.n} events${ev.weights ? `, Σw = ${sumW.toPrecision(5)}` : ''}) ` +
      'against each fitted mixture, stacked; ' +
      `model from ${SAMPLES_PER_CLASS} draws per class at ν̂`,
  });
  models.forEach((m, r) => {
    const f = inp.fits[m].result;
    const { sig, bkg, nu } = yieldsOf(inp, f, sumW);
    const draws = modelDraws(m, inp.models, nu, Rng.fromSeed(4242), SAMPLES_PER_CLASS);
    obs.forEach((label, d) => {
      const data = col(d);
      const sorted = Float64Array.from(data).sort();
      const lo = sorted[Math.floor(0.005 * (ev.n - 1))];
      const hi = sorted[Math.ceil(0.995 * (ev.n - 1))];
      const nb = 30;
      const edges = Array.from({ length: nb + 1 }, (_, i) => lo + ((hi - lo) * i) / nb);
      const hist = (v: ArrayLike<number>, stride: number, off: number, w: number | ((k: number) => number)) => {
        const h = new Float64Array(nb);
        for (let i = off, k = 0; i < v.length; i += stride, k++) {
          const b = Math.floor(((v[i] - lo) / (hi - lo)) * nb);
          if (b >= 0 && b < nb) h[b] += typeof w === 'number' ? w : w(k);
        }
        return h;
      };
      // Weighted events: Σw per bin with √(Σw²) errors; the model is normalised to Σw.
      const wts = ev.weights;
      const hd = hist(data, 1, 0, wts ? (k) => wts[k] : 1);
      const hdErr = Array.from(wts ? hist(data, 1, 0, (k) => wts[k] * wts[k]) : hd, Math.sqrt);
      const src = (cls: 0 | 1) => (d < 2 ? draws[cls][0] : draws[cls][1]);
      const hs = hist(src(0), 2, d % 2, sig / SAMPLES_PER_CLASS);
      const hb = hist(src(1), 2, d % 2, bkg / SAMPLES_PER_CLASS);
      const tot = hs.map((v, i) => v + hb[i]);
      const main = fig.panel(2 * r, d, {
        title: `${m}: ${label}`,
        yLabel: wts ? 'Σw / bin' : 'events / bin',
        legend: 'none',
        hideXTickLabels: true,
        xRange: [lo, hi],
      });
      // the stack: signal + background drawn first, background over it
      main.hist(edges, tot, { color: SIGNAL_COLOR, filled: true, fillAlpha: 0.9 });
      main.hist(edges, hb, { color: BACKGROUND_COLOR, filled: true, fillAlpha: 1 });
      const centres = edges.slice(0, nb).map((e, i) => 0.5 * (e + edges[i + 1]));
      main.errorbar(centres, hd, hdErr, { color: '#000000', marker: 2.5 });
      const ratio = fig.panel(2 * r + 1, d, {
        xLabel: label,
        yLabel: 'ratio', // 'data/model' does not fit the short panel's height
        xRange: [lo, hi],
        yRange: [0.5, 1.5],
      });
      ratio.hline(1, { color: '#555555', width: 1 });
      ratio.errorbar(
        centres,
        Array.from(hd, (v, i) => (tot[i] > 0 ? v / tot[i] : NaN)),
        Array.from(hd, (_, i) => (tot[i] > 0 ? hdErr[i] / tot[i] : NaN)),
        { color: '#000000', marker: 2 },
      );
    });
  });
  return savePng(dir, FIT_FIGURE_FILES[1], fig);
}
