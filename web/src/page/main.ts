/**
 * The page: controls → engine worker → canvases. A control change asks the engine for the
 * kinematic grid first (what a slider move must redraw fast); the score panel, arrows and KL
 * follow when no newer change is waiting, and a change made while they run is sent at once (the
 * engine drops the extras at its next step), so dragging a slider never waits for them. Each
 * kinematic update is timed with performance marks (request → drawn); `window.fnflow` exposes
 * the state, the probe log-densities and the times for the browser test.
 */
import type { ExtraResult, FromEngine, KinResult, ToEngine, ViewState } from '../engine/protocol.js';
import type { WebSetup } from '../engine/setup.js';
import type { ToyFitRequest, ToyFitResult } from '../engine/fit-toy.js';
import { drawPanel, densities, massInView, plotBox, type DensityField } from './panel.js';
import { workerError } from '../../../src/backend/wasm/browser/worker-error.js';
import { CLASSES } from './style-constants.js';
import { summary } from './timings.js';
import {
  ARROW_CAP_SPACINGS,
  ARROW_COLOR,
  CAPPED_ARROW_COLOR,
  arrowScaleFor,
  arrowsToDraw,
  capArrows,
} from './arrows.js';

interface PageApi {
  ready: boolean;
  setup: WebSetup | null;
  info: { build: string; threads: number; isolated: boolean; loadMs: number } | null;
  state: ViewState;
  /** Kinematic update times (ms): request sent → canvases drawn. */
  updates: number[];
  /** Engine compute time of each kinematic update (ms). */
  engineMs: number[];
  /** Page time of each kinematic update (ms): densities, levels, contours and canvas drawing. */
  drawMs: number[];
  lastKin: { id: number; state: ViewState; probe: number[] } | null;
  lastExtra: { id: number; state: ViewState; kl: ExtraResult['kl'] } | null;
  /** The id of the extras whose arrows the kinematic panels show (null: none). */
  kinArrowsFrom: number | null;
  /** The last "fit a toy" answer (the browser test reads it). */
  lastFit: { request: ToyFitRequest; result: ToyFitResult } | null;
  /** Requests not yet answered or waiting to be sent (0: the page shows the current state). */
  pending: () => number;
  errors: string[];
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const params = new URLSearchParams(location.search);
const isolated = self.crossOriginIsolated === true;
/** The most threads ?threads= may ask for. */
const MAX_THREADS = 8;
/**
 * ?threads=N (1–8) where the page is isolated; otherwise, or for a value that is no such count,
 * the default, and `ignored` says why (shown with the load state, so a typo is not silently lost).
 */
function threadCount(): { threads: number; ignored: string } {
  const fallback = isolated ? Math.min(MAX_THREADS, navigator.hardwareConcurrency || 1) : 1;
  if (!params.has('threads')) return { threads: fallback, ignored: '' };
  const text = params.get('threads')!;
  const asked = Number(text);
  if (text.trim() === '' || !Number.isInteger(asked) || asked < 1 || asked > MAX_THREADS) {
    return { threads: fallback, ignored: ` · ?threads=${text} ignored (expected a whole number 1–${MAX_THREADS})` };
  }
  return { threads: asked, ignored: '' };
}
const { threads, ignored: threadsIgnored } = threadCount();

const api: PageApi = {
  ready: false,
  setup: null,
  info: null,
  state: { nu: [0, 0], residual: 'additive', baseOnly: false, point: [0, 0], arrows: false },
  updates: [],
  engineMs: [],
  drawMs: [],
  lastKin: null,
  lastExtra: null,
  kinArrowsFrom: null,
  lastFit: null,
  pending: () => (busy ? 1 : 0) + (dirty ? 1 : 0) + (extraFor !== null ? 1 : 0),
  errors: [],
};
(window as unknown as { fnflow: PageApi }).fnflow = api;

const engine = new Worker('engine.js', { name: 'fnflow-engine' });
const send = (m: ToEngine) => engine.postMessage(m);
let nextId = 1;
/** A kin request is in flight (the next waits for it: only the newest state is ever sent). */
let busy = false;
let dirty = false;
/** The id whose extras the engine is computing; a new kin request need not wait for them. */
let extraFor: number | null = null;
let kin: KinResult | null = null;
let extra: ExtraResult | null = null;

function showError(text: string): void {
  api.errors.push(text);
  const el = $('load');
  el.className = 'error';
  el.textContent = `error: ${text}`;
}

/** Send the newest state when the engine is free. */
function pump(): void {
  if (busy || !dirty || !api.ready) return;
  dirty = false;
  busy = true;
  const id = nextId++;
  performance.mark(`fnflow:update:${id}`);
  send({ type: 'kin', id, state: structuredClone(api.state) });
}

function requestUpdate(): void {
  dirty = true;
  pump();
}

const kinCanvases = [$<HTMLCanvasElement>('kin-a'), $<HTMLCanvasElement>('kin-b')];
const scoreCanvas = $<HTMLCanvasElement>('score');

const fmt = (v: number) => (Object.is(v, -0) ? 0 : v).toFixed(2).replace('-', '−');
const nuText = (s: Pick<ViewState, 'nu'>) => `ν = (${fmt(s.nu[0])}, ${fmt(s.nu[1])})`;
const modelText = (s: ViewState) => (s.baseOnly ? 'base only' : s.residual === 'cross' ? 'cross-term' : 'additive');
const klText = (v: number, se: number) =>
  Number.isFinite(v) ? `${v.toExponential(1)} ± ${se.toExponential(1)} nats` : String(v);

function drawKin(): void {
  const setup = api.setup;
  if (!setup || !kin) return;
  const n = setup.grid.kin;
  const G = n * n;
  const shown = arrowsToDraw(kin.state, extra);
  const arrows = shown?.d ?? null;
  const m = setup.grid.arrows;
  const w = setup.kinWindow;
  const spacing = Math.min(w.x[1] - w.x[0], w.y[1] - w.y[0]) / (m - 1);
  const arrowScale = arrows ? arrowScaleFor(arrows, spacing) : 1;
  const arrowAt = shown?.atNu ? ` at ${nuText({ nu: shown.atNu })}` : '';
  const arrowNote = arrows ? ` · arrows Δ${arrowScale < 1 ? ` × ${arrowScale.toPrecision(2)}` : ''}${arrowAt}` : '';
  api.kinArrowsFrom = shown ? extra!.id : null;
  let anyCapped = false;
  for (const k of CLASSES) {
    const truth: DensityField = { n, values: densities(kin.truth, k.c * G, G) };
    const model: DensityField = { n, values: densities(kin.model, k.c * G, G) };
    let arrowSpec: { at: Float32Array; d: Float32Array; color: string }[] | undefined;
    let capNote = '';
    if (arrows) {
      const d = arrows.subarray(k.c * m * m * 2, (k.c + 1) * m * m * 2);
      const groups = capArrows(d, arrowScale, ARROW_CAP_SPACINGS * spacing);
      const at = arrowGrid(setup, m);
      arrowSpec = [
        { at, d: groups.kept, color: ARROW_COLOR },
        { at, d: groups.capped, color: CAPPED_ARROW_COLOR },
      ];
      if (groups.nCapped > 0) capNote = `, ${groups.nCapped} capped`;
      anyCapped ||= groups.nCapped > 0;
    }
    drawPanel(kinCanvases[k.c], {
      title: `${k.name}  p(x | c, ν)`,
      subtitle: `${nuText(kin.state)} · ${modelText(kin.state)}${arrowNote}${capNote}`,
      aspect: 'equal',
      xLabel: 'x_{1}',
      yLabel: 'x_{2}',
      xRange: setup.kinWindow.x,
      yRange: setup.kinWindow.y,
      fills: [{ field: truth, cmap: k.cmap }],
      lines: [model],
      arrows: arrowSpec,
      marker: api.state.point,
    });
  }
  $<HTMLElement>('capped-legend').hidden = !anyCapped;
}

let arrowCache: { m: number; at: Float32Array } | null = null;
function arrowGrid(setup: WebSetup, m: number): Float32Array {
  if (arrowCache?.m === m) return arrowCache.at;
  const at = new Float32Array(2 * m * m);
  const w = setup.kinWindow;
  for (let j = 0; j < m; j++)
    for (let i = 0; i < m; i++) {
      at[2 * (i + j * m)] = w.x[0] + (i * (w.x[1] - w.x[0])) / (m - 1);
      at[2 * (i + j * m) + 1] = w.y[0] + (j * (w.y[1] - w.y[0])) / (m - 1);
    }
  arrowCache = { m, at };
  return at;
}

function drawScore(): void {
  const setup = api.setup;
  if (!setup || !extra) return;
  const n = setup.grid.score;
  const G = n * n;
  const s = extra.state;
  const w = setup.scoreWindow;
  const truth = CLASSES.map((k) => ({ n, values: densities(extra!.scoreTruth, k.c * G, G) }));
  const model = CLASSES.map((k) => ({ n, values: densities(extra!.scoreModel, k.c * G, G) }));
  // Far out in x most of p(y | x, c) can lie outside the window: mass levels of the whole density
  // would then all fall below the grid's smallest value (flat bands). Draw the part in view
  // instead, each density normalised to its own mass in view, and say how much that is.
  const inView = truth.map((f) => massInView(f, w.x, w.y));
  const partial = inView.some((m) => m < MIN_MASS_IN_VIEW);
  if (partial) for (const f of [...truth, ...model]) normaliseInView(f, w.x, w.y);
  // (the contours then enclose 95/80/50/20 % of the part in view; the aria-label says so)
  const viewNote = partial
    ? ` · in view only ${CLASSES.map((k) => `${k.letter} ${(100 * inView[k.c]).toFixed(0)} %`).join(', ')}`
    : '';
  const where = `x = (${fmt(s.point[0])}, ${fmt(s.point[1])}) · ${nuText(s)} · ${modelText(s)}`;
  drawPanel(scoreCanvas, {
    title: 'p(y | x, c, ν), both classes',
    subtitle: where + viewNote,
    xLabel: 'y_{1}',
    yLabel: 'y_{2}',
    xRange: w.x,
    yRange: w.y,
    fills: CLASSES.map((k) => ({ field: truth[k.c], cmap: k.cmap })),
    lines: model,
  });
  const partNote = partial ? ' of the truth; contours of the part in view' : '';
  scoreCanvas.setAttribute('aria-label', `p(y | x, c, ν) for both classes at ${where}${viewNote}${partNote}`);
  const k = extra.kl;
  $('kl').textContent =
    `KL(truth‖model) at ${nuText(s)}, ${setup.kl.n} events: p(x | c, ν) ${klText(k.kin, k.kinSe)}; ` +
    `p(y | x, c, ν) ${klText(k.score, k.scoreSe)}`;
}

/** Below this share of the truth's mass inside the score window, the panel draws the part in view. */
const MIN_MASS_IN_VIEW = 0.9;

function normaliseInView(f: DensityField, xr: [number, number], yr: [number, number]): void {
  const m = massInView(f, xr, yr);
  if (m > 0) for (let i = 0; i < f.values.length; i++) f.values[i] /= m;
}

function showTiming(): void {
  const t = summary(api.updates);
  const e = summary(api.engineMs);
  const info = api.info!;
  $('timing').textContent =
    `update ${t.n}×: median ${t.median.toFixed(1)} ms, p95 ${t.p95.toFixed(1)} ms ` +
    `(engine ${e.median.toFixed(1)} ms) · ${info.threads} thread${info.threads > 1 ? 's' : ''}, ${info.build} SIMD`;
}

/** Keep the latest KEEP_TIMES times, so a long session does not grow without bound. */
const KEEP_TIMES = 1000;
function record(list: number[], ms: number): void {
  list.push(ms);
  if (list.length > KEEP_TIMES) list.shift();
}

engine.onmessage = (e: MessageEvent<FromEngine>) => {
  const msg = e.data;
  if (msg.type === 'error') {
    busy = false;
    extraFor = null;
    showError(msg.message);
    return;
  }
  if (msg.type === 'fit') {
    showFit(msg.request, msg.result);
    return;
  }
  if (msg.type === 'ready') {
    api.setup = msg.setup;
    api.info = { build: msg.build, threads: msg.threads, isolated: msg.isolated, loadMs: msg.loadMs };
    api.ready = true;
    const load = $('load');
    if (msg.isolated) load.textContent = `models loaded in ${msg.loadMs.toFixed(0)} ms${threadsIgnored}`;
    else {
      load.className = 'warn';
      load.textContent =
        `models loaded in ${msg.loadMs.toFixed(0)} ms · this page is not cross-origin isolated ` +
        `(no COOP/COEP headers), so it runs on one thread${threadsIgnored}`;
    }
    if (threadsIgnored) load.className = 'warn';
    $<HTMLButtonElement>('fit-toy').disabled = false;
    requestUpdate();
    return;
  }
  if (msg.type === 'kin') {
    kin = msg;
    const drawStart = performance.now();
    drawKin();
    record(api.drawMs, performance.now() - drawStart);
    const start = `fnflow:update:${msg.id}`;
    const m = performance.measure('fnflow:update', start);
    performance.clearMarks(start);
    performance.clearMeasures('fnflow:update');
    record(api.updates, m.duration);
    record(api.engineMs, msg.ms);
    api.lastKin = { id: msg.id, state: msg.state, probe: Array.from(msg.probe) };
    showTiming();
    busy = false;
    // A newer change waits: serve it first; the extras follow once the controls rest.
    if (dirty) pump();
    else {
      extraFor = msg.id;
      send({ type: 'extra', id: msg.id, state: msg.state });
    }
    return;
  }
  if (extraFor === msg.id) extraFor = null;
  // Extras of an older state (finished just before a newer move reached the engine) are not shown.
  if (msg.type === 'extra-dropped' || msg.id !== api.lastKin?.id) return;
  extra = msg;
  api.lastExtra = { id: msg.id, state: msg.state, kl: msg.kl };
  drawScore();
  drawKin(); // its arrows come with the extras (or go, once they say none)
};
engine.onerror = (e) => {
  e.preventDefault(); // shown on the page; uncancelled, it would be reported again as the page's own
  showError(`engine worker: ${workerError(e, new URL('engine.js', location.href).href)}`);
};

/** The toy a click fits: this many events, this μ, a new seed each click (the same sequence every visit). */
const TOY = { n: 2000, mu: 0.3 };
let toySeed = 1;
let fitId = 1;

const fmt2 = (v: number) => (Object.is(v, -0) ? 0 : v).toFixed(3).replace('-', '−');
const pm = (v: number, e: number) => `${fmt2(v)} ± ${e.toFixed(3)}`;

function showFit(req: ToyFitRequest, r: ToyFitResult): void {
  const took = r.ms < 1000 ? `${r.ms.toFixed(0)} ms` : `${(r.ms / 1000).toFixed(1)} s`;
  api.lastFit = { request: req, result: r };
  $<HTMLButtonElement>('fit-toy').disabled = false;
  const [mu, shift, squeeze] = r.parameters;
  const model = r.model === 'base' ? 'base only' : `flow (${req.residual === 'cross' ? 'cross-term' : 'additive'})`;
  const nu =
    r.model === 'base'
      ? 'ν has no effect'
      : `ν̂ = (${pm(shift.value, shift.error)}, ${pm(squeeze.value, squeeze.error)})`;
  $('fit-out').textContent =
    `toy of ${req.n} events at μ = ${req.mu}, ν = (${fmt(req.nu[0])}, ${fmt(req.nu[1])}) fitted with ${model}: ` +
    `μ̂ = ${pm(mu.value, mu.error)}, ${nu}${r.valid ? '' : ' (not valid)'} · ${took}`;
}

/**
 * The toy fit runs on a second engine worker (the same script, its own device and models, one
 * thread), started at the first click: a fit takes about a second, and on the first engine every
 * slider move made meanwhile waited for it.
 */
let fitEngine: Worker | null = null;
let fitEngineReady = false;
let queuedFit: ToEngine | null = null;

function fitWorker(): Worker {
  if (fitEngine) return fitEngine;
  const w = new Worker('engine.js', { name: 'fnflow-fit' });
  w.onmessage = (e: MessageEvent<FromEngine>) => {
    const msg = e.data;
    if (msg.type === 'ready') {
      fitEngineReady = true;
      if (queuedFit) w.postMessage(queuedFit);
      queuedFit = null;
    } else if (msg.type === 'fit') showFit(msg.request, msg.result);
    else if (msg.type === 'error') {
      $<HTMLButtonElement>('fit-toy').disabled = false;
      showError(`toy fit: ${msg.message}`);
    }
  };
  w.onerror = (e) => {
    e.preventDefault(); // shown on the page
    // a later click starts a fresh worker (this one may never have loaded)
    w.terminate();
    fitEngine = null;
    fitEngineReady = false;
    queuedFit = null;
    $<HTMLButtonElement>('fit-toy').disabled = false;
    showError(`fit worker: ${workerError(e, new URL('engine.js', location.href).href)}`);
  };
  w.postMessage({ type: 'init', threads: 1 } satisfies ToEngine);
  fitEngine = w;
  return w;
}

function requestFit(): void {
  if (!api.ready) return;
  $<HTMLButtonElement>('fit-toy').disabled = true;
  const s = api.state;
  const request: ToyFitRequest = {
    nu: [s.nu[0], s.nu[1]],
    residual: s.residual,
    baseOnly: s.baseOnly,
    ...TOY,
    seed: toySeed++,
  };
  $('fit-out').textContent = `fitting a toy of ${TOY.n} events at ν = (${fmt(s.nu[0])}, ${fmt(s.nu[1])})…`;
  const msg: ToEngine = { type: 'fit', id: fitId++, request };
  const w = fitWorker();
  if (fitEngineReady) w.postMessage(msg);
  else queuedFit = msg; // sent once its models have loaded
}

/** Arrow keys on a focused kinematic panel: the direction they move the x of p(y | x, c, ν). */
const KEY_STEPS: Record<string, [number, number]> = {
  ArrowLeft: [-1, 0],
  ArrowRight: [1, 0],
  ArrowUp: [0, 1],
  ArrowDown: [0, -1],
};

function bindControls(): void {
  $<HTMLButtonElement>('fit-toy').addEventListener('click', requestFit);
  for (const d of [0, 1]) {
    const input = $<HTMLInputElement>(`nu${d}`);
    const out = $(`nu${d}-out`);
    input.addEventListener('input', () => {
      api.state.nu[d] = Number(input.value);
      out.textContent = fmt(api.state.nu[d]);
      requestUpdate();
    });
  }
  for (const r of Array.from(document.querySelectorAll<HTMLInputElement>('input[name=residual]'))) {
    r.addEventListener('change', () => {
      api.state.residual = r.value === 'cross' ? 'cross' : 'additive';
      requestUpdate();
    });
  }
  $<HTMLInputElement>('base-only').addEventListener('change', (e) => {
    api.state.baseOnly = (e.target as HTMLInputElement).checked;
    requestUpdate();
  });
  $<HTMLInputElement>('arrows').addEventListener('change', (e) => {
    api.state.arrows = (e.target as HTMLInputElement).checked;
    requestUpdate();
  });
  for (const c of kinCanvases) {
    c.addEventListener('keydown', (ev) => {
      const setup = api.setup;
      const step = KEY_STEPS[ev.key];
      if (!setup || !step) return;
      ev.preventDefault();
      const w = setup.kinWindow;
      const frac = ev.shiftKey ? 0.1 : 0.02; // of the window per key press
      const clamp = (v: number, r: [number, number]) => Math.min(r[1], Math.max(r[0], v));
      api.state.point = [
        clamp(api.state.point[0] + step[0] * frac * (w.x[1] - w.x[0]), w.x),
        clamp(api.state.point[1] + step[1] * frac * (w.y[1] - w.y[0]), w.y),
      ];
      requestUpdate();
    });
    c.addEventListener('click', (ev) => {
      const setup = api.setup;
      if (!setup) return;
      const r = c.getBoundingClientRect();
      const box = plotBox(r.width, r.height);
      const fx = (ev.clientX - r.left - box.left) / box.width;
      const fy = 1 - (ev.clientY - r.top - box.top) / box.height;
      if (fx < 0 || fx > 1 || fy < 0 || fy > 1) return;
      const w = setup.kinWindow;
      api.state.point = [w.x[0] + fx * (w.x[1] - w.x[0]), w.y[0] + fy * (w.y[1] - w.y[0])];
      requestUpdate();
    });
  }
  let resizeTimer = 0;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(() => {
      drawKin();
      drawScore();
    }, 100);
  });
}

bindControls();
send({ type: 'init', threads });
