/**
 * A restricted pickle (protocol 2) interpreter for PyTorch `state_dict` files.
 *
 * Hand-written on purpose: a pickle is a program, and a general unpickler runs whatever callables
 * it names. This one never executes anything: it knows a fixed set of opcodes (those torch.save
 * emits for a state_dict, plus a few harmless constants), and GLOBAL/REDUCE accept only
 * `collections.OrderedDict`, `torch._utils._rebuild_tensor_v2` and the typed storage classes,
 * which it *interprets* as data (a Map, a tensor record, a storage dtype). Anything else is an
 * error naming the global or the opcode and its byte position.
 */
import { CheckpointError, type DType } from './state-dict.js';

/** A storage reference from a persistent id ('storage', XStorage, key, location, numel). */
export interface StorageRef {
  dtype: DType;
  key: string;
  location: string;
  numel: number;
}

/** What `_rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks)` stands for. */
export interface TensorRecord<S> {
  kind: 'tensor';
  storage: S;
  storageOffset: number;
  size: number[];
  stride: number[];
  requiresGrad: boolean;
}

/** An allowed global, pushed by GLOBAL and called by REDUCE (never executed). */
export interface PickleGlobal {
  kind: 'global';
  module: string;
  name: string;
}

export type PickleValue<S = unknown> =
  | null
  | boolean
  | number
  | string
  | PickleValue<S>[] // tuples are frozen arrays, lists plain arrays
  | Map<string | number | boolean | null, PickleValue<S>>
  | PickleGlobal
  | TensorRecord<S>
  | { kind: 'storage'; value: S };

export interface PickleOptions<S> {
  /** File name for error messages. */
  name: string;
  /** Resolves a storage persistent id to whatever the caller wants a tensor to refer to. */
  loadStorage: (ref: StorageRef) => S;
}

const STORAGE_DTYPES: Readonly<Record<string, DType>> = {
  FloatStorage: 'f32',
  DoubleStorage: 'f64',
  HalfStorage: 'f16',
  BFloat16Storage: 'bf16',
  LongStorage: 'i64',
  IntStorage: 'i32',
  ByteStorage: 'u8',
  BoolStorage: 'bool',
};

function isAllowedGlobal(module: string, name: string): boolean {
  return (
    (module === 'collections' && name === 'OrderedDict') ||
    (module === 'torch._utils' && name === '_rebuild_tensor_v2') ||
    (module === 'torch' && Object.hasOwn(STORAGE_DTYPES, name))
  );
}

/** Names of every pickle opcode, so a refused one is reported by name (protocols 0–5). */
const OPCODE_NAMES: Readonly<Record<number, string>> = {
  0x28: 'MARK',
  0x2e: 'STOP',
  0x30: 'POP',
  0x31: 'POP_MARK',
  0x32: 'DUP',
  0x46: 'FLOAT',
  0x49: 'INT',
  0x4a: 'BININT',
  0x4b: 'BININT1',
  0x4c: 'LONG',
  0x4d: 'BININT2',
  0x4e: 'NONE',
  0x50: 'PERSID',
  0x51: 'BINPERSID',
  0x52: 'REDUCE',
  0x53: 'STRING',
  0x54: 'BINSTRING',
  0x55: 'SHORT_BINSTRING',
  0x56: 'UNICODE',
  0x58: 'BINUNICODE',
  0x61: 'APPEND',
  0x62: 'BUILD',
  0x63: 'GLOBAL',
  0x64: 'DICT',
  0x7d: 'EMPTY_DICT',
  0x65: 'APPENDS',
  0x67: 'GET',
  0x68: 'BINGET',
  0x69: 'INST',
  0x6a: 'LONG_BINGET',
  0x6c: 'LIST',
  0x5d: 'EMPTY_LIST',
  0x6f: 'OBJ',
  0x70: 'PUT',
  0x71: 'BINPUT',
  0x72: 'LONG_BINPUT',
  0x73: 'SETITEM',
  0x74: 'TUPLE',
  0x29: 'EMPTY_TUPLE',
  0x75: 'SETITEMS',
  0x47: 'BINFLOAT',
  0x80: 'PROTO',
  0x81: 'NEWOBJ',
  0x82: 'EXT1',
  0x83: 'EXT2',
  0x84: 'EXT4',
  0x85: 'TUPLE1',
  0x86: 'TUPLE2',
  0x87: 'TUPLE3',
  0x88: 'NEWTRUE',
  0x89: 'NEWFALSE',
  0x8a: 'LONG1',
  0x8b: 'LONG4',
  0x42: 'BINBYTES',
  0x43: 'SHORT_BINBYTES',
  0x8c: 'SHORT_BINUNICODE',
  0x8d: 'BINUNICODE8',
  0x8e: 'BINBYTES8',
  0x8f: 'EMPTY_SET',
  0x90: 'ADDITEMS',
  0x91: 'FROZENSET',
  0x92: 'NEWOBJ_EX',
  0x93: 'STACK_GLOBAL',
  0x94: 'MEMOIZE',
  0x95: 'FRAME',
  0x96: 'BYTEARRAY8',
  0x97: 'NEXT_BUFFER',
  0x98: 'READONLY_BUFFER',
};

/** Runs the pickle program in `bytes` and returns the object it builds (the STOP value). */
export function runPickle<S>(bytes: Uint8Array, opts: PickleOptions<S>): PickleValue<S> {
  type V = PickleValue<S>;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const stack: V[] = [];
  const marks: number[] = [];
  const memo = new Map<number, V>();
  let pos = 0;
  let opPos = 0;
  let op = 0;

  const fail = (what: string): never => {
    throw new CheckpointError(
      `${opts.name}: bad pickle at byte ${opPos}` +
        ` (${op < 0 ? 'end of data' : (OPCODE_NAMES[op] ?? 'opcode 0x' + op.toString(16))}): ${what}`,
    );
  };
  const need = (n: number): number => {
    if (pos + n > bytes.length) fail(`needs ${n} more bytes but the pickle ends at ${bytes.length} (truncated?)`);
    const at = pos;
    pos += n;
    return at;
  };
  const pop = (): V => (stack.length > (marks.at(-1) ?? 0) ? stack.pop()! : fail('stack underflow'));
  const top = (): V => (stack.length > (marks.at(-1) ?? 0) ? stack[stack.length - 1] : fail('stack underflow'));
  const popMark = (): V[] => {
    const m = marks.pop();
    if (m === undefined) fail('no MARK to close');
    return stack.splice(m!);
  };
  const readLine = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail('unterminated text line');
    if (end - pos > 256) fail(`text line of ${end - pos} bytes is too long for a module or class name`);
    const s = String.fromCharCode(...bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const tuple = (items: V[]): V => Object.freeze(items) as V[];
  const setItem = (dict: V, k: V, v: V): void => {
    if (!(dict instanceof Map)) fail(`SETITEM target is not a dict`);
    if (!(k === null || ['string', 'number', 'boolean'].includes(typeof k))) fail(`dict key of unsupported type`);
    (dict as Map<unknown, V>).set(k, v);
  };

  if (bytes.length < 2 || bytes[0] !== 0x80) {
    throw new CheckpointError(
      `${opts.name}: data.pkl is not a protocol-2 pickle (starts with 0x${(bytes[0] ?? 0).toString(16)})`,
    );
  }

  for (;;) {
    if (pos >= bytes.length) {
      opPos = pos;
      op = -1;
      fail('program ends without STOP (truncated?)');
    }
    opPos = pos;
    op = bytes[pos++];
    switch (op) {
      case 0x80: {
        // PROTO
        const v = bytes[need(1)];
        if (opPos !== 0 || v !== 2) fail(`only a leading protocol 2 is supported, got ${v}`);
        break;
      }
      case 0x63: {
        // GLOBAL
        const module = readLine();
        const name = readLine();
        if (!isAllowedGlobal(module, name)) {
          throw new CheckpointError(
            `refusing pickle global '${module} ${name}'` +
              ` in ${opts.name} (byte ${opPos}): only state_dict globals are allowed`,
          );
        }
        stack.push({ kind: 'global', module, name });
        break;
      }
      case 0x71:
        memo.set(bytes[need(1)], top());
        break; // BINPUT
      case 0x72:
        memo.set(view.getUint32(need(4), true), top());
        break; // LONG_BINPUT
      case 0x68:
      case 0x6a: {
        // BINGET, LONG_BINGET
        const idx = op === 0x68 ? bytes[need(1)] : view.getUint32(need(4), true);
        if (!memo.has(idx)) fail(`memo slot ${idx} is empty`);
        stack.push(memo.get(idx)!);
        break;
      }
      case 0x28:
        marks.push(stack.length);
        break; // MARK
      case 0x29:
        stack.push(tuple([]));
        break; // EMPTY_TUPLE
      case 0x74:
        stack.push(tuple(popMark()));
        break; // TUPLE
      case 0x85:
        stack.push(tuple([pop()]));
        break; // TUPLE1
      case 0x86: {
        const b = pop();
        const a = pop();
        stack.push(tuple([a, b]));
        break;
      } // TUPLE2
      case 0x87: {
        const c = pop();
        const b = pop();
        const a = pop();
        stack.push(tuple([a, b, c]));
        break;
      } // TUPLE3
      case 0x5d:
        stack.push([]);
        break; // EMPTY_LIST
      case 0x61: {
        const v = pop();
        appendTo(top(), [v]);
        break;
      } // APPEND
      case 0x65: {
        const items = popMark();
        appendTo(top(), items);
        break;
      } // APPENDS
      case 0x7d:
        stack.push(new Map());
        break; // EMPTY_DICT
      case 0x73: {
        const v = pop();
        const k = pop();
        setItem(top(), k, v);
        break;
      } // SETITEM
      case 0x75: {
        // SETITEMS
        const items = popMark();
        if (items.length % 2) fail('odd number of items');
        const dict = top();
        for (let i = 0; i < items.length; i += 2) setItem(dict, items[i], items[i + 1]);
        break;
      }
      case 0x58: {
        // BINUNICODE
        const n = view.getUint32(need(4), true);
        const at = need(n);
        try {
          stack.push(utf8.decode(bytes.subarray(at, at + n)));
        } catch {
          fail('string is not valid UTF-8');
        }
        break;
      }
      case 0x4b:
        stack.push(bytes[need(1)]);
        break; // BININT1
      case 0x4d:
        stack.push(view.getUint16(need(2), true));
        break; // BININT2
      case 0x4a:
        stack.push(view.getInt32(need(4), true));
        break; // BININT
      case 0x8a: {
        // LONG1: little-endian two's complement of n bytes
        const n = bytes[need(1)];
        const at = need(n);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[at + i]);
        if (n > 0 && bytes[at + n - 1] & 0x80) v -= 1n << BigInt(8 * n);
        const num = Number(v);
        if (!Number.isSafeInteger(num)) fail(`integer ${v} is too large`);
        stack.push(num);
        break;
      }
      case 0x47:
        stack.push(view.getFloat64(need(8), false));
        break; // BINFLOAT (big-endian)
      case 0x88:
        stack.push(true);
        break; // NEWTRUE
      case 0x89:
        stack.push(false);
        break; // NEWFALSE
      case 0x4e:
        stack.push(null);
        break; // NONE
      case 0x51:
        stack.push({ kind: 'storage', value: opts.loadStorage(storageRef(pop(), fail)) });
        break; // BINPERSID
      case 0x52: {
        const args = pop();
        const fn = pop();
        stack.push(reduce(fn, args, fail));
        break;
      } // REDUCE
      case 0x62: {
        // BUILD: only `obj.__setstate__`-free state on a dict (torch's `_metadata`), ignored
        pop();
        if (!(top() instanceof Map)) fail('BUILD is only accepted on a dict');
        break;
      }
      case 0x2e: {
        // STOP
        if (stack.length !== 1 || marks.length)
          fail(`stack holds ${stack.length} values and ${marks.length} marks at STOP`);
        return stack[0];
      }
      default:
        fail(
          `unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')}` +
            (OPCODE_NAMES[op] ? ` (${OPCODE_NAMES[op]}) is not allowed in a state_dict` : ' (not a pickle opcode)'),
        );
    }
  }

  function appendTo(list: V, items: V[]): void {
    if (!Array.isArray(list) || Object.isFrozen(list)) fail('APPEND target is not a list');
    for (const item of items) (list as V[]).push(item); // no spread: a long list would overflow the stack
  }
}

function storageRef(pid: unknown, fail: (what: string) => never): StorageRef {
  if (!Array.isArray(pid) || pid.length !== 5 || pid[0] !== 'storage') {
    fail(`persistent id must be ('storage', type, key, location, numel)`);
  }
  const [, type, key, location, numel] = pid as unknown[];
  const g = type as PickleGlobal;
  if (
    typeof g !== 'object' ||
    g === null ||
    g.kind !== 'global' ||
    g.module !== 'torch' ||
    !Object.hasOwn(STORAGE_DTYPES, g.name)
  ) {
    fail('persistent id does not name a torch storage type');
  }
  if (typeof key !== 'string' || typeof location !== 'string') fail('storage key and location must be strings');
  if (!Number.isSafeInteger(numel) || (numel as number) < 0) fail(`bad storage numel ${String(numel)}`);
  return { dtype: STORAGE_DTYPES[g.name], key: key as string, location: location as string, numel: numel as number };
}

function reduce<S>(fn: PickleValue<S>, args: PickleValue<S>, fail: (what: string) => never): PickleValue<S> {
  const g = fn as PickleGlobal;
  if (typeof g !== 'object' || g === null || g.kind !== 'global')
    fail('REDUCE on something that is not an allowed global');
  if (!Array.isArray(args) || !Object.isFrozen(args)) fail(`REDUCE of ${g.module}.${g.name} needs an argument tuple`);
  const a = args as PickleValue<S>[];
  if (g.module === 'collections' && g.name === 'OrderedDict') {
    if (a.length !== 0) fail('OrderedDict() with arguments is not supported');
    return new Map();
  }
  if (g.module === 'torch._utils' && g.name === '_rebuild_tensor_v2') {
    // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
    if (a.length !== 6 && a.length !== 7) fail(`_rebuild_tensor_v2 takes 6 or 7 arguments, got ${a.length}`);
    const [storage, offset, size, stride, requiresGrad] = a;
    const s = storage as { kind?: string; value?: S };
    if (typeof s !== 'object' || s === null || s.kind !== 'storage')
      fail('_rebuild_tensor_v2: first argument is not a storage');
    if (!Number.isSafeInteger(offset) || (offset as number) < 0)
      fail(`_rebuild_tensor_v2: bad storage offset ${String(offset)}`);
    const ints = (v: unknown, what: string): number[] => {
      if (!Array.isArray(v) || !v.every((x) => Number.isSafeInteger(x) && x >= 0))
        fail(`_rebuild_tensor_v2: ${what} must be a tuple of non-negative ints`);
      return [...(v as number[])];
    };
    const sz = ints(size, 'size');
    const st = ints(stride, 'stride');
    if (sz.length !== st.length) fail(`_rebuild_tensor_v2: size (${sz}) and stride (${st}) differ in rank`);
    if (typeof requiresGrad !== 'boolean') fail('_rebuild_tensor_v2: requires_grad must be a bool');
    return {
      kind: 'tensor',
      storage: s.value as S,
      storageOffset: offset as number,
      size: sz,
      stride: st,
      requiresGrad: requiresGrad as boolean,
    };
  }
  return fail(`${g.module}.${g.name} cannot be called (it is only valid as a storage type)`);
}
