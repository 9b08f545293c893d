/**
 * Finite-difference check of any function's gradients.
 *
 * The function's output is contracted with fixed random weights, L = Σ wᵢ·outᵢ (in float64),
 * so one backward pass checks every output at once. Each input element is moved by ±h and
 * (L₊ − L₋)/2h compared with the tape's gradient. Values are float32 in memory; the ts kernels
 * accumulate in float64, so with h ≈ 1e-2·max(1,|x|) the check resolves ~1e-3 relative.
 *
 * Tolerances: an element passes when |analytic − numeric| ≤ atol + rtol·|numeric|. The defaults
 * (atol 1e-3, rtol 1e-2) leave room for a whole network's float32 rounding (a residual layer's
 * numeric derivatives scatter by ~2e-3 relative); single ops pass at 1e-4 / 1e-3, which
 * test/ops-gradcheck.test.ts uses. atol is absolute: gradients much smaller than it are not
 * checked, so scale the function so that its gradients are of order one.
 *
 * `kinks`: for piecewise-smooth functions (ReLU networks, spline knots), where a central
 * difference across a kink averages two slopes and fails a right gradient. The analytic value is
 * then also accepted when it matches one of the one-sided differences (L₊ − L₀)/h, (L₀ − L₋)/h:
 * at a kink within h one side is kink-free, and the tape's rule follows the side the point is on.
 * A wrong rule still fails: away from kinks all three differences agree.
 */
import type { Device } from '../backend/device.js';
import type { Tensor } from '../tensor/tensor.js';
import { Tape, type Var } from './tape.js';
import type { Param } from './param.js';

export type GradFn = (tape: Tape, inputs: Var[]) => Var;

export interface GradcheckOptions {
  /** relative step: h = step·max(1, |x|). */
  step?: number;
  atol?: number;
  rtol?: number;
  seed?: number;
  /** indices of inputs to check (default: all). */
  check?: number[];
  /** the function has kinks: one-sided differences count too (see the header). */
  kinks?: boolean;
}

export interface GradcheckResult {
  ok: boolean;
  /** worst |analytic − numeric| / (atol + rtol·|numeric|); ≤ 1 passes; Infinity for a non-finite value. */
  worst: number;
  where: string;
}

/**
 * Keeps the worst element. A non-finite analytic or numeric value is the worst there is: NaN
 * compares false with everything, so a plain `err > worst` would let it pass unseen.
 */
class WorstError {
  worst = 0;
  where = '';
  constructor(
    private readonly atol: number,
    private readonly rtol: number,
  ) {}

  private error(analytic: number, numeric: number): number {
    return Math.abs(analytic - numeric) / (this.atol + this.rtol * Math.abs(numeric));
  }

  /** `d`: the central difference, with the one-sided ones when kinks are allowed. */
  see(analytic: number, d: Differences, where: () => string): void {
    if (this.worst === Infinity) return; // the first non-finite value is the one reported
    const numeric = d.central;
    const finite = Number.isFinite(analytic) && Number.isFinite(numeric);
    let err = finite ? this.error(analytic, numeric) : Infinity;
    let side = '';
    if (finite && d.sides && err > 1) {
      const [right, left] = d.sides.map((v) => (Number.isFinite(v) ? this.error(analytic, v) : Infinity));
      if (Math.min(right, left) < err) {
        err = Math.min(right, left);
        side = ` (right ${d.sides[0]}, left ${d.sides[1]})`;
      }
    }
    if (err > this.worst) {
      this.worst = err;
      const what = finite ? '' : ` (${Number.isFinite(analytic) ? 'numeric' : 'analytic'} value not finite)`;
      this.where = `${where()}: analytic ${analytic}, numeric ${numeric}${what}${side}`;
    }
  }

  result(): GradcheckResult {
    return { ok: this.worst <= 1, worst: this.worst, where: this.where };
  }
}

interface Differences {
  central: number;
  /** [right, left] one-sided differences (only with `kinks`). */
  sides: [number, number] | null;
}

/**
 * Moves element j of `t` by ±h (h = step·max(1, |x|)) and back, and returns the differences of
 * `evalL`. The steps are the ones actually taken in float32; L0 is L at the unmoved point (or null).
 * `t.data` is taken afresh for each write: an evaluation may grow the memory, detaching old views.
 */
function differences(t: Tensor, j: number, step: number, evalL: () => number, L0: number | null): Differences {
  const x0 = t.data[j];
  const h = step * Math.max(1, Math.abs(x0));
  t.data[j] = x0 + h;
  const hp = t.data[j] - x0;
  const Lp = evalL();
  t.data[j] = x0 - h;
  const hm = x0 - t.data[j];
  const Lm = evalL();
  t.data[j] = x0;
  return { central: (Lp - Lm) / (hp + hm), sides: L0 === null ? null : [(Lp - L0) / hp, (L0 - Lm) / hm] };
}

function weightsFor(n: number, seed: number): Float64Array {
  // Small LCG: the weights only need to be fixed and generic, not good random numbers.
  const w = new Float64Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    w[i] = 0.5 + s / 2 ** 32; // in [0.5, 1.5): no accidental cancellations
  }
  return w;
}

export function gradcheck(dev: Device, fn: GradFn, inputs: Tensor[], opts: GradcheckOptions = {}): GradcheckResult {
  const step = opts.step ?? 1e-2;
  const atol = opts.atol ?? 1e-3;
  const rtol = opts.rtol ?? 1e-2;
  const check = opts.check ?? inputs.map((_, i) => i);
  for (const k of check) {
    if (!(Number.isInteger(k) && k >= 0 && k < inputs.length)) {
      throw new Error(
        `gradcheck: check names input ${k}; there are ${inputs.length} inputs (0 to ${inputs.length - 1})`,
      );
    }
  }

  // Analytic gradients.
  const tape = new Tape(dev);
  const vars = inputs.map((t) => tape.leaf(t));
  const out = fn(tape, vars);
  const w = weightsFor(out.value.size, opts.seed ?? 7);
  // dL/dout = w: the weights seed the backward pass directly (autodiff/ needs no op from ops/).
  tape.backward(out, dev.tensor(Float32Array.from(w), out.shape));
  const analytic = vars.map((v) => (v.grad ? Float64Array.from(v.grad.data) : new Float64Array(v.value.size)));

  // The contraction in float64 from a no-grad evaluation.
  const evalL = (): number =>
    dev.scoped(() => {
      const t = new Tape(dev, { grad: false });
      const o = fn(
        t,
        inputs.map((x) => t.constant(x)),
      ).value.data;
      let L = 0;
      for (let i = 0; i < o.length; i++) L += w[i] * o[i];
      return L;
    });

  const worst = new WorstError(atol, rtol);
  const L0 = opts.kinks ? evalL() : null;
  for (const k of check) {
    const x = inputs[k];
    for (let j = 0; j < x.size; j++) {
      worst.see(analytic[k][j], differences(x, j, step, evalL, L0), () => `input ${k} element ${j}`);
    }
  }
  return worst.result();
}

/**
 * The same check for parameters a module reads through `tape.param` (their gradients land in
 * `param.grad`, not in a leaf Var): each parameter value is moved by ±h in place.
 */
export function gradcheckParams(
  dev: Device,
  fn: (tape: Tape) => Var,
  params: Param[],
  opts: GradcheckOptions = {},
): GradcheckResult {
  const step = opts.step ?? 1e-2;
  const atol = opts.atol ?? 1e-3;
  const rtol = opts.rtol ?? 1e-2;
  // A frozen parameter enters the tape as a constant: its analytic gradient would read 0 and the
  // check would fail on a correct function with a message that never says why.
  const frozen = params.filter((p) => p.frozen).map((p) => `'${p.name}'`);
  if (frozen.length) {
    throw new Error(
      `gradcheckParams: ${frozen.length > 1 ? 'parameters' : 'parameter'} ${frozen.join(', ')} ` +
        `${frozen.length > 1 ? 'are' : 'is'} frozen: the tape gives ` +
        'a frozen parameter no gradient; unfreeze it (param.frozen = false) or leave it out of the list',
    );
  }
  for (const p of params) p.grad.data.fill(0);
  const tape = new Tape(dev);
  const out = fn(tape);
  const w = weightsFor(out.value.size, opts.seed ?? 7);
  tape.backward(out, dev.tensor(Float32Array.from(w), out.shape));
  const analytic = params.map((p) => Float64Array.from(p.grad.data));
  const evalL = (): number =>
    dev.scoped(() => {
      const o = fn(new Tape(dev, { grad: false })).value.data;
      let L = 0;
      for (let i = 0; i < o.length; i++) L += w[i] * o[i];
      return L;
    });
  const worst = new WorstError(atol, rtol);
  const L0 = opts.kinks ? evalL() : null;
  params.forEach((p, k) => {
    for (let j = 0; j < p.value.size; j++) {
      worst.see(analytic[k][j], differences(p.value, j, step, evalL, L0), () => `${p.name}[${j}]`);
    }
  });
  return worst.result();
}
