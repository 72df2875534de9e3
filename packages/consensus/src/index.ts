export type { CommitRuleInputs, ConfigurationSpan } from './commit-rule.js';
export { nextCommitIndex } from './commit-rule.js';
export {
  configurationsEqual,
  decodeConfiguration,
  drainedOf,
  encodeConfiguration,
  MAX_CONFIGURATION_MEMBERS,
  validateConfiguration,
} from './configuration.js';
export type { ConsensusErrorCode, DrainRefusal } from './errors.js';
export {
  ConfigurationChangePendingError,
  ConsensusError,
  DrainRefusedError,
  LeadershipTransferInProgressError,
  NotLeaderError,
  ProposalBackpressureError,
} from './errors.js';
export { nextOwnedTerm, pairElectionTimeoutTicks, termOwner } from './pair-mode.js';
export type { SnapshotReport } from './raft-node.js';
export { describeConfiguration, RaftNode } from './raft-node.js';
export { MAX_INDEX, MAX_TERM, MAX_TERM_JUMP } from './term-bounds.js';
export type * from './types.js';
export type { WitnessConfig, WitnessState, WitnessStatus, WitnessStep } from './witness-core.js';
export { copyWitnessState, initialWitnessState, WitnessCore } from './witness-core.js';
