/** `fnf validate`: the validation figures (family A of spec/figures.md) and closure numbers. */
import { Option, type Command } from 'commander';
import { loadConfig } from '../../io/config.js';
import { NotImplementedError } from '../errors.js';
import { existingFileParser, outputDirParser, positiveIntParser, type GlobalOptions } from '../options.js';

export interface ValidateOptions extends GlobalOptions {
  /** base_flows.yaml path, as given. */
  config: string;
  /** systematics.yaml path; undefined = base-flow figures only. */
  sysCfg: string | undefined;
  outDir: string;
  /** Events per sample set. */
  n: number;
}

export const VALIDATE_DEFAULT_N = 100_000;

export function register(program: Command): Command {
  return program
    .command('validate')
    .description('compare the trained flows with the toy generator: validation figures and numbers')
    .addOption(
      new Option('-c, --config <file>', 'base flows config (generator + base flows) (required)')
        .argParser(existingFileParser(['.yaml', '.yml']))
        .makeOptionMandatory(),
    )
    .addOption(
      new Option('--sys-cfg <file>', 'systematics config; also validates the residual models (default: none, base flows only)')
        .argParser(existingFileParser(['.yaml', '.yml'])),
    )
    .addOption(
      new Option('--out-dir <dir>', 'directory for the figures, created if missing (required)')
        .argParser(outputDirParser)
        .makeOptionMandatory(),
    )
    .addOption(
      new Option('--n <count>', 'events in every truth and model sample set')
        .argParser(positiveIntParser)
        .default(VALIDATE_DEFAULT_N),
    )
    .action(async (_opts: unknown, cmd: Command) => run(cmd.optsWithGlobals<ValidateOptions>()));
}

export async function run(opts: ValidateOptions): Promise<void> {
  loadConfig(opts.config, 'base');
  if (opts.sysCfg !== undefined) loadConfig(opts.sysCfg, 'systematics');
  throw new NotImplementedError('validate');
}
