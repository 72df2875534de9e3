export * from './paths.js';
export * from './ports.js';
export * from './raw-client.js';
export * from './tandemctl.js';
export * from './tandemd-process.js';
export * from './temporary-directory.js';
