export * from './history.js';
export * from './licence-model.js';
export * from './linearizability.js';
export * from './observed-over-grants.js';
export * from './partition-by-licence.js';
export * from './released-leases.js';
export * from './safety-checks.js';
