/**
 * What the build step (web/build.ts) computes from the configs in Node and ships as setup.json,
 * so the page needs no YAML parser: the model files, the systematic templates that define the
 * truth at any ν, the plotting windows of the validation figures, fixed probe points and the
 * KL sample's size and seed.
 */
import type { GeneratorConfig } from '../../../src/toy/index.js';

export type ResidualKind = 'additive' | 'cross';
export type Window2 = { x: [number, number]; y: [number, number] };

export interface TemplateSetup {
  name: string;
  m: number[];
  generator: GeneratorConfig;
}

export interface WebSetup {
  /**
   * File names under models/ (relative to the page). Each residual file holds its frozen base
   * flow too (base_model.*), so "base only" needs no file of its own.
   */
  models: {
    kin: Record<ResidualKind, string>;
    score: Record<ResidualKind, string>;
  };
  kinTemplates: TemplateSetup[];
  scoreTemplates: TemplateSetup[];
  kinWindow: Window2;
  scoreWindow: Window2;
  /** Points [k, 2] where the page reports log p(x | c, ν) of both classes (the browser test reads them). */
  probePoints: number[];
  /** Events per class-mixed KL sample, and its seed (the same random numbers at every ν). */
  kl: { n: number; seed: number };
  /** Grid sizes: the kinematic panels, the score panel, the displacement arrows. */
  grid: { kin: number; score: number; arrows: number };
}

/** Where a value must be a number, a string, an array or a pair of numbers. */
const SETUP_SHAPE: [path: string, kind: 'string' | 'number' | 'array' | 'pair'][] = [
  ['models.kin.additive', 'string'],
  ['models.kin.cross', 'string'],
  ['models.score.additive', 'string'],
  ['models.score.cross', 'string'],
  ['kinTemplates', 'array'],
  ['scoreTemplates', 'array'],
  ['kinWindow.x', 'pair'],
  ['kinWindow.y', 'pair'],
  ['scoreWindow.x', 'pair'],
  ['scoreWindow.y', 'pair'],
  ['probePoints', 'array'],
  ['kl.n', 'number'],
  ['kl.seed', 'number'],
  ['grid.kin', 'number'],
  ['grid.score', 'number'],
  ['grid.arrows', 'number'],
];

/**
 * The parsed setup.json, checked for the keys the page reads: a file from another build or
 * another program would otherwise fail later as "cannot read properties of undefined", naming
 * neither the file nor the key. `at` names the file in the message.
 */
export function checkSetup(value: unknown, at: string): WebSetup {
  for (const [path, kind] of SETUP_SHAPE) {
    let v: unknown = value;
    for (const key of path.split('.'))
      v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
    const ok =
      kind === 'array'
        ? Array.isArray(v)
        : kind === 'pair'
          ? Array.isArray(v) && v.length === 2 && v.every((e) => Number.isFinite(e))
          : kind === 'number'
            ? Number.isFinite(v)
            : typeof v === 'string' && v !== '';
    if (!ok) {
      const want = kind === 'pair' ? 'two numbers' : kind === 'array' ? 'an array' : `a ${kind}`;
      throw new Error(`${at}: not the page's setup: '${path}' should be ${want} (rebuild the page: npm run web)`);
    }
  }
  return value as WebSetup;
}
