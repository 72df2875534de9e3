// The public surface of @tandem/driver.
export * from './driver.js';
export * from './environment.js';
export * from './errors.js';
export * from './log-hash.js';
export * from './statistics.js';
export * from './tick-pacer.js';
