export {
  chainEntry,
  decodeNodeSnapshot,
  encodeNodeSnapshot,
  GENESIS_LOG_HASH,
  type LogHash,
  LogHashChain,
  type NodeSnapshot,
} from '@tandem/driver';
export { ledgerOptionsOf } from './cluster-id.js';
export * from './config.js';
export type { ConsoleApiOptions, MetricsSource } from './console-api.js';
export type { UtilisationSource } from './console-history.js';
export * from './crash-points.js';
export * from './edge.js';
export * from './errors.js';
export * from './http-port.js';
export * from './http-route.js';
export * from './identity.js';
export { MAX_LABELLED_LICENCES, OTHER_LICENCE } from './licence-labels.js';
export * from './logger.js';
export * from './node-metrics.js';
export * from './operations.js';
export * from './peer-contact.js';
export * from './peer-messages.js';
export * from './peer-service.js';
export * from './peer-transport.js';
export * from './pending-responses.js';
export { freePort } from './ports.js';
export * from './refusal-log.js';
export * from './replica.js';
export * from './report-index.js';
export { reportToWire } from './report-wire.js';
export * from './snapshot-stream.js';
export * from './tandemd.js';
export * from './usage-history.js';
