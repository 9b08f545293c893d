/**
 * The residual-transform showcase (figures.md §B): for the kin model and the score model at
 * each x context, the response curves, the two displacement fields (ν = ±m) and the
 * cross-term maps, written under their reference file names. Deterministic: every density is
 * exact and nothing is sampled, so the figures do not change from run to run.
 */
import { join } from 'node:path';
import type { SystematicCorrectedModel } from '../systematics/corrected-model.js';
import type { SystematicTemplate } from '../config/load.js';
import { linspace, saveNow, type Figure, type SaveFigure } from '../plot/index.js';
import type { Direction } from './jacobian.js';
import { CLASSES, CLASS_INDICES } from '../analysis/classes.js';
import { kinSubject, scoreSubject, type Subject } from './subject.js';
import { responseData, responseFigure } from './response.js';
import { fieldData, fieldFigure, fieldFileName } from './field.js';
import { crosstermData, crosstermFigure } from './crossterm.js';

export interface ShowcaseOptions {
  outDir: string;
  direction: Direction;
  mValue: number;
  /** Score contexts x; one figure set each (tags score_x0, score_x1, … or just score). */
  scoreX: number[][];
  /** Feature dims of the response rows and the cross-term figures; undefined = all. */
  responseDims?: number[];
  crossterm: boolean;
  crosstermX: number[];
  crosstermY: number[];
  /**
   * Resolution (tests use coarse values for speed): density grid points per field panel,
   * ν values per axis of the response curves and the cross-term maps (default 41, step 0.1).
   */
  densityPoints?: number;
  nuSteps?: number;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
  /** How figures reach their files (default: written before the call returns; see plot/saves.ts). */
  saveFigure?: SaveFigure;
}

export interface ShowcaseModels {
  kin?: { model: SystematicCorrectedModel; templates: SystematicTemplate[] };
  score?: { model: SystematicCorrectedModel; templates: SystematicTemplate[] };
}

/** The file tag of score context i of n: 'score' alone, else 'score_x<i>'. */
export function scoreTag(i: number, n: number): string {
  return n === 1 ? 'score' : `score_x${i}`;
}

/** Every file the showcase writes for these settings, in writing order (tests, listings). */
export function showcaseFileNames(
  subjects: { tag: string; symbol: string; features: number; nuisances: number }[],
  opts: Pick<ShowcaseOptions, 'mValue' | 'responseDims' | 'crossterm'>,
): string[] {
  const out: string[] = [];
  for (const s of subjects) {
    out.push(
      `residual_${s.tag}_response.png`,
      fieldFileName(s.tag, 1, opts.mValue),
      fieldFileName(s.tag, -1, opts.mValue),
    );
    if (opts.crossterm && s.nuisances >= 2) {
      const dims = opts.responseDims ?? Array.from({ length: s.features }, (_, d) => d);
      for (const d of dims) for (const c of CLASS_INDICES) out.push(crosstermFileName(s.tag, `${s.symbol}${d + 1}`, c));
    }
  }
  return out;
}

function crosstermFileName(tag: string, dim: string, c: 0 | 1): string {
  return `residual_${tag}_crossterm_${dim}_class${CLASSES[c].letter}.png`;
}

/** Draws one subject's figures; returns the paths written. */
export function renderSubject(s: Subject, opts: ShowcaseOptions): string[] {
  const log = opts.log ?? (() => {});
  const F = s.model.features;
  const dims = opts.responseDims ?? Array.from({ length: F }, (_, d) => d);
  const bad = dims.filter((d) => !(Number.isInteger(d) && d >= 0 && d < F));
  if (bad.length)
    throw new Error(
      `visualize: response dims ${bad.join(', ')} are not feature indices of the ${s.kind} model (features ${F})`,
    );
  const written: string[] = [];
  const saveFigure = opts.saveFigure ?? saveNow;
  const save = (fig: Figure, name: string) => {
    written.push(saveFigure(fig, join(opts.outDir, name)));
    log(`  wrote ${name}`);
  };
  const t0 = performance.now();
  save(
    responseFigure(
      s,
      responseData(s, opts.direction, opts.nuSteps ? linspace(-2, 2, opts.nuSteps) : undefined),
      dims,
      opts.direction,
    ),
    `residual_${s.fileTag}_response.png`,
  );
  const field = fieldData(s, opts.mValue, opts.direction, { density: opts.densityPoints });
  save(fieldFigure(s, field, 0, opts.direction), fieldFileName(s.fileTag, 1, opts.mValue));
  save(fieldFigure(s, field, 1, opts.direction), fieldFileName(s.fileTag, -1, opts.mValue));
  if (opts.crossterm && s.model.numNuisances >= 2) {
    const data = crosstermData(s, opts.direction, opts.nuSteps ? linspace(-2, 2, opts.nuSteps) : undefined);
    for (const d of dims) {
      for (const c of CLASS_INDICES)
        save(crosstermFigure(s, data, c, d, opts.direction), crosstermFileName(s.fileTag, `${s.symbol}${d + 1}`, c));
    }
  } else if (opts.crossterm) {
    log(`  ${s.fileTag}: cross-term maps need 2 nuisances, the model has ${s.model.numNuisances}; skipped`);
  }
  log(`  ${s.fileTag}: ${written.length} figures in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return written;
}

/** The subjects for the models given (kin first, then one per score context). */
export function showcaseSubjects(
  models: ShowcaseModels,
  opts: Pick<ShowcaseOptions, 'scoreX' | 'crosstermX' | 'crosstermY'>,
): Subject[] {
  const out: Subject[] = [];
  if (models.kin) out.push(kinSubject(models.kin.model, models.kin.templates, opts.crosstermX));
  if (models.score) {
    const sc = models.score;
    opts.scoreX.forEach((x, i) =>
      out.push(scoreSubject(sc.model, sc.templates, x, scoreTag(i, opts.scoreX.length), opts.crosstermY)),
    );
  }
  return out;
}

export function renderShowcase(models: ShowcaseModels, opts: ShowcaseOptions): string[] {
  return showcaseSubjects(models, opts).flatMap((s) => renderSubject(s, opts));
}
