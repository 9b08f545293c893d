/**
 * Builds the browser page into web/dist/: the page and the two worker scripts bundled by
 * esbuild (prebuilt binary from npm, no native build here), the wasm kernels and the shipped
 * models copied beside them, and setup.json computed in Node from the configs (the truth's
 * templates and the figures' windows), so the page carries no YAML parser. Needs `npm run
 * build` first (the wasm kernels).
 */
import { copyFileSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { loadConfig } from '../src/config/load.js';
import type { SystematicTemplate } from '../src/config/schema.js';
import { nuisanceGenerator } from '../src/validate/nuisance.js';
import { kinWindow } from '../src/validate/style.js';
import { scoreWindow, VALIDATE_DEFAULT_SEED } from '../src/validate/pipeline.js';
import type { WebSetup } from './src/engine/setup.js';

/** The repository root: web/build.ts and dist/web/build.js both find it by package.json. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      if (statSync(join(dir, 'package.json')).isFile() && statSync(join(dir, 'web', 'src')).isDirectory()) return dir;
    } catch {
      // not here; go up
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('web build: no folder above this script holds package.json and web/src');
    dir = up;
  }
}

/** ν is shown on −2 … 2; the windows cover the truth at the corners as well as the templates. */
const NU_CORNERS = [-2, 2].flatMap((a) => [-2, 2].map((b) => [a, b]));

const basename = (p: string) => p.split(/[\\/]/).pop()!;
const templateSetup = (ts: readonly SystematicTemplate[]) =>
  ts.map((t) => ({ name: t.name, m: [...t.m], generator: t.generator }));

export function webSetup(root: string): WebSetup {
  const additive = loadConfig(join(root, 'configs', 'systematics.yaml'), 'systematics');
  const cross = loadConfig(join(root, 'configs', 'systematics_crossterms.yaml'), 'systematics');
  const kinAt = nuisanceGenerator(cross.kin.templates, 'systematics_crossterms kin_systematics');
  const scoreAt = nuisanceGenerator(cross.score.templates, 'systematics_crossterms score_systematics');
  const nominal = cross.generator;
  return {
    models: {
      kin: { additive: basename(additive.kin.paths.residual), cross: basename(cross.kin.paths.residual) },
      score: { additive: basename(additive.score.paths.residual), cross: basename(cross.score.paths.residual) },
    },
    kinTemplates: templateSetup(cross.kin.templates),
    scoreTemplates: templateSetup(cross.score.templates),
    kinWindow: kinWindow([nominal, ...NU_CORNERS.map(kinAt)]),
    scoreWindow: scoreWindow([nominal, ...NU_CORNERS.map(scoreAt)], VALIDATE_DEFAULT_SEED),
    probePoints: [-0.5, 0, 0.5, 0.3, 1.2, -0.8, -1.5, 1.0],
    kl: { n: 4000, seed: VALIDATE_DEFAULT_SEED },
    grid: { kin: 128, score: 64, arrows: 15 },
  };
}

export interface WebBuild {
  outDir: string;
  /** Bytes of each file written, by name relative to outDir. */
  files: Record<string, number>;
}

export async function buildWeb(opts: { outDir?: string; minify?: boolean } = {}): Promise<WebBuild> {
  const root = repoRoot();
  const outDir = resolve(opts.outDir ?? join(root, 'web', 'dist'));
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(join(outDir, 'models'), { recursive: true });
  const setup = webSetup(root);

  await build({
    entryPoints: {
      main: join(root, 'web', 'src', 'page', 'main.ts'),
      engine: join(root, 'web', 'src', 'engine', 'engine-worker.ts'),
      'pool-worker': join(root, 'src', 'backend', 'wasm', 'browser', 'pool-worker.ts'),
    },
    outdir: outDir,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['chrome110', 'firefox115', 'safari16'],
    minify: opts.minify ?? true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  for (const f of ['index.html', 'style.css']) copyFileSync(join(root, 'web', 'src', f), join(outDir, f));
  for (const b of ['simd', 'relaxed']) {
    const src = join(root, 'build', `kernels-${b}.wasm`);
    try {
      copyFileSync(src, join(outDir, `kernels-${b}.wasm`));
    } catch (e) {
      throw new Error(`web build: cannot copy ${src} (${(e as Error).message}); run \`npm run build\` first`);
    }
  }
  const m = setup.models;
  for (const name of [m.kin.additive, m.kin.cross, m.score.additive, m.score.cross]) {
    copyFileSync(join(root, 'models', name), join(outDir, 'models', name));
  }
  writeFileSync(join(outDir, 'setup.json'), `${JSON.stringify(setup)}\n`);

  const files: Record<string, number> = {};
  const walk = (dir: string, rel: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p, `${rel}${name}/`);
      else files[`${rel}${name}`] = statSync(p).size;
    }
  };
  walk(outDir, '');
  return { outDir, files };
}
