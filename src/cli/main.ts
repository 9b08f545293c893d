#!/usr/bin/env node
/** The `fnf` executable: runs the command tree of program.ts and exits with its code. */
import { runCli } from './program.js';

// `fnf --help | head` closes the pipe early: that is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

process.exitCode = await runCli(process.argv);
