/**
 * The import graph of a TypeScript tree and the layer rule over it (used by test/layers.test.ts).
 *
 * Imports are found by TypeScript's own pre-processor (`ts.preProcessFile`: `import … from`,
 * `export … from`, bare `import '…'`, `import('…')`, type-only imports too), so comments and
 * strings that merely look like imports are never counted. Only relative specifiers are edges;
 * packages and `node:` modules are outside the rule. A specifier `./x.js` names the source
 * `./x.ts` (NodeNext resolution); a directory import is not used in this project.
 *
 * The rule: each file belongs to the layer of the longest matching path prefix in the table;
 * a file may import its own layer, or any layer of a lower or equal tier; layers of one tier
 * may import each other only if that makes no cycle between layers.
 */
import ts from 'typescript';
import { posix } from 'node:path';

/** One row of the layer table: files whose path (relative to src/) starts with `prefix`. */
export interface LayerRow {
  /** A folder with its slash (`io/`), a single file (`index.ts`). */
  prefix: string;
  layer: string;
}

/** Tiers from the bottom up; each tier lists its rows. */
export type LayerTable = readonly (readonly LayerRow[])[];

export interface ImportEdge {
  /** Importing file, relative to the tree root (`train/trainer.ts`). */
  from: string;
  /** 1-based line of the specifier. */
  line: number;
  /** The specifier as written. */
  spec: string;
  /** Imported file, relative to the tree root; null when it resolves outside the tree. */
  to: string | null;
}

/** The relative imports of one file (`path` relative to the tree root, posix separators). */
export function importsOf(path: string, text: string): ImportEdge[] {
  const found = ts.preProcessFile(text, true, true).importedFiles;
  return found
    .filter((f) => f.fileName.startsWith('./') || f.fileName.startsWith('../'))
    .map((f) => {
      const target = posix.normalize(posix.join(posix.dirname(path), f.fileName)).replace(/\.js$/, '.ts');
      const to = target.startsWith('../') || target === '..' ? null : target;
      const line = text.slice(0, f.pos).split('\n').length;
      return { from: path, line, spec: f.fileName, to };
    });
}

interface Placed {
  layer: string;
  tier: number;
}

/** The layer and tier of a file by the longest prefix in `table`; undefined when no row matches. */
export function place(table: LayerTable, path: string): Placed | undefined {
  let best: (Placed & { length: number }) | undefined;
  table.forEach((rows, tier) => {
    for (const row of rows) {
      const hit = row.prefix.endsWith('/') ? path.startsWith(row.prefix) : path === row.prefix;
      if (hit && (best === undefined || row.prefix.length > best.length)) {
        best = { layer: row.layer, tier, length: row.prefix.length };
      }
    }
  });
  return best && { layer: best.layer, tier: best.tier };
}

/**
 * Every breach of the rule, one line each, naming the file and line (`src/` is prefixed to
 * paths for reading). `files` maps paths relative to the tree root to their text.
 */
export function layerProblems(table: LayerTable, files: ReadonlyMap<string, string>, root = 'src/'): string[] {
  const problems: string[] = [];
  const tierName = (t: number) => `tier ${t}`;
  /** layer → layer → the first import that makes the edge (for the cycle report). */
  const edges = new Map<string, Map<string, ImportEdge>>();
  for (const [path, text] of files) {
    const here = place(table, path);
    if (here === undefined) {
      problems.push(`${root}${path}: no layer for this file; add a row for it to the layer table`);
      continue;
    }
    for (const edge of importsOf(path, text)) {
      const at = `${root}${edge.from}:${edge.line}`;
      if (edge.to === null) {
        problems.push(`${at}: imports '${edge.spec}', outside ${root}`);
        continue;
      }
      const there = place(table, edge.to);
      if (there === undefined) {
        problems.push(`${at}: imports '${edge.spec}' (${root}${edge.to}), which has no layer`);
        continue;
      }
      if (there.layer === here.layer) continue;
      if (there.tier > here.tier) {
        problems.push(
          `${at}: upward import: ${here.layer} (${tierName(here.tier)}) imports '${edge.spec}' ` +
            `of ${there.layer} (${tierName(there.tier)})`,
        );
        continue;
      }
      const out = edges.get(here.layer) ?? new Map<string, ImportEdge>();
      if (!out.has(there.layer)) out.set(there.layer, edge);
      edges.set(here.layer, out);
    }
  }
  for (const cycle of layerCycles(edges)) {
    const steps = cycle.map((layer, i) => {
      const next = cycle[(i + 1) % cycle.length]!;
      const e = edges.get(layer)!.get(next)!;
      return `${layer} → ${next} (${root}${e.from}:${e.line})`;
    });
    problems.push(`import cycle between layers: ${steps.join(', ')}`);
  }
  return problems;
}

/** The cycles of the layer graph, one per strongly connected component of two or more layers. */
function layerCycles(edges: ReadonlyMap<string, ReadonlyMap<string, unknown>>): string[][] {
  // Tarjan's algorithm; a component is reported as one cycle through it, found by a walk.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1) components.push(comp);
    }
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return components.map((comp) => cycleWithin(edges, new Set(comp)));
}

/** A simple cycle inside a strongly connected set: walk edges inside it until a layer repeats. */
function cycleWithin(edges: ReadonlyMap<string, ReadonlyMap<string, unknown>>, comp: Set<string>): string[] {
  const path: string[] = [];
  let v = [...comp].sort()[0]!;
  while (!path.includes(v)) {
    path.push(v);
    v = [...edges.get(v)!.keys()].filter((w) => comp.has(w)).sort()[0]!;
  }
  return path.slice(path.indexOf(v));
}
