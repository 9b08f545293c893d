/**
 * Whether a file or directory can be created at a path, checked before any work is done: a fit, a
 * toy study or a training run that ends with "ENOTDIR, mkdir" has thrown away minutes to hours.
 *
 * The path need not exist; its nearest existing ancestor must be a directory this process may write
 * into, and every component on the way must be a directory. Nothing is created here.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UserError } from './errors.js';

/** Why a directory cannot be created (or written) at `dir`, or null when it can. */
export function outputDirProblem(dir: string): string | null {
  let p = resolve(dir);
  for (;;) {
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return `${p}: ${code ?? String(e)}`;
      const up = dirname(p);
      if (up === p) return `${p}: no such file system root`;
      p = up;
      continue;
    }
    if (!isDir) return `'${p}' is a file, not a directory`;
    try {
      accessSync(p, constants.W_OK | constants.X_OK);
    } catch {
      return `the directory '${p}' is not writable`;
    }
    return null;
  }
}

/** Why `file` cannot be written (its directory cannot be made or written, or it is a directory). */
export function outputFileProblem(file: string): string | null {
  try {
    if (statSync(file).isDirectory()) return `'${resolve(file)}' is a directory`;
  } catch {
    /* absent, or under a file: the directory check says which */
  }
  return outputDirProblem(dirname(file));
}

/** The same check as a one-line user error naming the flag or config key the path came from. */
export function requireOutputDir(dir: string, from: string): void {
  const problem = outputDirProblem(dir);
  if (problem) throw new UserError(`${from} ${dir}: cannot write there (${problem})`);
}

/** requireOutputDir for a file's directory, and the file must not be a directory. */
export function requireOutputFile(file: string, from: string): void {
  const problem = outputFileProblem(file);
  if (problem) throw new UserError(`${from} ${file}: cannot write it (${problem})`);
}
