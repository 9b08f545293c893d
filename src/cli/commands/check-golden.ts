/** `fnf check-golden`: compare our models with a golden-vector file computed by the reference. */
import { Option, type Command } from 'commander';
import { NotImplementedError } from '../errors.js';
import { existingDirParser, existingFileParser, type GlobalOptions } from '../options.js';

export interface CheckGoldenOptions extends GlobalOptions {
  /** Golden JSON file (e.g. golden/kin_base.json), as given. */
  file: string;
  /** Directory holding the checkpoints the golden file refers to (.pt or .safetensors). */
  models: string;
}

export function register(program: Command): Command {
  return program
    .command('check-golden')
    .description('evaluate a golden-vector JSON file (reference inputs/outputs) and report the deviations')
    .argument('<file>', 'golden file, e.g. golden/kin_base.json', existingFileParser(['.json']))
    .addOption(
      new Option('--models <dir>', 'directory with the checkpoints the golden file refers to (.pt or .safetensors)')
        .argParser(existingDirParser)
        .default('models'),
    )
    .action(async (file: string, _opts: unknown, cmd: Command) =>
      run({ ...cmd.optsWithGlobals<Omit<CheckGoldenOptions, 'file'>>(), file }),
    );
}

export async function run(_opts: CheckGoldenOptions): Promise<void> {
  throw new NotImplementedError('check-golden');
}
