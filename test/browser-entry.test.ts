/**
 * 'fnflow/browser' as a web developer uses it: bundled by esbuild for the browser from the
 * package name (no Node module may be reached), served with the package's wasm kernels and model
 * files, run in Chromium: the README's numbers, a ν gradient, draws and a reference PyTorch
 * checkpoint from bytes equal the Node API's; a path and an impossible thread count are refused
 * with what to do instead.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { REPO, SHARED } from './helpers/shared.js';
import { serveStatic } from '../web/serve.js';
import {
  createDevice,
  defaultGeneratorConfig,
  drawToy,
  fitLikelihood,
  likelihoodFor,
  loadModel,
  loadResidualModel,
  migrad,
  Rng,
  withNuisance,
  type SystematicCorrectedModel,
} from 'fnflow';

const CHROMIUM = process.env.FNF_CHROMIUM ?? '/usr/bin/chromium';

/**
 * A fit of ν in a few lines: 2000 class-A events drawn at ν = (0.5, −0.3), then MIGRAD on
 * −Σ log p(x | c, ν) + ½|ν|² with the model's exact d/dν. The same source runs in the page (as
 * text above) and here in Node, so both must give the same numbers.
 */
const FIT_NU = `
function fitNu(model) {
  const n = 2000;
  const context = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) context[2 * i] = 1;
  const x = model.sample(n, { context, nu: Float32Array.of(0.5, -0.3) }, Rng.fromSeed(11));
  const fcn = (nu, grad) => {
    const r = model.logProbGrad(x, { context, nu: Float32Array.from(nu) });
    let nll = 0.5 * (nu[0] * nu[0] + nu[1] * nu[1]);
    for (const v of r.logProb) nll -= v;
    if (grad) for (let k = 0; k < 2; k++) grad[k] = nu[k] - r.dNuTotal[k];
    return nll;
  };
  const r = migrad(fcn, [{ name: 'nu_shift', value: 0 }, { name: 'nu_squeeze', value: 0 }], { errordef: 0.5 });
  return { valid: r.valid, values: Array.from(r.values), errors: Array.from(r.errors), fval: r.fval };
}
`;

/**
 * The method's fit in a page: a toy of 2000 events (μ = 0.3) from the exact generator, fitted
 * with the flow (kin and score residual models) by likelihoodFor + fitLikelihood, as `fnf fit`.
 */
const FIT_MIXTURE = `
function fitMixture(kin, score) {
  const truthAt = (nu) => withNuisance(defaultGeneratorConfig(), nu);
  const models = { kin, score, truthAt, nuisanceNames: ['shift', 'squeeze'], observables: 'xy' };
  const events = drawToy(Rng.fromSeed(3), 2000, 0.3, truthAt([0.5, -0.4]));
  const lik = likelihoodFor('flow', models, events, { observables: 'xy', extended: false });
  const fit = fitLikelihood(lik).json;
  return { valid: fit.valid, parameters: fit.parameters.map((p) => [p.name, p.value, p.error]) };
}
`;

/** The page's script: what a user of 'fnflow/browser' writes. Its results land on window.result. */
const APP = `
import {
  createBrowserDevice, defaultGeneratorConfig, describeDevice, drawToy, fitLikelihood, likelihoodFor, loadModel,
  loadResidualModel, migrad, Rng, withNuisance,
} from 'fnflow/browser';
${FIT_NU}
${FIT_MIXTURE}
const out = {};
const bytesOf = async (name) => new Uint8Array(await (await fetch(name)).arrayBuffer());
try {
  const dev = await createBrowserDevice({ wasmUrl: (b) => 'kernels-' + b + '.wasm' });
  out.device = describeDevice(dev);
  const name = 'kin_density_residuals.safetensors';
  const model = loadResidualModel(dev, { bytes: await bytesOf(name), name });
  const x = Float32Array.of(0.3, -0.5, 1.2, 0.8, -0.7, 1.1);
  const context = Float32Array.of(1, 0, 0, 1, 1, 0);
  const nu = Float32Array.of(0.5, -0.3);
  out.logp = Array.from(model.logProb(x, { context, nu }));
  out.dNu = Array.from(model.logProbGrad(x, { context, nu }).dNuTotal);
  out.draws = Array.from(model.sample(4, { context: Float32Array.of(1, 0), nu }, Rng.fromSeed(5)));
  const ref = loadModel(dev, { bytes: await bytesOf('kin_density.pt'), name: 'kin_density.pt' });
  out.refLogp = Array.from(ref.logProb(x, { context }));
  out.fit = fitNu(model);
  const scoreName = 'score_density_residuals.safetensors';
  out.mixture = fitMixture(model, loadResidualModel(dev, { bytes: await bytesOf(scoreName), name: scoreName }));
  try { loadModel(dev, 'kin_density.pt'); } catch (e) { out.pathError = e.message; }
  try { await createBrowserDevice({ wasmUrl: (b) => 'kernels-' + b + '.wasm', threads: 2 }); }
  catch (e) { out.threadsError = e.message; }
  try { await createBrowserDevice({ wasmUrl: (b) => 'kernels-' + b + '.wasm', threads: 2, poolWorkerUrl: 'w.js' }); }
  catch (e) { out.isolationError = e.message; }
  try { await createBrowserDevice({ wasmUrl: () => 'index.html' }); } catch (e) { out.wasmError = e.message; }
} catch (e) {
  out.error = String(e && e.stack || e);
}
window.result = out;
`;

/**
 * The same in a Web Worker on two threads (a split kernel call blocks in Atomics.wait, which a
 * page's main thread may not): the pool's script is bundled from 'fnflow/browser/pool-worker'.
 */
const WORKER_APP = `
import { createBrowserDevice, describeDevice, loadResidualModel } from 'fnflow/browser';
(async () => {
  const out = {};
  try {
    const dev = await createBrowserDevice({
      wasmUrl: (b) => 'kernels-' + b + '.wasm',
      threads: 2,
      poolWorkerUrl: 'pool-worker.js',
    });
    out.device = describeDevice(dev);
    const name = 'kin_density_residuals.safetensors';
    const bytes = new Uint8Array(await (await fetch(name)).arrayBuffer());
    const model = loadResidualModel(dev, { bytes, name });
    // enough rows that the kernels split across the two threads
    const n = 4096, x = new Float32Array(2 * n), context = new Float32Array(2 * n);
    for (let i = 0; i < n; i++) {
      x[2 * i] = -2 + (4 * i) / n; x[2 * i + 1] = Math.sin(i); context[2 * i + (i % 2)] = 1;
    }
    out.logp = Array.from(model.logProb(x, { context, nu: Float32Array.of(0.5, -0.3) }));
  } catch (e) {
    out.error = String(e && e.stack || e);
  }
  postMessage(out);
})();
`;

const WORKER_PAGE =
  '<!doctype html><meta charset="utf-8"><script>' +
  "const w = new Worker('worker-app.js'); w.onmessage = (e) => { window.result = e.data; };" +
  "w.onerror = (e) => { window.result = { error: 'worker: ' + e.message }; };</script>";

interface AppResult {
  device: string;
  logp: number[];
  dNu: number[];
  draws: number[];
  refLogp: number[];
  fit: { valid: boolean; values: number[]; errors: number[]; fval: number };
  mixture: { valid: boolean; parameters: [string, number, number][] };
  pathError?: string;
  threadsError?: string;
  isolationError?: string;
  wasmError?: string;
  error?: string;
}

type FitFactory = (rng: typeof Rng, minimizer: typeof migrad) => (model: SystematicCorrectedModel) => AppResult['fit'];

type MixtureFactory = (
  ...deps: [
    typeof Rng,
    typeof drawToy,
    typeof withNuisance,
    typeof defaultGeneratorConfig,
    typeof likelihoodFor,
    typeof fitLikelihood,
  ]
) => (kin: SystematicCorrectedModel, score: SystematicCorrectedModel) => AppResult['mixture'];

let dir = '';
let bundle = '';
let server: Server | null = null;
let port = 0;
let isolatedServer: Server | null = null;
let isolatedPort = 0;
let browser: Browser | null = null;

test.before(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `browser entry test: no Chromium at ${CHROMIUM}; install it (apt-get install chromium) or set FNF_CHROMIUM`,
    );
  }
  dir = mkdtempSync(join(tmpdir(), 'fnf-browser-entry-'));
  // a project of its own that has fnflow installed (a link to this package)
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(REPO, join(dir, 'node_modules', 'fnflow'), 'dir');
  writeFileSync(join(dir, 'app.js'), APP);
  writeFileSync(join(dir, 'worker-app.js'), WORKER_APP);
  writeFileSync(join(dir, 'pool-worker.js'), "import 'fnflow/browser/pool-worker';\n");
  const site = join(dir, 'site');
  mkdirSync(site);
  const built = await build({
    entryPoints: [join(dir, 'app.js')],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    outfile: join(site, 'app.js'),
    absWorkingDir: dir,
    logLevel: 'silent',
  });
  assert.is(built.errors.length, 0);
  // the two worker scripts, classic (a Worker without type: 'module')
  const workers = await build({
    entryPoints: [join(dir, 'worker-app.js'), join(dir, 'pool-worker.js')],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    outdir: site,
    absWorkingDir: dir,
    logLevel: 'silent',
  });
  assert.is(workers.errors.length, 0);
  bundle = readFileSync(join(site, 'app.js'), 'utf8');
  for (const b of ['simd', 'relaxed'])
    copyFileSync(join(REPO, 'build', `kernels-${b}.wasm`), join(site, `kernels-${b}.wasm`));
  copyFileSync(
    join(REPO, 'models', 'kin_density_residuals.safetensors'),
    join(site, 'kin_density_residuals.safetensors'),
  );
  copyFileSync(join(SHARED, 'reference-models', 'kin_density.pt'), join(site, 'kin_density.pt'));
  const scoreModel = 'score_density_residuals.safetensors';
  copyFileSync(join(REPO, 'models', scoreModel), join(site, scoreModel));
  writeFileSync(
    join(site, 'index.html'),
    '<!doctype html><meta charset="utf-8"><script type="module" src="app.js"></script>',
  );
  writeFileSync(join(site, 'worker.html'), WORKER_PAGE);
  // not cross-origin isolated: the page a user gets without COOP/COEP headers
  const served = await serveStatic({ root: site, port: 0, isolate: false });
  server = served.server;
  port = served.port;
  // and with COOP/COEP, for the two-thread run
  const isolated = await serveStatic({ root: site, port: 0, isolate: true });
  isolatedServer = isolated.server;
  isolatedPort = isolated.port;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});
test.after(async () => {
  await browser?.close();
  server?.close();
  isolatedServer?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("the bundle reaches no Node module (esbuild resolved 'fnflow/browser' through package.json exports)", () => {
  assert.ok(bundle.length > 50_000, `bundle of ${bundle.length} characters`);
  assert.not.match(bundle, /from\s*["']node:|require\(["']node:|worker_threads/);
});

/** What a page script left on window.result, once it is there; its own error, or a page error, fails the test. */
async function pageResult<T>(url: string): Promise<T> {
  const page = await browser!.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(url);
  await page.waitForFunction(() => (window as unknown as { result?: unknown }).result !== undefined, null, {
    timeout: 60_000,
  });
  const r = await page.evaluate(() => (window as unknown as { result: T & { error?: string } }).result);
  await page.close();
  assert.is(r.error, undefined, r.error);
  assert.equal(problems, []);
  return r;
}

test('in Chromium: logProb, d/dν, draws and a reference .pt from bytes equal the Node API', async () => {
  const r = await pageResult<AppResult>(`http://127.0.0.1:${port}/`);
  if (process.env.FNF_TEST_VERBOSE) console.dir(r, { depth: 4 });
  const build = /relaxed build/.test(r.device) ? 'relaxed' : 'simd';
  assert.match(r.device, /^backend wasm \((relaxed|simd) build\)$/);

  const dev = await createDevice({ backend: 'wasm', wasmBuild: build, threads: 1 });
  const model = loadResidualModel(
    dev,
    join(REPO, 'models', 'kin_density_residuals.safetensors'),
  ) as SystematicCorrectedModel;
  const x = Float32Array.of(0.3, -0.5, 1.2, 0.8, -0.7, 1.1);
  const context = Float32Array.of(1, 0, 0, 1, 1, 0);
  const nu = Float32Array.of(0.5, -0.3);
  const close = (what: string, got: number[], want: Float32Array, tol: number) => {
    assert.is(got.length, want.length, what);
    got.forEach((v, i) => assert.ok(Math.abs(v - want[i]) <= tol, `${what}[${i}]: browser ${v}, node ${want[i]}`));
  };
  close('logProb', r.logp, model.logProb(x, { context, nu }), 1e-6);
  close('dNuTotal', r.dNu, model.logProbGrad(x, { context, nu }).dNuTotal, 1e-5);
  close('draws', r.draws, model.sample(4, { context: Float32Array.of(1, 0), nu }, Rng.fromSeed(5)), 1e-6);
  const ref = loadModel(dev, join(SHARED, 'reference-models', 'kin_density.pt'));
  close('reference .pt logProb', r.refLogp, ref.logProb(x, { context }), 1e-6);

  // the fit in the page: the generating ν within 3σ, and the very numbers of the same fit in Node
  assert.ok(r.fit.valid, 'MIGRAD converged in the page');
  r.fit.values.forEach((v, k) =>
    assert.ok(Math.abs(v - [0.5, -0.3][k]) < 3 * r.fit.errors[k], `ν̂[${k}] = ${v} ± ${r.fit.errors[k]}`),
  );
  const nodeFit = (new Function('Rng', 'migrad', `${FIT_NU}; return fitNu;`) as FitFactory)(Rng, migrad)(model);
  assert.equal(r.fit.values, nodeFit.values, 'ν̂ in the page and in Node');
  assert.equal(r.fit.errors, nodeFit.errors);
  // the mixture fit (μ, ν) with the flow, as fnf fit runs it: valid, μ̂ near 0.3, and Node's numbers
  assert.ok(r.mixture.valid, 'the flow fit converged in the page');
  const [, muHat, muErr] = r.mixture.parameters[0];
  assert.ok(Math.abs(muHat - 0.3) < 4 * muErr, `μ̂ = ${muHat} ± ${muErr}`);
  const score = loadResidualModel(dev, join(REPO, 'models', 'score_density_residuals.safetensors'));
  const nodeMixture = (
    new Function(
      'Rng',
      'drawToy',
      'withNuisance',
      'defaultGeneratorConfig',
      'likelihoodFor',
      'fitLikelihood',
      `${FIT_MIXTURE}; return fitMixture;`,
    ) as MixtureFactory
  )(
    Rng,
    drawToy,
    withNuisance,
    defaultGeneratorConfig,
    likelihoodFor,
    fitLikelihood,
  )(model, score);
  assert.equal(r.mixture, nodeMixture, 'the fit in the page and in Node');
  assert.match(r.pathError ?? '', /checkpoint source 'kin_density\.pt': no file system here .*pass \{ bytes, name \}/);
  assert.match(r.threadsError ?? '', /createBrowserDevice: threads 2 needs poolWorkerUrl/);
  assert.match(
    r.wasmError ?? '',
    /the (relaxed|simd) kernels from index\.html did not load \(.*\); expected fnflow's build/,
  );
  assert.match(r.isolationError ?? '', /threads 2 needs a cross-origin isolated page \(COOP\/COEP headers\)/);
});

test("in a Web Worker on two threads (pool from fnflow/browser/pool-worker): the Node API's numbers", async () => {
  const r = await pageResult<{ device: string; logp: number[] }>(`http://127.0.0.1:${isolatedPort}/worker.html`);
  assert.match(r.device, /^backend wasm \((relaxed|simd) build, 2 threads\)$/);
  const dev = await createDevice({
    backend: 'wasm',
    wasmBuild: /relaxed/.test(r.device) ? 'relaxed' : 'simd',
    threads: 1,
  });
  const model = loadResidualModel(
    dev,
    join(REPO, 'models', 'kin_density_residuals.safetensors'),
  ) as SystematicCorrectedModel;
  const n = 4096;
  const x = new Float32Array(2 * n);
  const context = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    x[2 * i] = -2 + (4 * i) / n;
    x[2 * i + 1] = Math.sin(i);
    context[2 * i + (i % 2)] = 1;
  }
  const want = model.logProb(x, { context, nu: Float32Array.of(0.5, -0.3) });
  assert.is(r.logp.length, n);
  // thread count never changes a sum's order (the kernels split rows), so the bits agree
  for (let i = 0; i < n; i++) assert.ok(Math.abs(r.logp[i] - want[i]) <= 1e-6, `row ${i}: ${r.logp[i]} vs ${want[i]}`);
});

test.run();
