export * from './convert.js';
export * from './generated/index.js';
export type { ProtoGrpcType } from './generated/tandem.js';
export * from './loader.js';
export * from './metadata.js';
