export * from './config.js';
export * from './edge.js';
export * from './errors.js';
export * from './logger.js';
export * from './replica.js';
export * from './tandemd.js';
