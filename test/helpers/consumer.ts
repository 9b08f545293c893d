/**
 * A scratch project that imports this package by its name, as a user's would: node_modules/fnflow
 * links to the repository and @types/node to ours. The typings and docs tests type-check (and run)
 * programs in it.
 */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from './shared.js';

/** A new consumer project folder (an ES module package named `name`); the caller removes it. */
export function consumerProject(name: string): string {
  const root = mkdtempSync(join(tmpdir(), `fnf-${name}-`));
  mkdirSync(join(root, 'node_modules', '@types'), { recursive: true });
  symlinkSync(REPO, join(root, 'node_modules', 'fnflow'), 'dir');
  symlinkSync(join(REPO, 'node_modules', '@types', 'node'), join(root, 'node_modules', '@types', 'node'), 'dir');
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name, type: 'module' }));
  return root;
}
