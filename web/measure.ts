/**
 * Update times of the page in headless Chromium, 1 thread and all threads, next to the Node
 * times of the same work (the engine's Scene.kin: 32 768 grid rows + probes of the kin residual
 * model, and the truth) and of the plain model.logProb on as many rows, in the same run, so a
 * loaded machine shows as both slowing together. Usage, after `npm run build`:
 * node dist/web/measure.js [moves per setting, default 30]. Needs Chromium (FNF_CHROMIUM).
 * FNF_WEB_SHOT=docs/web-page.png also saves the page with threads at ν = (2, 2), cross-term
 * residual, arrows on, after the measured moves (the README's picture).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { buildWeb, repoRoot, webSetup } from './build.js';
import { serveStatic } from './serve.js';
import { runAsScript } from './run-as-script.js';
import { summary } from './src/page/timings.js';
import { createDevice } from '../src/backend/index.js';
import { loadResidualModel } from '../src/models/load.js';
import { gridPoints, gridSpec, repeatRow } from '../src/analysis/grid.js';
import { Scene } from './src/engine/scene.js';
import type { ViewState } from './src/engine/protocol.js';

interface Times {
  updates: number[];
  engineMs: number[];
  drawMs: number[];
  info: { threads: number; build: string };
}

const fmt = (ms: number[]) => {
  const s = summary(ms);
  return `median ${s.median.toFixed(1)} ms, p95 ${s.p95.toFixed(1)} ms (n = ${s.n})`;
};

/**
 * The same work in Node: the page engine's own Scene (the kin grid of both classes at ν, model
 * and truth, as the engine worker runs it) on a Node device, and the plain model.logProb on
 * the same rows for comparison.
 */
async function nodeTimes(threads: number, moves: number): Promise<{ scene: number[]; plain: number[] }> {
  const dev = await createDevice({ backend: 'wasm', threads });
  const setup = webSetup(repoRoot());
  const load = (name: string) => loadResidualModel(dev, join(repoRoot(), 'models', name));
  const kin = { additive: load(setup.models.kin.additive), cross: load(setup.models.kin.cross) };
  const score = { additive: load(setup.models.score.additive), cross: load(setup.models.score.cross) };
  const scene = new Scene(setup, { kinBase: kin.additive.base, scoreBase: score.additive.base, kin, score });
  // The grid (x₁ fastest) and the probes, both classes.
  const w = setup.kinWindow;
  const points = [...gridPoints(gridSpec(w.x, w.y, setup.grid.kin, setup.grid.kin)), ...setup.probePoints];
  const x = Float32Array.from([...points, ...points]);
  const n = x.length / 2;
  const ctx = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) ctx[2 * i + (i < n / 2 ? 0 : 1)] = 1;
  const state = (k: number): ViewState => ({
    nu: [Math.sin(k), Math.cos(k)],
    residual: 'additive',
    baseOnly: false,
    point: [0, 0],
    arrows: false,
  });
  scene.kin(0, state(0)); // the residual nets on the grid, once
  const sceneMs: number[] = [];
  const plain: number[] = [];
  for (let k = 1; k <= moves; k++) {
    let t0 = performance.now();
    scene.kin(k, state(k));
    sceneMs.push(performance.now() - t0);
    t0 = performance.now();
    kin.additive.logProb(x, { context: ctx, nu: repeatRow(state(k).nu, n) });
    plain.push(performance.now() - t0);
  }
  (dev.kernels as { dispose?: () => void }).dispose?.();
  return { scene: sceneMs, plain };
}

/** The moves per setting from the command line: a whole number ≥ 1 (default 30). */
export function movesFromArg(arg: string | undefined): number {
  if (arg === undefined) return 30;
  const n = Number(arg);
  if (arg.trim() === '' || !Number.isInteger(n) || n < 1) {
    // NaN moves ran nothing and printed NaN timings
    throw new Error(`moves: expected a whole number ≥ 1 (moves per setting), got '${arg}'`);
  }
  return n;
}

async function main(): Promise<void> {
  const moves = movesFromArg(process.argv[2]);
  const outDir = mkdtempSync(join(tmpdir(), 'fnf-web-measure-'));
  await buildWeb({ outDir });
  const { server, port } = await serveStatic({ root: outDir, port: 0 });
  const browser = await chromium.launch({
    executablePath: process.env.FNF_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', ...(process.env.FNF_CHROMIUM_ARGS ?? '').split(' ').filter(Boolean)],
  });
  try {
    for (const threads of [1, Math.min(8, availableParallelism())]) {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      await page.goto(`http://127.0.0.1:${port}/?threads=${threads}`);
      const idle = () =>
        page.waitForFunction(() => {
          const f = (window as unknown as { fnflow?: { ready: boolean; pending(): number; lastExtra: unknown } })
            .fnflow;
          return !!f && f.ready && f.pending() === 0 && !!f.lastExtra;
        });
      await idle();
      const value = (k: number) => ((((k * 7) % 17) - 8) / 4).toFixed(2);
      for (let k = 0; k < moves; k++) {
        await page.locator(k % 2 ? '#nu1' : '#nu0').fill(value(k));
        await idle();
      }
      const t = await page.evaluate(() => (window as unknown as { fnflow: Times }).fnflow);
      const shot = process.env.FNF_WEB_SHOT;
      if (shot && threads > 1) {
        // The README's picture, after the moves at rest (its timing line shows them); then back.
        await page.locator('#arrows').check();
        await page.locator('input[name=residual][value=cross]').check();
        await page.locator('#nu0').fill('2');
        await page.locator('#nu1').fill('2');
        await idle();
        const height = await page.evaluate(() => Math.ceil(document.body.getBoundingClientRect().bottom) + 8);
        await page.screenshot({ path: shot, clip: { x: 0, y: 0, width: 1280, height: Math.min(800, height) } });
        await page.locator('#arrows').uncheck();
        await page.locator('input[name=residual][value=additive]').check();
        await idle();
      }
      const dragFrom = await page.evaluate(() => (window as unknown as { fnflow: Times }).fnflow.updates.length);
      // Dragging: the next move as soon as the grid is drawn, while the extras run (they yield).
      for (let k = 0; k < moves; k++) {
        const drawn = await page.evaluate(() => (window as unknown as { fnflow: Times }).fnflow.updates.length);
        await page.locator(k % 2 ? '#nu1' : '#nu0').fill(value(k + 3));
        await page.waitForFunction((n) => (window as unknown as { fnflow: Times }).fnflow.updates.length > n, drawn);
        await page.waitForTimeout(5 + (k % 4) * 10); // land at different points of the extras
      }
      await idle();
      const dragging = (await page.evaluate(() => (window as unknown as { fnflow: Times }).fnflow.updates)).slice(
        dragFrom,
      );
      const warm = (a: number[]) => a.slice(1); // the first update also warms the engine up
      const node = await nodeTimes(threads, moves);
      process.stdout.write(
        `${t.info.threads} thread(s), ${t.info.build} SIMD:\n` +
          `  page update (request → drawn): ${fmt(warm(t.updates))}\n` +
          `  the same while dragging:       ${fmt(dragging)} (moves during the extras)\n` +
          `  engine (model + truth):        ${fmt(warm(t.engineMs))}\n` +
          `  page drawing (both panels):    ${fmt(warm(t.drawMs))}\n` +
          `  node, the engine's Scene.kin:  ${fmt(node.scene)}\n` +
          `  node, plain model.logProb:     ${fmt(node.plain)} (the same grid, no fixed-grid evaluator)\n`,
      );
      await page.close();
    }
  } finally {
    await browser.close();
    server.close();
    rmSync(outDir, { recursive: true, force: true });
  }
}

if (runAsScript(import.meta.url)) {
  main().catch((e) => {
    process.stderr.write(`web measure: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
