/** The bench's hand-assembled FMA probe (bench/fma-probe.ts): a valid module that computes its chains. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { wasmBuildInfo } from '../src/backend/wasm/index.js';
import { fmaProbe, probeModule } from '../bench/fma-probe.js';

test('the probe module validates and sums its ten chains sᵢ ← sᵢ·x + y', () => {
  assert.ok(wasmBuildInfo().relaxedSupported, "relaxed SIMD loads on this Node (the loader sets V8's flag)");
  const bytes = probeModule();
  assert.ok(WebAssembly.validate(bytes), 'the hand-assembled module is valid wasm');
  const run = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports.probe as (n: number) => number;
  // In float64: s after n steps from 0 is y·(xⁿ − 1)/(x − 1); ten chains. float32 rounding per step
  // (fused or not: relaxed) stays far inside 1e-3 over 1000 steps.
  const x = Math.fround(1.0000001),
    y = Math.fround(0.999999),
    n = 1000;
  const expected = (10 * y * (x ** n - 1)) / (x - 1);
  const got = run(n);
  assert.ok(Math.abs(got - expected) < 1e-3 * expected, `probe(${n}) = ${got}, expected ≈ ${expected}`);
});

test('fmaProbe gives a positive, finite rate', () => {
  const rate = fmaProbe()();
  assert.ok(Number.isFinite(rate) && rate > 0, `rate ${rate} GFLOP/s`);
});

test.run();
