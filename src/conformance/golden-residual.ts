/**
 * Conformance of a residual model with kin_residual.json / score_residual.json: the stack's
 * x_nom and ladj, every residual layer's raw coefficients, s, t and output, the base flow on
 * x_nom, log p, the full inverse, and the gradients of the residual parameters.
 */
import type { Device } from '../backend/device.js';
import { Tape, type Var } from '../autodiff/tape.js';
import { mean, neg } from '../ops/index.js';
import type { SystematicCorrectedModel } from '../systematics/corrected-model.js';
import { PolynomialResidualTransform } from '../systematics/polynomial-residual.js';
import { TOL, compare, compareGrad, flat, type CompareRow, type GradStats } from './compare.js';
import { worstOf } from './golden-base.js';

type M = number[][];
interface ResidualGolden {
  forward: {
    inputs: { x: M; y?: M; context: M; m: M };
    f32: {
      x_nom: M;
      ladj_residual: number[];
      z: M;
      ladj_base: number[];
      base_log_prob: number[];
      log_prob: number[];
      layers: { type: string; input?: M; s?: M; t?: M; out?: M; ladj?: number[]; raw_coeffs?: M[] }[];
    };
  };
  inverse: { inputs: { z: M; context: M; m: M }; f32: { x: M; ladj_inv: number[] } };
  gradient: { f32: { loss: number; params: Record<string, GradStats> } };
}

const f32 = (v: unknown) => Float32Array.from(flat(v));

export function checkResidualGolden(dev: Device, g: ResidualGolden, model: SystematicCorrectedModel): CompareRow[] {
  const isScore = g.forward.inputs.y !== undefined;
  const xIn = f32(isScore ? g.forward.inputs.y : g.forward.inputs.x);
  const ctxIn = f32(g.forward.inputs.context);
  const nuIn = f32(g.forward.inputs.m);
  const F = model.features,
    C = model.config.contextDim,
    N = model.numNuisances;
  const n = xIn.length / F;
  const rows: CompareRow[] = [];

  dev.scoped(() => {
    const tape = new Tape(dev, { grad: false });
    const x = tape.constant(dev.tensor(xIn, [n, F]));
    const ctx = tape.constant(dev.tensor(ctxIn, [n, C]));
    const nu = tape.constant(dev.tensor(nuIn, [n, N]));
    // Layer by layer, each from the golden input of that layer.
    const cond = { context: ctx, nu };
    model.residual.transforms.forEach((e, j) => {
      if (!(e instanceof PolynomialResidualTransform)) return;
      const gl = g.forward.f32.layers[j];
      const inp: Var = tape.constant(dev.tensor(f32(gl.input), [n, F]));
      const raws = e.nets.map((net) => Array.from(net.forward(tape, inp, ctx).value.data));
      rows.push(compare(`layer ${j} raw_coeffs`, raws.flat(), gl.raw_coeffs, TOL.raw));
      const r = e.forwardVar(tape, inp, cond);
      rows.push(compare(`layer ${j} s`, r.s.value.data, gl.s, TOL.residual));
      rows.push(compare(`layer ${j} t`, r.t.value.data, gl.t, TOL.residual));
      rows.push(compare(`layer ${j} out`, r.y.value.data, gl.out, TOL.residual));
      rows.push(compare(`layer ${j} ladj`, r.ladj.value.data, gl.ladj, TOL.residual));
    });
    const st = model.residual.forwardVar(tape, x, cond);
    rows.push(compare('x_nom', st.y.value.data, g.forward.f32.x_nom, TOL.residual));
    rows.push(compare('ladj_residual', st.ladj!.value.data, g.forward.f32.ladj_residual, TOL.residual));
    const b = model.base.transform.forwardVar(tape, st.y, cond);
    rows.push(compare('z', b.y.value.data, g.forward.f32.z, TOL.position));
    rows.push(compare('ladj_base', b.ladj!.value.data, g.forward.f32.ladj_base, TOL.logProb));
    rows.push(
      compare(
        'base_log_prob',
        model.base.base.logProbVar(tape, b.y).value.data,
        g.forward.f32.base_log_prob,
        TOL.logProb,
      ),
    );
    rows.push(compare('log_prob', model.logProbVar(tape, x, cond).value.data, g.forward.f32.log_prob, TOL.logProb));
  });

  const inv = model.inverseFull(f32(g.inverse.inputs.z), {
    context: f32(g.inverse.inputs.context),
    nu: f32(g.inverse.inputs.m),
  });
  rows.push(compare('inverse x', inv.x, g.inverse.f32.x, TOL.position));
  rows.push(compare('inverse ladj', inv.ladj, g.inverse.f32.ladj_inv, TOL.logProb));

  dev.scoped(() => {
    model.params.zeroGrad();
    const tape = new Tape(dev);
    const lp = model.logProbVar(tape, tape.constant(dev.tensor(xIn, [n, F])), {
      context: tape.constant(dev.tensor(ctxIn, [n, C])),
      nu: tape.constant(dev.tensor(nuIn, [n, N])),
    });
    const loss = neg(mean(lp));
    const lossValue = loss.value.data[0];
    tape.backward(loss);
    const gradRows = model.params.params.flatMap((p) => {
      const gs = g.gradient.f32.params[p.name];
      if (!gs) throw new Error(`golden gradient has no entry for '${p.name}'`);
      return compareGrad(p.name, p.grad.data, gs);
    });
    model.params.zeroGrad();
    rows.push(compare('loss', [lossValue], [g.gradient.f32.loss], TOL.loss));
    rows.push(
      worstOf(
        gradRows.filter((r) => r.quantity.endsWith('l2')),
        'gradient l2',
      ),
    );
    rows.push(
      worstOf(
        gradRows.filter((r) => !r.quantity.endsWith('l2')),
        'gradient sum, first4',
      ),
    );
  });
  return rows;
}
