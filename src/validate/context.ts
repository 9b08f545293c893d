/** Everything the figure builders read: models, generators, closure evaluations, windows, budgets. */
import type { SystematicTemplate } from '../config/load.js';
import type { GeneratorConfig } from '../toy/index.js';
import type { ClosureEvaluation, ClosureModelName, ClosureModels } from './closure.js';
import type { Streams } from './sampling.js';
import type { Budgets, Detail, FigureSink } from './style.js';

export interface ValidationContext {
  n: number;
  budgets: Budgets;
  detail: Detail;
  streams: Streams;
  sink: FigureSink;
  nominal: GeneratorConfig;
  models: ClosureModels;
  kinTemplates: readonly SystematicTemplate[];
  scoreTemplates: readonly SystematicTemplate[];
  /** ν → truth generator (from the templates' scales); null without a systematics config. */
  kinGenAt: ((nu: readonly number[]) => GeneratorConfig) | null;
  scoreGenAt: ((nu: readonly number[]) => GeneratorConfig) | null;
  evaluations: ClosureEvaluation[];
  /** Shared windows: x (both axes) for every kin figure, y for every marginal score figure. */
  kinWindow: { x: [number, number]; y: [number, number] };
  scoreWindow: { x: [number, number]; y: [number, number] };
}

/** The closure evaluation of a model at a template (or ν = 0 for the base models). */
export function evaluationOf(ctx: ValidationContext, model: ClosureModelName, template?: string): ClosureEvaluation {
  const ev = ctx.evaluations.find(
    (e) => e.row.model === model && (template === undefined || e.row.template === template),
  );
  if (!ev) throw new Error(`validate: no closure evaluation for ${model}${template ? ` at ${template}` : ''}`);
  return ev;
}
