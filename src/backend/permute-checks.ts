/** Argument checks of the permute kernel, shared by the backends (errors name the kernel and shapes). */
import { shapeStr, type Tensor } from '../tensor/tensor.js';

/** Sizes only: every backend checks the index values as it moves (an O(n) pass of its own). */
export function checkPermute(kernel: string, out: Tensor, src: Tensor, index: Tensor, scale: Tensor, scatter: boolean): void {
  const moved = scatter ? src : out;
  if (moved.size !== index.size || scale.size !== index.size) {
    throw new Error(
      `${kernel}: index ${shapeStr(index.shape)}, scale ${shapeStr(scale.shape)} and ${scatter ? 'src' : 'out'} ` +
        `${shapeStr(moved.shape)} must have one size`,
    );
  }
}

export function badIndex(kernel: string, e: number, index: Tensor, indexed: Tensor, scatter: boolean): never {
  throw new Error(
    `${kernel}: index[${e}] = ${index.data[e]} is not an element of ${scatter ? 'out' : 'src'} ${shapeStr(indexed.shape)}`,
  );
}
