// What the tests of one node of its own (a cluster of one) share: its core's settings and the
// driver's limits, none of which the tests are about.
import type { RaftConfig } from '@tandem/consensus';
import type { DriverLimits } from '../src/environment.js';

export const SOLO_RAFT: Omit<RaftConfig, 'describeMergedEntry'> = {
  id: 'solo',
  electionTimeoutTicks: 10,
  heartbeatIntervalTicks: 2,
  randomInt: () => 0,
  maxEntriesPerMessage: 64,
  maxInflightMessages: 16,
  preVote: true,
};

export const SOLO_LIMITS: DriverLimits = {
  maxBatchEntries: 32,
  maxPendingOperations: 1000,
  operationTimeoutMs: 60_000,
  maxEntryBytes: 1 << 20,
  snapshotEveryEntries: Number.POSITIVE_INFINITY,
  maxRetainedSoloEntries: 1_000_000,
  leaseExpiryIntervalMs: 1_000_000,
  maxExtendMs: 0,
};
