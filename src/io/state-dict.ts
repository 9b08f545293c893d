/**
 * A checkpoint as plain data: named tensors with a dtype, a shape and a dense row-major array.
 *
 * This is what every reader returns and every writer takes, so the file formats (.pt, safetensors)
 * stay independent of the engine: nothing here touches wasm memory. Conversion helpers turn a
 * stored tensor into what a model needs (f32 values, integer lists, boolean masks).
 */
export type DType = 'f32' | 'f64' | 'f16' | 'bf16' | 'i64' | 'i32' | 'u8' | 'bool';

/** The typed array each dtype is stored in: f16/bf16 keep their raw bits, bool is one byte 0/1. */
export type TensorData = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array | Uint16Array;

export interface StoredTensor {
  dtype: DType;
  shape: number[];
  /** Dense, row-major, little-endian element values; length = product of shape. */
  data: TensorData;
}

/** Insertion order is file order. */
export type StateDict = Map<string, StoredTensor>;

/** Any problem with a checkpoint file's content (format, bounds, dtype, shape). */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

export const DTYPE_BYTES: Readonly<Record<DType, number>> = {
  f32: 4,
  f64: 8,
  f16: 2,
  bf16: 2,
  i64: 8,
  i32: 4,
  u8: 1,
  bool: 1,
};

export const DTYPES: readonly DType[] = ['f32', 'f64', 'f16', 'bf16', 'i64', 'i32', 'u8', 'bool'];

export function isDType(s: string): s is DType {
  return (DTYPES as readonly string[]).includes(s);
}

/** Product of the dims; [] (a scalar) has one element. */
export function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * A typed array of the right kind for `dtype` over `bytes` (copied, so the result owns its memory
 * and is aligned). The bytes are little-endian; the host must be too.
 */
export function typedFromBytes(dtype: DType, bytes: Uint8Array): TensorData {
  assertLittleEndianHost();
  const size = DTYPE_BYTES[dtype];
  if (bytes.byteLength % size !== 0) {
    throw new CheckpointError(
      `${bytes.byteLength} bytes is not a whole number of ${dtype} elements (${size} bytes each)`,
    );
  }
  // A fresh ArrayBuffer at offset 0: aligned for any element size, and never aliasing the file
  // buffer (Buffer#slice would be a view, hence the explicit copy).
  const own = new Uint8Array(bytes.byteLength);
  own.set(bytes);
  const n = own.byteLength / size;
  switch (dtype) {
    case 'f32':
      return new Float32Array(own.buffer, 0, n);
    case 'f64':
      return new Float64Array(own.buffer, 0, n);
    case 'f16':
    case 'bf16':
      return new Uint16Array(own.buffer, 0, n);
    case 'i64':
      return new BigInt64Array(own.buffer, 0, n);
    case 'i32':
      return new Int32Array(own.buffer, 0, n);
    case 'u8':
    case 'bool':
      return own;
  }
}

/** The little-endian bytes of a tensor's data (a view, no copy). */
export function bytesOf(t: StoredTensor): Uint8Array {
  assertLittleEndianHost();
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

const ARRAY_KIND: Record<DType, [abstract new (...args: never[]) => unknown, string]> = {
  f32: [Float32Array, 'Float32Array'],
  f64: [Float64Array, 'Float64Array'],
  f16: [Uint16Array, 'Uint16Array'],
  bf16: [Uint16Array, 'Uint16Array'],
  i64: [BigInt64Array, 'BigInt64Array'],
  i32: [Int32Array, 'Int32Array'],
  u8: [Uint8Array, 'Uint8Array'],
  bool: [Uint8Array, 'Uint8Array'],
};

/** Throws unless `t.data` is the array kind of `t.dtype` and holds exactly numel(shape) elements. */
export function checkTensor(key: string, t: StoredTensor): void {
  for (const d of t.shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new CheckpointError(`tensor '${key}': bad shape [${t.shape}]`);
  }
  if (!isDType(t.dtype)) throw new CheckpointError(`tensor '${key}': unknown dtype '${t.dtype}'`);
  const [ctor, ctorName] = ARRAY_KIND[t.dtype];
  if (!(t.data instanceof ctor)) {
    throw new CheckpointError(
      `tensor '${key}': dtype ${t.dtype} needs a ${ctorName}, got a ${t.data?.constructor?.name}`,
    );
  }
  const n = numelOf(t.shape);
  if (t.data.length !== n) {
    throw new CheckpointError(`tensor '${key}': shape [${t.shape}] has ${n} elements but data has ${t.data.length}`);
  }
}

/** f32 values. An f32 tensor returns its own array (no copy; do not mutate); others are converted. */
export function toFloat32(t: StoredTensor): Float32Array {
  const d = t.data;
  switch (t.dtype) {
    case 'f32':
      return d as Float32Array;
    case 'f16':
      return Float32Array.from(d as Uint16Array, halfToFloat);
    case 'bf16': {
      const bits = new Uint32Array(d.length);
      for (let i = 0; i < d.length; i++) bits[i] = (d as Uint16Array)[i] << 16;
      return new Float32Array(bits.buffer);
    }
    case 'i64':
      return Float32Array.from(d as BigInt64Array, (v) => Number(v));
    default:
      return Float32Array.from(d as Float64Array | Int32Array | Uint8Array);
  }
}

/** Integer values of an integer or bool tensor (i64 must fit a safe integer). */
export function toInt(t: StoredTensor, key = 'tensor'): number[] {
  switch (t.dtype) {
    case 'i64':
      return Array.from(t.data as BigInt64Array, (v) => {
        const n = Number(v);
        if (!Number.isSafeInteger(n)) throw new CheckpointError(`${key}: int64 value ${v} does not fit a safe integer`);
        return n;
      });
    case 'i32':
    case 'u8':
    case 'bool':
      return Array.from(t.data as Int32Array | Uint8Array);
    default:
      throw new CheckpointError(`${key}: expected an integer tensor, got dtype ${t.dtype}`);
  }
}

/** Truth values of a bool (or integer: non-zero) tensor. */
export function toBool(t: StoredTensor, key = 'tensor'): boolean[] {
  switch (t.dtype) {
    case 'bool':
    case 'u8':
    case 'i32':
      return Array.from(t.data as Uint8Array | Int32Array, (v) => v !== 0);
    case 'i64':
      return Array.from(t.data as BigInt64Array, (v) => v !== 0n);
    default:
      throw new CheckpointError(`${key}: expected a bool tensor, got dtype ${t.dtype}`);
  }
}

/** IEEE 754 binary16 bits → number. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // zero / subnormal
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Bool storages must hold only 0/1; anything else means a corrupt or mis-typed storage. */
export function checkBoolBytes(key: string, data: Uint8Array, where: string): void {
  for (let i = 0; i < data.length; i++) {
    if (data[i] > 1)
      throw new CheckpointError(
        `${where}: bool tensor '${key}' holds byte ${data[i]} at element ${i} (expected 0 or 1)`,
      );
  }
}

function assertLittleEndianHost(): void {
  // The low byte of a 16-bit 1 comes first on a little-endian host (no Node API needed).
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1)
    throw new CheckpointError('checkpoint IO assumes a little-endian host');
}
