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

/** One row to evaluate: which model, at which ν, against which generator, from which named stream. */
export interface ClosureJob {
  model: ClosureModelName;
  point: NuPoint;
  generator: GeneratorConfig;
  stream: string;
}

/** Every closure row of these models, in report order. */
export function closureJobs(models: ClosureModels, s: Omit<ClosureSetup, 'n' | 'streams'>): ClosureJob[] {
  const zero = [0, 0];
  const jobs: ClosureJob[] = [
    { model: 'kin_base', point: { nu: zero }, generator: s.nominal, stream: 'closure/kin_base' },
    { model: 'score_base', point: { nu: zero }, generator: s.nominal, stream: 'closure/score_base' },
  ];
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
      const generator = p.generator ?? genAt(p.nu);
      jobs.push({ model: name, point: p, generator, stream: `closure/${name}/${p.template ?? formatNu(p.nu)}` });
    }
  }
  return jobs;
}

/**
 * The order in which rows are taken when two threads share them: the costliest model first
 * (a score residual row is about three kin rows), so the last rows to finish are short ones.
 */
export function closureClaimOrder(jobs: readonly ClosureJob[]): number[] {
  const rank: Record<ClosureModelName, number> = { score_residual: 0, score_base: 1, kin_residual: 2, kin_base: 3 };
  return jobs.map((_, i) => i).sort((a, b) => rank[jobs[a].model] - rank[jobs[b].model] || a - b);
}

/** One row: fresh truth events from the job's stream, their exact and model log-densities. */
export function evaluateClosureJob(
  models: ClosureModels,
  job: ClosureJob,
  n: number,
  streams: Streams,
): ClosureEvaluation {
  const gen = job.generator;
  const t = drawTruth(streams.get(job.stream), n, gen);
  const template = job.point.template;
  const evaluation = (lt: Float64Array, lm: Float32Array, ln?: Float32Array): ClosureEvaluation => ({
    row: row(job.model, job.point.nu, template, lt, lm, ln),
    point: job.point,
    generator: gen,
    truth: t,
    logTruth: lt,
    logModel: lm,
    ...(ln ? { logNoResidual: ln } : {}),
  });
  // The kinematic sector models x given the class, the score sector y given [class, x].
  const kin = job.model === 'kin_base' || job.model === 'kin_residual';
  const lt = kin ? logProbXBatch(t.x, t.c, gen) : logProbYBatch(t.y, t.x, t.c, gen, { sigmoid: false });
  const [v, context] = kin ? [t.x, t.cOneHot] : [t.y, t.scoreCtx];
  if (job.model === 'kin_base' || job.model === 'score_base') {
    return evaluation(lt, (kin ? models.kinBase : models.scoreBase).logProb(v, { context }));
  }
  const model = kin ? models.kinResidual : models.scoreResidual;
  if (!model) throw new Error(`validate/closure: a ${job.model} row without a ${job.model} model`);
  const lm = model.logProb(v, { context, nu: repeatRow(job.point.nu, n) });
  return evaluation(lt, lm, model.base.logProb(v, { context }));
}

/**
 * Closure rows shared with another thread that evaluates the same jobs on its own device: both
 * draw claim numbers 0, 1, 2, … from one counter (`claim`), claim k being the job
 * closureClaimOrder(jobs)[k], and the rows the other thread took arrive through `receive`
 * (blocking until one does).
 */
export interface ClosureSharing {
  claim(): number;
  receive(): { index: number; evaluation: ClosureEvaluation };
}

/** Takes rows through `sharing` until every row is claimed, evaluating each with `evaluate`; returns how many. */
export function takeClosureRows(
  jobs: readonly ClosureJob[],
  sharing: Pick<ClosureSharing, 'claim'>,
  evaluate: (index: number) => void,
): number {
  const order = closureClaimOrder(jobs);
  let taken = 0;
  for (let k = sharing.claim(); k < order.length; k = sharing.claim(), taken++) evaluate(order[k]);
  return taken;
}

/**
 * Evaluates every closure row; returns the report and the per-row evaluations. Each row draws
 * from its own named stream, so who evaluates it (and in which order) changes no number; rows
 * are reported (onRow) and returned in report order.
 */
export function computeClosure(
  models: ClosureModels,
  s: ClosureSetup,
  sharing?: ClosureSharing,
): { report: ClosureReport; evaluations: ClosureEvaluation[] } {
  const jobs = closureJobs(models, s);
  const evals: (ClosureEvaluation | undefined)[] = new Array(jobs.length);
  let reported = 0;
  const done = (index: number, ev: ClosureEvaluation) => {
    evals[index] = ev;
    for (; reported < jobs.length && evals[reported]; reported++) s.onRow?.(evals[reported]!);
  };
  if (!sharing) {
    jobs.forEach((job, i) => done(i, evaluateClosureJob(models, job, s.n, s.streams)));
  } else {
    takeClosureRows(jobs, sharing, (i) => done(i, evaluateClosureJob(models, jobs[i], s.n, s.streams)));
    while (reported < jobs.length) {
      const { index, evaluation } = sharing.receive();
      if (!(index >= 0 && index < jobs.length && !evals[index]))
        throw new Error(`validate/closure: the other thread sent row ${index} of ${jobs.length}, not one it took`);
      done(index, evaluation);
    }
  }
  const all = evals as ClosureEvaluation[];
  return { report: { n: s.n, rows: all.map((e) => e.row) }, evaluations: all };
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
