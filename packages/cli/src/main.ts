#!/usr/bin/env node
// The tandemctl binary: run() bound to this process.
import { quietIpServerNameWarning } from '@tandem/pki';
import { run } from './run.js';

quietIpServerNameWarning();

// A reader that stops early (`tandemctl --help | head`) closes the pipe: the output is no longer
// wanted, which is not an error. Exit quietly, as other command-line tools do, rather than with an
// unhandled EPIPE stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
  (exitCode) => {
    process.exitCode = exitCode;
  },
  (error: unknown) => {
    process.stderr.write(`tandemctl: internal error: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
