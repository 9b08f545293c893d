/**
 * This host's split thresholds: calibrated once (./calibrate.ts) and kept in a small JSON file in
 * the user's cache directory, keyed by CPU model, thread count and wasm build, so later starts
 * read them instead of measuring again.
 *
 * File: `$FNF_CACHE_DIR`, else `$XDG_CACHE_HOME/fnflow`, else `~/.cache/fnflow`, then
 * `split-thresholds.json`: `{ version, hosts: { "<key>": { thresholds, breakEven, date } } }`.
 * Written atomically (readers see the old file or the new one). A file that cannot be read or
 * parsed, or an entry that does not hold four thresholds ≥ 1, is ignored (and replaced after the
 * next calibration); a file that cannot be written costs the next start another calibration,
 * nothing more. A calibration too noisy to keep (a busy machine) is counted in the entry; after
 * MAX_UNSETTLED of them in a row the host keeps the built-in values. FNF_NO_CALIBRATE=1 skips
 * all of it: the built-in thresholds (split.ts).
 * To calibrate again, delete the file (or its host's entry).
 */
import * as fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../../../io/atomic.js';
import type { WasmKernels } from '../wasm-kernels.js';
import { calibrateThresholds, type Calibration, type ThresholdKind } from './calibrate.js';
import { DEFAULT_THRESHOLDS, THRESHOLD_KINDS, type SplitThresholds } from './split.js';

/** Bump when the measurement changes meaning: entries of other versions are measured again. */
export const CACHE_VERSION = 1;
export const CACHE_FILE = 'split-thresholds.json';

export interface CachedHost {
  thresholds: SplitThresholds;
  /** The measured isolated break-evens per chunk (for people reading the file). */
  breakEven: Record<ThresholdKind, number>;
  /** ISO date of the calibration. */
  date: string;
  /**
   * Calibrations in a row whose passes disagreed (the thresholds are then the built-in ones);
   * absent once one settled. From MAX_UNSETTLED on the entry is used as it is.
   */
  unsettled?: number;
}

/** Unsettled calibrations after which a host keeps the built-in thresholds without measuring again. */
export const MAX_UNSETTLED = 3;

interface CacheFile {
  version: number;
  hosts: Record<string, CachedHost>;
}

/** Where the thresholds came from. */
export type ThresholdSource =
  'built-in' | 'cache' | 'calibrated' | 'built-in (calibration unsettled)' | 'built-in (calibration failed)';

export interface HostThresholds {
  thresholds: SplitThresholds;
  source: ThresholdSource;
  /** The cache file consulted (null when calibration is off). */
  file: string | null;
  /** Calibration time when one ran, ms. */
  ms?: number;
  /** Why the calibration failed (source 'built-in (calibration failed)'). */
  error?: string;
}

/** The cache directory (see the file header), from `env`. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FNF_CACHE_DIR) return env.FNF_CACHE_DIR;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'fnflow');
  return join(os.homedir(), '.cache', 'fnflow');
}

/** Whether FNF_NO_CALIBRATE asks for the built-in thresholds ('1', 'true', 'yes'). */
export function calibrationOff(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = (env.FNF_NO_CALIBRATE ?? '').trim().toLowerCase();
  return v === '1' || v === 'true' || v === 'yes';
}

/** The host key: CPU model as the OS reports it, thread count, wasm build. */
export function hostKey(threads: number, build: string): string {
  const cpu = os.cpus()[0]?.model?.trim() || `unknown ${os.arch()} CPU`;
  return `${cpu} | ${threads} threads | ${build}`;
}

/** The entry's thresholds when it is a usable one, else null. */
function validEntry(e: unknown): SplitThresholds | null {
  const t = (e as { thresholds?: Record<string, unknown> } | null)?.thresholds;
  if (!t || typeof t !== 'object') return null;
  const out = {} as SplitThresholds;
  for (const kind of THRESHOLD_KINDS) {
    const v = t[kind];
    if (typeof v !== 'number' || !Number.isFinite(v) || !(v >= 1)) return null;
    out[kind] = v;
  }
  return out;
}

/** The cache file's content, or an empty one when it is missing, unreadable or not ours. */
export function readCache(path: string): CacheFile {
  try {
    const parsed = JSON.parse(fs.readFileSync(path, 'utf8')) as Partial<CacheFile> | null;
    if (parsed && parsed.version === CACHE_VERSION && parsed.hosts && typeof parsed.hosts === 'object') {
      return { version: CACHE_VERSION, hosts: parsed.hosts };
    }
  } catch {
    /* missing or unreadable: as if empty */
  }
  return { version: CACHE_VERSION, hosts: {} };
}

/**
 * The thresholds `k` should use on this host: FNF_NO_CALIBRATE → built-in; a valid cached
 * entry for this host; else calibrate now (~0.1–0.3 s), store it when the two passes agreed,
 * and use it. Sets them on `k`. A single thread never splits: built-in, nothing measured.
 */
export function hostThresholds(
  k: WasmKernels,
  env: NodeJS.ProcessEnv = process.env,
  measure: (k: WasmKernels) => Calibration = calibrateThresholds,
): HostThresholds {
  if (k.threads < 2 || calibrationOff(env)) {
    k.setThresholds(DEFAULT_THRESHOLDS);
    return { thresholds: { ...DEFAULT_THRESHOLDS }, source: 'built-in', file: null };
  }
  const dir = cacheDir(env);
  const file = join(dir, CACHE_FILE);
  const key = hostKey(k.threads, k.build);
  const cache = readCache(file);
  const entry = cache.hosts[key] as Partial<CachedHost> | undefined;
  const unsettled = typeof entry?.unsettled === 'number' && entry.unsettled > 0 ? entry.unsettled : 0;
  const cached = unsettled === 0 || unsettled >= MAX_UNSETTLED ? validEntry(entry) : null;
  if (cached) {
    k.setThresholds(cached);
    return { thresholds: cached, source: unsettled ? 'built-in (calibration unsettled)' : 'cache', file };
  }
  let cal: Calibration;
  try {
    cal = measure(k);
  } catch (e) {
    // Never worth failing a device for: the built-in values always work.
    k.setThresholds(DEFAULT_THRESHOLDS);
    const why = e instanceof Error ? e.message : String(e);
    return { thresholds: { ...DEFAULT_THRESHOLDS }, source: 'built-in (calibration failed)', file, error: why };
  }
  k.setThresholds(cal.thresholds);
  // An unsettled calibration is counted, not kept: after MAX_UNSETTLED of them the host keeps the
  // built-in values (a machine that is always busy should not pay a calibration at every start).
  const date = new Date().toISOString();
  store(dir, file, key, {
    thresholds: cal.thresholds,
    breakEven: cal.breakEven,
    date,
    ...(cal.agreed ? {} : { unsettled: unsettled + 1 }),
  });
  if (!cal.agreed) return { thresholds: cal.thresholds, source: 'built-in (calibration unsettled)', file, ms: cal.ms };
  return { thresholds: cal.thresholds, source: 'calibrated', file, ms: cal.ms };
}

/** Write `entry` for `key` into the cache file, atomically; a file that cannot be written is let be. */
function store(dir: string, file: string, key: string, entry: CachedHost): void {
  try {
    // Read again: another process may have added its host meanwhile.
    const latest = readCache(file);
    latest.hosts[key] = entry;
    fs.mkdirSync(dir, { recursive: true });
    writeFileAtomic(file, new TextEncoder().encode(`${JSON.stringify(latest, null, 2)}\n`));
  } catch {
    /* not writable: the next start calibrates again */
  }
}

/** One line on where the thresholds came from (the CLI's --verbose). */
export function describeThresholds(h: HostThresholds | null): string {
  if (!h || h.source === 'built-in') return 'split thresholds: built-in';
  const t = THRESHOLD_KINDS.map((kind) => `${kind} ${h.thresholds[kind]}`).join(', ');
  if (h.source === 'cache') return `split thresholds: ${t} (calibrated earlier for this host; ${h.file})`;
  const took = h.ms !== undefined ? ` in ${(h.ms / 1000).toFixed(2)} s` : '';
  if (h.source === 'calibrated') return `split thresholds: ${t} (calibrated${took}; stored in ${h.file})`;
  if (h.source === 'built-in (calibration failed)')
    return `split thresholds: built-in (calibration failed: ${h.error})`;
  return `split thresholds: built-in (calibration${took} too noisy to keep: the machine is busy)`;
}
