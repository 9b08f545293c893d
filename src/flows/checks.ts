/**
 * Argument checks at the top of the tape-level and tensor-level entry points (logProbVar,
 * forwardVar, inverseTensor): a wrong shape is named there, by the method the caller called,
 * instead of surfacing from an internal op ("blockLinear: x [2, 5], W … do not fit") or as a
 * TypeError when a Float32Array arrives where a Var belongs. Shapes only: the values of a Var
 * may live on a GPU, and these run once per training step.
 */
import type { Var } from '../autodiff/tape.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Condition } from './transform.js';

type Kind = 'Var' | 'tensor';

/** The shape of a Var or a device tensor (by shape, not class: a second copy of the package has its own classes). */
function shapeOf(kind: Kind, v: unknown): readonly number[] | null {
  if (!v || typeof v !== 'object') return null;
  const o = v as { tape?: unknown; value?: { shape?: unknown }; shape?: unknown };
  const shape = kind === 'Var' ? ('tape' in o ? o.value?.shape : undefined) : 'tape' in o ? undefined : o.shape;
  return Array.isArray(shape) ? (shape as number[]) : null;
}

function got(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  return typeof v === 'object' ? (v.constructor?.name ?? 'an object') : typeof v;
}

/**
 * `v` as a [rows, cols] Var or tensor (rows undefined: any), else an error naming `where` and
 * `name`. Returns its row count.
 */
export function checkRows(where: string, name: string, kind: Kind, v: unknown, cols: number, rows?: number): number {
  const want = `[${rows ?? 'B'}, ${cols}]`;
  const shape = shapeOf(kind, v);
  if (!shape) {
    const make =
      kind === 'Var' ? 'tape.constant(dev.tensor(values, shape)) or tape.leaf(…)' : 'dev.tensor(values, shape)';
    throw new Error(`${where}: ${name} must be a ${kind} of shape ${want} (${make}), got ${got(v)}`);
  }
  if (shape.length !== 2 || shape[1] !== cols || (rows !== undefined && shape[0] !== rows)) {
    const per = rows !== undefined ? ', one row per row of x' : '';
    throw new Error(`${where}: ${name} has shape [${shape.join(', ')}], expected ${want}${per}`);
  }
  return shape[0]!;
}

/**
 * x [B, F] and its condition: the context [B, C] (C = 0: none read) and, where `N` is given (a
 * residual layer or model with nuisances), ν [B, N]. `x` is what the method calls its input.
 */
export function checkInputs(
  where: string,
  kind: Kind,
  x: unknown,
  cond: Condition<Var | Tensor> | undefined,
  F: number,
  C: number,
  N?: number,
  xName = 'x',
): void {
  const B = checkRows(where, xName, kind, x, F);
  if (cond !== undefined && (cond === null || typeof cond !== 'object')) {
    throw new Error(`${where}: the condition must be an object { context, nu }, got ${got(cond)}`);
  }
  if (C > 0) {
    if (!cond?.context) throw new Error(`${where}: needs a context ${kind} [${B}, ${C}] (one row per row of ${xName})`);
    checkRows(where, 'context', kind, cond.context, C, B);
  }
  if (N !== undefined && N > 0) {
    if (!cond?.nu) throw new Error(`${where}: needs ν, a ${kind} [${B}, ${N}] (one row per row of ${xName})`);
    checkNu(where, kind, cond.nu, N, B);
  }
}

/**
 * ν as [B, N] (one row per event), or one ν for all rows: [1, N] or [N] — the README's tape
 * recipe (`tape.leaf(ν)` for ∂ log L / ∂ν) passes a single row, which the ops broadcast.
 */
function checkNu(where: string, kind: Kind, nu: unknown, N: number, B: number): void {
  const shape = shapeOf(kind, nu);
  const ok =
    shape !== null &&
    ((shape.length === 1 && shape[0] === N) ||
      (shape.length === 2 && shape[1] === N && (shape[0] === B || shape[0] === 1)));
  if (ok) return;
  if (!shape) checkRows(where, 'ν', kind, nu, N, B); // names what was passed instead of a Var/tensor
  throw new Error(`${where}: ν has shape [${shape!.join(', ')}], expected [${B}, ${N}], [1, ${N}] or [${N}]`);
}
