/** The LR schedule and AdamW against torch's values in ../shared/golden/optim.json. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { warmupCosineFactor } from '../src/train/schedule.js';
import { AdamW } from '../src/train/adamw.js';
import { ParamSet } from '../src/autodiff/param.js';
import { allDevices } from './helpers/devices.js';
import { SHARED } from './helpers/shared.js';

const golden = JSON.parse(readFileSync(`${SHARED}/golden/optim.json`, 'utf8'));
const devices = await allDevices();

for (const name of ['base_flows', 'systematics', 'tiny']) {
  test(`lr schedule '${name}' matches torch to 1e-12 relative`, () => {
    const s = golden.lr_schedule[name];
    for (const v of s.values) {
      const lr = s.base_lr * warmupCosineFactor(v.step, s.warmup_steps, s.total_steps);
      assert.ok(
        Math.abs(lr - v.lr) <= 1e-12 * Math.max(Math.abs(v.lr), 1e-300) || lr === v.lr,
        `step ${v.step}: ${lr} vs ${v.lr}`,
      );
    }
  });
}

const close = (a: ArrayLike<number>, b: number[], what: string) => {
  for (let i = 0; i < b.length; i++) {
    const tol = 1e-6 * Math.max(Math.abs(b[i]), 1e-30) + 1e-12;
    assert.ok(Math.abs(a[i] - b[i]) <= tol, `${what}[${i}]: ${a[i]} vs ${b[i]}`);
  }
};

for (const dev of devices) {
  for (const run of ['single_step', 'quadratic']) {
    test(`${dev.backend}: AdamW '${run}' matches torch f32 (relative 1e-6)`, () => {
      const g = golden.adamw[run];
      const steps = g.f32 as {
        k: number;
        lr: number;
        grad: number[];
        param_after: number[];
        exp_avg: number[];
        exp_avg_sq: number[];
      }[];
      const p0: number[] = g.param0 ?? golden.adamw.quadratic.param0;
      const ps = new ParamSet(dev, [{ name: 'p', shape: [p0.length] }]);
      ps.get('p').value.data.set(p0);
      const opt = new AdamW(ps);
      for (const s of steps) {
        ps.get('p').grad.data.set(s.grad);
        opt.step(s.lr);
        close(ps.get('p').value.data, s.param_after, `step ${s.k} param`);
        close(opt.m.data, s.exp_avg, `step ${s.k} exp_avg`);
        close(opt.v.data, s.exp_avg_sq, `step ${s.k} exp_avg_sq`);
      }
    });
  }
}

test.run();
