#!/usr/bin/env node
// The tandemctl binary: run() bound to this process.
import { quietIpServerNameWarning } from '@tandem/pki';
import { run } from './run.js';

quietIpServerNameWarning();

run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
  (exitCode) => {
    process.exitCode = exitCode;
  },
  (error: unknown) => {
    process.stderr.write(`tandemctl: internal error: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
