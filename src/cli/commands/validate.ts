/**
 * `fnf validate`: the validation figures (family A of spec/figures.md) and closure numbers.
 * Flags as validate_flows.py: `-c/--cfg` (base flows), `--sys-cfg`, `--out-dir`, `--n`.
 */
import { Option, type Command } from 'commander';
import { checkBaseFlowsMatch, loadConfig } from '../../io/config.js';
import { NotImplementedError } from '../errors.js';
import { cfgOption, existingFileParser, outputDirParser, positiveIntParser, type GlobalOptions } from '../options.js';

export interface ValidateOptions extends GlobalOptions {
  /** base_flows.yaml path, as given. */
  cfg: string;
  /** systematics.yaml path; undefined = base-flow figures only. */
  sysCfg: string | undefined;
  outDir: string;
  /** Events per sample set. */
  n: number;
}

export const VALIDATE_DEFAULT_N = 100_000;
export const VALIDATE_DEFAULT_OUT_DIR = 'validation';

export function register(program: Command): Command {
  return program
    .command('validate')
    .description('compare the trained flows with the toy generator: validation figures and numbers')
    .addOption(cfgOption('base flows config (generator + base flows), e.g. configs/base_flows.yaml'))
    .addOption(
      new Option('--sys-cfg <file>', 'systematics config; also validates the residual models (default: none, base flows only)')
        .argParser(existingFileParser(['.yaml', '.yml'])),
    )
    .addOption(
      new Option('--out-dir <dir>', 'directory for the figures, created if missing')
        .argParser(outputDirParser)
        .default(VALIDATE_DEFAULT_OUT_DIR),
    )
    .addOption(
      new Option('--n <count>', 'events in every truth and model sample set')
        .argParser(positiveIntParser)
        .default(VALIDATE_DEFAULT_N),
    )
    .action(async (_opts: unknown, cmd: Command) => run(cmd.optsWithGlobals<ValidateOptions>()));
}

export async function run(opts: ValidateOptions): Promise<void> {
  const base = loadConfig(opts.cfg, 'base');
  if (opts.sysCfg !== undefined) checkBaseFlowsMatch(base, loadConfig(opts.sysCfg, 'systematics'));
  throw new NotImplementedError('validate');
}
