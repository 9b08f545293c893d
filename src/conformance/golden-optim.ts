/** The warm-up + cosine schedule and AdamW steps against torch's values (optim.json). */
import type { Device } from '../backend/device.js';
import { ParamSet } from '../autodiff/param.js';
import { AdamW } from '../train/adamw.js';
import { warmupCosineFactor } from '../train/schedule.js';
import { compare, type CompareRow } from './compare.js';

interface OptimStep {
  lr: number;
  grad: number[];
  param_after: number[];
  exp_avg: number[];
  exp_avg_sq: number[];
}
interface OptimGolden {
  lr_schedule: Record<
    string,
    { base_lr: number; warmup_steps: number; total_steps: number; values: { step: number; lr: number }[] }
  >;
  adamw: Record<string, { param0?: number[]; f32?: OptimStep[] }>;
}

const REL_SCHEDULE = { abs: 0, rel: 1e-12, label: 'relative 1e-12' };
const REL_ADAMW = { abs: 1e-12, rel: 1e-6, label: 'relative 1e-6' };

export function checkOptimGolden(dev: Device, g: OptimGolden): CompareRow[] {
  const rows: CompareRow[] = [];
  for (const [name, s] of Object.entries(g.lr_schedule)) {
    if (typeof s !== 'object' || !Array.isArray(s.values)) continue;
    const ours = s.values.map((v) => s.base_lr * warmupCosineFactor(v.step, s.warmup_steps, s.total_steps));
    rows.push(
      compare(
        `lr schedule ${name}`,
        ours,
        s.values.map((v) => v.lr),
        REL_SCHEDULE,
      ),
    );
  }
  for (const [name, run] of Object.entries(g.adamw)) {
    if (!run || !Array.isArray(run.f32) || !run.param0) continue;
    const ps = new ParamSet(dev, [{ name: 'p', shape: [run.param0.length] }]);
    const p = ps.get('p');
    p.value.data.set(run.param0);
    const opt = new AdamW(ps);
    const ours: number[] = [],
      gold: number[] = [];
    for (const st of run.f32) {
      p.grad.data.set(st.grad);
      opt.step(st.lr);
      const n = p.value.size; // the flat buffers are padded to 16 floats
      ours.push(...p.value.data, ...opt.m.data.subarray(0, n), ...opt.v.data.subarray(0, n));
      gold.push(...st.param_after, ...st.exp_avg, ...st.exp_avg_sq);
    }
    rows.push(compare(`AdamW ${name} (param, exp_avg, exp_avg_sq)`, ours, gold, REL_ADAMW));
    opt.free();
    ps.free();
  }
  return rows;
}
