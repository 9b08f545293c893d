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
