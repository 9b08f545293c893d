/** The toy generator's analytic densities and parameters against generator_truth.json (1e-10). */
import { generatorSection } from '../config/schema.js';
import { defaultGeneratorConfig, logProbXBatch, logProbYBatch, withNuisance, xParams, yParams } from '../toy/index.js';
import { TOL, compare, type CompareRow } from './compare.js';

interface TruthGolden {
  constants: Record<string, unknown>;
  inputs: { x: number[][]; y: number[][]; c: number[] };
  settings: {
    nu_shift: number;
    nu_squeeze: number;
    log_p_x: number[];
    log_p_y: number[];
    x_mean: number[][];
    x_sd: number[][];
    y_mu: number[][];
    y_sigma0: number[];
    y_sigma1: number[];
    y_rho: number[];
  }[];
}

export function checkTruthGolden(g: TruthGolden): CompareRow[] {
  const k = g.constants as Record<string, unknown>;
  const base = generatorSection(defaultGeneratorConfig())(
    {
      center_A: k.center_A,
      center_B: k.center_B,
      sigma_A: k.sigma_A,
      sigma_B: k.sigma_B,
      shift_scale: k.shift_scale,
      squeeze_scale: k.squeeze_scale,
      y_shift_scale: k.y_shift_scale,
      y_squeeze_scale: k.y_squeeze_scale,
      shift_dir: k.shift_dir,
      sigmoid_y: k.sigmoid_y,
    },
    { file: 'generator_truth.json', path: 'constants', baseDir: '' },
  );
  const x = new Float64Array(g.inputs.x.flat()),
    y = new Float64Array(g.inputs.y.flat());
  const c = g.inputs.c;
  const acc: Record<string, { ours: number[]; gold: number[] }> = {};
  const push = (q: string, ours: number[], gold: number[]) => {
    acc[q] ??= { ours: [], gold: [] };
    acc[q].ours.push(...ours);
    acc[q].gold.push(...gold);
  };
  for (const s of g.settings) {
    const cfg = withNuisance(base, [s.nu_shift, s.nu_squeeze]);
    push('log p(x | c, ν)', Array.from(logProbXBatch(x, c, cfg)), s.log_p_x);
    push('log p(y | x, c, ν)', Array.from(logProbYBatch(y, x, c, cfg)), s.log_p_y);
    c.forEach((ci, i) => {
      const xp = xParams(ci, cfg);
      const yp = yParams([x[2 * i], x[2 * i + 1]], ci, cfg);
      push('x mean, sd', [...xp.mean, ...xp.sd], [...s.x_mean[i], ...s.x_sd[i]]);
      push(
        'y mu, sigma, rho',
        [yp.mu[0], yp.mu[1], yp.sigma0, yp.sigma1, yp.rho],
        [...s.y_mu[i], s.y_sigma0[i], s.y_sigma1[i], s.y_rho[i]],
      );
    });
  }
  return Object.entries(acc).map(([q, v]) => compare(q, v.ours, v.gold, TOL.truth));
}
