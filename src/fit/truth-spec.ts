/**
 * The truth strings of `fnf fit --toy` and `fnf toys --truth`: "mu=0.3,nu_shift=0.5,nu_squeeze=-0.4,n=20000".
 * Names are `mu`, `nu_<nuisance>` and (where allowed) `n`; an unknown name, a repeated name, a
 * value that is not a finite number, μ outside [0, 1] or n outside [1, MAX_TOY_EVENTS] is refused with
 * the offending piece.
 */

/**
 * The most events a toy may have (`fnf fit --toy …,n=`, `fnf toys --events`). A toy is drawn, and every
 * model's densities evaluated, in memory: ~180 bytes an event for the truth fit (1e6 events: 330 MB), more
 * for the flow, so 1e7 is already a few GB and minutes a fit; without a bound n = 1e12 died in a typed-array
 * allocation.
 */
export const MAX_TOY_EVENTS = 10_000_000;

/** Refuses a toy size above MAX_TOY_EVENTS; `what` names it as given ("--events 1e12", "--toy: n=1e12"). */
export function checkToyEvents(n: number, what: string): void {
  if (n > MAX_TOY_EVENTS) {
    throw new Error(
      `${what} is above ${MAX_TOY_EVENTS} events, the most a toy may have (its events and their densities ` +
        'are held in memory, a few hundred bytes each)',
    );
  }
}

export interface TruthPoint {
  mu: number;
  /** One value per nuisance, in the order of the names given to the parser (default 0). */
  nu: number[];
  /** Events (only when the string may carry it). */
  n?: number;
}

export function parseTruthSpec(
  text: string,
  nuisanceNames: readonly string[],
  opts: { allowN: boolean; what: string },
): TruthPoint {
  const known = ['mu', ...nuisanceNames.map((n) => `nu_${n}`), ...(opts.allowN ? ['n'] : [])];
  const seen = new Map<string, number>();
  const pieces = text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (pieces.length === 0)
    throw new Error(`${opts.what}: empty; expected e.g. "${example(nuisanceNames, opts.allowN)}"`);
  for (const piece of pieces) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.+)$/.exec(piece);
    if (!m)
      throw new Error(
        `${opts.what}: '${piece}' is not name=value (expected e.g. "${example(nuisanceNames, opts.allowN)}")`,
      );
    const [, name, raw] = m;
    if (!known.includes(name)) {
      throw new Error(`${opts.what}: unknown name '${name}'; the known names are ${known.join(', ')}`);
    }
    if (seen.has(name)) throw new Error(`${opts.what}: '${name}' is given twice`);
    const v = Number(raw.trim());
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(raw.trim()) || !Number.isFinite(v)) {
      throw new Error(`${opts.what}: ${name}=${raw} is not a finite number`);
    }
    seen.set(name, v);
  }
  if (!seen.has('mu'))
    throw new Error(`${opts.what}: mu is missing (expected e.g. "${example(nuisanceNames, opts.allowN)}")`);
  const mu = seen.get('mu')!;
  if (!(mu >= 0 && mu <= 1)) throw new Error(`${opts.what}: mu=${mu} is outside its bounds [0, 1]`);
  const out: TruthPoint = { mu, nu: nuisanceNames.map((n) => seen.get(`nu_${n}`) ?? 0) };
  if (seen.has('n')) {
    const n = seen.get('n')!;
    if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${opts.what}: n=${n} must be a positive integer`);
    checkToyEvents(n, `${opts.what}: n=${n}`);
    out.n = n;
  }
  return out;
}

function example(names: readonly string[], allowN: boolean): string {
  return ['mu=0.3', ...names.map((n, k) => `nu_${n}=${k === 0 ? '0.5' : '-0.4'}`), ...(allowN ? ['n=20000'] : [])].join(
    ',',
  );
}

export function formatTruth(p: TruthPoint, names: readonly string[]): string {
  return ['mu=' + p.mu, ...names.map((n, k) => `nu_${n}=${p.nu[k]}`), ...(p.n ? [`n=${p.n}`] : [])].join(',');
}
