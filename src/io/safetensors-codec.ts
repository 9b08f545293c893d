/**
 * safetensors encode/decode in memory (no file system, so the browser page uses it too); the
 * file functions are in safetensors.ts. The project's own checkpoint format.
 *
 * Hand-written on purpose: the format is tiny (an 8-byte little-endian header length, a JSON
 * header `{"__metadata__": {..}, key: {dtype, shape, data_offsets: [begin, end]}}`, then the raw
 * little-endian tensor bytes, contiguous and in offset order), while the npm packages are either
 * Python/Rust bindings or unmaintained. Reading validates everything the reference reader does
 * (offsets in bounds, contiguous, non-overlapping, covering the whole data section; dtype known;
 * shape × item size = byte span) and names the file and key in every error.
 *
 * Tensors are written in StateDict insertion order and read back in offset order, so a round trip
 * keeps the order. The header is space-padded so the data section starts 8-byte aligned.
 */
import { MAX_SAFETENSORS_HEADER } from './sniff.js';
import {
  CheckpointError,
  DTYPE_BYTES,
  bytesOf,
  checkBoolBytes,
  checkTensor,
  numelOf,
  typedFromBytes,
  type DType,
  type StateDict,
} from './state-dict.js';

const TO_SAFETENSORS: Readonly<Record<DType, string>> = {
  f32: 'F32',
  f64: 'F64',
  f16: 'F16',
  bf16: 'BF16',
  i64: 'I64',
  i32: 'I32',
  u8: 'U8',
  bool: 'BOOL',
};
const FROM_SAFETENSORS: Readonly<Record<string, DType>> = Object.fromEntries(
  Object.entries(TO_SAFETENSORS).map(([ours, theirs]) => [theirs, ours as DType]),
);
const METADATA_KEY = '__metadata__';

/** The complete file bytes for `dict` (validated) with string `metadata`. */
export function encodeSafetensors(dict: StateDict, metadata: Record<string, string> = {}): Uint8Array {
  const parts: string[] = [];
  const meta = Object.entries(metadata);
  for (const [k, v] of meta) {
    if (typeof v !== 'string')
      throw new CheckpointError(`safetensors metadata '${k}' must be a string, got ${typeof v}`);
  }
  if (meta.length) parts.push(`${JSON.stringify(METADATA_KEY)}:${JSON.stringify(Object.fromEntries(meta))}`);

  let offset = 0;
  for (const [key, t] of dict) {
    if (key === METADATA_KEY) throw new CheckpointError(`tensor key '${METADATA_KEY}' is reserved by safetensors`);
    checkTensor(key, t);
    const end = offset + t.data.byteLength;
    // Built by hand rather than JSON.stringify(object) so integer-like keys keep their order.
    parts.push(
      `${JSON.stringify(key)}` +
        `:${JSON.stringify({ dtype: TO_SAFETENSORS[t.dtype], shape: t.shape, data_offsets: [offset, end] })}`,
    );
    offset = end;
  }
  const headerBytes = new TextEncoder().encode(`{${parts.join(',')}}`);
  const padded = Math.ceil(headerBytes.length / 8) * 8;

  const out = new Uint8Array(8 + padded + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(headerBytes, 8);
  out.fill(0x20, 8 + headerBytes.length, 8 + padded);
  let at = 8 + padded;
  for (const t of dict.values()) {
    out.set(bytesOf(t), at);
    at += t.data.byteLength;
  }
  return out;
}

/** Decodes safetensors bytes (`file` labels errors). Tensors are owned copies. */
export function decodeSafetensors(
  bytes: Uint8Array,
  file: string,
): { dict: StateDict; metadata: Record<string, string> } {
  const fail = (what: string): never => {
    throw new CheckpointError(`${file}: bad safetensors file: ${what}`);
  };

  if (bytes.length < 8) fail(`only ${bytes.length} bytes, too short for the header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = view.getBigUint64(0, true);
  if (headerLen > BigInt(MAX_SAFETENSORS_HEADER))
    fail(`header length ${headerLen} is implausible (limit ${MAX_SAFETENSORS_HEADER})`);
  if (8n + headerLen > BigInt(bytes.length))
    fail(`header length ${headerLen} runs past the end of the ${bytes.length}-byte file (truncated?)`);
  const dataStart = 8 + Number(headerLen);
  const dataLen = bytes.length - dataStart;

  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart)));
  } catch (err) {
    fail(`header is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object');

  const metadata: Record<string, string> = {};
  const spans: { key: string; dtype: DType; shape: number[]; begin: number; end: number }[] = [];
  for (const [key, entry] of Object.entries(header as Record<string, unknown>)) {
    if (key === METADATA_KEY) {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
        fail(`'${METADATA_KEY}' is not an object`);
      for (const [k, v] of Object.entries(entry as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`metadata '${k}' is not a string`);
        metadata[k] = v as string;
      }
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== 'object' || e === null) fail(`key '${key}': entry is not an object`);
    const dtype =
      typeof e.dtype === 'string' && Object.hasOwn(FROM_SAFETENSORS, e.dtype) ? FROM_SAFETENSORS[e.dtype] : undefined;
    if (!dtype)
      fail(
        `key '${key}': unsupported dtype ${JSON.stringify(e.dtype)}` +
          ` (supported: ${Object.keys(FROM_SAFETENSORS).join(', ')})`,
      );
    const isCount = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
    if (!Array.isArray(e.shape) || !e.shape.every(isCount))
      fail(`key '${key}': shape ${JSON.stringify(e.shape)} is not a list of non-negative ints`);
    const offs = e.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every(isCount) || offs[0] > offs[1]) {
      fail(`key '${key}': data_offsets ${JSON.stringify(offs)} is not [begin, end] with 0 <= begin <= end`);
    }
    const [begin, end] = offs as number[];
    const shape = e.shape as number[];
    const expected = numelOf(shape) * DTYPE_BYTES[dtype!];
    if (end - begin !== expected)
      fail(`key '${key}': shape [${shape}] of ${dtype} needs ${expected} bytes but data_offsets span ${end - begin}`);
    if (end > dataLen)
      fail(`key '${key}': data_offsets [${begin}, ${end}] run past the ${dataLen}-byte data section (truncated?)`);
    spans.push({ key, dtype: dtype!, shape, begin, end });
  }

  spans.sort((a, b) => a.begin - b.begin || a.end - b.end); // stable: equal spans keep header order
  let covered = 0;
  let previous = '(start of data)';
  for (const s of spans) {
    if (s.begin < covered)
      fail(`key '${s.key}' [${s.begin}, ${s.end}] overlaps '${previous}' which ends at ${covered}`);
    if (s.begin > covered)
      fail(`key '${s.key}' starts at ${s.begin}, leaving a gap after '${previous}' which ends at ${covered}`);
    covered = s.end;
    previous = s.key;
  }
  if (covered !== dataLen) fail(`tensors cover ${covered} bytes but the data section has ${dataLen}`);

  const dict: StateDict = new Map();
  for (const s of spans) {
    const data = typedFromBytes(s.dtype, bytes.subarray(dataStart + s.begin, dataStart + s.end));
    if (s.dtype === 'bool') checkBoolBytes(s.key, data as Uint8Array, file);
    dict.set(s.key, { dtype: s.dtype, shape: [...s.shape], data });
  }
  return { dict, metadata };
}
