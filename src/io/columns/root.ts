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
 * - it decodes zlib and LZ4 blocks without checking their checksums, so a flipped bit in a
 *   compressed basket just changes the numbers; every basket of a branch that is read is checked
 *   here first (checkBaskets). Uncompressed baskets (ROOT stores a basket raw when compression
 *   does not shrink it) and ROOT's zstd frames carry no checksum: a flip there goes unseen.
 * The fast ProcessArrays path (a basket's worth of values per call) is used when jsroot can;
 * Process (one entry per call) otherwise.
 */
import * as zlib from 'node:zlib';
import { decompressZstd } from 'hyparquet-compressors';
import { xxhash64 } from 'hyparquet/src/xxhash.js';
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
    checkBaskets(bytes, file, branch);
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
 * fKeylen i16) locates its payload. A compressed payload is a run of blocks, each with ROOT's
 * 9-byte header: a 2-byte algorithm tag, a method byte, then the block's compressed and
 * uncompressed sizes (3 bytes each, little-endian). LZMA ('XZ') baskets are refused up front;
 * the others are checked here (checkBlock), since jsroot decodes them without any check.
 */
function checkBaskets(bytes: Uint8Array, file: string, branch: JsrootBranch): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < branch.fWriteBasket; i++) {
    const seek = Number(branch.fBasketSeek[i]);
    if (!(seek >= 0) || seek + 18 > bytes.length)
      throw new ColumnReadError(file, `truncated ROOT file: basket ${i} of branch '${branch.fName}' lies past its end`);
    const nbytes = view.getInt32(seek);
    const objlen = view.getInt32(seek + 6);
    const keylen = view.getInt16(seek + 14);
    const compressed = nbytes - keylen < objlen;
    if (!compressed) continue;
    const where = `branch '${branch.fName}', basket ${i}`;
    const end = seek + nbytes;
    if (keylen <= 0 || nbytes <= keylen || end > bytes.length)
      throw new ColumnReadError(
        file,
        `corrupt ROOT file: ${where} has a bad key header (${nbytes} bytes, key ${keylen})`,
      );
    let at = seek + keylen;
    let out = 0;
    while (out < objlen) {
      if (at + BLOCK_HEADER > end)
        throw new ColumnReadError(file, `corrupt ROOT file: ${where} ends inside a compressed block's header`);
      const size = bytes[at + 3] | (bytes[at + 4] << 8) | (bytes[at + 5] << 16);
      const unpacked = bytes[at + 6] | (bytes[at + 7] << 8) | (bytes[at + 8] << 16);
      if (at + BLOCK_HEADER + size > end || unpacked === 0)
        throw new ColumnReadError(file, `corrupt ROOT file: ${where} has a compressed block that overruns the basket`);
      const tag = String.fromCharCode(bytes[at], bytes[at + 1]);
      if (tag === 'XZ')
        throw new ColumnReadError(
          file,
          `branch '${branch.fName}' is compressed with LZMA, which jsroot does not decode reliably; ` +
            'rewrite the file with zlib, zstd or lz4 (e.g. uproot: compression=uproot.ZLIB(4))',
        );
      checkBlock(tag, bytes.subarray(at + BLOCK_HEADER, at + BLOCK_HEADER + size), unpacked, file, where);
      at += BLOCK_HEADER + size;
      out += unpacked;
    }
  }
}

/** ROOT's compressed-block header: tag (2), method (1), compressed size (3), uncompressed size (3). */
const BLOCK_HEADER = 9;

/**
 * One compressed block's own checksum, which jsroot 7.11 never looks at (a flipped bit in a
 * basket otherwise just changes the numbers; QA measured it):
 * - 'ZL' is a zlib stream that ends with the Adler-32 of its uncompressed data; Node's inflate
 *   checks it (and that the stream is whole) — the block is inflated once more for that.
 * - 'L4' starts with the XXH64 (seed 0, big-endian) of the LZ4 data after it, as ROOT writes it.
 * - 'ZS' is a zstd frame; it carries a checksum (low 32 bits of the XXH64 of the content,
 *   little-endian, after the last block) only when its header's Content_Checksum_flag is set.
 *   ROOT does not set it, so a flipped bit in a zstd basket is caught only when it breaks the
 *   decoding; when a frame does carry one, it is checked.
 * XXH64 is hyparquet's (it ships it for Parquet bloom filters), zstd decoding hyparquet-compressors'.
 * Old-style 'CS' blocks carry no checksum. Exported for a test: no fixture has a zstd frame with a checksum.
 */
export function checkBlock(tag: string, block: Uint8Array, unpacked: number, file: string, where: string): void {
  const corrupt = (what: string): ColumnReadError => new ColumnReadError(file, `corrupt ROOT file: ${where}: ${what}`);
  if (tag === 'ZL') {
    let data: Uint8Array;
    try {
      data = zlib.inflateSync(block);
    } catch (err) {
      const code = (err as { code?: string }).code;
      throw corrupt(
        code === 'Z_DATA_ERROR' && /data check/.test(reason(err))
          ? 'its zlib block fails its Adler-32 check'
          : `its zlib block does not decompress (${reason(err)})`,
      );
    }
    if (data.length !== unpacked)
      throw corrupt(`its zlib block decompresses to ${data.length} bytes, its header says ${unpacked}`);
  } else if (tag === 'L4') {
    if (block.length < 8) throw corrupt('its LZ4 block is shorter than its checksum');
    const stored = new DataView(block.buffer, block.byteOffset, 8).getBigUint64(0);
    const got = xxhash64(block.subarray(8));
    if (got !== stored)
      throw corrupt(`its LZ4 block fails its XXH64 check (stored ${hex64(stored)}, computed ${hex64(got)})`);
  } else if (tag === 'ZS') {
    if (!zstdChecksumFlag(block)) return;
    let data: Uint8Array;
    try {
      data = decompressZstd(block);
    } catch (err) {
      throw corrupt(`its zstd frame does not decompress (${reason(err)})`);
    }
    const stored = new DataView(block.buffer, block.byteOffset + block.length - 4, 4).getUint32(0, true);
    const got = Number(xxhash64(data) & 0xffffffffn);
    if (got !== stored) throw corrupt('its zstd frame fails its content checksum');
  }
}

/** Whether a zstd frame (magic 28 B5 2F FD, then the frame header descriptor) carries a content checksum. */
function zstdChecksumFlag(block: Uint8Array): boolean {
  if (block.length < 9) return false;
  const magic = block[0] === 0x28 && block[1] === 0xb5 && block[2] === 0x2f && block[3] === 0xfd;
  return magic && (block[4] & 0x04) !== 0;
}

function hex64(v: bigint): string {
  return '0x' + v.toString(16).padStart(16, '0');
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
