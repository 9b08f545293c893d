/**
 * The browser page in a real browser: build it, serve it on a free loopback port, drive
 * Debian's headless Chromium through playwright-core (no browser download), and check that
 * (1) the log-densities the page computed at its probe points equal the Node API's at the same ν
 * to 1e-6, (2) the canvas changes when ν moves and is not blank, (3) the page logged no error,
 * (4) the update time was recorded; once cross-origin isolated (threads) and once without the
 * headers (one thread, and the page says so). Screenshots at two ν go to out/web/.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { connect } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO } from './helpers/shared.js';
import { buildWeb, webSetup } from '../web/build.js';
import { Scene } from '../web/src/engine/scene.js';
import { isolateFromEnv, portFromEnv, serveStatic } from '../web/serve.js';
import { createDevice } from '../src/backend/index.js';
import { loadBaseFlow, loadResidualModel } from '../src/models/load.js';
import { gridPoints, gridSpec, repeatRow } from '../src/analysis/grid.js';
import type { WebSetup } from '../web/src/engine/setup.js';
import { quantile, summary } from '../web/src/page/timings.js';
import { ARROW_CAP_SPACINGS, arrowScaleFor, arrowsToDraw, capArrows } from '../web/src/page/arrows.js';
import { checkSetup } from '../web/src/engine/setup.js';
import { movesFromArg } from '../web/measure.js';
import type { ViewState } from '../web/src/engine/protocol.js';
import { fitToy, type ToyFitRequest, type ToyFitResult } from '../web/src/engine/fit-toy.js';
import { nuisanceGenerator } from '../src/validate/nuisance.js';
import type { SystematicTemplate } from '../src/config/schema.js';

const CHROMIUM = process.env.FNF_CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = join(REPO, 'out', 'web');

interface PageView {
  ready: boolean;
  setup: WebSetup;
  info: { build: string; threads: number; isolated: boolean };
  updates: number[];
  lastKin: { id: number; state: ViewState; probe: number[] } | null;
  lastExtra: { id: number; state: ViewState; kl: { kin: number; score: number } } | null;
  lastFit: { request: ToyFitRequest; result: ToyFitResult } | null;
  kinArrowsFrom: number | null;
  errors: string[];
}

let outDir = '';
const servers: Server[] = [];
let browser: Browser | null = null;

test.before(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`web test: no Chromium at ${CHROMIUM}; install it (apt-get install chromium) or set FNF_CHROMIUM`);
  }
  outDir = mkdtempSync(join(tmpdir(), 'fnf-web-'));
  await buildWeb({ outDir });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  mkdirSync(SHOTS, { recursive: true });
});

test.after(async () => {
  await browser?.close();
  for (const s of servers) s.close();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

async function openPage(isolate: boolean, query = ''): Promise<{ page: Page; problems: string[] }> {
  const { server, port } = await serveStatic({ root: outDir, port: 0, isolate });
  servers.push(server);
  const page = await browser!.newPage({ viewport: { width: 1280, height: 800 } });
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  await page.goto(`http://127.0.0.1:${port}/${query}`);
  await settled(page, null);
  return { page, problems };
}

const view = (page: Page) => page.evaluate(() => (window as unknown as { fnflow: PageView }).fnflow);

/** Wait until the page shows (kin and extras) a state whose ν is `nu` (any, when null). */
async function settled(page: Page, nu: [number, number] | null): Promise<void> {
  await page.waitForFunction(
    (want) => {
      const f = (window as unknown as { fnflow?: PageView & { pending(): number } }).fnflow;
      if (!f || f.errors.length) return !!f?.errors.length;
      if (!f.ready || f.pending() !== 0 || !f.lastKin || !f.lastExtra || f.lastExtra.id !== f.lastKin.id) return false;
      return !want || (f.lastKin.state.nu[0] === want[0] && f.lastKin.state.nu[1] === want[1]);
    },
    nu,
    { timeout: 60_000 },
  );
}

/** The kin A canvas as a data URL and its share of non-white pixels. */
const canvasOf = (page: Page) =>
  page.evaluate(() => {
    const c = document.getElementById('kin-a') as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let ink = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] < 245 || d[i + 1] < 245 || d[i + 2] < 245) ink++;
    return { url: c.toDataURL(), ink: ink / (d.length / 4) };
  });

async function setNu(page: Page, nu: [number, number]): Promise<void> {
  await page.locator('#nu0').fill(String(nu[0]));
  await page.locator('#nu1').fill(String(nu[1]));
  await settled(page, nu);
}

/** The probe log-densities the page shows against the Node API's at the same state. */
async function checkProbe(page: Page, f: PageView): Promise<void> {
  const k = f.lastKin!;
  const m = f.setup.models;
  const dev = await createDevice({ backend: 'wasm', wasmBuild: f.info.build as 'simd' | 'relaxed', threads: 1 });
  const file = join(REPO, 'models', k.state.residual === 'cross' ? m.kin.cross : m.kin.additive);
  const model = loadResidualModel(dev, file);
  const pts = f.setup.probePoints;
  const P = pts.length / 2;
  const x = new Float32Array([...pts, ...pts]);
  const ctx = new Float32Array(4 * P);
  for (let i = 0; i < 2 * P; i++) ctx[2 * i + (i < P ? 0 : 1)] = 1;
  // Base only: the shipped base file itself (the page takes the base inside the residual file).
  const want = k.state.baseOnly
    ? loadBaseFlow(dev, join(REPO, 'models', 'kin_density.safetensors')).logProb(x, { context: ctx })
    : model.logProb(x, { context: ctx, nu: repeatRow(k.state.nu, 2 * P) });
  assert.is(k.probe.length, want.length);
  k.probe.forEach((v, i) =>
    assert.ok(
      Math.abs(v - want[i]) <= 1e-6,
      `probe ${i} at ν = (${k.state.nu}), ${k.state.residual}: page ${v}, node ${want[i]}`,
    ),
  );
  void page;
}

/**
 * "Fit a toy at this ν": the fit recovers the toy's μ and ν within 4σ, the page says so, and its
 * numbers are those of the same fit in Node (one thread there, the page's threads here: the
 * kernels' sums do not depend on the thread count).
 */
async function checkToyFit(page: Page): Promise<void> {
  await page.locator('#fit-toy').click();
  // the fit runs on its own worker: a slider move made meanwhile is drawn before the fit ends
  const nu1 = await page.locator('#nu1').inputValue();
  await page.locator('#nu1').fill(String(Number(nu1) + 0.05));
  await page.waitForFunction(
    (want) => (window as unknown as { fnflow: PageView }).fnflow.lastKin?.state.nu[1] === want,
    Number(nu1) + 0.05,
  );
  assert.is((await view(page)).lastFit, null, 'the slider move was served while the toy fit ran');
  await page.locator('#nu1').fill(nu1);
  await page.waitForFunction(() => (window as unknown as { fnflow: PageView }).fnflow.lastFit !== null, null, {
    timeout: 60_000,
  });
  const f = await view(page);
  const { request, result } = f.lastFit!;
  assert.ok(result.valid, 'the toy fit converged');
  const [mu, shift, squeeze] = result.parameters;
  const near = (p: { name: string; value: number; error: number }, want: number) =>
    assert.ok(Math.abs(p.value - want) < 4 * p.error, `${p.name}: ${p.value} ± ${p.error}, toy at ${want}`);
  near(mu, request.mu);
  near(shift, request.nu[0]);
  near(squeeze, request.nu[1]);
  assert.match((await page.locator('#fit-out').textContent()) ?? '', /fitted with flow \(additive\): μ̂ = 0\.\d{3} ± /);
  const dev = await createDevice({ backend: 'wasm', wasmBuild: f.info.build as 'simd' | 'relaxed', threads: 1 });
  const file = (name: string) => join(REPO, 'models', name);
  const kin = loadResidualModel(dev, file(f.setup.models.kin[request.residual]));
  const score = loadResidualModel(dev, file(f.setup.models.score[request.residual]));
  const truthAt = nuisanceGenerator(f.setup.kinTemplates as unknown as SystematicTemplate[], 'kinTemplates');
  assert.equal(result.parameters, fitToy({ kin, score }, truthAt, request).parameters, 'the page fit equals Node');
}

test('the page, cross-origin isolated: densities equal the Node API, canvases move with ν', async () => {
  const { page, problems } = await openPage(true);
  let f = await view(page);
  assert.ok(f.info.isolated, 'served with COOP/COEP, the page is cross-origin isolated');
  const before = await canvasOf(page);
  assert.ok(before.ink > 0.05, `kin canvas is not blank (${(before.ink * 100).toFixed(1)} % ink)`);
  await checkProbe(page, f);
  await page.screenshot({ path: join(SHOTS, 'page-nu-0-0.png') });

  await setNu(page, [1.5, -1]);
  f = await view(page);
  await checkProbe(page, f);
  const after = await canvasOf(page);
  assert.ok(after.ink > 0.05, 'kin canvas is not blank after a ν move');
  await checkToyFit(page);
  assert.is.not(after.url, before.url, 'the kin canvas changed when ν moved');
  await page.locator('#arrows').check();
  await page.locator('input[name=residual][value=cross]').check();
  await setNu(page, [2, 2]);
  f = await view(page);
  assert.is(f.lastKin!.state.residual, 'cross');
  assert.is(f.kinArrowsFrom, f.lastExtra!.id, 'the kin panels show the arrows of the current view');
  await checkProbe(page, f);
  await page.screenshot({ path: join(SHOTS, 'page-nu-2-2-cross.png') });

  // A click in a kinematic panel chooses the x of p(y | x, c, ν).
  const box = (await page.locator('#kin-a').boundingBox())!;
  await page.mouse.click(box.x + box.width * 0.3, box.y + box.height * 0.6);
  await page.waitForFunction(() => {
    const f = (window as unknown as { fnflow: PageView & { pending(): number } }).fnflow;
    return f.pending() === 0 && f.lastExtra!.state.point[0] !== 0 && f.lastExtra!.id === f.lastKin!.id;
  });
  f = await view(page);
  const [px, py] = f.lastExtra!.state.point;
  const w = f.setup.kinWindow;
  assert.ok(px > w.x[0] && px < (w.x[0] + w.x[1]) / 2, `clicked x₁ = ${px} in the left half of the window`);
  assert.ok(py > w.y[0] && py < w.y[1], `clicked x₂ = ${py} inside the window`);

  await page.locator('#base-only').check();
  await page.waitForFunction(() => (window as unknown as { fnflow: PageView }).fnflow.lastKin!.state.baseOnly);
  assert.is((await view(page)).kinArrowsFrom, null, 'base only has no residual: its first redraw shows no arrows');
  await setNu(page, [-1, 0.5]);
  f = await view(page);
  assert.ok(f.lastKin!.state.baseOnly);
  await checkProbe(page, f);
  assert.ok(f.updates.length >= 4, `update times recorded (${f.updates.length})`);
  assert.ok(f.updates.every((t) => Number.isFinite(t) && t > 0));
  assert.ok(Number.isFinite(f.lastExtra!.kl.kin) && Number.isFinite(f.lastExtra!.kl.score), 'KL shown');
  assert.equal(f.errors, []);
  assert.equal(problems, []);
  console.log(`  web (${f.info.threads} threads, ${f.info.build}): ${f.updates.map((t) => t.toFixed(0)).join(' ')} ms`);
  await page.close();
});

test('the page by keyboard and screen reader: named sliders and figures, arrow keys move the point', async () => {
  const { page, problems } = await openPage(false);
  for (const name of [/shift/, /squeeze/]) assert.is(await page.getByRole('slider', { name }).count(), 1);
  assert.is(await page.getByRole('img', { name: /p\(x \| class A, ν\)/ }).count(), 1);
  // the top-left corner by keyboard: far out in x, most of p(y | x, c) lies outside the score window
  await page.locator('#kin-a').focus();
  for (let i = 0; i < 8; i++) await page.keyboard.press('Shift+ArrowLeft');
  for (let i = 0; i < 8; i++) await page.keyboard.press('Shift+ArrowUp');
  await page.waitForFunction(() => {
    const f = (window as unknown as { fnflow: PageView & { pending(): number } }).fnflow;
    return f.pending() === 0 && f.lastExtra!.state.point[0] < -3 && f.lastExtra!.id === f.lastKin!.id;
  });
  const f = await view(page);
  assert.equal(f.lastExtra!.state.point, [f.setup.kinWindow.x[0], f.setup.kinWindow.y[1]], 'clamped to the corner');
  const label = (await page.locator('#score').getAttribute('aria-label')) ?? '';
  assert.match(label, /in view only A \d+ %, B \d+ % of the truth; contours of the part in view/);
  await page.screenshot({ path: join(SHOTS, 'page-corner-point.png') });
  assert.equal(problems, []);
  await page.close();
});

test('a page with a missing or broken file names it (setup, scripts, models), once, without a stack', async () => {
  const root = mkdtempSync(join(tmpdir(), 'fnf-web-broken-'));
  const setupText = JSON.stringify(webSetup(REPO));
  const cases: [string, (dir: string) => void, RegExp, boolean][] = [
    [
      'setup.json',
      (d) => rmSync(join(d, 'setup.json')),
      /error: fetch http:\/\/127\.0\.0\.1:\d+\/setup\.json: HTTP 404/,
      false,
    ],
    [
      'a setup.json of another shape',
      (d) => writeFileSync(join(d, 'setup.json'), setupText.replace('"grid"', '"grids"')),
      /error: http:\/\/127\.0\.0\.1:\d+\/setup\.json: not the page's setup: 'grid\.kin' should be a number/,
      false,
    ],
    [
      'engine.js',
      (d) => rmSync(join(d, 'engine.js')),
      /error: engine worker: could not load or start http:\/\/127\.0\.0\.1:\d+\/engine\.js/,
      false,
    ],
    [
      'main.js',
      (d) => rmSync(join(d, 'main.js')),
      /error: the page script http:\/\/127\.0\.0\.1:\d+\/main\.js did not load/,
      false,
    ],
    [
      'a truncated model',
      (d) => writeFileSync(join(d, 'models', 'kin_density_residuals.safetensors'), new Uint8Array(1000).fill(1)),
      /^error: kin_density_residuals\.safetensors: bad safetensors file: .*$/,
      false,
    ],
    // a pool worker that throws: its error is the pool's to report, not the engine worker's as well
    [
      'a pool-worker.js that throws (isolated)',
      (d) => writeFileSync(join(d, 'pool-worker.js'), 'throw new Error("no kernels here")'),
      /^error: web kernel pool: worker 0: http:\/\/127\.0\.0\.1:\d+\/pool-worker\.js: Uncaught Error: no kernels here$/,
      true,
    ],
  ];
  try {
    for (const [what, breakIt, want, isolate] of cases) {
      cpSync(outDir, root, { recursive: true });
      breakIt(root);
      const { server, port } = await serveStatic({ root, port: 0, isolate });
      servers.push(server);
      const page = await browser!.newPage();
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      await page.goto(`http://127.0.0.1:${port}/`);
      await page.locator('#load.error').waitFor();
      // an error reported twice (a worker's error also bubbling up as its parent's) would come next
      await page.evaluate(() => new Promise((ok) => setTimeout(ok, 300)));
      const text = await page.locator('#load').innerText();
      assert.match(text, want, what);
      assert.is(text.split('\n').length, 1, `one line: ${text}`);
      const errors = await page.evaluate(() => (window as unknown as { fnflow?: PageView }).fnflow?.errors ?? []);
      assert.ok(errors.length <= 1, `${what}: reported once (${errors.join(' | ')})`);
      assert.equal(problems, [], `${what}: no uncaught error on the page`);
      await page.close();
      rmSync(root, { recursive: true, force: true });
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the page without COOP/COEP runs on one thread and says so (and names a ?threads= it ignored)', async () => {
  const { page, problems } = await openPage(false, '?threads=two');
  const f = await view(page);
  assert.is(f.info.isolated, false);
  assert.is(f.info.threads, 1);
  assert.match(
    await page.locator('#load').innerText(),
    /not cross-origin isolated.*one thread · \?threads=two ignored \(expected a whole number 1–8\)/,
  );
  await setNu(page, [-2, 1]);
  await checkProbe(page, await view(page));
  assert.equal(problems, []);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(300);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `nothing wider than a phone's 390 px viewport (overflow ${overflow} px)`);
  await page.screenshot({ path: join(SHOTS, 'page-phone.png'), fullPage: true });
  await page.close();
});

test("Scene in Node: the kin grid equals the Node API's log p on the page's grid; extras in steps", async () => {
  const dev = await createDevice({ backend: 'wasm', threads: 1 });
  const setup = webSetup(REPO);
  const load = (name: string) => loadResidualModel(dev, join(REPO, 'models', name));
  const kin = { additive: load(setup.models.kin.additive), cross: load(setup.models.kin.cross) };
  const score = { additive: load(setup.models.score.additive), cross: load(setup.models.score.cross) };
  const scene = new Scene(setup, { kinBase: kin.additive.base, scoreBase: score.additive.base, kin, score });
  const n = setup.grid.kin;
  const w = setup.kinWindow;
  const grid = gridPoints(gridSpec(w.x, w.y, n, n)); // the page's layout: x₁ fastest
  const state: ViewState = { nu: [1.25, -0.75], residual: 'cross', baseOnly: false, point: [0.4, -0.2], arrows: true };
  const r = scene.kin(7, state);
  for (const c of [0, 1]) {
    const ctx = new Float32Array(grid.length);
    for (let i = 0; i < n * n; i++) ctx[2 * i + c] = 1;
    const want = kin.cross.logProb(grid, { context: ctx, nu: repeatRow(state.nu, n * n) });
    let worst = 0;
    for (let i = 0; i < n * n; i++) worst = Math.max(worst, Math.abs(r.model[c * n * n + i] - want[i]));
    assert.ok(worst <= 1e-6, `class ${c}: page grid against model.logProb, worst |Δ log p| ${worst}`);
  }
  // The extras in steps (as the engine worker runs them) give the one-go result.
  const steps = scene.extraSteps(8, state);
  let count = 0;
  let done = steps.next();
  for (; !done.done; done = steps.next()) count++;
  const whole = scene.extra(8, state);
  assert.ok(count >= 8, `the extras come in steps (${count})`);
  assert.equal(Array.from(done.value.scoreModel), Array.from(whole.scoreModel));
  assert.equal(done.value.kl, whole.kl);
  assert.equal(Array.from(done.value.arrows!), Array.from(whole.arrows!));
  // "Fit a toy" with "base only": the frozen base, ν only its constraint (0 ± 1), μ̂ still fitted
  const base = scene.fitToy({ nu: [1, 0], residual: 'additive', baseOnly: true, n: 1000, mu: 0.3, seed: 4 });
  assert.is(base.model, 'base');
  assert.ok(base.valid);
  const [mu, ...nus] = base.parameters;
  assert.ok(mu.value > 0 && mu.value < 1 && mu.error > 0, `μ̂ ${mu.value} ± ${mu.error}`);
  for (const p of nus)
    assert.ok(Math.abs(p.value) < 1e-6 && Math.abs(p.error - 1) < 1e-3, `${p.name}: ${p.value} ± ${p.error}`);
  (dev.kernels as { dispose?: () => void }).dispose?.();
});

test('arrows: the median sets the scale; the few long ones are capped in length, direction kept', () => {
  // nine arrows of length 1 along x and one of length 10 along y; grid spacing 0.5
  const d = new Float32Array(20);
  for (let i = 0; i < 9; i++) d[2 * i] = 1;
  d[19] = 10;
  const scale = arrowScaleFor(d, 0.5);
  assert.ok(Math.abs(scale - 0.4) < 1e-12, `median 1 → 0.8 of the spacing: scale ${scale}`);
  assert.is(
    arrowScaleFor(
      d.map((v) => v / 100),
      0.5,
    ),
    1,
    'arrows that already fit keep their length',
  );
  const g = capArrows(d, scale, ARROW_CAP_SPACINGS * 0.5);
  assert.is(g.nCapped, 1);
  for (let i = 0; i < 9; i++) {
    assert.ok(Math.abs(g.kept[2 * i] - 0.4) < 1e-6 && g.capped[2 * i] === 0, `arrow ${i} kept at 0.4`);
  }
  assert.equal([g.kept[18], g.kept[19]], [0, 0]);
  assert.equal([g.capped[18], g.capped[19]], [0, 0.75], 'the long one drawn at the cap, 1.5 spacings, pointing up');
});

test('arrows on a kin redraw: only those of the same model with arrows on; a lagging ν is named', () => {
  const d = new Float32Array([1, 0]);
  const state = (o: Partial<ViewState>): ViewState => ({
    nu: [1, 1],
    residual: 'additive',
    baseOnly: false,
    point: [0, 0],
    arrows: true,
    ...o,
  });
  const extra = { state: state({}), arrows: d };
  assert.equal(arrowsToDraw(state({}), extra), { d, atNu: null });
  assert.equal(arrowsToDraw(state({ nu: [2, 1] }), extra), { d, atNu: [1, 1] }, 'dragging: the extras follow');
  assert.is(arrowsToDraw(state({ arrows: false }), extra), null, 'arrows just turned off');
  assert.is(arrowsToDraw(state({ baseOnly: true }), extra), null, 'base only just turned on');
  assert.is(arrowsToDraw(state({ residual: 'cross' }), extra), null, 'the other residual model');
  assert.is(arrowsToDraw(state({}), { state: state({}), arrows: null }), null);
  assert.is(arrowsToDraw(state({}), null), null);
});

test("the page's setup.json is checked for the keys it reads; measure's move count too", () => {
  const setup = webSetup(REPO);
  assert.is(checkSetup(setup, 'setup.json'), setup, "the build's own setup passes");
  const broken = JSON.parse(JSON.stringify(setup));
  delete broken.models.score.cross;
  assert.throws(
    () => checkSetup(broken, '/x/setup.json'),
    /\/x\/setup\.json: not the page's setup: 'models\.score\.cross' should be a string/,
  );
  assert.throws(
    () => checkSetup({ ...setup, kinWindow: { x: [0], y: [0, 1] } }, 's'),
    /'kinWindow\.x' should be two numbers/,
  );
  assert.throws(() => checkSetup([], 's'), /'models\.kin\.additive' should be a string/);
  assert.is(movesFromArg(undefined), 30);
  assert.is(movesFromArg('5'), 5);
  for (const bad of ['abc', '0', '2.5', ''])
    assert.throws(() => movesFromArg(bad), /moves: expected a whole number ≥ 1/);
});

test('update-time summary: median and p95 by linear interpolation, NaN when empty', () => {
  assert.equal(summary([5, 1, 3]), { n: 3, median: 3, p95: 4.8 });
  assert.is(quantile([1, 2, 3, 4], 0.5), 2.5);
  assert.is(quantile([7], 0.95), 7);
  assert.ok(Number.isNaN(summary([]).median));
});

test('the static server: isolation headers, types, 404, no escape from its folder, PORT checked', async () => {
  for (const isolate of [true, false]) {
    const { server, port } = await serveStatic({ root: outDir, port: 0, isolate });
    servers.push(server);
    const base = `http://127.0.0.1:${port}`;
    const page = await fetch(`${base}/`);
    assert.is(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.is(page.headers.get('cross-origin-opener-policy'), isolate ? 'same-origin' : null);
    assert.is(page.headers.get('cross-origin-embedder-policy'), isolate ? 'require-corp' : null);
    assert.is((await fetch(`${base}/kernels-simd.wasm`)).headers.get('content-type'), 'application/wasm');
    assert.is((await fetch(`${base}/no-such-file.js`)).status, 404);
    // fetch normalises "..", so send the raw request line.
    const raw = await new Promise<string>((ok, fail) => {
      const sock = connect(port, '127.0.0.1', () => sock.write('GET /../../package.json HTTP/1.0\r\n\r\n'));
      let text = '';
      sock.on('data', (d) => (text += d.toString()));
      sock.on('end', () => ok(text));
      sock.on('error', fail);
    });
    assert.match(raw, /^HTTP\/1\.[01] 40[34]/);
    assert.not.match(raw, /"name": "fnflow"/);
    // a malformed escape is that request's 400; the server goes on serving
    assert.is((await fetch(`${base}/%E0%A4%A`)).status, 400);
    assert.is((await fetch(`${base}/`)).status, 200);
  }
  assert.is(portFromEnv(undefined), 5173);
  assert.is(portFromEnv('8080'), 8080);
  assert.throws(() => portFromEnv('web'), /PORT: expected a port number 0–65535, got 'web'/);
  assert.is(isolateFromEnv(undefined), true);
  assert.is(isolateFromEnv('1'), true);
  assert.is(isolateFromEnv('0'), false);
  // "false" used to mean isolated (only "0" switched it off)
  assert.throws(() => isolateFromEnv('false'), /FNF_WEB_ISOLATE: expected 0 .* or 1 .*, got 'false'/);
});

test.run();
