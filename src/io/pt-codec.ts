/**
 * Decodes a PyTorch `torch.save(model.state_dict())` file (zip format) from its bytes into a
 * StateDict: no file system, so the browser entry (src/browser.ts) loads reference checkpoints
 * too. pt.ts reads one from a path.
 *
 * The archive holds `<prefix>/data.pkl` (the pickle program, run by the restricted VM in
 * pickle.ts) and raw little-endian storages `<prefix>/data/<key>`. Each tensor is materialised
 * as its own dense copy, honouring storage offset and strides, so tensors sharing a storage stay
 * independent and the result never aliases the file buffer. Everything is validated before the
 * dict is returned: an error leaves no partial result.
 */
import { runPickle, type StorageRef, type TensorRecord } from './pickle.js';
import { sniffCheckpoint } from './sniff.js';
import {
  CheckpointError,
  DTYPE_BYTES,
  checkBoolBytes,
  numelOf,
  typedFromBytes,
  type StateDict,
  type StoredTensor,
} from './state-dict.js';
import { entryBytes, readZipDirectory, type ZipEntry } from './zip.js';

/** A guard against absurd sizes in a corrupt pickle (stride-0 views could otherwise ask for anything). */
const MAX_TENSOR_BYTES = 2 ** 31;

interface LoadedStorage {
  ref: StorageRef;
  bytes: Uint8Array;
}

/** A .pt state_dict from the file's bytes (`file` labels errors). */
export function decodePt(bytes: Uint8Array, file: string): StateDict {
  const kind = sniffCheckpoint(bytes);
  if (kind !== 'pt') {
    const why =
      kind === 'safetensors'
        ? 'it is a safetensors file (use readSafetensors)'
        : bytes[0] === 0x80
          ? 'it looks like the legacy pre-zip torch.save format, which is not supported (re-save with torch >= 1.6)'
          : 'it does not start with the ZIP signature PK\\x03\\x04';
    throw new CheckpointError(`${file}: not a PyTorch zip checkpoint: ${why}`);
  }

  const entries = readZipDirectory(bytes, file);
  const pickles = entries.filter((e) => e.name === 'data.pkl' || e.name.endsWith('/data.pkl'));
  if (pickles.length !== 1) {
    throw new CheckpointError(
      `${file}: expected exactly one '<folder>/data.pkl' entry, found ${pickles.length} (not a torch.save archive?)`,
    );
  }
  const prefix = pickles[0].name.slice(0, -'data.pkl'.length);
  const byName = new Map<string, ZipEntry>(entries.map((e) => [e.name, e]));

  const byteorder = byName.get(prefix + 'byteorder');
  if (byteorder) {
    const order = new TextDecoder().decode(entryBytes(bytes, byteorder, file)).trim();
    if (order !== 'little')
      throw new CheckpointError(`${file}: storages are ${order}-endian; only little-endian is supported`);
  }

  const storages = new Map<string, LoadedStorage>();
  const loadStorage = (ref: StorageRef): LoadedStorage => {
    const cached = storages.get(ref.key);
    if (cached) {
      if (cached.ref.dtype !== ref.dtype) {
        throw new CheckpointError(`${file}: storage '${ref.key}' is used as both ${cached.ref.dtype} and ${ref.dtype}`);
      }
      return cached;
    }
    const path = `${prefix}data/${ref.key}`;
    const entry = byName.get(path);
    if (!entry) throw new CheckpointError(`${file}: storage entry '${path}' is missing`);
    const expected = ref.numel * DTYPE_BYTES[ref.dtype];
    if (entry.size !== expected) {
      throw new CheckpointError(
        `${file}: storage '${path}' has ${entry.size} bytes, expected ${ref.numel} ${ref.dtype} = ${expected}`,
      );
    }
    const loaded = { ref, bytes: entryBytes(bytes, entry, file) };
    storages.set(ref.key, loaded);
    return loaded;
  };

  const root = runPickle(entryBytes(bytes, pickles[0], file), { name: `${file}:${pickles[0].name}`, loadStorage });
  if (!(root instanceof Map))
    throw new CheckpointError(`${file}: the pickle does not hold a dict, so it is not a state_dict`);

  const dict: StateDict = new Map();
  for (const [key, value] of root) {
    if (typeof key !== 'string') throw new CheckpointError(`${file}: state_dict key ${String(key)} is not a string`);
    const rec = value as TensorRecord<LoadedStorage>;
    if (typeof rec !== 'object' || rec === null || (rec as { kind?: string }).kind !== 'tensor') {
      throw new CheckpointError(
        `${file}: state_dict entry '${key}' is not a tensor, so this is not a plain state_dict`,
      );
    }
    dict.set(key, materialise(rec, key, file));
  }
  return dict;
}

/** A dense row-major copy of the tensor a record describes, bounds-checked against its storage. */
function materialise(rec: TensorRecord<LoadedStorage>, key: string, file: string): StoredTensor {
  const { ref, bytes } = rec.storage;
  const dtype = ref.dtype;
  const itemSize = DTYPE_BYTES[dtype];
  const shape = rec.size;
  const n = numelOf(shape);
  if (n === 0) return { dtype, shape: [...shape], data: typedFromBytes(dtype, new Uint8Array(0)) };
  if (n * itemSize > MAX_TENSOR_BYTES) {
    throw new CheckpointError(
      `${file}: tensor '${key}' of size [${shape}] would need ${n * itemSize} bytes (limit ${MAX_TENSOR_BYTES})`,
    );
  }

  let last = rec.storageOffset;
  for (let d = 0; d < shape.length; d++) last += (shape[d] - 1) * rec.stride[d];
  if (last >= ref.numel) {
    throw new CheckpointError(
      `${file}: tensor '${key}' (size [${shape}], stride [${rec.stride}], offset ${rec.storageOffset}) ` +
        `reaches element ${last} of storage '${ref.key}' which has ${ref.numel}`,
    );
  }

  let dense: Uint8Array;
  if (isContiguous(shape, rec.stride)) {
    dense = bytes.subarray(rec.storageOffset * itemSize, (rec.storageOffset + n) * itemSize);
  } else {
    dense = new Uint8Array(n * itemSize);
    const index = new Array<number>(shape.length).fill(0);
    for (let i = 0; i < n; i++) {
      let src = rec.storageOffset;
      for (let d = 0; d < shape.length; d++) src += index[d] * rec.stride[d];
      dense.set(bytes.subarray(src * itemSize, (src + 1) * itemSize), i * itemSize);
      for (let d = shape.length - 1; d >= 0 && ++index[d] === shape[d]; d--) index[d] = 0;
    }
  }
  const data = typedFromBytes(dtype, dense);
  if (dtype === 'bool') checkBoolBytes(key, data as Uint8Array, file);
  return { dtype, shape: [...shape], data };
}

/** Row-major contiguity; strides of size-1 dims do not matter. */
function isContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && stride[d] !== expected) return false;
    expected *= shape[d];
  }
  return true;
}
