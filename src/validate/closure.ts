/**
 * The closure report: how far each model is from the exact truth, as KL(truth‖model) estimated
 * at fresh truth samples, with its standard error; for the residual models also the KL of the
 * frozen base alone evaluated on the shifted data ("no residual"), which shows what the
 * residual gains.
 *
 * Rows: kin_base and score_base at ν = 0 (nominal generator of the base config); kin_residual
 * and score_residual at every template of the systematics config and at the extra points of
 * closureNuPoints. Kin: p(x | c) with context one-hot(c). Score: p(y | x, c) with context
 * [one-hot(c), x] — its KL is that of the conditional, averaged over the generator's (c, x).
 */
import type { NSF } from '../flows/nsf.js';
import type { SystematicCorrectedModel } from '../systematics/corrected-model.js';
import type { SystematicTemplate } from '../config/load.js';
import { logProbXBatch, logProbYBatch, type GeneratorConfig } from '../toy/index.js';
import { repeatRow } from '../analysis/grid.js';
import { closureNuPoints, formatNu, nuisanceGenerator, type NuPoint } from './nuisance.js';
import { drawTruth, type Streams, type TruthBatch } from './sampling.js';
import { klEstimate } from '../analysis/kl.js';

export type ClosureModelName = 'kin_base' | 'score_base' | 'kin_residual' | 'score_residual';

/** One row of closure.json (field names as documented for the file). */
export interface ClosureRow {
  model: ClosureModelName;
  nu: number[];
  template?: string;
  nll_model: number;
  nll_truth: number;
  kl: number;
  kl_se: number;
  kl_no_residual?: number;
  kl_no_residual_se?: number;
}

export interface ClosureReport {
  n: number;
  rows: ClosureRow[];
}

/** A row's inputs and per-event log-densities, kept for the figures (no second evaluation). */
export interface ClosureEvaluation {
  row: ClosureRow;
  point: NuPoint;
  generator: GeneratorConfig;
  truth: TruthBatch;
  logTruth: Float64Array;
  logModel: Float32Array;
  logNoResidual?: Float32Array;
}

export interface ClosureModels {
  kinBase: NSF;
  scoreBase: NSF;
  kinResidual?: SystematicCorrectedModel;
  scoreResidual?: SystematicCorrectedModel;
}

export interface ClosureSetup {
  /** Nominal generator (base config). */
  nominal: GeneratorConfig;
  kinTemplates?: readonly SystematicTemplate[];
  scoreTemplates?: readonly SystematicTemplate[];
  n: number;
  streams: Streams;
  /** Called after each row (progress). */
  onRow?: (ev: ClosureEvaluation) => void;
}

function row(
  model: ClosureModelName,
  nu: number[],
  template: string | undefined,
  lt: Float64Array,
  lm: Float32Array,
  ln?: Float32Array,
): ClosureRow {
  const e = klEstimate(lt, lm);
  const r: ClosureRow = {
    model,
    nu,
    ...(template ? { template } : {}),
    nll_model: e.nllModel,
    nll_truth: e.nllTruth,
    kl: e.kl,
    kl_se: e.klSe,
  };
  if (ln) {
    const b = klEstimate(lt, ln);
    r.kl_no_residual = b.kl;
    r.kl_no_residual_se = b.klSe;
  }
  return r;
}

/** Evaluates every closure row; returns the report and the per-row evaluations. */
export function computeClosure(
  models: ClosureModels,
  s: ClosureSetup,
): { report: ClosureReport; evaluations: ClosureEvaluation[] } {
  const evals: ClosureEvaluation[] = [];
  const done = (ev: ClosureEvaluation) => {
    evals.push(ev);
    s.onRow?.(ev);
  };
  const zero = [0, 0];
  {
    const t = drawTruth(s.streams.get('closure/kin_base'), s.n, s.nominal);
    const lt = logProbXBatch(t.x, t.c, s.nominal);
    const lm = models.kinBase.logProb(t.x, { context: t.cOneHot });
    done({
      row: row('kin_base', zero, undefined, lt, lm),
      point: { nu: zero },
      generator: s.nominal,
      truth: t,
      logTruth: lt,
      logModel: lm,
    });
  }
  {
    const t = drawTruth(s.streams.get('closure/score_base'), s.n, s.nominal);
    const lt = logProbYBatch(t.y, t.x, t.c, s.nominal, { sigmoid: false });
    const lm = models.scoreBase.logProb(t.y, { context: t.scoreCtx });
    done({
      row: row('score_base', zero, undefined, lt, lm),
      point: { nu: zero },
      generator: s.nominal,
      truth: t,
      logTruth: lt,
      logModel: lm,
    });
  }
  const residuals: [
    ClosureModelName,
    SystematicCorrectedModel | undefined,
    readonly SystematicTemplate[] | undefined,
  ][] = [
    ['kin_residual', models.kinResidual, s.kinTemplates],
    ['score_residual', models.scoreResidual, s.scoreTemplates],
  ];
  for (const [name, model, templates] of residuals) {
    if (!model || !templates) continue;
    const genAt = nuisanceGenerator(templates, `${name} templates`);
    for (const p of closureNuPoints(templates, model.numNuisances)) {
      const gen = p.generator ?? genAt(p.nu);
      const t = drawTruth(s.streams.get(`closure/${name}/${p.template ?? formatNu(p.nu)}`), s.n, gen);
      const nu = repeatRow(p.nu, s.n);
      let lt: Float64Array;
      let lm: Float32Array;
      let ln: Float32Array;
      if (name === 'kin_residual') {
        lt = logProbXBatch(t.x, t.c, gen);
        lm = model.logProb(t.x, { context: t.cOneHot, nu });
        ln = model.base.logProb(t.x, { context: t.cOneHot });
      } else {
        lt = logProbYBatch(t.y, t.x, t.c, gen, { sigmoid: false });
        lm = model.logProb(t.y, { context: t.scoreCtx, nu });
        ln = model.base.logProb(t.y, { context: t.scoreCtx });
      }
      done({
        row: row(name, p.nu, p.template, lt, lm, ln),
        point: p,
        generator: gen,
        truth: t,
        logTruth: lt,
        logModel: lm,
        logNoResidual: ln,
      });
    }
  }
  return { report: { n: s.n, rows: evals.map((e) => e.row) }, evaluations: evals };
}

const fmtE = (v: number | undefined, digits = 2) =>
  v === undefined ? '' : Number.isFinite(v) ? v.toExponential(digits) : String(v);
const fmtF = (v: number) => (Number.isFinite(v) ? v.toFixed(4) : String(v));

const HEADER = ['model', 'ν', 'template', 'NLL model', 'NLL truth', 'KL(T‖M)', '± SE', 'KL no residual', '± SE'];

function cells(r: ClosureRow): string[] {
  return [
    r.model,
    formatNu(r.nu),
    r.template ?? '',
    fmtF(r.nll_model),
    fmtF(r.nll_truth),
    fmtE(r.kl),
    fmtE(r.kl_se, 1),
    fmtE(r.kl_no_residual),
    fmtE(r.kl_no_residual_se, 1),
  ];
}

/** Header and rows, without the template / no-residual columns when no row fills them. */
function table(rep: ClosureReport): { header: string[]; rows: string[][] } {
  const keep = HEADER.map((_, j) =>
    j === 2 ? rep.rows.some((r) => r.template) : j >= 7 ? rep.rows.some((r) => r.kl_no_residual !== undefined) : true,
  );
  const pick = (cs: string[]) => cs.filter((_, j) => keep[j]);
  return { header: pick(HEADER), rows: rep.rows.map((r) => pick(cells(r))) };
}

/** closure.md: a short explanation and the table. */
export function closureMarkdown(rep: ClosureReport): string {
  const t = table(rep);
  const lines = [
    '# Closure against the exact truth',
    '',
    `KL(T‖M) = E_truth[log p_truth − log p_model] over n = ${rep.n} fresh truth events per row` +
      ` (± its standard error, std/√n).`,
    "Score rows are KLs of p(y | x, c) averaged over the generator's (c, x)." +
      ' "No residual": the frozen base flow alone evaluated on the',
    'data at ν — what the residual model improves on. ν = (ν_shift, ν_squeeze).',
    '',
    `| ${t.header.join(' | ')} |`,
    `|${t.header.map((h) => (h === 'model' || h === 'ν' || h === 'template' ? '---' : '---:')).join('|')}|`,
    ...t.rows.map((r) => `| ${r.join(' | ')} |`),
    '',
  ];
  return lines.join('\n');
}

/** The table as aligned plain text (stdout). */
export function closureText(rep: ClosureReport): string {
  const t = table(rep);
  const rows = [t.header, ...t.rows];
  const widths = t.header.map((_, j) => Math.max(...rows.map((r) => [...r[j]].length)));
  const left = (h: string) => h === 'model' || h === 'ν' || h === 'template';
  const pad = (s: string, w: number, right: boolean) =>
    right ? s.padStart(w + s.length - [...s].length) : s.padEnd(w + s.length - [...s].length);
  return `${rows.map((r) => r.map((c, j) => pad(c, widths[j], !left(t.header[j]))).join('  ')).join('\n')}\n`;
}
