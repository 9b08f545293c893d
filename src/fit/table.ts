/**
 * The terminal report of a fit, laid out like iminuit's: a line of flags (valid, accurate,
 * positive-definite, forced, above max EDM, at limit, calls), the parameter table (value, HESSE
 * error, MINOS interval, at-limit) and the correlation matrix.
 */
import type { ModelFit } from './run-fit.js';

const fmt = (v: number, d = 4) => (Number.isFinite(v) ? v.toFixed(d) : String(v));

function box(rows: string[][], header: string[]): string {
  const all = [header, ...rows];
  const w = header.map((_, j) => Math.max(...all.map((r) => r[j].length)));
  const line = (l: string, m: string, r: string) => l + w.map((x) => '─'.repeat(x + 2)).join(m) + r;
  const row = (r: string[]) => '│' + r.map((c, j) => ` ${j <= 1 ? c.padEnd(w[j]) : c.padStart(w[j])} `).join('│') + '│';
  return [line('┌', '┬', '┐'), row(header), line('├', '┼', '┤'), ...rows.map(row), line('└', '┴', '┘')].join('\n');
}

export function fitTable(model: string, f: ModelFit): string {
  const j = f.json;
  const yes = (b: boolean) => (b ? 'yes' : 'NO');
  const head =
    `── ${model} ── NLL ${fmt(j.nll, 3)}  EDM ${j.edm.toExponential(2)}  calls ${j.nfcn} (gradient ${j.ngrad})  ` +
    `${fmt(j.wall_s, 2)} s\n` +
    `valid ${yes(f.flags.valid)} · accurate covariance ${yes(f.flags.accurate)} · positive definite ${yes(
      f.flags.posdef,
    )} · forced ${f.flags.forced_posdef ? 'YES' : 'no'} · above max EDM ${
      f.flags.above_max_edm ? 'YES' : 'no'
    } · at limit ${f.flags.at_limit ? 'YES' : 'no'} · one event dominates ${f.flags.single_event ? 'YES' : 'no'}` +
    (f.message ? `\nnote: ${f.message}` : '');
  const rows = j.parameters.map((p, i) => [
    String(i),
    p.name,
    fmt(p.value),
    f.params[i].fixed ? 'fixed' : fmt(p.error),
    p.minos ? fmt(p.minos[0] - p.value) : '',
    p.minos ? '+' + fmt(p.minos[1] - p.value) : '',
    p.at_limit ? 'at limit' : '',
  ]);
  const table = box(rows, ['', 'Name', 'Value', 'Hesse Err', 'Minos Err-', 'Minos Err+', 'Limit']);
  const corr = box(
    j.correlation.map((r, i) => [j.parameters[i].name, ...r.map((v) => fmt(v, 3))]),
    ['', ...j.parameters.map((p) => p.name)],
  );
  return `${head}\n${table}\ncorrelation\n${corr}\n`;
}
