/**
 * Update times of the page in headless Chromium, 1 thread and all threads, next to the Node
 * API's time for the same model call (32 768 grid rows + probes of the kin residual model: the
 * fixed-grid evaluator the page uses, and the plain model.logProb) in the same run, so a loaded machine shows as both slowing together. Usage, after `npm run
 * build`: node dist/web/measure.js [moves per setting, default 30]. Needs Chromium (FNF_CHROMIUM).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { buildWeb, repoRoot } from './build.js';
import { serveStatic } from './serve.js';
import { summary } from './src/page/timings.js';
import { createDevice } from '../src/backend/index.js';
import { loadResidualModel } from '../src/models/load.js';
import { repeatRow } from '../src/analysis/grid.js';
import { ResidualOnSample } from '../src/systematics/on-sample.js';

interface Times {
  updates: number[];
  engineMs: number[];
  info: { threads: number; build: string };
}

const fmt = (ms: number[]) => {
  const s = summary(ms);
  return `median ${s.median.toFixed(1)} ms, p95 ${s.p95.toFixed(1)} ms (n = ${s.n})`;
};

/** The Node API's same call: the plain model.logProb, and the fixed-grid evaluator the page uses. */
async function nodeTimes(threads: number, moves: number): Promise<{ plain: number[]; onGrid: number[] }> {
  const dev = await createDevice({ backend: 'wasm', threads });
  const model = loadResidualModel(dev, join(repoRoot(), 'models', 'kin_density_residuals.safetensors'));
  const n = 2 * (128 * 128 + 4);
  const x = new Float32Array(2 * n).map((_, i) => ((i * 0.37) % 8) - 4);
  const ctx = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) ctx[2 * i + (i < n / 2 ? 0 : 1)] = 1;
  const plain: number[] = [];
  const onGrid: number[] = [];
  const grid = new ResidualOnSample(model, x, ctx, { chunkRows: n / 2 });
  for (let k = 0; k < moves; k++) {
    const nu = [Math.sin(k), Math.cos(k)];
    let t0 = performance.now();
    model.logProb(x, { context: ctx, nu: repeatRow(nu, n) });
    plain.push(performance.now() - t0);
    t0 = performance.now();
    grid.logProb(nu);
    onGrid.push(performance.now() - t0);
  }
  (dev.kernels as { dispose?: () => void }).dispose?.();
  return { plain, onGrid };
}

async function main(): Promise<void> {
  const moves = Number(process.argv[2] ?? 30);
  const outDir = mkdtempSync(join(tmpdir(), 'fnf-web-measure-'));
  await buildWeb({ outDir });
  const { server, port } = await serveStatic({ root: outDir, port: 0 });
  const browser = await chromium.launch({
    executablePath: process.env.FNF_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox'],
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
      for (let k = 0; k < moves; k++) {
        await page.locator(k % 2 ? '#nu1' : '#nu0').fill(((((k * 7) % 17) - 8) / 4).toFixed(2));
        await idle();
      }
      const t = await page.evaluate(() => (window as unknown as { fnflow: Times }).fnflow);
      const warm = (a: number[]) => a.slice(1); // the first update also warms the engine up
      const node = await nodeTimes(threads, moves);
      process.stdout.write(
        `${t.info.threads} thread(s), ${t.info.build} SIMD:\n` +
          `  page update (request → drawn): ${fmt(warm(t.updates))}\n` +
          `  engine (model + truth):        ${fmt(warm(t.engineMs))}\n` +
          `  node, the page's model call:   ${fmt(node.onGrid)}\n` +
          `  node, plain model.logProb:     ${fmt(node.plain)}\n`,
      );
      await page.close();
    }
  } finally {
    await browser.close();
    server.close();
    rmSync(outDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`web measure: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
