// @tandem/client: the workstation library and the operator's admin client.
export * from './admin-client.js';
export * from './cluster-connection.js';
export * from './cluster-status.js';
export * from './errors.js';
export * from './lease-handle.js';
export * from './licensing-settings-xml.js';
export * from './settings.js';
export type * from './types.js';
export * from './unary-call.js';
export * from './workstation-client.js';
