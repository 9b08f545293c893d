/**
 * jsroot reports some read errors only on the console (`console.error('Error R__unzip: …')`) and
 * carries on, so a bad ROOT file would print jsroot's lines before ours. While jsroot runs, the
 * console's output is collected instead: when the read succeeds it is printed after all (delayed,
 * not lost); when it fails the reader's one-line error says what is wrong, with jsroot's first
 * line where jsroot failed, and the rest is dropped.
 *
 * The console belongs to the whole process and reads are async, so overlapping reads share one
 * patch: the first installs it, the last removes it, and each collects every line meanwhile.
 */

const METHODS = ['log', 'info', 'warn', 'error', 'debug'] as const;
type Method = (typeof METHODS)[number];

export interface ConsoleLine {
  method: Method;
  args: unknown[];
}

const sinks = new Set<ConsoleLine[]>();
let saved: Record<Method, (...args: unknown[]) => void> | undefined;

/** Runs `work` with console output going into `sink` instead of the terminal. */
export async function collectingConsole<T>(sink: ConsoleLine[], work: () => Promise<T>): Promise<T> {
  if (sinks.size === 0) install();
  sinks.add(sink);
  try {
    return await work();
  } finally {
    sinks.delete(sink);
    if (sinks.size === 0) uninstall();
  }
}

/** Prints collected lines as they would have been printed. */
export function replay(lines: readonly ConsoleLine[]): void {
  for (const { method, args } of lines) console[method](...args);
}

/** The first collected line as one line of text ('' when none), for an error message. */
export function firstLine(lines: readonly ConsoleLine[]): string {
  if (lines.length === 0) return '';
  return lines[0].args
    .map((a) => (a instanceof Error ? a.message : String(a)))
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
}

function install(): void {
  saved = Object.fromEntries(METHODS.map((m) => [m, console[m]])) as Record<Method, (...args: unknown[]) => void>;
  for (const method of METHODS)
    console[method] = (...args: unknown[]): void => {
      for (const sink of sinks) sink.push({ method, args });
    };
}

function uninstall(): void {
  if (saved) for (const method of METHODS) console[method] = saved[method];
  saved = undefined;
}
