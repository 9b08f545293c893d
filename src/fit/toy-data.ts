/**
 * Pseudo-data from the exact generator: each event's class from μ (A = signal with probability μ),
 * then x and y from the generator at ν (src/toy/sample.ts), all from one seeded stream; and the
 * Asimov sample of a hypothesis for the unbinned asymptotics: a large sample of each class at ν,
 * weighted so that the class totals are μ·N and (1 − μ)·N.
 */
import { generateBatch, type GeneratorConfig } from '../toy/index.js';
import { EVENTS_MEMORY, MAX_EVENTS } from '../toy/sample.js';
import { checkRng, Rng } from '../random/rng.js';
import type { FitEvents } from './events.js';
import { concatArrays } from '../analysis/columns.js';

/** Each toy event's class from μ (0 = A, the signal, with probability μ), the first draws of a toy. */
export function drawClasses(rng: Rng, n: number, mu: number): Uint8Array {
  if (!(mu >= 0 && mu <= 1)) throw new Error(`toy: μ must lie in [0, 1], got ${mu}`);
  const cls = new Uint8Array(n);
  for (let i = 0; i < n; i++) cls[i] = rng.uniform53() < mu ? 0 : 1;
  return cls;
}

export function drawToy(rng: Rng, n: number, mu: number, gen: Readonly<GeneratorConfig>): FitEvents {
  // Checked here, before the class draws allocate n and read the generator (else a RangeError or a TypeError).
  checkRng('drawToy(rng, n, mu, gen)', rng);
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new Error(`drawToy: n must be the number of events (a whole number ≥ 0), got ${n}`);
  }
  if (n > MAX_EVENTS)
    throw new Error(`drawToy: n = ${n} is more than the ${MAX_EVENTS} one draw holds (${EVENTS_MEMORY})`);
  if (gen === null || typeof gen !== 'object') {
    throw new Error(
      'drawToy: gen must be a GeneratorConfig (e.g. defaultGeneratorConfig() or models.truthAt(ν)), ' +
        `got ${gen === null ? 'null' : typeof gen}`,
    );
  }
  const cls = drawClasses(rng, n, mu);
  const b = generateBatch(rng, n, gen, { c: cls });
  return { n, x: b.x, y: b.y, weights: null, truthClass: cls };
}

/**
 * Asimov sample: `perClass` events of each class at ν, weights μN/perClass (A) and (1 − μ)N/perClass (B),
 * so the weighted sample is the expectation of an N-event data set at (μ, ν).
 */
export function asimovSample(
  rng: Rng,
  perClass: number,
  N: number,
  mu: number,
  gen: Readonly<GeneratorConfig>,
): FitEvents {
  const cls = new Uint8Array(2 * perClass);
  cls.fill(1, perClass);
  const b = generateBatch(rng, 2 * perClass, gen, { c: cls });
  return { n: 2 * perClass, x: b.x, y: b.y, weights: asimovWeights(perClass, N, mu), truthClass: cls };
}

/** perClass events of class A weighted μN/perClass, then perClass of class B weighted (1 − μ)N/perClass. */
function asimovWeights(perClass: number, N: number, mu: number): Float64Array {
  const weights = new Float64Array(2 * perClass);
  weights.fill((mu * N) / perClass, 0, perClass);
  weights.fill(((1 - mu) * N) / perClass, perClass);
  return weights;
}

/**
 * As asimovSample, from class draws already made ([x, y] of class A, then of class B, n each; the
 * scan's fallback when the models have no exact generator: draws of the model being fitted).
 */
export function asimovFromDraws(
  draws: [Float32Array, Float32Array][],
  N: number,
  mu: number,
  withY: boolean,
): FitEvents {
  const perClass = draws[0][0].length / 2;
  const cls = new Uint8Array(2 * perClass);
  cls.fill(1, perClass);
  const join = (k: 0 | 1) => concatArrays([draws[0][k], draws[1][k]], (n) => new Float32Array(n));
  return {
    n: 2 * perClass,
    x: join(0),
    y: withY ? join(1) : null,
    weights: asimovWeights(perClass, N, mu),
    truthClass: cls,
  };
}
