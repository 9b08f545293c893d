/**
 * Whether the module at `moduleUrl` (its import.meta.url) is the script node was started with:
 * the web tools run their main() then, and stay importable by tests without running it.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export const runAsScript = (moduleUrl: string): boolean =>
  Boolean(process.argv[1]) && moduleUrl === pathToFileURL(resolve(process.argv[1])).href;
