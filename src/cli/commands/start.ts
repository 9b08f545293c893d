/** `fnf start` (what `npm start` runs): the getting-started entry point. */
import type { Command } from 'commander';
import { NotImplementedError } from '../errors.js';
import type { GlobalOptions } from '../options.js';

export type StartOptions = GlobalOptions;

export function register(program: Command): Command {
  return program
    .command('start')
    .description('getting started: check the setup (kernels, models/) and show the next commands to run')
    .action(async (_opts: unknown, cmd: Command) => run(cmd.optsWithGlobals<StartOptions>()));
}

export async function run(_opts: StartOptions): Promise<void> {
  throw new NotImplementedError('start');
}
