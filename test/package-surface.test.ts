/**
 * What a program that installed fnflow from npm sees: the shipped files by absolute path, the
 * package.json subpath, and typings that type-check without our development dependencies (a
 * strict consumer with skipLibCheck off reads every .d.ts the public index reaches).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import {
  CheckpointError,
  ColumnReadError,
  ConfigError,
  createDevice,
  loadConfig,
  loadModel,
  NSF,
  shippedConfigPath,
  shippedModelPath,
} from 'fnflow';
import type { AutoChoice, FlowArchitecture, ModelName, ResidualArchitecture, ShippedModelName } from 'fnflow';
import { REPO } from './helpers/shared.js';

// every model file the package ships, by its name
const MODEL_NAMES = readdirSync(join(REPO, 'models'))
  .filter((f) => f.endsWith('.safetensors'))
  .map((f) => f.slice(0, -'.safetensors'.length) as ShippedModelName);

test('shippedModelPath / shippedConfigPath: absolute paths into the package, loadable', async () => {
  assert.is(MODEL_NAMES.length, 6);
  for (const name of MODEL_NAMES) {
    assert.is(shippedModelPath(name), join(REPO, 'models', name + '.safetensors'));
  }
  const dev = await createDevice({ backend: 'ts' });
  assert.ok(loadModel(dev, shippedModelPath('kin_density')) instanceof NSF);
  const base = loadConfig(shippedConfigPath('base_flows'), 'base');
  // the config's relative model paths resolve against its own folder, so they land on the shipped models
  assert.is(resolve(base.kin.paths.model), shippedModelPath('kin_density'));
});

test('shippedModelPath: an unknown name (a JavaScript caller) is refused with the list', () => {
  const call = shippedModelPath as (name: string) => string;
  assert.throws(
    () => call('kin_density.safetensors'),
    /shipped model "kin_density\.safetensors": not one this package ships \(known: kin_density, score_density,/,
  );
  const config = shippedConfigPath as (name: string) => string;
  assert.throws(() => config('base'), /shipped config "base": .*base_flows/);
});

test('the types public signatures use and the errors public functions throw are exported by name', async () => {
  // types: a consumer can annotate what loadBaseFlow / loadResidualModel, likelihoodFor and onAutoChoice take
  const dev = await createDevice({ backend: 'ts' });
  const flow = loadModel(dev, shippedModelPath('kin_density')) as NSF;
  const arch: FlowArchitecture = flow.config;
  const residual: Pick<ResidualArchitecture, 'numNuisances'> = { numNuisances: 2 };
  const name: ModelName = 'flow';
  const choice: AutoChoice = { backend: 'wasm', probeReason: '' };
  assert.equal([arch.features, residual.numNuisances, name, choice.backend], [2, 2, 'flow', 'wasm']);
  // errors: catchable by class, as ConfigError already was
  let err: unknown = null;
  try {
    loadModel(dev, { bytes: Uint8Array.of(1, 2, 3), name: 'junk' });
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof CheckpointError, String(err));
  for (const E of [CheckpointError, ColumnReadError, ConfigError]) assert.ok(E.prototype instanceof Error, E.name);
});

test("package.json: 'fnflow/package.json', the kernels, the models and the pool worker resolve by name", () => {
  const req = createRequire(import.meta.url);
  // and the files a web page's bundler imports by URL (Vite: 'fnflow/build/kernels-simd.wasm?url')
  for (const b of ['simd', 'relaxed']) {
    assert.is(req.resolve(`fnflow/build/kernels-${b}.wasm`), join(REPO, 'build', `kernels-${b}.wasm`));
  }
  assert.is(req.resolve('fnflow/models/kin_density.safetensors'), shippedModelPath('kin_density'));
  assert.is(req.resolve('fnflow/browser/pool-worker'), join(REPO, 'dist/src/backend/wasm/browser/pool-worker.js'));
  const path = req.resolve('fnflow/package.json');
  assert.is(path, join(REPO, 'package.json'));
  assert.is((JSON.parse(readFileSync(path, 'utf8')) as { name: string }).name, 'fnflow');
});

/** Module specifiers a .d.ts imports or re-exports (static `from '…'` and type-level `import('…')`). */
function specifiers(dts: string): string[] {
  const found: string[] = [];
  const code = dts.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, ''); // doc examples import 'fnflow'
  for (const m of code.matchAll(
    /\bfrom\s+['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm,
  )) {
    found.push((m[1] ?? m[2] ?? m[3])!);
  }
  return found;
}

/** Whether an installed package carries its own typings (else a consumer needs @types/… too). */
function shipsTypes(pkg: string): boolean {
  const dir = join(REPO, 'node_modules', pkg);
  const json = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
  if (typeof json.types === 'string' || typeof json.typings === 'string') return true;
  if (JSON.stringify(json.exports ?? {}).includes('"types"')) return true;
  return existsSync(join(dir, 'index.d.ts'));
}

test('typings: each package the .d.ts of fnflow and fnflow/browser reach is a dependency with its types', () => {
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const deps = new Set(Object.keys(pkg.dependencies));
  const builtins = new Set(builtinModules);
  const seen = new Set<string>();
  const bare = new Map<string, string>(); // package → the .d.ts that first imports it
  const queue = ['index.d.ts', 'browser.d.ts'].map((entry) => join(REPO, 'dist', 'src', entry)); // both entries
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const spec of specifiers(readFileSync(file, 'utf8'))) {
      if (spec.startsWith('.')) {
        queue.push(resolve(dirname(file), spec.replace(/\.js$/, '.d.ts')));
      } else if (!spec.startsWith('node:') && !builtins.has(spec)) {
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        if (!bare.has(name)) bare.set(name, file.slice(REPO.length + 1));
      }
    }
  }
  assert.ok(seen.size > 20, `the walk reached ${seen.size} .d.ts files`);
  for (const [name, from] of bare) {
    assert.ok(deps.has(name), `${from} imports ${name}, which is not in package.json dependencies`);
    assert.ok(
      shipsTypes(name) || deps.has(`@types/${name.replace(/^@/, '').replace('/', '__')}`),
      `${from} imports ${name}, whose types a consumer would not have (it ships none and @types is not a dependency)`,
    );
  }
});

test.run();
