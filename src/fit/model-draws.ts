/**
 * Events drawn from a fitted density model at ν, per class: the exact generator (truth), the residual
 * model (flow) or its frozen base (base). The fit's data figure compares the data with them; for models
 * without an exact truth (trained on a user's files) a scan builds its Asimov sample from them and a toy
 * study its pseudo-data.
 */
import { generateBatch } from '../toy/index.js';
import type { Rng } from '../random/rng.js';
import { classContext, scoreContext, type FitEvents } from './events.js';
import { requireTruth, type FitModels } from './sources.js';
import { baseOf, baseSample, residualSample } from './model-adapter.js';
import { drawClasses } from './toy-data.js';

/** Class-A and class-B draws of n events each: [x [n, 2], y [n, 2]] (y zero when the fit uses x only). */
export function modelDraws(
  model: string,
  models: FitModels,
  nu: readonly number[],
  rng: Rng,
  n: number,
): [Float32Array, Float32Array][] {
  return ([0, 1] as const).map((cls) => classDraws(model, models, nu, rng, cls, n));
}

/** n events of class cls from a model at ν: [x [n, 2], y [n, 2]]. */
function classDraws(
  model: string,
  models: FitModels,
  nu: readonly number[],
  rng: Rng,
  cls: 0 | 1,
  n: number,
): [Float32Array, Float32Array] {
  if (model === 'truth') {
    const b = generateBatch(rng, n, requireTruth(models, 'the truth model')(nu), { c: cls });
    return [b.x, b.y];
  }
  const ctx = classContext(n, cls);
  const x = model === 'flow' ? residualSample(models.kin, ctx, nu, rng) : baseSample(baseOf(models.kin), ctx, rng);
  const sc = models.score;
  const y = !sc
    ? new Float32Array(2 * n)
    : model === 'flow'
      ? residualSample(sc, scoreContext(x, cls), nu, rng)
      : baseSample(baseOf(sc), scoreContext(x, cls), rng);
  return [x, y];
}

/**
 * A toy data set from the flow model at (μ, ν), as drawToy draws one from the exact generator: each
 * event's class from μ, then its x (and y) from the residual models, all from `rng`.
 */
export function drawFlowToy(rng: Rng, n: number, mu: number, models: FitModels, nu: readonly number[]): FitEvents {
  const cls = drawClasses(rng, n, mu);
  const nA = cls.reduce((a, c) => a + (c === 0 ? 1 : 0), 0);
  const [a, b] = [classDraws('flow', models, nu, rng, 0, nA), classDraws('flow', models, nu, rng, 1, n - nA)];
  const x = new Float32Array(2 * n);
  const y = new Float32Array(2 * n);
  for (let i = 0, ia = 0, ib = 0; i < n; i++) {
    const [src, k] = cls[i] === 0 ? [a, ia++] : [b, ib++];
    x.set(src[0].subarray(2 * k, 2 * k + 2), 2 * i);
    y.set(src[1].subarray(2 * k, 2 * k + 2), 2 * i);
  }
  return { n, x, y: models.score ? y : null, weights: null, truthClass: cls };
}
