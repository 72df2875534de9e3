export * from './convert.js';
export * from './generated/index.js';
export * from './loader.js';
export * from './metadata.js';
