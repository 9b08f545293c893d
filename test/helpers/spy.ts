/** Watch the matmulNN calls a piece of code makes (tests of which work a path skips). */
import type { Device } from '../../src/backend/device.js';
import type { Kernels } from '../../src/backend/kernels.js';

type NNArgs = Parameters<Kernels['matmulNN']>;

/** Run `fn` with every matmulNN call of `dev` shown to `see` first (then run as usual). */
export function watchMatmulNN(dev: Device, see: (...args: NNArgs) => void, fn: () => void): void {
  const k = dev.kernels as Kernels;
  const original = k.matmulNN;
  k.matmulNN = (...args: NNArgs) => {
    see(...args);
    original.apply(k, args);
  };
  try {
    fn();
  } finally {
    k.matmulNN = original;
  }
}
