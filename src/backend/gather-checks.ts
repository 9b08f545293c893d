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

/** gatherRows: out [R,N], src [M,N], rows [R]. */
export function checkGatherRows(kernel: string, out: Tensor, src: Tensor, rows: Tensor): void {
  if (out.rows !== rows.size || out.cols !== src.cols || out.shape.length !== 2 || src.shape.length !== 2) {
    throw new Error(
      `${kernel}: out ${shapeStr(out.shape)}, src ${shapeStr(src.shape)} and rows ${shapeStr(rows.shape)}` +
        ' must be [R,N], [M,N] and [R]',
    );
  }
}

export function badRow(kernel: string, r: number, rows: Tensor, src: Tensor): never {
  throw new Error(`${kernel}: rows[${r}] = ${rows.data[r]} is not a row of src ${shapeStr(src.shape)}`);
}

export function badIndex(kernel: string, e: number, index: Tensor, src: Tensor): never {
  throw new Error(`${kernel}: index[${e}] = ${index.data[e]} is not an element of src ${shapeStr(src.shape)}`);
}
