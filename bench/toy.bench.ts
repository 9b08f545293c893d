/**
 * Speed of the toy generator's hot paths (run: node dist/bench/toy.bench.js).
 * A training step draws one batch of 1024 events (2 normals for x, 2 for y per event); this
 * should stay far below the cost of the flow step itself (target: 1024 × 4 normals ≪ 1 ms).
 */
import { defaultGeneratorConfig, generateBatch, logProbXBatch, logProbYBatch, withNuisance } from '../src/toy/index.js';
import { Rng } from '../src/random/rng.js';

/** Median wall time in µs of `fn` over `reps` timed runs after `warm` untimed ones. */
export function timeIt(fn: () => void, reps = 200, warm = 50): number {
  for (let i = 0; i < warm; i++) fn();
  const t: number[] = [];
  for (let i = 0; i < reps; i++) {
    const s = process.hrtime.bigint();
    fn();
    t.push(Number(process.hrtime.bigint() - s) / 1e3);
  }
  t.sort((a, b) => a - b);
  return t[t.length >> 1];
}

export function runToyBench(): Record<string, number> {
  const rng = Rng.fromSeed(1);
  const cfg = withNuisance(defaultGeneratorConfig(), [1, -1]);
  const dcfg = { ...cfg, distortion_strength: 0.5, sigmoid_y: true };
  const n = 1024;
  const normals = new Float32Array(4 * n);
  const out = {
    c: new Uint8Array(n),
    cOneHot: new Float32Array(2 * n),
    x: new Float32Array(2 * n),
    y: new Float32Array(2 * n),
  };
  const yd = new Float32Array(2 * n);
  const b = generateBatch(rng, n, cfg);
  const lp = new Float64Array(n);
  return {
    'normals 1024x4 (us)': timeIt(() => rng.fillNormal(normals)),
    'generateBatch 1024 (us)': timeIt(() => generateBatch(rng, n, cfg, { out })),
    'generateBatch 1024 distorted+sigmoid (us)': timeIt(() =>
      generateBatch(rng, n, dcfg, { distorted: true, out: { ...out, yDistorted: yd } }),
    ),
    'logProbXBatch 1024 (us)': timeIt(() => logProbXBatch(b.x, b.c, cfg, lp)),
    'logProbYBatch 1024 (us)': timeIt(() => logProbYBatch(b.y, b.x, b.c, cfg, {}, lp)),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const [k, v] of Object.entries(runToyBench())) console.log(`${k.padEnd(45)} ${v.toFixed(1)}`);
}
