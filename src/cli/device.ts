/**
 * The device of a command that computes, and the one line that says which backend runs it.
 * `--backend auto` adds in a few words why (GPU used, or none usable); the GPU probe's full
 * reasons are printed only with `--verbose` (with `--backend gpu` a failure is an error that
 * carries them anyway). Commands that only read and write files create no device at all.
 */
import { createDevice, describeDevice, describeSplitThresholds, type AutoChoice } from '../backend/index.js';
import type { Device } from '../backend/device.js';
import { oversubscription } from '../backend/wasm/index.js';
import type { GlobalOptions } from './options.js';

const toStderr = (line: string) => process.stderr.write(`${line}\n`);

/** Creates the device the global options ask for and reports it on one line (two with --verbose). */
export async function deviceFor(
  opts: Pick<GlobalOptions, 'backend' | 'threads' | 'verbose'> & {
    /** Kernel threads of the whole process, when more devices than this one share them (start's lanes). */
    threadsInAll?: number;
  },
  log: (line: string) => void = toStderr,
): Promise<Device> {
  let auto: AutoChoice | undefined;
  const dev = await createDevice({
    backend: opts.backend,
    threads: opts.threads,
    onAutoChoice: (c) => (auto = c),
  });
  log(`fnf: ${deviceLine(describeDevice(dev), auto, !!opts.verbose)}`);
  const pool = (dev.kernels as { threads?: number }).threads;
  const crowded = pool ? oversubscription(opts.threadsInAll ?? pool) : null;
  if (crowded) log(`fnf: warning: ${crowded}`);
  if (auto && opts.verbose) log(`fnf: gpu probe: ${auto.probeReason}`);
  const split = opts.verbose ? describeSplitThresholds(dev) : null;
  if (split) log(`fnf: ${split}`);
  return dev;
}

/**
 * "backend wasm (relaxed build, 2 threads)"; after auto's choice "… — auto: no usable GPU",
 * pointing at --verbose for the probe's reasons unless they follow.
 */
export function deviceLine(description: string, auto: AutoChoice | undefined, verbose = false): string {
  if (!auto) return description;
  if (auto.backend === 'gpu') return `${description} — auto: the GPU passed the parity probe`;
  return `${description} — auto: no usable GPU${verbose ? '' : ' (--verbose says why)'}`;
}
