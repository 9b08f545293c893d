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
import { loadConfig } from '../../io/config.js';
import { loadBaseFlow, loadResidualModel } from '../../models/load.js';
import { fileTraining } from '../../train/file-data.js';
import { heldOutMarkdown, heldOutRow, type HeldOutRow } from '../../validate/held-out.js';
import { cfgOption, existingFileParser, outputDirParser, type GlobalOptions } from '../options.js';
import { UserError } from '../errors.js';
import { deviceFor, seedOf } from './train-common.js';

export interface ValidateFilesOptions extends GlobalOptions {
  cfg: string;
  sysCfg?: string;
  outDir: string;
}

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
      new Option('--out-dir <dir>', 'directory for held-out.json and held-out.md, created if missing')
        .argParser(outputDirParser)
        .default('validation-files'),
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
  const rows: HeldOutRow[] = [];
  for (const sector of ['kin', 'score'] as const) {
    const flow = sector === 'kin' ? base.kinFlow : base.scoreFlow;
    const path = sector === 'kin' ? base.paths.kinModel : base.paths.scoreModel;
    const nsf = loadBaseFlow(dev, path, flow, `${sector}_flow`);
    const nominal = await fileTraining(sector, base.samples[sector], 'base', seedOf(opts, base.seed));
    rows.push(
      heldOutRow(dev, { model: `${sector}_base`, sample: 'nominal' }, nominal.batches.heldOut(0, CHUNK), (t, x, c) =>
        nsf.logProbVar(t, x, c),
      ),
    );
    if (!sys?.samples) continue;
    const residual = sector === 'kin' ? sys.residualKinModel : sys.residualScoreModel;
    if (residual.numNuisances === 0) continue;
    const resPath = sector === 'kin' ? sys.paths.kinResidualModel : sys.paths.scoreResidualModel;
    const model = loadResidualModel(dev, resPath, { flow: sector === 'kin' ? sys.kinFlow : sys.scoreFlow, residual });
    const templates = await fileTraining(
      sector,
      sys.samples[sector],
      'residual',
      seedOf(opts, sys.seed),
      residual.numNuisances,
    );
    templates.batches.samples.forEach((s, g) => {
      rows.push(
        heldOutRow(
          dev,
          { model: `${sector}_residual`, sample: s.files.map((f) => f.split('/').pop()).join(', '), nu: s.nu },
          templates.batches.heldOut(g, CHUNK),
          (t, x, c, nu) => model.logProbVar(t, x, c, nu!),
          (t, x, c) => model.base.logProbVar(t, x, c),
        ),
      );
    });
  }
  mkdirSync(opts.outDir, { recursive: true });
  const enc = new TextEncoder();
  writeFileAtomic(join(opts.outDir, 'held-out.json'), enc.encode(JSON.stringify({ rows }, null, 2) + '\n'));
  const md = heldOutMarkdown(rows);
  writeFileAtomic(join(opts.outDir, 'held-out.md'), enc.encode(md));
  process.stdout.write(md);
}
