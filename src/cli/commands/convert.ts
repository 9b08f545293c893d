/** `fnf convert`: rewrite a checkpoint (PyTorch .pt or safetensors) as safetensors. */
import type { Command } from 'commander';
import { NotImplementedError } from '../errors.js';
import { existingFileParser, outputFileParser, type GlobalOptions } from '../options.js';

export interface ConvertOptions extends GlobalOptions {
  /** Input checkpoint: a PyTorch state_dict (.pt) or a safetensors file. */
  input: string;
  /** Output safetensors file (Zuko parameter names, loadable with safetensors.torch). */
  output: string;
}

export function register(program: Command): Command {
  return program
    .command('convert')
    .description('convert a checkpoint (PyTorch state_dict .pt, or .safetensors) to safetensors, keeping Zuko names')
    .argument('<in>', 'input checkpoint (.pt or .safetensors)', existingFileParser(['.pt', '.safetensors']))
    .argument('<out>', 'output file (.safetensors)', outputFileParser(['.safetensors']))
    .action(async (input: string, output: string, _opts: unknown, cmd: Command) =>
      run({ ...cmd.optsWithGlobals<GlobalOptions>(), input, output }),
    );
}

export async function run(_opts: ConvertOptions): Promise<void> {
  throw new NotImplementedError('convert');
}
