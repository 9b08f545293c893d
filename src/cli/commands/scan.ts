/**
 * `fnf scan`: per model, the profile −2 ln λ(μ) on a grid, 2D contours in (μ, ν_k), the discovery
 * significance and the 95 % CLs upper limit on μ with its expected band (src/fit/scan.ts); writes
 * `<out-dir>/scan.json` and the profile and contour figures.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { writeFileAtomic } from '../../io/atomic.js';
import { defaultScanSettings, scanModel, type ModelScan } from '../../fit/scan.js';
import { SCAN_FIGURE_FILES, scanFigures } from '../../fit/figures-scan.js';
import { UserError } from '../errors.js';
import { intParser } from '../options.js';
import { addCommonFitOptions, addDataOptions, prepare, type DataOptions, type FitCommonOptions } from './fit.js';

export interface ScanOptions extends FitCommonOptions, DataOptions {
  points: number;
  points2d: number;
  figures: boolean;
}

export function register(program: Command): Command {
  const cmd = program
    .command('scan')
    .description('profile likelihood scan of μ, (μ, ν) contours, significance and CLs upper limit per model');
  addDataOptions(addCommonFitOptions(cmd, 'scan'))
    .addOption(
      new Option('--points <n>', 'grid points of the μ profile over μ̂ ± 4σ within [0, 1]')
        .argParser(intParser(3, 201))
        .default(21),
    )
    .addOption(
      new Option('--points-2d <n>', 'grid points per axis of each (μ, ν) contour scan over ±3σ; 0 = no contours')
        .argParser(intParser(0, 61))
        .default(11),
    )
    .addOption(new Option('--no-figures', 'skip the scan figures (default: draw them)'))
    .action(async (_o: unknown, c: Command) => {
      await run(c.optsWithGlobals<ScanOptions>());
    });
  return cmd;
}

export async function run(o: ScanOptions): Promise<ModelScan[]> {
  if (o.extended || o.fixMu !== undefined) {
    throw new UserError('scan: profiles in μ need the plain likelihood (no --extended, no --fix-mu)');
  }
  const p = await prepare('scan', o, ['scan.json', ...(o.figures ? SCAN_FIGURE_FILES : [])]);
  const s = defaultScanSettings(o.points, o.points2d, p.seed);
  const log = (l: string) => process.stderr.write(`${l}\n`);
  const scans: ModelScan[] = [];
  for (const name of p.modelNames) {
    const t0 = performance.now();
    const r = scanModel(name, p.models, p.events, p.settings, s, log);
    scans.push(r);
    const e = r.expected_limit_95;
    process.stdout.write(
      `${name}: μ̂ = ${r.muHat.toFixed(4)}, Z = ${r.significance.toFixed(2)} (q₀ = ${r.q0.toFixed(2)}), ` +
        `95 % CLs upper limit ${r.upper_limit_95.toFixed(4)} (expected ${e.median.toFixed(4)}, ` +
        `±1σ [${e.minus1.toFixed(4)}, ${e.plus1.toFixed(4)}], ±2σ [${e.minus2.toFixed(4)}, ${e.plus2.toFixed(4)}]; ` +
        `σ_A = ${r.sigma_asimov.toFixed(4)}) in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
    );
  }
  mkdirSync(o.outDir, { recursive: true });
  const json = { n_events: p.events.n, scans };
  writeFileAtomic(join(o.outDir, 'scan.json'), new TextEncoder().encode(`${JSON.stringify(json, null, 2)}\n`));
  if (o.figures) scanFigures(o.outDir, scans, p.toy);
  process.stderr.write(`fnf scan: wrote scan.json to ${o.outDir}\n`);
  return scans;
}
