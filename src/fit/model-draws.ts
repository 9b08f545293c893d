/**
 * Events drawn from a fitted density model at ν, per class: the exact generator (truth), the residual
 * model (flow) or its frozen base (base). The fit's data figure compares the data with them, and a
 * scan without an exact truth builds its Asimov sample from them.
 */
import { generateBatch } from '../toy/index.js';
import type { Rng } from '../random/rng.js';
import { classContext, scoreContext } from './events.js';
import { requireTruth, type FitModels } from './setup.js';
import { baseOf, baseSample, residualSample } from './model-adapter.js';

/** Class-A and class-B draws of n events each: [x [n, 2], y [n, 2]] (y zero when the fit uses x only). */
export function modelDraws(
  model: string,
  models: FitModels,
  nu: readonly number[],
  rng: Rng,
  n: number,
): [Float32Array, Float32Array][] {
  return ([0, 1] as const).map((cls) => {
    if (model === 'truth') {
      const b = generateBatch(rng, n, requireTruth(models, 'the truth model')(nu), { c: cls });
      return [b.x, b.y] as [Float32Array, Float32Array];
    }
    const ctx = classContext(n, cls);
    const x =
      model === 'flow' ? residualSample(models.kin, ctx, [...nu], rng) : baseSample(baseOf(models.kin), ctx, rng);
    const sc = models.score;
    const y = !sc
      ? new Float32Array(2 * n)
      : model === 'flow'
        ? residualSample(sc, scoreContext(x, cls), [...nu], rng)
        : baseSample(baseOf(sc), scoreContext(x, cls), rng);
    return [x, y] as [Float32Array, Float32Array];
  });
}
