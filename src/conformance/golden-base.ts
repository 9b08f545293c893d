/**
 * Conformance of a base NSF with a golden file (kin_base.json / score_base.json): forward z,
 * ladj, log-probs, each transform's output, raw hyper-network outputs, the inverse, and the
 * parameter gradients of −mean log p over the bulk rows.
 */
import type { Device } from '../backend/device.js';
import { Tape } from '../autodiff/tape.js';
import type { NSF } from '../flows/nsf.js';
import { mean, neg } from '../ops/index.js';
import { TOL, compare, compareGrad, flat, type CompareRow, type GradStats } from './compare.js';

interface BaseGolden {
  model: string;
  forward: {
    inputs: { x: number[][]; c: number[][]; y?: number[][]; context?: number[][] };
    f32: {
      z: number[][];
      ladj: number[];
      base_log_prob: number[];
      log_prob: number[];
      per_transform: { out: number[][]; ladj: number[] }[];
    };
  };
  inverse: { inputs: { z: number[][]; context: number[][] }; f32: { x: number[][]; ladj_inv: number[] } };
  gradient: { f32: { loss: number; params: Record<string, GradStats> } };
  debug?: { hyper_raw_first4?: { f32: number[][][] } };
}

const f32 = (v: unknown) => Float32Array.from(flat(v));

/** Collapse per-parameter gradient rows into the worst one of each kind. */
export function worstOf(rows: CompareRow[], quantity: string): CompareRow {
  const worst = rows.reduce((a, b) => (b.worst > a.worst ? b : a));
  return {
    ...worst,
    quantity: `${quantity} (${rows.length} checks; worst ${worst.quantity})`,
    ok: rows.every((r) => r.ok),
  };
}

export function checkBaseGolden(dev: Device, g: BaseGolden, nsf: NSF): CompareRow[] {
  const isScore = g.forward.inputs.y !== undefined;
  const xIn = f32(isScore ? g.forward.inputs.y : g.forward.inputs.x);
  const ctxIn = f32(isScore ? g.forward.inputs.context : g.forward.inputs.c);
  const n = xIn.length / nsf.features;
  const C = nsf.config.context;
  const rows: CompareRow[] = [];

  dev.scoped(() => {
    const tape = new Tape(dev, { grad: false });
    const ctx = tape.constant(dev.tensor(ctxIn, [n, C]));
    let h = tape.constant(dev.tensor(xIn, [n, nsf.features]));
    const hyperRaw: number[] = [];
    nsf.transforms.forEach((t, k) => {
      const raw = t.hyper.forward(tape, h, ctx).value;
      hyperRaw.push(...raw.data.subarray(0, 4 * raw.cols));
      const r = t.forwardVar(tape, h, { context: ctx });
      rows.push(compare(`transform ${k} out`, r.y.value.data, g.forward.f32.per_transform[k].out, TOL.position));
      rows.push(compare(`transform ${k} ladj`, r.ladj.value.data, g.forward.f32.per_transform[k].ladj, TOL.logProb));
      h = r.y;
    });
    if (g.debug?.hyper_raw_first4)
      rows.push(compare('raw hyper output (rows 0–3)', hyperRaw, g.debug.hyper_raw_first4.f32, TOL.raw));
    const x = tape.constant(dev.tensor(xIn, [n, nsf.features]));
    const { y: z, ladj } = nsf.transform.forwardVar(tape, x, { context: ctx });
    const baseLp = nsf.base.logProbVar(tape, z);
    rows.push(compare('z', z.value.data, g.forward.f32.z, TOL.position));
    rows.push(compare('ladj', ladj!.value.data, g.forward.f32.ladj, TOL.logProb));
    rows.push(compare('base_log_prob', baseLp.value.data, g.forward.f32.base_log_prob, TOL.logProb));
    rows.push(
      compare('log_prob', nsf.logProbVar(tape, x, { context: ctx }).value.data, g.forward.f32.log_prob, TOL.logProb),
    );
  });

  const inv = nsf.inverse(f32(g.inverse.inputs.z), { context: f32(g.inverse.inputs.context) });
  rows.push(compare('inverse x', inv.x, g.inverse.f32.x, TOL.position));
  rows.push(compare('inverse ladj', inv.ladj, g.inverse.f32.ladj_inv, TOL.logProb));

  rows.push(...checkGradient(dev, nsf, xIn.subarray(0, 28 * nsf.features), ctxIn.subarray(0, 28 * C), g.gradient.f32));
  return rows;
}

function checkGradient(
  dev: Device,
  nsf: NSF,
  x: Float32Array,
  ctx: Float32Array,
  golden: BaseGolden['gradient']['f32'],
): CompareRow[] {
  return dev.scoped(() => {
    const n = x.length / nsf.features;
    nsf.params.zeroGrad();
    const tape = new Tape(dev);
    const lp = nsf.logProbVar(tape, tape.constant(dev.tensor(x, [n, nsf.features])), {
      context: tape.constant(dev.tensor(ctx, [n, nsf.config.context])),
    });
    const loss = neg(mean(lp));
    const lossValue = loss.value.data[0];
    tape.backward(loss);
    const gradRows = nsf.params.params.flatMap((p) => {
      const gs = golden.params[p.name];
      if (!gs) throw new Error(`golden gradient has no entry for '${p.name}'`);
      return compareGrad(p.name, p.grad.data, gs);
    });
    nsf.params.zeroGrad();
    return [
      compare('loss', [lossValue], [golden.loss], TOL.loss),
      worstOf(
        gradRows.filter((r) => r.quantity.endsWith('l2')),
        'gradient l2',
      ),
      worstOf(
        gradRows.filter((r) => !r.quantity.endsWith('l2')),
        'gradient sum, first4',
      ),
    ];
  });
}
