/** A batch's arrays as constants on a tape: x [n, D], and the condition (context [n, C], ν [n, K] or null). */
import type { Device } from '../backend/device.js';
import type { Tape, Var } from '../autodiff/tape.js';
import type { Condition } from '../flows/transform.js';
import type { Batch } from './batches.js';

export function batchVars(tape: Tape, dev: Device, b: Batch): { x: Var; cond: Condition<Var> } {
  const C = b.context.length / b.n;
  return {
    x: tape.constant(dev.tensor(b.x, [b.n, b.x.length / b.n])),
    cond: {
      context: tape.constant(dev.tensor(b.context, [b.n, C])),
      nu: b.nu ? tape.constant(dev.tensor(b.nu, [b.n, b.nu.length / b.n])) : null,
    },
  };
}
