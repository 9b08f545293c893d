/**
 * How many multiply-adds this core runs for wasm right now: a loop of 10 independent chains of
 * f32x4 relaxed multiply-adds, no memory traffic, in GFLOP/s (one thread).
 *
 * Why the bench needs it beside the clock probe (machine.ts): the clock probe is a chain of
 * dependent integer adds, so it reads the core's clock but not whether its FMA pipes are all ours.
 * On a VM whose vCPU shares a physical core with another tenant's thread, or one that slows its
 * vector units, a matmul's share of the nominal peak falls though the kernel did not change; its
 * share of this probe's rate, timed next to it, does not. Ten chains are more than the two pipes
 * × 4 cycles of latency of the x86 cores seen so far need, so the loop runs at the pipes' rate.
 *
 * Why the module is assembled here byte by byte: it is one bench-only loop of about 200 bytes, and
 * building it from AssemblyScript would add a third wasm build target for it.
 */

/** Locals: 0 the count (param), 1–10 the sums, 11 and 12 the two multiplicands. */
const CHAINS = 10;
const X = CHAINS + 1;
const Y = CHAINS + 2;

const f32Bytes = (v: number): number[] => [...new Uint8Array(new Float32Array([v]).buffer)];
/** Unsigned LEB128, the binary format's encoding of sizes. */
function leb(n: number): number[] {
  const out: number[] = [];
  do {
    const b = n & 0x7f;
    n >>>= 7;
    out.push(n ? b | 0x80 : b);
  } while (n);
  return out;
}
const section = (id: number, body: number[]): number[] => [id, ...leb(body.length), ...body];

/** The probe module: `probe(n)` runs n iterations and returns lane 0 of the chains’ sum. */
export function probeModule(): Uint8Array<ArrayBuffer> {
  const splat = (v: number, local: number) => [0x43, ...f32Bytes(v), 0xfd, 0x13, 0x21, local];
  const madd = (i: number) => [0x20, i, 0x20, X, 0x20, Y, 0xfd, 0x85, 0x02, 0x21, i]; // sᵢ = sᵢ·x + y
  const sum: number[] = [0x20, 1];
  for (let i = 2; i <= CHAINS; i++) sum.push(0x20, i, 0xfd, 0xe4, 0x01); // f32x4.add
  // One wasm instruction (or a few) per line.
  // prettier-ignore
  const body = [
    0x01, CHAINS + 2, 0x7b, // locals: CHAINS + 2 × v128
    ...splat(1.0000001, X),
    ...splat(0.999999, Y),
    0x02, 0x40, 0x03, 0x40, // block, loop
    ...Array.from({ length: CHAINS }, (_, i) => madd(i + 1)).flat(),
    0x20, 0, 0x41, 1, 0x6b, 0x22, 0, // n = n − 1
    0x41, 0, 0x4a, 0x0d, 0, // br_if n > 0
    0x0b, 0x0b, // end loop, end block
    ...sum,
    0xfd, 0x1f, 0, // f32x4.extract_lane 0: the sums stay observable
    0x0b,
  ];
  // prettier-ignore
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
    ...section(1, [1, 0x60, 1, 0x7f, 1, 0x7d]), // type (i32) → f32
    ...section(3, [1, 0]), // function 0 has type 0
    ...section(7, [1, 5, ...[...'probe'].map((c) => c.charCodeAt(0)), 0x00, 0]), // export "probe"
    ...section(10, [1, ...leb(body.length), ...body]),
  ]);
}

/** FLOP per loop iteration: CHAINS multiply-adds of 4 lanes, 2 FLOP each. */
const FLOP_PER_ITER = CHAINS * 4 * 2;
/** Iterations per probe: ~1 ms at the ~40 GFLOP/s of a 2.5 GHz core. */
const ITERS = 60_000;

/**
 * A probe: `() => GFLOP/s` of one ~1 ms run. Needs relaxed SIMD (the caller checks
 * wasmBuildInfo().relaxedSupported: on Node 20 the kernel loader has set V8's flag by then).
 */
export function fmaProbe(): () => number {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(probeModule()));
  const run = instance.exports.probe as (n: number) => number;
  for (let w = 0; w < 20; w++) run(ITERS); // let V8 tier it up
  return () => {
    const t0 = performance.now();
    run(ITERS);
    return (ITERS * FLOP_PER_ITER) / ((performance.now() - t0) * 1e6);
  };
}
