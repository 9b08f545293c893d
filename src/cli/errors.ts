/**
 * Errors the `fnf` entry point prints as one line (`fnf: <message>`) without a stack trace.
 * Anything else that escapes a command is a bug and is printed with its stack.
 */

/** A problem with what the user asked for (flag values, files). Exit code 2 unless stated. */
export class UserError extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode = 2) {
    super(message);
    this.name = 'UserError';
    this.exitCode = exitCode;
  }
}

/** A command whose body is not written yet (exit code 1: the request was fine, we can't do it). */
export class NotImplementedError extends UserError {
  constructor(command: string) {
    super(`${command}: not implemented yet (its options were parsed and validated)`, 1);
    this.name = 'NotImplementedError';
  }
}
