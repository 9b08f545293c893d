/**
 * ROOT TTrees through jsroot (CERN's JavaScript ROOT), an optional dependency loaded only when a
 * ROOT file is read: its hard dependency `canvas` runs a native build, so it cannot be a plain
 * dependency. When it is absent the error says in one line how to add it.
 *
 * What jsroot 7.11 does in Node that this file guards against (measured, see issue 17):
 * - treeProcess swallows read and decompression errors; the selector's Terminate(false) is the
 *   only sign (unchecked, the columns stay zeros). We check it, and that every entry arrived.
 * - openFile(path) leaks the file handle, so the file's bytes go in as an ArrayBuffer.
 * - its LZMA decoder failed on an incompressible float64 basket that Python reads fine, so
 *   baskets compressed with LZMA are refused up front (their header says 'XZ').
 * - it prints some errors on the console and carries on (console.error('Error R__unzip: …')), so
 *   its console output is collected while it runs (quiet-console.ts): a bad file is one line.
 * The fast ProcessArrays path (a basket's worth of values per call) is used when jsroot can;
 * Process (one entry per call) otherwise.
 */
import { collectingConsole, firstLine, replay, type ConsoleLine } from './quiet-console.js';
import {
  ColumnReadError,
  checkUniqueNames,
  checkWanted,
  wantedNames,
  type ColumnTable,
  type ReaderOptions,
  type StoredColumn,
} from './table.js';

export const JSROOT_HINT = 'reading ROOT files needs the optional package jsroot: npm install --ignore-scripts jsroot';

/** The parts of jsroot this reader uses (typed here: the package may be absent at build time). */
interface JsrootKey {
  fName: string;
  fClassName: string;
  fCycle: number;
}
interface JsrootFile {
  fKeys: JsrootKey[];
  readObject(name: string): Promise<JsrootTree | null>;
}
interface JsrootLeaf {
  _typename: string;
  fLen: number;
  fLeafCount?: unknown;
}
interface JsrootBranch {
  fName: string;
  fLeaves: { arr: JsrootLeaf[] };
  fBranches?: { arr: unknown[] };
  fWriteBasket: number;
  fBasketSeek: number[];
}
interface JsrootTree {
  _typename: string;
  fName: string;
  fEntries: number;
  fBranches: { arr: JsrootBranch[] };
}
interface Selector {
  tgtobj: Record<string, number>;
  tgtarr?: Record<string, ArrayLike<number>>;
  addBranch(name: string): number;
  Process(entry: number): void;
  ProcessArrays?(entry: number): void;
  Terminate(ok: boolean): void;
}
interface Jsroot {
  openFile(buffer: ArrayBuffer): Promise<JsrootFile>;
  TSelector: new () => Selector;
  treeProcess(tree: JsrootTree, selector: Selector): Promise<unknown>;
}

/** Leaf classes of scalar numbers, and the typed array their values go into. */
const LEAF_TYPES: Readonly<Record<string, 'float32' | 'float64' | 'int'>> = {
  TLeafF: 'float32',
  TLeafD: 'float64',
  TLeafI: 'int',
  TLeafS: 'int',
  TLeafB: 'int',
  TLeafO: 'int',
  TLeafL: 'int',
};

/** How jsroot's modules are imported: a parameter so a test can stand in for an absent package. */
export type ModuleImporter = (specifier: string) => Promise<Record<string, unknown>>;

const importModule: ModuleImporter = (specifier) => import(specifier);

/** jsroot's io and tree modules (Node's module cache makes later calls cheap). */
async function loadJsroot(file: string, load: ModuleImporter): Promise<Jsroot> {
  try {
    const [io, tree] = await Promise.all([load('jsroot/io'), load('jsroot/tree')]);
    return { openFile: io.openFile, TSelector: tree.TSelector, treeProcess: tree.treeProcess } as Jsroot;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'ERR_PACKAGE_PATH_NOT_EXPORTED')
      throw new ColumnReadError(file, JSROOT_HINT);
    throw new ColumnReadError(file, `jsroot failed to load: ${reason(err)}`);
  }
}

export async function readRoot(
  bytes: Uint8Array,
  file: string,
  opts: ReaderOptions = {},
  load: ModuleImporter = importModule,
): Promise<ColumnTable> {
  checkHeader(bytes, file);
  const jsroot = await loadJsroot(file, load);
  const lines: ConsoleLine[] = [];
  const heard = (): string => {
    const line = firstLine(lines);
    return line ? ` (jsroot: ${line.length > 120 ? line.slice(0, 120) + '…' : line})` : '';
  };
  const table = await collectingConsole(lines, () => readTree(bytes, file, opts, jsroot, heard));
  replay(lines); // a good read: jsroot's console lines are printed after all, as they would have been
  return table;
}

/** The reading proper, jsroot's console output collected; `heard` is its first line, for errors. */
async function readTree(
  bytes: Uint8Array,
  file: string,
  opts: ReaderOptions,
  { openFile, TSelector, treeProcess }: Jsroot,
  heard: () => string,
): Promise<ColumnTable> {
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let rootFile: JsrootFile;
  try {
    rootFile = await openFile(buffer);
  } catch (err) {
    // jsroot's own words ('Empty keys list') are kept; a TypeError from inside its parser says nothing useful.
    const internal = err instanceof TypeError || err instanceof RangeError;
    const said = internal ? heard() : ` (jsroot: ${reason(err).trim()})`;
    throw new ColumnReadError(file, `corrupt ROOT file: its directory of keys is unreadable${said}`);
  }
  const tree = await findTree(rootFile, file, opts.tree, heard);
  const branches = tree.fBranches.arr;
  const names = branches.map((b) => b.fName);
  checkUniqueNames(file, names, `TTree '${tree.fName}'`);
  checkWanted(file, names, opts.want);
  const decode = wantedNames(names, opts.want);
  const rows = Number(tree.fEntries);
  const targets = new Map<string, { kind: 'float32' | 'float64' | 'int'; values: Float32Array | Float64Array }>();
  for (const name of decode) {
    const branch = branches[names.indexOf(name)];
    const kind = scalarKind(branch);
    if (kind === undefined)
      throw new ColumnReadError(file, `branch '${name}' is not a scalar number (${describeBranch(branch)})`);
    refuseLzma(bytes, file, branch);
    targets.set(name, { kind, values: kind === 'float32' ? new Float32Array(rows) : new Float64Array(rows) });
  }

  if (targets.size === 0) return { format: 'root', rows, names, columns: new Map() };
  let filled = 0;
  let terminated: boolean | undefined;
  const selector = new TSelector();
  for (const name of decode) selector.addBranch(name);
  selector.ProcessArrays = function (this: Selector, entry: number): void {
    let n = 0;
    for (const [name, t] of targets) {
      const chunk = this.tgtarr![name];
      t.values.set(chunk, entry);
      n = chunk.length;
    }
    filled += n;
  };
  selector.Process = function (this: Selector, entry: number): void {
    for (const [name, t] of targets) t.values[entry] = Number(this.tgtobj[name]);
    filled++;
  };
  selector.Terminate = (ok: boolean): void => {
    terminated = ok;
  };
  try {
    await treeProcess(tree, selector);
  } catch (err) {
    throw new ColumnReadError(file, `jsroot could not read the tree: ${reason(err)}${heard()}`);
  }
  if (terminated !== true || filled !== rows)
    throw new ColumnReadError(
      file,
      `jsroot could not read or decompress the baskets of the tree (${filled} of ${rows} entries read): ` +
        `the file is truncated or corrupt${heard()}`,
    );
  const columns = new Map<string, StoredColumn>();
  for (const [name, t] of targets) columns.set(name, t.kind === 'int' ? integerColumn(t.values) : asStored(t));
  return { format: 'root', rows, names, columns };
}

/** ROOT's file header (big-endian): 'root', fVersion, fBEGIN, fEND (64-bit from version 1000000 on). */
interface RootHeader {
  version: number;
  end: number;
}

/** Where a ROOT file's first record starts: every ROOT version writes 100. */
const ROOT_BEGIN = 100;

/** The header's fields when the bytes start like a ROOT file (magic, a version, fBEGIN 100), else undefined. */
export function rootHeader(bytes: Uint8Array): RootHeader | undefined {
  if (bytes.length < 20 || String.fromCharCode(...bytes.subarray(0, 4)) !== 'root') return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getInt32(4);
  const begin = view.getInt32(8);
  if (version <= 0 || version >= 2000000 || begin !== ROOT_BEGIN) return undefined;
  const end = version >= 1000000 ? Number(view.getBigInt64(12)) : view.getInt32(12);
  return { version, end };
}

/** A ROOT header with a version and fBEGIN 100, whose fEND (where the last record ends) lies within the bytes. */
function checkHeader(bytes: Uint8Array, file: string): void {
  if (bytes.length < ROOT_BEGIN)
    throw new ColumnReadError(
      file,
      `truncated ROOT file: ${bytes.length} bytes, not even its ${ROOT_BEGIN}-byte header`,
    );
  const header = rootHeader(bytes);
  if (!header) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    throw new ColumnReadError(
      file,
      `corrupt ROOT file header: version ${view.getInt32(4)}, first record at ${view.getInt32(8)} ` +
        `(a ROOT file's is at ${ROOT_BEGIN})`,
    );
  }
  if (header.end > bytes.length)
    throw new ColumnReadError(
      file,
      `truncated ROOT file: its header says it ends at byte ${header.end}, it has ${bytes.length}`,
    );
  if (header.end <= ROOT_BEGIN)
    throw new ColumnReadError(file, `corrupt ROOT file header: it says the file ends at byte ${header.end}`);
}

async function findTree(
  rootFile: JsrootFile,
  file: string,
  name: string | undefined,
  heard: () => string,
): Promise<JsrootTree> {
  const trees = [...new Set(rootFile.fKeys.filter((k) => k.fClassName === 'TTree').map((k) => k.fName))];
  const list = trees.length > 0 ? trees.map((t) => `'${t}'`).join(', ') : 'none';
  let chosen = name;
  if (chosen === undefined) {
    if (trees.length !== 1)
      throw new ColumnReadError(
        file,
        trees.length === 0
          ? 'the ROOT file holds no TTree'
          : `the ROOT file holds several TTrees (${list}); name one (tree: in the config, --tree on the command line)`,
      );
    chosen = trees[0];
  }
  let tree: JsrootTree | null = null;
  try {
    tree = await rootFile.readObject(chosen); // also 'dir/tree' or 'tree;2', which fKeys does not list
  } catch {
    tree = null;
  }
  if (tree && tree._typename === 'TTree' && Array.isArray(tree.fBranches?.arr)) return tree;
  if (trees.includes(chosen))
    throw new ColumnReadError(file, `corrupt ROOT file: its TTree '${chosen}' is unreadable${heard()}`);
  throw new ColumnReadError(file, `no TTree '${chosen}' in the ROOT file; its TTrees: ${list}`);
}

function scalarKind(branch: JsrootBranch): 'float32' | 'float64' | 'int' | undefined {
  const leaves = branch.fLeaves?.arr ?? [];
  if (leaves.length !== 1 || (branch.fBranches?.arr.length ?? 0) > 0) return undefined;
  const leaf = leaves[0];
  if (leaf.fLen !== 1 || leaf.fLeafCount) return undefined;
  return LEAF_TYPES[leaf._typename];
}

function describeBranch(branch: JsrootBranch): string {
  const leaves = branch.fLeaves?.arr ?? [];
  if (leaves.length !== 1) return `${leaves.length} leaves`;
  const leaf = leaves[0];
  return leaf.fLen !== 1 || leaf.fLeafCount ? `an array of ${leaf._typename}` : leaf._typename;
}

/**
 * Each basket's key header (big-endian: fNbytes i32, fVersion i16, fObjlen i32, fDatime u32,
 * fKeylen i16) locates its payload; a compressed payload starts with the algorithm's tag.
 */
function refuseLzma(bytes: Uint8Array, file: string, branch: JsrootBranch): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < branch.fWriteBasket; i++) {
    const seek = Number(branch.fBasketSeek[i]);
    if (!(seek >= 0) || seek + 18 > bytes.length)
      throw new ColumnReadError(file, `truncated ROOT file: basket ${i} of branch '${branch.fName}' lies past its end`);
    const nbytes = view.getInt32(seek);
    const objlen = view.getInt32(seek + 6);
    const keylen = view.getInt16(seek + 14);
    const at = seek + keylen;
    const compressed = nbytes - keylen < objlen;
    if (compressed && bytes[at] === 0x58 && bytes[at + 1] === 0x5a)
      // 'XZ'
      throw new ColumnReadError(
        file,
        `branch '${branch.fName}' is compressed with LZMA, which jsroot does not decode reliably; ` +
          'rewrite the file with zlib, zstd or lz4 (e.g. uproot: compression=uproot.ZLIB(4))',
      );
  }
}

function integerColumn(values: Float32Array | Float64Array): StoredColumn {
  for (const v of values) if (v < -2147483648 || v > 2147483647) return { type: 'float64', values };
  return { type: 'int32', values: Int32Array.from(values) };
}

function asStored(t: { kind: 'float32' | 'float64' | 'int'; values: Float32Array | Float64Array }): StoredColumn {
  return t.kind === 'float32'
    ? { type: 'float32', values: t.values as Float32Array }
    : { type: 'float64', values: t.values as Float64Array };
}

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
