/**
 * Checkpoint architectures against configs: spelling-blind key comparison and the one-line
 * shape both sides print. No file system (the browser entry loads models with these checks).
 */
import { ConfigError } from './error.js';

/** Keys compared without regard to spelling: `hiddenFeatures` ≡ `hidden_features`. */
function canonicalKey(key: string): string {
  return key.replace(/_/g, '').toLowerCase();
}

export function formatArchitecture(a: object): string {
  return `{ ${Object.entries(a)
    .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
    .join(', ')} }`;
}

/**
 * Throws a ConfigError when `found` (read from a checkpoint) disagrees with `expected` (from a
 * config) on any key both have; keys match in camelCase or snake_case, values by JSON. `where`
 * names both sides, e.g. "models/kin_density.safetensors vs configs/base_flows.yaml: kin_flow";
 * the message lists the differing keys and prints both shapes whole.
 */
export function checkArchitecture(expected: object, found: object, where: string): void {
  const got = new Map(Object.entries(found).map(([k, v]) => [canonicalKey(k), v] as const));
  const diffs: string[] = [];
  let compared = 0;
  for (const [key, want] of Object.entries(expected)) {
    const canon = canonicalKey(key);
    if (!got.has(canon)) continue;
    compared++;
    const have = got.get(canon);
    if (JSON.stringify(have) !== JSON.stringify(want)) {
      diffs.push(`${key}: config ${JSON.stringify(want)}, checkpoint ${JSON.stringify(have)}`);
    }
  }
  if (compared === 0) {
    throw new Error(`checkArchitecture(${where}): the two architectures share no key — a caller bug`);
  }
  if (diffs.length > 0) {
    throw new ConfigError(
      where,
      '',
      `the checkpoint does not match the config (${diffs.join('; ')})\n` +
        `  config:     ${formatArchitecture(expected)}\n  checkpoint: ${formatArchitecture(found)}`,
    );
  }
}
