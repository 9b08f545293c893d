/**
 * The ts backend: plain loops anyone can read, the audit reference for every kernel.
 * It works on the same shared memory as the wasm backend (through Float32Array views).
 */
import type { Kernels } from '../kernels.js';
import { matmulNN, matmulNT, matmulTN } from './matmul.js';
import { actBackward, binary, fill, unary } from './elementwise.js';
import { sumAll, sumCols, sumRows } from './reduce.js';
import { adamw } from './adamw.js';
import { gather, gatherRows } from './gather.js';
import { splineBackwardTs, splineForwardTs, splineInverseTs } from './spline.js';

export const tsKernels: Kernels = {
  name: 'ts',
  matmulNT,
  matmulNN,
  matmulTN,
  gather,
  gatherRows,
  unary,
  fill,
  binary,
  actBackward,
  sumRows,
  sumCols,
  sumAll,
  adamw,
  splineForward: splineForwardTs,
  splineInverse: splineInverseTs,
  splineBackward: splineBackwardTs,
};
