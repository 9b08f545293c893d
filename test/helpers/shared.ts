/** Where the read-only reference material lives: ../shared beside the repository. */
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';

// compiled to dist/test/helpers/shared.js → the repository root is three levels up
export const REPO = resolve(fileURLToPath(import.meta.url), '../../../..');
export const SHARED = process.env.FNF_SHARED ?? resolve(REPO, '../shared');
