/** `fnf convert`: rewrite a checkpoint (PyTorch .pt or safetensors) as safetensors. */
import type { Command } from 'commander';
import { readCheckpoint } from '../../io/checkpoint.js';
import { formatArchitecture } from '../../config/load.js';
import { nsfArchitecture, nsfToStateDict } from '../../flows/nsf-state.js';
import { createDevice } from '../../backend/index.js';
import { loadBaseFlow, loadResidualModel } from '../../models/load.js';
import { residualArchitecture, residualToStateDict } from '../../systematics/state.js';
import { saveModel } from '../../train/checkpoint.js';
import { UserError } from '../errors.js';
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

/**
 * The model is fully loaded (every shape and mask checked) before anything is written, and the
 * output is written atomically, so a bad input never leaves a half-written file. Base-buffer
 * keys come out in Zuko 1.6 spelling (`base.loc`, `base.scale`).
 */
export async function run(opts: ConvertOptions): Promise<void> {
  // Loading only checks and holds the tensors; no kernel runs, so no backend is chosen or probed
  // (and nothing is printed about one): host memory with the readable ts kernels.
  const dev = await createDevice({ backend: 'ts' });
  let arch: Record<string, unknown>;
  try {
    const ck = readCheckpoint(opts.input);
    if (ck.dict.has('central_nuisance_values')) {
      const model = loadResidualModel(dev, opts.input);
      arch = residualArchitecture(model);
      saveModel(opts.output, residualToStateDict(model), arch, { source: opts.input });
    } else {
      const model = loadBaseFlow(dev, opts.input);
      arch = nsfArchitecture(model.config);
      saveModel(opts.output, nsfToStateDict(model), arch, { source: opts.input });
    }
  } catch (e) {
    throw new UserError((e as Error).message, 2);
  }
  process.stdout.write(`${opts.input} → ${opts.output}\narchitecture: ${formatArchitecture(arch)}\n`);
}
