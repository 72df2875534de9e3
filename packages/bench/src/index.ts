export * from './latency.js';
export * from './workstation-loop.js';
