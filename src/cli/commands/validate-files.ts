/**
 * `fnf validate-files -c base_flows.yaml [--sys-cfg systematics.yaml]`: validation without an
 * exact truth for models trained on files (the configs' `samples:` sections): the held-out NLL of
 * each base flow on the nominal sample, and of each residual model at every template's ν next to
 * the frozen base alone on the same events (src/validate/held-out.ts). The held-out events are
 * those training set aside: use the same --seed (default: the config's) as training did.
 */
import { Option, type Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../io/atomic.js';
import { loadConfig } from '../../config/load.js';
import { loadBaseFlow, loadResidualModel } from '../../models/load.js';
import { fileTraining } from '../../train/file-data.js';
import { heldOutMarkdown, heldOutRow, type HeldOutRow } from '../../validate/held-out.js';
import { classifierTwoSample, TWO_SAMPLE_DEFAULTS } from '../../validate/two-sample.js';
import { marginalChi2 } from '../../validate/marginals.js';
import { figDataModelMarginals } from '../../validate/files-figures.js';
import { FigureSink, X_LABEL, Y_LABEL } from '../../validate/style.js';
import { formatNu } from '../../validate/nuisance.js';
import type { Batch } from '../../train/batches.js';
import type { Device } from '../../backend/device.js';
import { Rng } from '../../random/rng.js';
import { cfgOption, existingFileParser, outputDirParser, positiveIntParser, type GlobalOptions } from '../options.js';
import { UserError } from '../errors.js';
import { seedOf } from './train-common.js';
import { deviceFor } from '../device.js';

export interface ValidateFilesOptions extends GlobalOptions {
  cfg: string;
  sysCfg?: string;
  outDir: string;
  /** Training steps of the two-sample classifier; 0 skips the test. */
  classifierSteps: number;
}

/** The classifier's random numbers: its own stream, apart from the held-out split's. */
const CLASSIFIER_STREAM = 29;

/** Events per evaluation call. */
const CHUNK = 4096;

export function register(program: Command): Command {
  return program
    .command('validate-files')
    .description('held-out NLL of models trained on files (samples: sections), residuals against their frozen base')
    .addOption(cfgOption('base flows config with a samples: section, e.g. configs/files/base_flows.yaml'))
    .addOption(
      new Option(
        '--sys-cfg <file>',
        'systematics config with a samples: section; also validates the residual models (default: none)',
      ).argParser(existingFileParser(['.yaml', '.yml'])),
    )
    .addOption(
      new Option(
        '--out-dir <dir>',
        'directory for held-out.json, held-out.md and the marginal figures, created if missing',
      )
        .argParser(outputDirParser)
        .default('validation-files'),
    )
    .addOption(
      new Option('--classifier-steps <n>', 'training steps of the two-sample classifier (0: skip the test)')
        .argParser((t) => (t.trim() === '0' ? 0 : positiveIntParser(t)))
        .default(TWO_SAMPLE_DEFAULTS.steps),
    )
    .action(async (_opts: unknown, cmd: Command) => run(cmd.optsWithGlobals<ValidateFilesOptions>()));
}

export async function run(opts: ValidateFilesOptions): Promise<void> {
  const base = loadConfig(opts.cfg, 'base');
  if (!base.samples)
    throw new UserError(`${opts.cfg}: no samples: section (validate-files is for models trained on files)`);
  const sys = opts.sysCfg ? loadConfig(opts.sysCfg, 'systematics') : undefined;
  if (sys && !sys.samples) throw new UserError(`${opts.sysCfg}: no samples: section`);
  const dev = await deviceFor(opts);
  mkdirSync(opts.outDir, { recursive: true });
  const sink = new FigureSink(opts.outDir);
  const rows: HeldOutRow[] = [];
  const figureNames = new Set<string>();
  for (const sector of ['kin', 'score'] as const) {
    const nsf = loadBaseFlow(dev, base[sector].paths.model, base[sector].flow, `${sector}_flow`);
    const nominal = await fileTraining(sector, base.samples[sector], 'base', seedOf(opts, base.seed));
    const held = nominal.batches.heldOut(0, CHUNK);
    const baseRow = heldOutRow(dev, { model: `${sector}_base`, sample: 'nominal' }, held, (t, x, c) =>
      nsf.logProbVar(t, x, { context: c }),
    );
    rows.push(
      withClassifier(
        dev,
        baseRow,
        held,
        (ctx, _nu, rng) => nsf.sample(ctx.length / contextOf(held), { context: ctx }, rng),
        classifierRng(opts, base.seed, rows.length),
        opts.classifierSteps,
        { sink, sector, used: figureNames },
      ),
    );
    if (!sys?.samples) continue;
    const residual = sys[sector].residual;
    if (residual.numNuisances === 0) continue;
    const model = loadResidualModel(dev, sys[sector].paths.residual, { flow: sys[sector].flow, residual });
    const templates = await fileTraining(
      sector,
      sys.samples[sector],
      'residual',
      seedOf(opts, sys.seed),
      residual.numNuisances,
    );
    const labels = templateLabels(templates.batches.samples.map((s) => s.files));
    templates.batches.samples.forEach((s, g) => {
      const held = templates.batches.heldOut(g, CHUNK);
      const row = heldOutRow(
        dev,
        { model: `${sector}_residual`, sample: labels[g], nu: s.nu },
        held,
        (t, x, c, nu) => model.logProbVar(t, x, { context: c, nu }),
        (t, x, c) => model.base.logProbVar(t, x, { context: c }),
      );
      const sample = (ctx: Float32Array, nu: Float32Array, rng: Rng) =>
        model.sample(nu.length / residual.numNuisances, { context: ctx, nu }, rng);
      rows.push(
        withClassifier(dev, row, held, sample, classifierRng(opts, sys.seed, rows.length), opts.classifierSteps, {
          sink,
          sector,
          used: figureNames,
        }),
      );
    });
  }
  const enc = new TextEncoder();
  writeFileAtomic(join(opts.outDir, 'held-out.json'), enc.encode(JSON.stringify({ rows }, null, 2) + '\n'));
  const md = heldOutMarkdown(rows);
  writeFileAtomic(join(opts.outDir, 'held-out.md'), enc.encode(md));
  process.stdout.write(md);
}

function classifierRng(opts: ValidateFilesOptions, configSeed: number | undefined, row: number): Rng {
  return Rng.fromSeed(seedOf(opts, configSeed)).fork(CLASSIFIER_STREAM).fork(row);
}

function contextOf(batches: Batch[]): number {
  return batches[0].context.length / batches[0].n;
}

/**
 * The row's figure file: model and sample, with characters a file name should not hold replaced.
 * Names already `used` (two samples that read alike once cleaned, e.g. up.csv and up.parquet) get
 * the row's ν, then a counter: one figure must never overwrite another's.
 */
export function marginalFigureName(
  row: { model: string; sample: string; nu?: readonly number[] },
  used: ReadonlySet<string> = new Set(),
): string {
  const clean = (t: string): string => t.replace(/[^A-Za-z0-9_-]+/g, '_');
  const sample = clean(row.sample.replace(/\.[a-z]+$/i, ''));
  const stem = `marginals_${row.model}_${sample}`;
  const candidates = [stem, ...(row.nu ? [`${stem}_nu_${clean(row.nu.join('_'))}`] : [])];
  for (const name of candidates) if (!used.has(`${name}.png`)) return `${name}.png`;
  for (let k = 2; ; k++) if (!used.has(`${stem}_${k}.png`)) return `${stem}_${k}.png`;
}

/**
 * Each template's sample label: its files' names, with as many of their parent directories as it
 * takes for no two templates to read alike (jes_up/events.root and jes_down/events.root, not
 * events.root twice), so held-out.md/json rows tell them apart.
 */
export function templateLabels(files: readonly (readonly string[])[]): string[] {
  const tail = (path: string, depth: number): string => path.split('/').filter(Boolean).slice(-depth).join('/');
  const depths = files.map(() => 1);
  const label = (g: number): string => files[g].map((f) => tail(f, depths[g])).join(', ');
  const maxDepth = Math.max(1, ...files.flat().map((f) => f.split('/').filter(Boolean).length));
  for (let round = 1; round < maxDepth; round++) {
    const labels = files.map((_, g) => label(g));
    const clashing = labels.map((l, g) => labels.indexOf(l) !== g || labels.lastIndexOf(l) !== g);
    if (!clashing.some(Boolean)) break;
    clashing.forEach((c, g) => c && depths[g]++);
  }
  return files.map((_, g) => label(g));
}

/**
 * Adds the marginal χ²/ndf of both features, their data-vs-model figure (files-figures.ts) and the
 * classifier two-sample AUC to a row: data rows are the held-out events [x, context], model rows
 * the model's draws at the same contexts (and ν), [x̃, context].
 */
function withClassifier(
  dev: Device,
  row: HeldOutRow,
  held: Batch[],
  sample: (context: Float32Array, nu: Float32Array, rng: Rng) => Float32Array,
  rng: Rng,
  steps: number,
  figure: { sink: FigureSink; sector: 'kin' | 'score'; used: Set<string> },
): HeldOutRow {
  const C = contextOf(held);
  const F = 2 + C;
  const n = held.reduce((a, b) => a + b.n, 0);
  if (n < 4) return row;
  const data = new Float32Array(n * F);
  const model = new Float32Array(n * F);
  const weights = held[0].w ? new Float64Array(n) : undefined;
  let o = 0;
  for (const b of held) {
    const drawn = sample(b.context, b.nu ?? new Float32Array(0), rng);
    for (let i = 0; i < b.n; i++, o++) {
      data[o * F] = b.x[2 * i];
      data[o * F + 1] = b.x[2 * i + 1];
      model[o * F] = drawn[2 * i];
      model[o * F + 1] = drawn[2 * i + 1];
      for (let c = 0; c < C; c++) data[o * F + 2 + c] = model[o * F + 2 + c] = b.context[C * i + c];
      if (weights) weights[o] = b.w![i];
    }
  }
  const chi2 = [0, 1].map((dim) => marginalChi2(data, model, F, dim, weights));
  const figureFile = marginalFigureName(row, figure.used);
  figure.used.add(figureFile);
  const chi2ndf = chi2.map((c) => +(c.chi2 / c.ndf).toFixed(3));
  figDataModelMarginals(figure.sink, figureFile, {
    title: `${row.model} — ${row.sample}${row.nu ? `, ν = ${formatNu(row.nu)}` : ''}`,
    labels: figure.sector === 'kin' ? X_LABEL : Y_LABEL,
    data,
    model,
    F,
    weights,
    chi2ndf,
  });
  const marginals = { marginal_chi2_ndf: chi2ndf, marginal_ndf: chi2[0].ndf, marginal_figure: figureFile };
  if (steps === 0) return { ...row, ...marginals, checks: `${row.checks}, marginal χ²/ndf` };
  const r = classifierTwoSample(dev, data, model, F, weights, rng, { ...TWO_SAMPLE_DEFAULTS, steps });
  return {
    ...row,
    ...marginals,
    auc: r.auc,
    auc_se: r.auc_se,
    checks: `${row.checks}, marginal χ²/ndf, classifier AUC`,
  };
}
