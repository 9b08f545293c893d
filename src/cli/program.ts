/**
 * The `fnf` command tree (commander) and the error policy of the entry point:
 * - flag/usage errors (commander's, and our parsers'): printed as "fnf: …", exit code 2;
 * - UserError / ConfigError / ColumnReadError / SampleError / CheckpointError (a model or training-state
 *   file that is not what it should be) from a command: "fnf: <message>", no stack, exit code 2
 *   (UserError may carry another code, e.g. 1 for "not implemented yet");
 * - anything else is a bug: printed with its stack, exit code 1.
 * Kept apart from main.ts so tests can build the tree and read its options.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/kit.js';
import { ColumnReadError } from '../io/columns/index.js';
import { CheckpointError } from '../io/state-dict.js';
import { SampleError } from '../train/file-events.js';
import { UserError } from './errors.js';
import { globalOptions } from './options.js';
import * as trainBase from './commands/train-base.js';
import * as trainSystematics from './commands/train-systematics.js';
import * as generateDataset from './commands/generate-dataset.js';
import * as checkGolden from './commands/check-golden.js';
import * as convert from './commands/convert.js';
import * as validate from './commands/validate.js';
import * as validateFiles from './commands/validate-files.js';
import * as visualize from './commands/visualize.js';
import * as visualizeDataset from './commands/visualize-dataset.js';
import * as start from './commands/start.js';
import * as fit from './commands/fit.js';
import * as toys from './commands/toys.js';
import * as scan from './commands/scan.js';

/** Every command module, in the order `fnf --help` lists them. */
export const COMMANDS = [
  start,
  trainBase,
  trainSystematics,
  generateDataset,
  validate,
  validateFiles,
  visualize,
  visualizeDataset,
  checkGolden,
  convert,
  fit,
  scan,
  toys,
] as const;

function packageVersion(): string {
  try {
    // dist/src/cli/program.js and src/cli/program.ts are both three levels below the package root.
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export interface CliOutput {
  writeOut(text: string): void;
  writeErr(text: string): void;
}

const processOutput: CliOutput = {
  writeOut: (t) => process.stdout.write(t),
  writeErr: (t) => process.stderr.write(t),
};

export function buildProgram(out: CliOutput = processOutput): Command {
  const program = new Command('fnf');
  // Set before adding commands: subcommands copy these settings when created.
  program
    .description('Factorizable normalizing flows: neural spline flows with residual systematic models')
    .version(packageVersion(), '-V, --version', 'print the fnflow version')
    .helpOption('-h, --help', 'show help for the command')
    .exitOverride()
    .configureOutput({
      writeOut: out.writeOut,
      writeErr: out.writeErr,
      outputError: (text, write) => write(`fnf: ${text.replace(/^error: /, '')}`),
    })
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .showHelpAfterError('(add --help for usage)');
  for (const opt of globalOptions()) program.addOption(opt);
  for (const mod of COMMANDS) mod.register(program);
  program.addHelpText(
    'after',
    '\nEnvironment: FNF_BACKEND and FNF_THREADS set --backend and --threads.\n' +
      'Example: fnf train-base -c configs/base_flows.yaml -s train_kin',
  );
  return program;
}

/** Runs the CLI on `argv` (node-style: argv[0] = node, argv[1] = script) and returns the exit code. */
export async function runCli(argv: readonly string[], out: CliOutput = processOutput): Promise<number> {
  const program = buildProgram(out);
  try {
    if (argv.length <= 2) {
      program.outputHelp({ error: true });
      return 2;
    }
    await program.parseAsync([...argv]);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and --version end with exit code 0; every other commander error is a usage error
      // whose message commander has already printed through outputError.
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof UserError) {
      out.writeErr(`fnf: ${e.message}\n`);
      return e.exitCode;
    }
    if (
      e instanceof ConfigError ||
      e instanceof ColumnReadError ||
      e instanceof SampleError ||
      e instanceof CheckpointError
    ) {
      out.writeErr(`fnf: ${e.message}\n`);
      return 2;
    }
    // The file system refused a read or write the checks above did not foresee (a full disk, a
    // directory made read-only mid-run): the environment's problem, said in one line.
    if (systemErrorOf(e)) {
      out.writeErr(`fnf: ${(e as Error).message}\n`);
      return 1;
    }
    out.writeErr(
      `fnf: internal error (a bug, please report it):\n${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
    );
    return 1;
  }
}

/** A Node system error (errno code and syscall), itself or as the cause of a wrapping error. */
function systemErrorOf(e: unknown): NodeJS.ErrnoException | null {
  for (let x = e, depth = 0; x instanceof Error && depth < 3; x = x.cause, depth++) {
    const s = x as NodeJS.ErrnoException;
    if (typeof s.code === 'string' && typeof s.syscall === 'string') return s;
  }
  return null;
}
