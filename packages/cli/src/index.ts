// @tandem/cli: tandemctl as a library, so that tests and tools can run it in-process.
export * from './cluster-commands.js';
export * from './cluster-report.js';
export * from './exit-codes.js';
export * from './incident-command.js';
export * from './lease-commands.js';
export * from './licence-commands.js';
export * from './pki-commands.js';
export * from './run.js';
export * from './session.js';
export * from './table.js';
export * from './time-format.js';
export * from './usage-command.js';
