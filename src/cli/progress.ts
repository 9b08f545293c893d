/**
 * Progress display for long work (training, sampling).
 *
 * On a terminal: one live line (epoch/step, running-mean loss, steps/s, ETA), redrawn in place
 * with "\r" at most every `redrawMs` (100 ms → ≤ 10 redraws/s, so drawing never costs more than
 * the work). Not on a terminal (CI logs, files): a plain line every `intervalSec` seconds and one
 * at each epoch end, never "\r". `done()` prints and returns a summary.
 *
 * The formatting is in pure functions below (tested on their own); the reporter only decides
 * when to write. The clock is injectable so tests never depend on real time.
 */

/** Where progress is written; process.stderr by default (stdout stays clean for results). */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  /** What runs, e.g. "train_kin". */
  label: string;
  epochs: number;
  stepsPerEpoch: number;
  /** First epoch to run (0-based), when resuming; its steps count as already done. */
  startEpoch?: number;
  stream?: ProgressStream;
  /** Live single-line mode; default: stream.isTTY. */
  tty?: boolean;
  /** Seconds between plain lines when not a TTY (default 30). */
  intervalSec?: number;
  /** Minimum milliseconds between live redraws (default 100). */
  redrawMs?: number;
  /** Clock in milliseconds (default performance.now). */
  now?: () => number;
}

export interface EpochResult {
  epoch: number;
  /** Mean training loss over the epoch's steps (NaN if no loss was reported). */
  trainLoss: number;
  valLoss?: number;
  seconds: number;
}

export interface ProgressSummary {
  label: string;
  steps: number;
  seconds: number;
  stepsPerSec: number;
  /** Last epoch's mean training loss. */
  finalLoss: number;
  finalValLoss: number | undefined;
  epochs: EpochResult[];
}

// ---------------------------------------------------------------------------------------------
// Pure formatting

/** "42s", "3m05s", "1h02m", "--" for unknown (non-finite or negative). */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  const m = Math.round(seconds / 60);
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** Steps per second, or NaN when nothing can be said yet. */
export function stepRate(steps: number, seconds: number): number {
  return steps > 0 && seconds > 0 ? steps / seconds : Number.NaN;
}

/** Seconds left at the current rate; Infinity when no step has been timed yet. */
export function etaSeconds(done: number, total: number, elapsedSec: number): number {
  if (done >= total) return 0;
  const rate = stepRate(done, elapsedSec);
  return Number.isFinite(rate) ? (total - done) / rate : Number.POSITIVE_INFINITY;
}

/** "812 it/s", "15.4 it/s", "2.35 it/s", "4.0 s/it" below 1 step/s, "-- it/s" when unknown. */
export function formatRate(stepsPerSec: number): string {
  if (!Number.isFinite(stepsPerSec) || stepsPerSec <= 0) return '-- it/s';
  if (stepsPerSec >= 100) return `${Math.round(stepsPerSec)} it/s`;
  if (stepsPerSec >= 10) return `${stepsPerSec.toFixed(1)} it/s`;
  if (stepsPerSec >= 1) return `${stepsPerSec.toFixed(2)} it/s`;
  return `${(1 / stepsPerSec).toFixed(1)} s/it`;
}

/** Losses with 4 decimals (NLLs are O(1)); exponent form when huge; "nan"/"inf" spelled out. */
export function formatLoss(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  return Math.abs(x) >= 1e5 ? x.toExponential(3) : x.toFixed(4);
}

/** Mean of the values added since the last reset (Kahan-free: epochs are ≤ 1e6 steps of O(1)). */
export class RunningMean {
  private sum = 0;
  private n = 0;

  add(x: number): void {
    this.sum += x;
    this.n += 1;
  }

  get count(): number {
    return this.n;
  }

  /** NaN when empty. */
  get mean(): number {
    return this.n > 0 ? this.sum / this.n : Number.NaN;
  }

  reset(): void {
    this.sum = 0;
    this.n = 0;
  }
}

export interface LineState {
  label: string;
  /** 1-based. */
  epoch: number;
  epochs: number;
  /** Steps done in this epoch. */
  step: number;
  stepsPerEpoch: number;
  /** Running-mean loss of this epoch (NaN: none yet, then omitted). */
  loss: number;
  stepsPerSec: number;
  etaSec: number;
}

/** "train_kin  epoch 3/100  step 512/1000  loss -1.2345  812 it/s  ETA 2h03m" (epoch part only if epochs > 1). */
export function formatProgressLine(s: LineState): string {
  const parts = [s.label];
  if (s.epochs > 1) parts.push(`epoch ${s.epoch}/${s.epochs}`);
  parts.push(`step ${s.step}/${s.stepsPerEpoch}`);
  if (!Number.isNaN(s.loss)) parts.push(`loss ${formatLoss(s.loss)}`);
  parts.push(formatRate(s.stepsPerSec), `ETA ${formatDuration(s.etaSec)}`);
  return parts.join('  ');
}

/** "train_kin  epoch 3/100 done  loss -1.2345  val -1.2400  (1m05s, 15.4 it/s)". */
export function formatEpochLine(label: string, epochs: number, r: EpochResult, stepsPerSec: number): string {
  const parts = [label, `epoch ${r.epoch}/${epochs} done`, `loss ${formatLoss(r.trainLoss)}`];
  if (r.valLoss !== undefined) parts.push(`val ${formatLoss(r.valLoss)}`);
  parts.push(`(${formatDuration(r.seconds)}, ${formatRate(stepsPerSec)})`);
  return parts.join('  ');
}

/** Cuts a line to the terminal width so a redraw never wraps (a wrapped line can't be redrawn). */
export function fitToWidth(line: string, columns: number | undefined): string {
  if (columns === undefined || columns <= 1 || line.length < columns) return line;
  return `${line.slice(0, columns - 2)}…`;
}

// ---------------------------------------------------------------------------------------------
// The reporter

const CLEAR_LINE = '\r\x1b[K';

export class ProgressReporter {
  private readonly label: string;
  private readonly epochs: number;
  private readonly stepsPerEpoch: number;
  private readonly stream: ProgressStream;
  private readonly tty: boolean;
  private readonly intervalMs: number;
  private readonly redrawMs: number;
  private readonly now: () => number;

  private readonly startedAt: number;
  private epochStartedAt: number;
  private lastWriteAt = Number.NEGATIVE_INFINITY;
  /** 0-based epoch being run. */
  private epoch: number;
  private stepInEpoch = 0;
  /** Steps run by this reporter (not counting resumed ones): the rate's numerator. */
  private stepsRun = 0;
  private readonly loss = new RunningMean();
  private readonly results: EpochResult[] = [];
  private liveLineShown = false;
  private finished = false;

  constructor(opts: ProgressOptions) {
    if (!(Number.isInteger(opts.epochs) && opts.epochs >= 1)) {
      throw new RangeError(`ProgressReporter(${opts.label}): epochs must be a positive integer, got ${opts.epochs}`);
    }
    if (!(Number.isInteger(opts.stepsPerEpoch) && opts.stepsPerEpoch >= 1)) {
      throw new RangeError(
        `ProgressReporter(${opts.label}): stepsPerEpoch must be a positive integer, got ${opts.stepsPerEpoch}`,
      );
    }
    this.label = opts.label;
    this.epochs = opts.epochs;
    this.stepsPerEpoch = opts.stepsPerEpoch;
    this.epoch = opts.startEpoch ?? 0;
    this.stream = opts.stream ?? process.stderr;
    this.tty = opts.tty ?? this.stream.isTTY === true;
    this.intervalMs = (opts.intervalSec ?? 30) * 1000;
    this.redrawMs = opts.redrawMs ?? 100;
    this.now = opts.now ?? (() => performance.now());
    this.startedAt = this.now();
    this.epochStartedAt = this.startedAt;
  }

  /** One step done; `loss` (optional) joins this epoch's running mean. */
  step(loss?: number): void {
    this.stepInEpoch += 1;
    this.stepsRun += 1;
    if (loss !== undefined) this.loss.add(loss);
    const t = this.now();
    if (t - this.lastWriteAt >= (this.tty ? this.redrawMs : this.intervalMs)) {
      this.lastWriteAt = t;
      const line = formatProgressLine(this.lineState(t));
      if (this.tty) {
        this.stream.write(`\r${fitToWidth(line, this.stream.columns)}\x1b[K`);
        this.liveLineShown = true;
      } else {
        this.stream.write(`${line}\n`);
      }
    }
  }

  /** Ends the current epoch: prints its summary line and returns it. */
  epochEnd(extra: { valLoss?: number } = {}): EpochResult {
    const t = this.now();
    const result: EpochResult = {
      epoch: this.epoch + 1,
      trainLoss: this.loss.mean,
      seconds: (t - this.epochStartedAt) / 1000,
      ...(extra.valLoss !== undefined ? { valLoss: extra.valLoss } : {}),
    };
    this.results.push(result);
    this.writeLine(formatEpochLine(this.label, this.epochs, result, stepRate(this.stepInEpoch, result.seconds)));
    this.epoch += 1;
    this.stepInEpoch = 0;
    this.loss.reset();
    this.epochStartedAt = t;
    return result;
  }

  /** Prints the final summary (once) and returns it. */
  done(): ProgressSummary {
    const seconds = (this.now() - this.startedAt) / 1000;
    const last = this.results.at(-1);
    const summary: ProgressSummary = {
      label: this.label,
      steps: this.stepsRun,
      seconds,
      stepsPerSec: stepRate(this.stepsRun, seconds),
      finalLoss: last?.trainLoss ?? this.loss.mean,
      finalValLoss: last?.valLoss,
      epochs: [...this.results],
    };
    if (!this.finished) {
      this.finished = true;
      const val = summary.finalValLoss !== undefined ? `, val ${formatLoss(summary.finalValLoss)}` : '';
      this.writeLine(
        `${this.label}  finished: ${this.results.length} epoch${this.results.length === 1 ? '' : 's'}, ` +
          `${summary.steps} steps in ${formatDuration(seconds)} (${formatRate(summary.stepsPerSec)}), ` +
          `final loss ${formatLoss(summary.finalLoss)}${val}`,
      );
    }
    return summary;
  }

  private lineState(t: number): LineState {
    const remaining = Math.max(0, (this.epochs - this.epoch) * this.stepsPerEpoch - this.stepInEpoch);
    const elapsed = (t - this.startedAt) / 1000;
    return {
      label: this.label,
      epoch: this.epoch + 1,
      epochs: this.epochs,
      step: this.stepInEpoch,
      stepsPerEpoch: this.stepsPerEpoch,
      loss: this.loss.mean,
      stepsPerSec: stepRate(this.stepsRun, elapsed),
      etaSec: etaSeconds(this.stepsRun, this.stepsRun + remaining, elapsed),
    };
  }

  /** A permanent line; on a TTY it replaces the live line, which the next step redraws below. */
  private writeLine(line: string): void {
    if (this.tty && this.liveLineShown) this.stream.write(CLEAR_LINE);
    this.liveLineShown = false;
    this.stream.write(`${line}\n`);
  }
}
