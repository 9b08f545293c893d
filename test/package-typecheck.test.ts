/**
 * The typings as a consumer's compiler sees them: small programs that use fnflow (and
 * fnflow/browser) are type-checked by tsc, strict, with skipLibCheck off, in the setups people
 * use — a Node project with @types/node and no DOM lib, one with both, a web page with the DOM
 * lib and no Node types. package-surface.test.ts checks which packages the .d.ts reach; only a
 * compiler run finds global names (WebAssembly, Buffer, NodeJS) a setup does not declare.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './helpers/shared.js';
import { consumerProject } from './helpers/consumer.js';

const NODE_PROGRAM = `
import { createDevice, loadResidualModel, openFitModels, runValidation, shippedModelPath } from 'fnflow';
import type { Condition } from 'fnflow';
const dev = await createDevice({ backend: 'wasm', threads: 1 });
const model = loadResidualModel(dev, shippedModelPath('kin_density_residuals'));
const cond: Condition<Float32Array> = { context: Float32Array.of(1, 0), nu: Float32Array.of(0.5, -0.3) };
const logp: Float32Array = model.logProb(Float32Array.of(0.3, -0.5), cond);
const { dNuTotal } = model.logProbGrad(Float32Array.of(0.3, -0.5), cond);
export const used = [logp, dNuTotal, openFitModels, runValidation, dev.memory];
`;

const BROWSER_PROGRAM = `
import { createBrowserDevice, loadResidualModel } from 'fnflow/browser';
const dev = await createBrowserDevice({ wasmUrl: (b) => new URL('/kernels-' + b + '.wasm', location.href) });
const bytes = new Uint8Array(await (await fetch('/kin_density_residuals.safetensors')).arrayBuffer());
const model = loadResidualModel(dev, { bytes, name: 'kin_density_residuals.safetensors' });
const cond = { context: Float32Array.of(1, 0), nu: Float32Array.of(0.5, -0.3) };
export const logp: Float32Array = model.logProb(Float32Array.of(0.3, -0.5), cond);
`;

interface Setup {
  name: string;
  program: string;
  compilerOptions: Record<string, unknown>;
}

const STRICT = { strict: true, target: 'ES2022', skipLibCheck: false, noEmit: true };
const SETUPS: Setup[] = [
  {
    name: 'Node, @types/node, no DOM lib',
    program: NODE_PROGRAM,
    compilerOptions: { ...STRICT, module: 'NodeNext', moduleResolution: 'NodeNext', types: ['node'], lib: ['ES2023'] },
  },
  {
    name: 'Node, @types/node and the DOM lib',
    program: NODE_PROGRAM,
    compilerOptions: {
      ...STRICT,
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      types: ['node'],
      lib: ['ES2022', 'DOM'],
    },
  },
  {
    name: 'web page: DOM lib, no Node types, bundler resolution',
    program: BROWSER_PROGRAM,
    compilerOptions: { ...STRICT, module: 'ESNext', moduleResolution: 'Bundler', types: [], lib: ['ES2022', 'DOM'] },
  },
];

test('typings: consumer programs type-check (strict, skipLibCheck off) in Node and web setups', () => {
  const tsc = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
  const root = consumerProject('consumer');
  try {
    for (const [i, setup] of SETUPS.entries()) {
      const dir = join(root, `setup${i}`);
      mkdirSync(dir);
      writeFileSync(join(dir, 'main.ts'), setup.program);
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({ compilerOptions: setup.compilerOptions, files: ['main.ts'] }),
      );
      let out = '';
      try {
        execFileSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8', stdio: 'pipe' });
      } catch (e) {
        out = String((e as { stdout?: string }).stdout ?? e);
      }
      assert.is(out, '', `${setup.name}: tsc reported\n${out.split('\n').slice(0, 15).join('\n')}`);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
