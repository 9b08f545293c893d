/**
 * Seeded pseudo-random numbers for the toy generator, weight initialisation and batches:
 * xoshiro128** (Blackman & Vigna, 2018). A leaf module: it imports nothing.
 *
 * Hand-written because the generator needs three things no small npm package gives together:
 * (1) the same seed gives the same batch bit for bit on every machine (pure 32-bit integer
 * arithmetic via Math.imul / >>> and fixed-order float operations), (2) Gaussians fast enough
 * that drawing 1024 × 4 normals per training step costs a few tens of µs, and (3) provably
 * non-overlapping streams (`jump`, `split`) for parallel or chunked draws.
 *
 * Generator: state s0..s3 (uint32, not all zero), period 2^128 − 1.
 *   output = rotl(s1 · 5, 7) · 9                       (the "**" scrambler)
 *   t = s1 << 9; s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 11)
 * Seeding: SplitMix64 of the seed (the seeder recommended by the authors), two 64-bit outputs
 * split into the four 32-bit words.
 * Uniforms: `uniform()` = u32 / 2^32 ∈ [0, 1); `uniform53()` = 53 random bits / 2^53 ∈ [0, 1).
 * Gaussians: Box–Muller on pairs, r = sqrt(−2 ln(1 − u53)) (u53 has 53 bits, so r ≤ 8.6 and
 * ln never sees 0), angle = 2π · u32 / 2^32; each pair consumes exactly three 32-bit outputs,
 * so the number of draws used by a batch is fixed (no rejection loop). `normal()` returns the
 * first value of a pair and keeps the second for the next call (the cache is part of the state:
 * `clone` copies it, `split` hands the child an empty cache).
 * Math.log/sin/cos are V8's fdlibm ports, the same on every platform for a given Node version.
 */

const TWO_PI = 2 * Math.PI;
const INV_2_32 = 1 / 4294967296;
const INV_2_53 = 1 / 9007199254740992;

/** xoshiro128 jump polynomial for 2^64 steps (from the authors' reference; verified in the tests). */
const JUMP_2_64 = [0x8764000b, 0xf542d2d3, 0x6fa035c3, 0x77f2db5b] as const;

const MASK64 = (1n << 64n) - 1n;

/** One SplitMix64 step: returns [next state, output]. */
function splitMix64(state: bigint): [bigint, bigint] {
  const s = (state + 0x9e3779b97f4a7c15n) & MASK64;
  let z = s;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return [s, z ^ (z >> 31n)];
}

/** Seed → four state words through SplitMix64 (never all zero: SplitMix64 is a bijection of a counter). */
function seedWords(seed: bigint): Uint32Array {
  const [s1, a] = splitMix64(seed & MASK64);
  const [, b] = splitMix64(s1);
  const w = new Uint32Array([Number(a & 0xffffffffn), Number(a >> 32n), Number(b & 0xffffffffn), Number(b >> 32n)]);
  if ((w[0] | w[1] | w[2] | w[3]) === 0) w[0] = 1; // unreachable in practice; keeps the invariant explicit
  return w;
}

function checkSeed(seed: number | bigint, what: string): bigint {
  if (typeof seed === 'bigint') {
    if (seed < 0n) throw new Error(`${what}: seed must be a non-negative integer, got ${seed}`);
    return seed;
  }
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new Error(`${what}: seed must be a non-negative safe integer (or a bigint), got ${seed}`);
  }
  return BigInt(seed);
}

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  /** Second value of the last Box–Muller pair handed out by `normal()`; NaN = empty. */
  private cached = NaN;

  private constructor(words: ArrayLike<number>) {
    this.s0 = words[0] >>> 0;
    this.s1 = words[1] >>> 0;
    this.s2 = words[2] >>> 0;
    this.s3 = words[3] >>> 0;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) {
      throw new Error('Rng: the xoshiro128** state must not be all zero');
    }
  }

  /** A generator from a non-negative integer seed (same seed → same stream everywhere). */
  static fromSeed(seed: number | bigint): Rng {
    return new Rng(seedWords(checkSeed(seed, 'Rng.fromSeed')));
  }

  /** A generator from an explicit state (four uint32, not all zero), e.g. one saved with `state()`. */
  static fromState(words: ArrayLike<number>): Rng {
    if (words.length !== 4) throw new Error(`Rng.fromState: expected 4 state words, got ${words.length}`);
    return new Rng(words);
  }

  /** The four state words (the cached Gaussian, if any, is not included). */
  state(): Uint32Array {
    return new Uint32Array([this.s0, this.s1, this.s2, this.s3]);
  }

  /** An independent copy with the same state (same future outputs). */
  clone(): Rng {
    const r = new Rng([this.s0, this.s1, this.s2, this.s3]);
    r.cached = this.cached;
    return r;
  }

  /** Next 32-bit output as an unsigned integer. */
  nextU32(): number {
    const s1 = this.s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 random bits. */
  uniform(): number {
    return this.nextU32() * INV_2_32;
  }

  /** Uniform in [0, 1) with 53 random bits (two outputs: 27 high + 26 low bits). */
  uniform53(): number {
    const hi = this.nextU32() >>> 5;
    const lo = this.nextU32() >>> 6;
    return (hi * 67108864 + lo) * INV_2_53;
  }

  /** A fair coin: 0 or 1 (the top bit of one output). */
  bit(): number {
    return this.nextU32() >>> 31;
  }

  /**
   * Two independent standard normals written to out[offset], out[offset + 1]
   * (Box–Muller; consumes exactly three 32-bit outputs).
   */
  normalPair(out: { [i: number]: number }, offset: number): void {
    const r = Math.sqrt(-2 * Math.log(1 - this.uniform53()));
    const a = TWO_PI * this.uniform();
    out[offset] = r * Math.cos(a);
    out[offset + 1] = r * Math.sin(a);
  }

  /** One standard normal (uses the cached second value of the previous pair when there is one). */
  normal(): number {
    const c = this.cached;
    if (c === c) {
      this.cached = NaN;
      return c;
    }
    const r = Math.sqrt(-2 * Math.log(1 - this.uniform53()));
    const a = TWO_PI * this.uniform();
    this.cached = r * Math.sin(a);
    return r * Math.cos(a);
  }

  /** Fill out[offset .. offset + n) with standard normals, pair by pair (an odd n drops the last partner). */
  fillNormal(out: Float32Array | Float64Array, offset = 0, n = out.length - offset): void {
    if (offset < 0 || n < 0 || offset + n > out.length) {
      throw new Error(`Rng.fillNormal: range [${offset}, ${offset + n}) outside an array of length ${out.length}`);
    }
    const end = offset + n;
    let i = offset;
    // the same arithmetic as normalPair, inlined: this loop is the generator's hot path
    for (; i + 1 < end; i += 2) {
      const r = Math.sqrt(-2 * Math.log(1 - this.uniform53()));
      const a = TWO_PI * this.uniform();
      out[i] = r * Math.cos(a);
      out[i + 1] = r * Math.sin(a);
    }
    if (i < end) {
      const r = Math.sqrt(-2 * Math.log(1 - this.uniform53()));
      out[i] = r * Math.cos(TWO_PI * this.uniform());
    }
  }

  /** Advance the state by 2^64 outputs in place (the cache is dropped). */
  jump(): void {
    let t0 = 0,
      t1 = 0,
      t2 = 0,
      t3 = 0;
    for (let w = 0; w < 4; w++) {
      const word = JUMP_2_64[w];
      for (let b = 0; b < 32; b++) {
        if ((word >>> b) & 1) {
          t0 ^= this.s0;
          t1 ^= this.s1;
          t2 ^= this.s2;
          t3 ^= this.s3;
        }
        this.nextU32();
      }
    }
    this.s0 = t0 >>> 0;
    this.s1 = t1 >>> 0;
    this.s2 = t2 >>> 0;
    this.s3 = t3 >>> 0;
    this.cached = NaN;
  }

  /**
   * A child stream that gets the next 2^64 outputs of this one; this generator jumps past them.
   * Children of successive splits never overlap each other or the parent (for < 2^64 splits).
   */
  split(): Rng {
    const child = new Rng([this.s0, this.s1, this.s2, this.s3]);
    this.jump();
    return child;
  }

  /**
   * A stream derived from this generator's current state and an integer key, without advancing
   * this generator (same state + same key → same stream). Streams for different keys are
   * seeded independently through SplitMix64; non-overlap is probabilistic (period 2^128), use
   * `split` where a guarantee is wanted.
   */
  fork(key: number): Rng {
    if (!Number.isSafeInteger(key) || key < 0)
      throw new Error(`Rng.fork: key must be a non-negative safe integer, got ${key}`);
    const h =
      (BigInt(this.s0) | (BigInt(this.s1) << 32n)) ^
      ((BigInt(this.s2) | (BigInt(this.s3) << 32n)) * 0x9e3779b97f4a7c15n);
    const [, mixed] = splitMix64((h ^ (BigInt(key) * 0xd1b54a32d192ed03n)) & MASK64);
    return new Rng(seedWords(mixed));
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * An error unless `rng` is an Rng, naming `where` (JavaScript callers may pass anything, or swap
 * arguments). Duck-typed on fillNormal so an Rng from a second copy of the package still passes.
 */
export function checkRng(where: string, rng: unknown): asserts rng is Rng {
  if (typeof (rng as { fillNormal?: unknown } | null)?.fillNormal !== 'function') {
    throw new Error(
      `${where}: rng must be an Rng (for example Rng.fromSeed(1)), got ${rng === null ? 'null' : typeof rng}`,
    );
  }
}
