/**
 * Reverse-mode autodiff on a tape.
 *
 * A `Tape` belongs to one step: ops called on its `Var`s append a node (inputs, output, backward
 * rule) and `backward(loss)` walks the nodes in reverse, accumulating gradients. There is no
 * global state: which tape records is decided by the Vars an op receives. A tape created with
 * `{ grad: false }` records nothing (inference).
 *
 * Gradients live in the step arena, except a parameter's, which accumulate straight into the
 * parameter's persistent `grad` tensor. A gradient handed down by a backward rule may be shared
 * (e.g. `add` passes its incoming gradient to both inputs), so a Var's first gradient is kept
 * by reference and the second contribution makes a new sum instead of adding in place.
 *
 * `backward` consumes the graph it walks (as PyTorch frees it): the Vars those nodes computed are
 * marked `spent`. Leaves and parameters stay usable and keep accumulating, but a second backward
 * through a spent Var is refused: its node is gone, so the gradient would stop there and never
 * reach the values it was computed from (silently too small gradients).
 */
import { Binary, Broadcast } from '../backend/kernels.js';
import type { Device, OpObserver } from '../backend/device.js';
import { shapeStr, type Tensor } from '../tensor/tensor.js';
import type { Param } from './param.js';

/** Returns one gradient per input, or null where that input needs none. */
export type BackwardRule = (g: Tensor, needs: readonly boolean[]) => (Tensor | null)[];
/** The same for an op with several outputs: one incoming gradient per output (null: unused). */
export type MultiBackwardRule = (gs: (Tensor | null)[], needs: readonly boolean[]) => (Tensor | null)[];

interface Node {
  op: string;
  outs: Var[];
  inputs: Var[];
  backward: MultiBackwardRule;
}

export class Var {
  grad: Tensor | null = null;
  /** true when `grad` is ours to add into in place. */
  gradOwned = false;
  /** true once a backward consumed the node that computed this Var (see the header). */
  spent = false;
  constructor(
    readonly value: Tensor,
    readonly tape: Tape,
    readonly requiresGrad: boolean,
    readonly param: Param | null = null,
  ) {}
  get shape() {
    return this.value.shape;
  }
  get device(): Device {
    return this.tape.device;
  }
}

export class Tape {
  private nodes: Node[] = [];
  readonly recording: boolean;
  /** false: parameters enter as constants, only leaves get gradients (d log p / dν, d/dx). */
  readonly paramGrads: boolean;
  /** The device's profiler hook (null unless the device is a profiled one). */
  private readonly observer: OpObserver | null;

  /** `grad: false` records nothing; `params: false` records only what flows from `leaf`s. */
  constructor(
    readonly device: Device,
    opts: { grad?: boolean; params?: boolean } = {},
  ) {
    this.recording = opts.grad ?? true;
    this.paramGrads = opts.params ?? true;
    this.observer = device.observer;
  }

  /** A value that needs no gradient (data, context, constants). */
  constant(t: Tensor): Var {
    return new Var(t, this, false);
  }

  /** A parameter as a leaf; frozen parameters (or a no-grad or inputs-only tape) become constants. */
  param(p: Param): Var {
    const tracked = this.recording && this.paramGrads && !p.frozen;
    const v = new Var(p.value, this, tracked, tracked ? p : null);
    if (tracked) {
      v.grad = p.grad;
      v.gradOwned = true;
    }
    return v;
  }

  /** A leaf that needs a gradient but is not a parameter (gradchecks, input gradients). */
  leaf(t: Tensor): Var {
    return new Var(t, this, this.recording);
  }

  /** Used by every op: wrap the output and, when any input is tracked, remember how to go back. */
  record(op: string, out: Tensor, inputs: Var[], backward: BackwardRule): Var {
    return this.recordMulti(op, [out], inputs, (gs, needs) => backward(gs[0]!, needs))[0];
  }

  /** Whether an op on these inputs is recorded (a backward will run for it). */
  tracks(inputs: readonly Var[]): boolean {
    return this.recording && inputs.some((v) => v.requiresGrad);
  }

  /** For ops with several outputs (the spline gives y and ln|dy/dx| from one pass). */
  recordMulti(op: string, outs: Tensor[], inputs: Var[], backward: MultiBackwardRule): Var[] {
    for (const v of inputs) {
      if (v.tape !== this) throw new Error(`${op}: inputs come from different tapes`);
    }
    this.observer?.opRecorded(op);
    const tracked = this.tracks(inputs);
    const results = outs.map((t) => new Var(t, this, tracked));
    if (tracked) this.nodes.push({ op, outs: results, inputs, backward });
    return results;
  }

  /** Number of recorded nodes (tests check that frozen or no-grad work records nothing). */
  get size(): number {
    return this.nodes.length;
  }

  /** d(loss)/d(every tracked Var); `loss` must hold a single value (or pass a seed gradient). */
  backward(loss: Var, seed?: Tensor): void {
    if (!loss.requiresGrad) {
      throw new Error(
        'backward: the loss does not depend on any tracked value (constants, frozen parameters and ' +
          'the values of a { grad: false } tape get no gradient; a leaf or an unfrozen parameter does)',
      );
    }
    if (loss.spent) {
      throw new Error(
        'backward: this loss was computed before an earlier backward(), which consumed the graph behind ' +
          'it (backward frees what it walks); record the computation again (a new Tape per step)',
      );
    }
    if (!seed && loss.value.size !== 1) {
      throw new Error(`backward: loss has shape ${shapeStr(loss.shape)}; pass a seed gradient for non-scalars`);
    }
    if (seed && seed.size !== loss.value.size) {
      // Caught here: the first backward rule would read the loss's values past their end.
      throw new Error(
        `backward: the seed gradient has shape ${shapeStr(seed.shape)}, the loss ${shapeStr(loss.shape)}; ` +
          'the seed must hold one value per loss element',
      );
    }
    this.refuseSpentInputs(loss);
    this.accumulate(loss, seed ?? this.device.tensor([1], loss.shape));
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const node = this.nodes[i];
      const gs = node.outs.map((v) => v.grad);
      if (gs.every((g) => g === null)) continue;
      const t0 = this.observer ? performance.now() : 0;
      const needs = node.inputs.map((v) => v.requiresGrad);
      const grads = node.backward(gs, needs);
      node.inputs.forEach((v, k) => {
        const gk = grads[k];
        if (!needs[k] || !gk) return;
        if (gk.size !== v.value.size) {
          throw new Error(
            `${node.op} backward: gradient ${shapeStr(gk.shape)} for input ${k} of shape ${shapeStr(v.shape)}`,
          );
        }
        this.accumulate(v, gk);
      });
      this.observer?.opBackward(node.op, performance.now() - t0);
    }
    for (const node of this.nodes) for (const v of node.outs) v.spent = true;
    this.nodes = [];
  }

  /**
   * Throws if the gradient of `loss` would reach a Var whose node an earlier backward consumed;
   * checked before any gradient is written, so a parameter's grad is not left half-updated. Only
   * the nodes the gradient reaches count: a spent value used on the side (a metric) is fine.
   */
  private refuseSpentInputs(loss: Var): void {
    const reached = new Set<Var>([loss]);
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const node = this.nodes[i];
      if (!node.outs.some((v) => reached.has(v))) continue;
      node.inputs.forEach((v, k) => {
        if (!v.requiresGrad) return;
        if (v.spent) {
          throw new Error(
            `backward: input ${k} of ${node.op} was computed before an earlier backward(), which consumed ` +
              'the graph behind it: its gradient would stop there. Record that computation again on this ' +
              'graph (a new Tape per step), or pass its value in as tape.constant(v.value) if it needs none',
          );
        }
        reached.add(v);
      });
    }
  }

  private accumulate(v: Var, g: Tensor): void {
    const k = this.device.kernels;
    if (!v.grad) {
      v.grad = g.shape.length === v.shape.length ? g : g.reshape(v.shape);
      v.gradOwned = false;
    } else if (v.gradOwned) {
      k.binary(Binary.Add, v.grad, v.grad, g.reshape(v.grad.shape), Broadcast.Same);
    } else {
      const sum = this.device.empty(v.shape);
      k.binary(Binary.Add, sum, v.grad, g.reshape(v.grad.shape), Broadcast.Same);
      v.grad = sum;
      v.gradOwned = true;
    }
  }
}
