/**
 * A config file problem: which file, which key, what was expected, what was found. In its own
 * module, without kit.ts's file-system helpers, so the browser entry's architecture checks can raise it.
 */
export class ConfigError extends Error {
  /** The config file as the caller named it ('' when validating an in-memory object). */
  readonly file: string;
  /** Dotted key path inside the file, e.g. `kin_flow.hidden_features[1]` ('' = the whole file). */
  readonly keyPath: string;

  constructor(file: string, keyPath: string, problem: string) {
    const head = [file, keyPath].filter((s) => s !== '').join(': ');
    super(head === '' ? problem : `${head}: ${problem}`);
    this.name = 'ConfigError';
    this.file = file;
    this.keyPath = keyPath;
  }
}
