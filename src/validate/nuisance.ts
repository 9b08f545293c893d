/**
 * Which nuisance points the validation looks at, and the truth generator at an arbitrary ν.
 *
 * The closure report checks each residual model at every systematic template of the config
 * (where it was trained) and between/beyond them: ±0.5 on each nuisance alone, and the corners
 * (1, 1) and (−1, 1) where both nuisances act at once (a point no template covers).
 */
import type { SystematicTemplate } from '../config/load.js';
import { withNuisance, type GeneratorConfig } from '../toy/index.js';

export interface NuPoint {
  nu: number[];
  /** The template's name when this point is a template of the config. */
  template?: string;
  /** The template's own generator (as configured), when this point is a template. */
  generator?: GeneratorConfig;
}

const sameNu = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((v, i) => Math.abs(v - b[i]) < 1e-12);

/**
 * The closure points: every template (config order), then ±0.5·e_k for each nuisance k, then
 * (1, 1, 0, …) and (−1, 1, 0, …) when there are ≥ 2 nuisances. A point equal to an earlier one
 * is dropped (so a template at ν = (0.5, 0) keeps its name).
 */
export function closureNuPoints(templates: readonly SystematicTemplate[], numNuisances: number): NuPoint[] {
  const out: NuPoint[] = [];
  const push = (p: NuPoint) => {
    if (p.nu.length !== numNuisances) {
      throw new Error(
        `validate/nuisance: ${p.template ?? 'point'} has ν of length ${p.nu.length}` +
          `, the model has ${numNuisances} nuisances`,
      );
    }
    if (!out.some((q) => sameNu(q.nu, p.nu))) out.push(p);
  };
  for (const t of templates) push({ nu: [...t.m], template: t.name, generator: t.generator });
  const unit = (k: number, v: number) => Array.from({ length: numNuisances }, (_, j) => (j === k ? v : 0));
  for (let k = 0; k < numNuisances; k++) {
    push({ nu: unit(k, 0.5) });
    push({ nu: unit(k, -0.5) });
  }
  if (numNuisances >= 2) {
    push({ nu: [1, 1, ...new Array(numNuisances - 2).fill(0)] });
    push({ nu: [-1, 1, ...new Array(numNuisances - 2).fill(0)] });
  }
  return out;
}

/** Generator keys that set how strongly ν acts; they must agree between templates. */
const SCALE_KEYS = [
  'shift_scale',
  'squeeze_scale',
  'rot_scale',
  'y_shift_scale',
  'y_squeeze_scale',
  'shift_dir',
  'center_A',
  'center_B',
  'sigma_A',
  'sigma_B',
  'distortion_strength',
  'sigmoid_y',
] as const;

/**
 * A function ν → the truth generator at ν. The nominal generator section of a config leaves
 * the nuisance scales at the class defaults (y_shift_scale 0, …), so the scales come from the
 * templates, which all carry them; they must agree between templates (else "the truth at ν"
 * is not defined) and each template's variations must equal its m (else the template is not
 * the generator at its m). Only the toy's two nuisances (shift, squeeze) exist.
 */
export function nuisanceGenerator(
  templates: readonly SystematicTemplate[],
  what: string,
): (nu: readonly number[]) => GeneratorConfig {
  if (templates.length === 0)
    throw new Error(`validate/nuisance: ${what} has no templates, so the truth at ν ≠ 0 is unknown`);
  const ref = templates[0];
  for (const t of templates) {
    for (const k of SCALE_KEYS) {
      if (JSON.stringify(t.generator[k]) !== JSON.stringify(ref.generator[k])) {
        throw new Error(
          `validate/nuisance: ${what} templates ${ref.name} and ${t.name} differ in generator key ${k} ` +
            `(${JSON.stringify(ref.generator[k])} vs ${JSON.stringify(t.generator[k])})` +
            `; the truth at other ν is ambiguous`,
        );
      }
    }
    if (
      t.m.length !== 2 ||
      Math.abs(t.generator.variation_shift - t.m[0]) > 1e-9 ||
      Math.abs(t.generator.variation_squeeze - t.m[1]) > 1e-9
    ) {
      throw new Error(
        `validate/nuisance: ${what} template ${t.name} has m = [${t.m.join(', ')}] but its generator has ` +
          `variation_shift ${t.generator.variation_shift}, variation_squeeze ${t.generator.variation_squeeze}`,
      );
    }
  }
  return (nu) => withNuisance(ref.generator, [nu[0], nu[1]]);
}

/** "(0.5, −1)": a ν vector as the figures and tables print it. */
export function formatNu(nu: readonly number[]): string {
  return `(${nu.map((v) => (Object.is(v, -0) ? 0 : v).toString().replace('-', '−')).join(', ')})`;
}

/** Values of a 1-D scan in ν_k: −1.5 … 1.5 in steps of 0.25 (13 points, as the reference). */
export function scanValues(lo = -1.5, hi = 1.5, step = 0.25): number[] {
  const n = Math.round((hi - lo) / step) + 1;
  return Array.from({ length: n }, (_, i) => Math.round((lo + i * step) * 1e9) / 1e9);
}
