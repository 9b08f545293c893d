/** Argument checks of the gather kernel, shared by the backends (errors name the kernel and shapes). */
import { shapeStr, type Tensor } from '../tensor/tensor.js';

/** Sizes only: every backend checks the index values as it reads (an O(n) pass of its own). */
export function checkGather(kernel: string, out: Tensor, index: Tensor, scale: Tensor): void {
  if (out.size !== index.size || scale.size !== index.size) {
    throw new Error(
      `${kernel}: out ${shapeStr(out.shape)}, index ${shapeStr(index.shape)}` +
        ` and scale ${shapeStr(scale.shape)} must have one size`,
    );
  }
}

export function badIndex(kernel: string, e: number, index: Tensor, src: Tensor): never {
  throw new Error(`${kernel}: index[${e}] = ${index.data[e]} is not an element of src ${shapeStr(src.shape)}`);
}
