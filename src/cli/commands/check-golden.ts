/**
 * `fnf check-golden FILE.json [--models DIR]`: evaluate what a golden file describes with the
 * checkpoint it names, print max |Δ| per quantity against its f32 values, and exit 1 when any
 * exceeds the recommended tolerance.
 */
import { Option, type Command } from 'commander';
import { checkGoldenFile } from '../../conformance/check-golden.js';
import { formatRows } from '../../conformance/compare.js';
import { existingDirParser, existingFileParser, type GlobalOptions } from '../options.js';
import { UserError } from '../errors.js';
import { deviceFor } from '../device.js';

export interface CheckGoldenOptions extends GlobalOptions {
  files: string[];
  models: string | undefined;
}

export function register(program: Command): Command {
  return program
    .command('check-golden')
    .description(
      'evaluate golden-vector JSON files (reference inputs/outputs)' +
        ' and report the deviations; exit 1 if any is out of tolerance',
    )
    .argument(
      '<files...>',
      'golden files, e.g. ../shared/golden/kin_base.json',
      (v: string, prev: string[] | undefined) => [...(prev ?? []), existingFileParser(['.json'])(v)],
    )
    .addOption(
      new Option(
        '--models <dir>',
        'directory with the checkpoints the golden files name (.pt or .safetensors)' +
          ' (default: ../reference-models beside each golden file)',
      ).argParser(existingDirParser),
    )
    .action(async (files: string[], _opts: unknown, cmd: Command) =>
      run({ ...cmd.optsWithGlobals<Omit<CheckGoldenOptions, 'files'>>(), files }),
    );
}

export async function run(opts: CheckGoldenOptions): Promise<void> {
  const dev = await deviceFor(opts);
  let failed = 0;
  for (const file of opts.files) {
    let r;
    try {
      r = checkGoldenFile(dev, file, opts.models);
    } catch (e) {
      throw new UserError((e as Error).message, 2);
    }
    process.stdout.write(
      formatRows(`${file}  (${r.model}${r.checkpoint ? `, ${r.checkpoint}` : ''})`, r.rows) + '\n\n',
    );
    if (!r.ok) failed++;
  }
  if (failed > 0) throw new UserError(`${failed} of ${opts.files.length} golden files out of tolerance`, 1);
  process.stdout.write(`all ${opts.files.length} golden files within tolerance\n`);
}
