/**
 * The documentation as a new user follows it: the README's TypeScript examples (and the one in
 * src/index.ts's doc comment) type-check against the package's own typings, the library example
 * prints the numbers its comment promises, and every `fnf …` command line in the READMEs and the
 * shipped configs' comments names a command and options the CLI has. Docs drift silently when a
 * flag is renamed or an export changes; these checks make that drift a test failure. No network,
 * no training: two tsc runs and one short script.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { buildProgram } from '../src/cli/program.js';
import { REPO } from './helpers/shared.js';
import { consumerProject } from './helpers/consumer.js';

const read = (rel: string): string => readFileSync(join(REPO, rel), 'utf8');

/** The ```ts fenced blocks of a markdown text, in order. */
export function tsBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```/gm)].map((m) => m[1]);
}

/** The ```ts blocks of a file's first doc comment, its ` * ` prefixes removed. */
function docCommentBlocks(source: string): string[] {
  const comment = /\/\*\*([\s\S]*?)\*\//.exec(source)?.[1] ?? '';
  return tsBlocks(comment.replace(/^[ \t]*\* ?/gm, ''));
}

/**
 * The examples show the call, not where the events come from: names they use without declaring
 * (the rows x, their context, ν) are declared as the Float32Arrays they stand for, so the check
 * is that everything else — imports, option names, signatures — is as the package types say.
 */
const STAND_INS = ['x', 'context', 'nu', 'oneHot'];

function withStandIns(block: string): string {
  const missing = STAND_INS.filter(
    (n) => new RegExp(`\\b${n}\\b`).test(block) && !new RegExp(`\\b(?:const|let|var)\\s+${n}\\b`).test(block),
  );
  return missing.map((n) => `declare const ${n}: Float32Array;\n`).join('') + block;
}

interface Example {
  where: string;
  code: string;
}

const EXAMPLES: Example[] = [
  ...tsBlocks(read('README.md')).map((code, i) => ({ where: `README.md ts block ${i + 1}`, code })),
  ...docCommentBlocks(read('src/index.ts')).map((code, i) => ({
    where: `src/index.ts doc comment block ${i + 1}`,
    code,
  })),
];

const isBrowser = (e: Example): boolean => /from 'fnflow\/browser'/.test(e.code);

/** `const NAME = …; // ≈ [a, b, …]`: the values a Node example promises, to the digits written. */
function promisedValues(code: string): { name: string; values: number[]; digits: number }[] {
  return [...code.matchAll(/const (\w+) = [^\n]*\/\/ ≈ \[([^\]]+)\]/g)].map((m) => {
    const parts = m[2].split(',').map((s) => s.trim());
    return { name: m[1], values: parts.map(Number), digits: (parts[0].split('.')[1] ?? '').length };
  });
}

// skipLibCheck: the .d.ts themselves are package-typecheck.test.ts's job; here only the examples' use of them.
const STRICT = { strict: true, target: 'ES2022', skipLibCheck: true };
const NODE_OPTIONS = { ...STRICT, module: 'NodeNext', moduleResolution: 'NodeNext', types: ['node'], lib: ['ES2023'] };
const WEB_OPTIONS = {
  ...STRICT,
  noEmit: true,
  module: 'ESNext',
  moduleResolution: 'Bundler',
  types: [],
  lib: ['ES2022', 'DOM'],
};

function tsc(dir: string, options: Record<string, unknown>, files: string[]): string {
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: options, files }));
  try {
    execFileSync(process.execPath, [join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], {
      encoding: 'utf8',
      stdio: 'pipe',
    });
    return '';
  } catch (e) {
    return String((e as { stdout?: string }).stdout ?? e);
  }
}

test('the docs have examples to check: the README library and browser examples, the index.ts one', () => {
  assert.ok(EXAMPLES.filter((e) => !isBrowser(e)).length >= 2, 'a Node example in README.md and src/index.ts');
  assert.ok(EXAMPLES.some(isBrowser), "a 'fnflow/browser' example in README.md");
  assert.ok(
    EXAMPLES.some((e) => promisedValues(e.code).length > 0),
    'the README library example keeps its "// ≈ [...]" numbers',
  );
});

test('README / index.ts examples type-check as a consumer (strict), and the Node one prints its numbers', () => {
  const root = consumerProject('docs-consumer');
  try {
    const node = join(root, 'node');
    const web = join(root, 'web');
    mkdirSync(node);
    mkdirSync(web);
    const nodeFiles: string[] = [];
    const webFiles: string[] = [];
    const runs: { file: string; where: string; promised: ReturnType<typeof promisedValues> }[] = [];
    for (const [i, e] of EXAMPLES.entries()) {
      const file = `example${i}.ts`;
      const promised = promisedValues(e.code);
      const print = promised.map((p) => `console.log(JSON.stringify(Array.from(${p.name})));\n`).join('');
      const header = `// ${e.where}\n`;
      if (isBrowser(e)) {
        writeFileSync(join(web, file), header + withStandIns(e.code));
        webFiles.push(file);
      } else {
        writeFileSync(join(node, file), header + withStandIns(e.code) + print);
        nodeFiles.push(file);
        if (promised.length > 0) runs.push({ file, where: e.where, promised });
      }
    }
    for (const [dir, options, files] of [
      [node, { ...NODE_OPTIONS, outDir: join(node, 'out') }, nodeFiles],
      [web, WEB_OPTIONS, webFiles],
    ] as const) {
      const out = tsc(dir, options, [...files]);
      assert.is(out, '', `tsc on the docs' examples reported\n${out.split('\n').slice(0, 20).join('\n')}`);
    }
    for (const r of runs) {
      const stdout = execFileSync(process.execPath, [join(node, 'out', r.file.replace(/\.ts$/, '.js'))], {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, FNF_NO_CALIBRATE: '1' },
      });
      const printed = stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as number[]);
      for (const [k, p] of r.promised.entries()) {
        const got = printed[k];
        assert.is(got.length, p.values.length, `${r.where}: ${p.name} has ${got.length} values`);
        const tol = 0.5 * 10 ** -p.digits + 1e-9;
        for (const [j, v] of p.values.entries()) {
          assert.ok(
            Math.abs(got[j] - v) <= tol,
            `${r.where}: ${p.name}[${j}] is ${got[j]}, the comment says ≈ ${v} (to ${p.digits} decimals)`,
          );
        }
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

// ---- `fnf …` command lines ----

/** The `fnf …` command lines of a text: code lines whole (`\` continuations joined), prose by its `…` spans. */
export function fnfCommandLines(text: string): string[] {
  const lines: string[] = [];
  for (const line of text.replace(/\\\n/g, ' ').split('\n')) {
    const sources = line.includes('`') ? [...line.matchAll(/`([^`]*)`/g)].map((m) => m[1]) : [line];
    for (const s of sources) {
      for (const m of s.matchAll(/(?:^|[\s(=])fnf((?:[ \t]+[^\s`#]+)+)/g)) lines.push(m[1].trim().replace(/\s+/g, ' '));
    }
  }
  return lines;
}

function flagsOf(cmd: Command): Set<string> {
  const flags = cmd.options.flatMap((o) => [o.long, o.short]).filter((f): f is string => Boolean(f));
  return new Set([...flags, '--help', '-h']);
}

/** What is wrong with one documented command line: an unknown command or an option it does not take. */
export function commandLineProblems(program: Command, line: string): string[] {
  const globals = flagsOf(program);
  // Placeholders in the docs: [--opt x], "a|b", "…"; only the option names matter.
  const toks = line.split(/\s+/).map((t) => t.replace(/^\[+/, '').replace(/[\]),;.]+$/, ''));
  let i = 0;
  while (i < toks.length && globals.has(toks[i])) i += toks[i] === '--verbose' ? 1 : 2;
  const name = toks[i];
  // `fnf`, `fnf train-*` (a family of commands), `fnf:` (an error message's prefix) name no one command.
  if (name === undefined || name.includes('*') || name.endsWith(':')) return [];
  if (name.startsWith('-')) return [`fnf has no global option ${name}: fnf ${line}`];
  let cmd = program.commands.find((c) => c.name() === name);
  // A word without options after it is prose ("fnf writes safetensors"), not a command line.
  if (cmd === undefined) {
    return toks.slice(i + 1).some((t) => t.startsWith('-')) ? [`fnf has no command ${name}: fnf ${line}`] : [];
  }
  i++;
  const sub = cmd.commands.find((c) => c.name() === toks[i]);
  if (sub !== undefined) {
    cmd = sub;
    i++;
  }
  const known = new Set([...flagsOf(cmd), ...globals]);
  const problems: string[] = [];
  for (; i < toks.length; i++) {
    const flag = toks[i].split('=')[0];
    if (/^--?[a-z]/.test(flag) && !known.has(flag))
      problems.push(`fnf ${cmd.name()} has no option ${flag}: fnf ${line}`);
  }
  return problems;
}

/** The docs and the config comments a user copies commands from. */
function commandSources(): string[] {
  const configs = ['configs', 'configs/files'].flatMap((d) =>
    readdirSync(join(REPO, d))
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => `${d}/${f}`),
  );
  return ['README.md', 'configs/README.md', 'bench/README.md', 'models/README.md', ...configs];
}

test('every documented `fnf …` line names a command and options the CLI has', () => {
  const program = buildProgram({ writeOut: () => {}, writeErr: () => {} });
  const problems: string[] = [];
  let lines = 0;
  for (const file of commandSources()) {
    for (const line of fnfCommandLines(read(file))) {
      lines++;
      for (const p of commandLineProblems(program, line)) problems.push(`${file}: ${p}`);
    }
  }
  assert.ok(lines >= 40, `only ${lines} fnf command lines found: the extraction broke`);
  assert.equal(problems, []);
});

test('the command-line check itself: it catches an unknown command, option and global option', () => {
  const program = buildProgram({ writeOut: () => {}, writeErr: () => {} });
  assert.equal(commandLineProblems(program, 'fit -c a.yaml --sys-cfg b.yaml --data x.csv [--weight w]'), []);
  assert.equal(commandLineProblems(program, '--threads 1 toys merge a.json --out b.json'), []);
  assert.match(commandLineProblems(program, 'fit -c a.yaml --datafile x.csv')[0], /fnf fit has no option --datafile/);
  assert.match(commandLineProblems(program, 'toys merge a.json --n-toys 3')[0], /fnf merge has no option --n-toys/);
  assert.match(commandLineProblems(program, 'train -c a.yaml')[0], /fnf has no command train/);
  assert.match(commandLineProblems(program, '--thread 2 fit')[0], /no global option --thread/);
  assert.equal(commandLineProblems(program, 'writes safetensors, whatever the extension'), []);
  assert.equal(fnfCommandLines('run `fnf scan -c … --points 5` then\n```\nfnf toys \\\n  --n-toys 3 # note\n```'), [
    'scan -c … --points 5',
    'toys --n-toys 3',
  ]);
});

test('every `npm run NAME` / `npm start` / `npm test` in the docs is a script of package.json', () => {
  const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
  const missing: string[] = [];
  for (const file of ['README.md', 'configs/README.md', 'bench/README.md']) {
    const text = read(file);
    for (const m of text.matchAll(/\bnpm run (?:--silent )?([a-z][\w:.-]*)/g)) {
      if (!(m[1] in scripts)) missing.push(`${file}: npm run ${m[1]}`);
    }
    for (const m of text.matchAll(/\bnpm (start|test)\b/g))
      if (!(m[1] in scripts)) missing.push(`${file}: npm ${m[1]}`);
  }
  assert.equal(missing, []);
});

test.run();
