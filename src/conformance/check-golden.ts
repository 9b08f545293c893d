/**
 * `fnf check-golden` as a function: read a golden file, load the checkpoint it names, compare,
 * return the rows (the CLI prints them and sets the exit code; tests assert on them).
 */
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Device } from '../backend/device.js';
import { loadBaseFlow, loadResidualModel } from '../models/load.js';
import { checkBaseGolden } from './golden-base.js';
import { checkResidualGolden } from './golden-residual.js';
import { checkTruthGolden } from './golden-truth.js';
import { checkOptimGolden } from './golden-optim.js';
import type { CompareRow } from './compare.js';

export interface GoldenReport {
  file: string;
  model: string;
  checkpoint: string | null;
  rows: CompareRow[];
  ok: boolean;
}

/** Default checkpoint folder: ../reference-models beside the golden folder (the shared layout). */
export function defaultModelsDir(goldenFile: string): string {
  return resolve(dirname(goldenFile), '..', 'reference-models');
}

export function checkGoldenFile(dev: Device, file: string, modelsDir?: string): GoldenReport {
  let g: Record<string, unknown>;
  try {
    g = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not a readable JSON golden file (${(e as Error).message})`);
  }
  if (typeof g.schema === 'string' && g.schema.startsWith('golden-optim')) {
    const rows = checkOptimGolden(dev, g as never);
    return { file, model: 'optimizer', checkpoint: null, rows, ok: rows.every((r) => r.ok) };
  }
  if ('settings' in g && 'inputs' in g && !('model' in g)) {
    const rows = checkTruthGolden(g as never);
    return { file, model: 'generator_truth', checkpoint: null, rows, ok: rows.every((r) => r.ok) };
  }
  const model = String(g.model ?? '');
  const base = model === 'kin_base' || model === 'score_base';
  if (!base && model !== 'kin_residual' && model !== 'score_residual') {
    // Said before looking for a checkpoint: a JSON that is no golden file names none.
    throw new Error(
      `${file}: ${model ? `unknown golden model '${model}'` : "not a golden file (no 'model' key)"}` +
        ` (expected kin_base, score_base, kin_residual, score_residual, an optimizer or a generator truth file)`,
    );
  }
  const ckName = String(g.checkpoint ?? '');
  const dir = modelsDir ?? defaultModelsDir(file);
  const checkpoint = join(dir, ckName);
  if (!ckName || !existsSync(checkpoint))
    throw new Error(`${file}: checkpoint '${ckName}' not found in ${dir} (pass --models DIR)`);
  const rows: CompareRow[] = base
    ? checkBaseGolden(dev, g as never, loadBaseFlow(dev, checkpoint))
    : checkResidualGolden(dev, g as never, loadResidualModel(dev, checkpoint));
  return { file, model, checkpoint, rows, ok: rows.every((r) => r.ok) };
}
