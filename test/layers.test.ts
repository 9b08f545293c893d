/**
 * The layer rule of src/, checked from the imports (README, Architecture: "Layers").
 *
 * Tiers from the bottom up. A file may import its own layer and any layer of a lower tier, or
 * of its own tier as long as the layers do not import each other in a cycle; an import of a
 * higher tier fails with the file and line. To place a new module, add a row to its tier
 * (a folder prefix with its slash, or a single file; the longest prefix wins): a file with no
 * row fails the test, so nothing lands unplaced.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './helpers/shared.js';
import { importsOf, layerProblems, place, type LayerTable } from './helpers/import-graph.js';

export const LAYERS: LayerTable = [
  // Leaves: they import no other layer of src/.
  [
    { prefix: 'random/', layer: 'random' }, // seeded PRNG
    { prefix: 'io/', layer: 'io' }, // codecs: zip, pickle, .pt, safetensors, state dicts, atomic writes, sniff;
    //                                 column readers (io/columns/ or similar) belong here too
    { prefix: 'plot/', layer: 'plot' }, // figures from plain arrays
  ],
  // The toy generator with exact densities: needs only random numbers.
  [{ prefix: 'toy/', layer: 'toy' }],
  // The engine, one layer per tier.
  [{ prefix: 'tensor/', layer: 'tensor' }],
  [{ prefix: 'backend/', layer: 'backend' }],
  [{ prefix: 'autodiff/', layer: 'autodiff' }],
  [{ prefix: 'ops/', layer: 'ops' }],
  [{ prefix: 'nn/', layer: 'nn' }],
  [{ prefix: 'flows/', layer: 'flows' }],
  [{ prefix: 'systematics/', layer: 'systematics' }],
  // The application: YAML configs (they name flows, residuals and generators), then models by config.
  [{ prefix: 'config/', layer: 'config' }],
  [{ prefix: 'models/', layer: 'models' }],
  // Numerics the analyses share (grids, grid KL, Gaussian windows, contour rule, class table): plot/ only.
  [{ prefix: 'analysis/', layer: 'analysis' }],
  // What uses models: side by side (they may import each other, without cycles).
  [
    { prefix: 'train/', layer: 'train' },
    { prefix: 'validate/', layer: 'validate' },
    { prefix: 'visualize/', layer: 'visualize' },
    { prefix: 'fit/', layer: 'fit' }, // likelihood fits
  ],
  // Golden-vector checks reach into all of the above (the optimizer of train/ included).
  [{ prefix: 'conformance/', layer: 'conformance' }],
  // The public surface that needs no Node, shared by both library entries.
  [{ prefix: 'api-core.ts', layer: 'api-core' }],
  // Entry points.
  [
    { prefix: 'cli/', layer: 'cli' },
    { prefix: 'index.ts', layer: 'index' }, // the public API ('fnflow')
    { prefix: 'browser.ts', layer: 'browser' }, // the web page's ('fnflow/browser')
  ],
];

const SRC = join(REPO, 'src');

function sourceFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of readdirSync(SRC, { recursive: true, encoding: 'utf8' })) {
    const path = entry.split('\\').join('/');
    if (path.endsWith('.ts')) files.set(path, readFileSync(join(SRC, path), 'utf8'));
  }
  return files;
}

test('src/: every import points down the layers, and no layers import each other in a cycle', () => {
  const files = sourceFiles();
  assert.ok(files.size > 100, `expected the whole source tree under ${SRC}, found ${files.size} files`);
  const problems = layerProblems(LAYERS, files);
  assert.ok(problems.length === 0, `${problems.length} breach(es) of the layer rule:\n  ${problems.join('\n  ')}`);
});

test('the table places each layer once, and every folder of src/ has a row', () => {
  const layers = LAYERS.flat().map((r) => r.layer);
  assert.equal(layers.length, new Set(layers).size, 'a layer in two tiers');
  for (const dir of readdirSync(SRC, { withFileTypes: true })) {
    if (dir.isDirectory()) assert.ok(place(LAYERS, `${dir.name}/x.ts`), `src/${dir.name}/ has no layer row`);
  }
});

// The checker itself, on small made-up trees.

const TINY: LayerTable = [
  [{ prefix: 'low/', layer: 'low' }],
  [
    { prefix: 'a/', layer: 'a' },
    { prefix: 'b/', layer: 'b' },
  ],
  [{ prefix: 'top.ts', layer: 'top' }],
];

test('importsOf: every import form, with lines; comments and strings are not imports', () => {
  const text = [
    "import { x } from '../low/x.js';",
    '/* import { y } from "../low/y.js"; */',
    'const s = "import z from \'../low/z.js\'";',
    'import {',
    '  w,',
    "} from './w.js';",
    "export type { T } from '../b/t.js';",
    "import 'node:fs';",
    "const m = await import('../top.js');",
  ].join('\n');
  const edges = importsOf('a/file.ts', text).map((e) => [e.line, e.spec, e.to]);
  assert.equal(edges, [
    [1, '../low/x.js', 'low/x.ts'],
    [6, './w.js', 'a/w.ts'],
    [7, '../b/t.js', 'b/t.ts'],
    [9, '../top.js', 'top.ts'],
  ]);
});

test('layerProblems: names each upward import by file and line, and unplaced files', () => {
  const files = new Map([
    ['low/l.ts', "// the bottom\nimport { t } from '../top.js';\n"],
    ['a/a.ts', "import { l } from '../low/l.js';\n"],
    ['top.ts', "import { a } from './a/a.js';\nimport { b } from './b/b.js';\n"],
    ['b/b.ts', ''],
    ['stray.ts', "import { x } from '../outside/x.js';\n"],
  ]);
  assert.equal(layerProblems(TINY, files), [
    "src/low/l.ts:2: upward import: low (tier 0) imports '../top.js' of top (tier 2)",
    'src/stray.ts: no layer for this file; add a row for it to the layer table',
  ]);
  files.delete('stray.ts');
  files.set('top.ts', "import { x } from '../outside/x.js';\n");
  assert.equal(layerProblems(TINY, files)[1], "src/top.ts:1: imports '../outside/x.js', outside src/");
});

test('layerProblems: layers of one tier may import each other, but not in a cycle', () => {
  const files = new Map([
    ['a/a.ts', "import { b } from '../b/b.js';\n"],
    ['b/b.ts', "import { l } from '../low/l.js';\n"],
    ['low/l.ts', ''],
  ]);
  assert.equal(layerProblems(TINY, files), []);
  files.set('b/c.ts', "\n\nimport { a } from '../a/a.js';\n");
  assert.equal(layerProblems(TINY, files), ['import cycle between layers: a → b (src/a/a.ts:1), b → a (src/b/c.ts:3)']);
});

test.run();
