/**
 * Rational-quadratic spline benchmarks: spline.forward / .inverse / .backward in M elements/s,
 * and .backward_saved (from the masses a training forward keeps; see ops/spline.ts)
 * (one element = one feature of one event, K = 20 bins, P = 59 raw parameters) for every wasm
 * build and the ts reference, at n = 2048 (a 1024-event batch of 2 features) and n = 100k.
 * Inputs are uniform in (−5.5, 5.5), so ~9 % of them take the identity tail; raw parameters are
 * uniform in ±2, like a trained hyper-network's outputs.
 */
import type { SplineSpec } from '../src/backend/kernels.js';
import { benchTensor, register, type BenchResult } from './registry.js';

const SPEC: SplineSpec = { bins: 20, bound: 5, slope: 1e-3 };
const SIZES = [2048, 100_000];

const tensor = benchTensor;

register({
  name: 'spline',
  run(ctx) {
    const results: BenchResult[] = [];
    const P = 3 * SPEC.bins - 1;
    for (const n of SIZES) {
      const x = tensor(ctx, [n], 1, -5.5, 5.5);
      const params = tensor(ctx, [n, P], 2, -2, 2);
      const gy = tensor(ctx, [n], 3, -1, 1);
      const gl = tensor(ctx, [n], 4, -1, 1);
      const y = tensor(ctx, [n], 5, 0, 0);
      const ladj = tensor(ctx, [n], 6, 0, 0);
      const back = tensor(ctx, [n], 7, 0, 0);
      const dx = tensor(ctx, [n], 8, 0, 0);
      const dparams = tensor(ctx, [n, P], 9, 0, 0);
      const saved = tensor(ctx, [n, 2 * SPEC.bins], 10, 0, 0);
      const rate = (ms: number) => +(n / ms / 1e3).toFixed(2);
      for (const b of ctx.backends) {
        const k = b.kernels;
        const add = (name: string, ms: number) =>
          results.push({
            name,
            shape: [n, SPEC.bins],
            backend: b.backend,
            ...(b.build ? { build: b.build } : {}),
            threads: 1,
            value: rate(ms),
            unit: 'M elements/s',
          });
        add(
          'spline.forward',
          ctx.time(() => k.splineForward(y, ladj, x, params, SPEC)),
        );
        add(
          'spline.inverse',
          ctx.time(() => k.splineInverse(back, ladj, y, params, SPEC)),
        );
        add(
          'spline.backward',
          ctx.time(() => k.splineBackward(dx, dparams, gy, gl, x, params, SPEC)),
        );
        k.splineForward(y, ladj, x, params, SPEC, saved);
        add(
          'spline.backward_saved',
          ctx.time(() => k.splineBackward(dx, dparams, gy, gl, x, params, SPEC, saved)),
        );
      }
    }
    return results;
  },
});
