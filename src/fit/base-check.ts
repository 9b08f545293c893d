/**
 * The fit's base model is the base flow frozen inside each residual model (so no flow is loaded
 * twice), while `-c` names the base flows too. They must be the same weights: checkBaseFlowsMatch
 * compares the configs' architectures only, so without this check a `-c` whose kin_model was a
 * missing file, not a checkpoint at all, or another flow (the score model) went unread and
 * `fnf fit --model base` reported a fit "with" it — where `fnf validate` evaluates -c's flows and
 * refuses such a config. Compared tensor by tensor, bit for bit.
 */
import type { BaseFlowsConfig } from '../config/load.js';
import type { Sector } from '../toy/sector.js';
import { ConfigError } from '../config/error.js';
import { readCheckpoint, type Checkpoint } from '../io/checkpoint.js';
import { toFloat32, type StateDict, type StoredTensor, type TensorData } from '../io/state-dict.js';

/** The prefix of a residual checkpoint's frozen base flow (src/models/from-checkpoint.ts). */
const FROZEN_BASE = 'base_model.';

/**
 * Throws a ConfigError naming -c's `paths.<sector>_model` unless that file is a checkpoint holding
 * exactly the base flow frozen in the sector's residual checkpoint (only the sectors the fit uses).
 */
export function checkFrozenBases(
  base: BaseFlowsConfig,
  residuals: readonly { sector: Sector; checkpoint: Checkpoint }[],
): void {
  for (const { sector, checkpoint } of residuals) {
    const key = `paths.${sector}_model`;
    const path = base[sector].paths.model;
    let flow: Checkpoint;
    try {
      flow = readCheckpoint(path);
    } catch (e) {
      throw new ConfigError(base.source, key, `${(e as Error).message}`);
    }
    const diff = frozenBaseDifference(flow.dict, checkpoint.dict);
    if (diff) {
      throw new ConfigError(
        base.source,
        key,
        `expected the base flow frozen in ${checkpoint.path} (the fit's base model), found other weights in ` +
          `${path}: ${diff}; point -c at the base flows the residual models were trained on`,
      );
    }
  }
}

/** How a flow's state differs from the frozen base in a residual state, or null when they are the same. */
export function frozenBaseDifference(flow: StateDict, residual: StateDict): string | null {
  const frozen = new Map<string, StoredTensor>();
  for (const [k, t] of residual) if (k.startsWith(FROZEN_BASE)) frozen.set(k.slice(FROZEN_BASE.length), t);
  if (frozen.size === 0) return 'the residual checkpoint holds no frozen base flow';
  for (const [k, t] of flow) {
    const f = frozen.get(k);
    if (!f) return `its tensor '${k}' is not in the frozen base`;
    const d = tensorDifference(t, f);
    if (d) return `tensor '${k}' ${d}`;
  }
  for (const k of frozen.keys()) if (!flow.has(k)) return `it lacks the frozen base's tensor '${k}'`;
  return null;
}

function tensorDifference(a: StoredTensor, b: StoredTensor): string | null {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    return `has shape [${a.shape}], the frozen base's [${b.shape}]`;
  }
  // Stored at other widths (a .pt and its conversion): the same when the float32 values the model loads are.
  const same = a.dtype === b.dtype ? sameBytes(a.data, b.data) : sameBytes(toFloat32(a), toFloat32(b));
  return same ? null : 'has other values';
}

function sameBytes(a: TensorData, b: TensorData): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}
