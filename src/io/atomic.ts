/**
 * Atomic file replacement: readers see either the old file or the complete new one, never a
 * half-written file, even if the process dies mid-write.
 *
 * The bytes go to `<path>.tmp-<pid>-<random>` in the same directory (so the rename cannot cross
 * file systems), are fsynced, then renamed over `path`; the directory is fsynced afterwards so the
 * rename itself survives a crash. On any error the temporary file is removed and the old file is
 * left untouched.
 *
 * The file-system calls are a parameter so tests can inject a failure at any step (this process
 * may run as root, where a read-only directory does not stop a write).
 */
import * as nodeFs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';

/** The subset of node:fs the atomic write uses. */
export interface AtomicFs {
  openSync(path: string, flags: string, mode?: number): number;
  writeSync(fd: number, buffer: Uint8Array, offset: number, length: number): number;
  fsyncSync(fd: number): void;
  closeSync(fd: number): void;
  renameSync(from: string, to: string): void;
  unlinkSync(path: string): void;
}

/** Writes `bytes` to `path` atomically (see the file header). */
export function writeFileAtomic(path: string, bytes: Uint8Array, fs: AtomicFs = nodeFs): void {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  let fd: number | undefined;
  let created = false;
  try {
    fd = fs.openSync(tmp, 'wx', 0o644); // 'wx': never clobber a file that happens to exist
    created = true;
    for (let done = 0; done < bytes.byteLength;) {
      done += fs.writeSync(fd, bytes, done, bytes.byteLength - done);
    }
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, path);
    created = false;
  } catch (err) {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        /* already failing; keep the first error */
      }
    }
    if (created) {
      try {
        fs.unlinkSync(tmp);
      } catch {
        /* nothing more to do */
      }
    }
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`could not write '${path}' atomically: ${reason}`, { cause: err });
  }
  syncDirectory(dirname(path));
}

/** Best effort: some platforms/file systems cannot open or fsync a directory. */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = nodeFs.openSync(dir, 'r');
    nodeFs.fsyncSync(fd);
  } catch {
    // the data is written and renamed; only crash durability of the rename is weaker here
  } finally {
    if (fd !== undefined) nodeFs.closeSync(fd);
  }
}
