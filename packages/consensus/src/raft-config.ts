// A data node's settings: RaftConfig with its defaults filled in, checked once when the node is
// built, and the checks that tie the mode to the initial configuration.
import assert from 'node:assert/strict';
import { validateConfiguration } from './configuration.js';
import { managesInSyncSet } from './in-sync.js';
import type { InitialState, NodeId, RaftConfig, ReplicationMode } from './types.js';

const DEFAULT_MAX_UNCOMMITTED_ENTRIES = 100_000;
// Below gRPC's default 4 MiB message limit, with room for the envelope.
const DEFAULT_MAX_ENTRY_BYTES = 1024 * 1024;
const DEFAULT_MAX_BYTES_PER_MESSAGE = 2 * 1024 * 1024;
const DEFAULT_MAX_COMMITTED_ENTRIES_PER_READY = 4096;
const DEFAULT_MAX_OUTBOX_MESSAGES = 65_536;

/** The bounds a node keeps to (see RaftConfig for each). */
export interface Limits {
  maxEntriesPerMessage: number;
  maxInflightMessages: number;
  maxProposalEntries: number;
  maxUncommittedEntries: number;
  maxEntryBytes: number;
  maxBytesPerMessage: number;
  maxCommittedEntriesPerReady: number;
  maxOutboxMessages: number;
}

export interface NodeSettings {
  id: NodeId;
  electionTimeoutTicks: number;
  heartbeatIntervalTicks: number;
  randomInt: (maxExclusive: number) => number;
  mode: ReplicationMode;
  /** See managesInSyncSet (in-sync.ts). */
  managesInSyncSet: boolean;
  preVote: boolean;
  checkQuorum: boolean;
  /** The main; null when none is configured. */
  priorityNodeId: NodeId | null;
  /** Witness mode: the witness; null in other modes. */
  witnessNodeId: NodeId | null;
  pairVoteWaitTicks: number;
  startupGraceTicks: number;
  limits: Limits;
}

/** Fills in the defaults; throws on a configuration no node can run with. */
export function nodeSettings(config: RaftConfig): NodeSettings {
  assert.ok(typeof config.id === 'string' && config.id.length > 0, 'a node id is a non-empty string');
  assertPositiveInteger(config.electionTimeoutTicks, 'electionTimeoutTicks');
  assertPositiveInteger(config.heartbeatIntervalTicks, 'heartbeatIntervalTicks');
  assert.ok(
    config.heartbeatIntervalTicks < config.electionTimeoutTicks,
    'heartbeatIntervalTicks must be below electionTimeoutTicks',
  );
  assert.equal(typeof config.randomInt, 'function', 'randomInt is required');
  const mode = config.mode ?? 'majority';
  assert.ok(
    mode === 'majority' || mode === 'pair' || mode === 'witness',
    `unknown mode ${String(config.mode)}`,
  );
  const pairVoteWaitTicks = config.pairVoteWaitTicks ?? config.heartbeatIntervalTicks;
  const startupGraceTicks = config.startupGraceTicks ?? 2 * config.electionTimeoutTicks;
  assertPositiveInteger(pairVoteWaitTicks, 'pairVoteWaitTicks');
  assert.ok(
    pairVoteWaitTicks < config.electionTimeoutTicks,
    'pairVoteWaitTicks must be below electionTimeoutTicks',
  );
  assert.ok(
    Number.isSafeInteger(startupGraceTicks) && startupGraceTicks >= 0,
    `startupGraceTicks must be a non-negative integer, not ${startupGraceTicks}`,
  );
  const limits: Limits = {
    maxEntriesPerMessage: config.maxEntriesPerMessage,
    maxInflightMessages: config.maxInflightMessages,
    maxProposalEntries: config.maxProposalEntries ?? config.maxEntriesPerMessage,
    maxUncommittedEntries: config.maxUncommittedEntries ?? DEFAULT_MAX_UNCOMMITTED_ENTRIES,
    maxEntryBytes: config.maxEntryBytes ?? DEFAULT_MAX_ENTRY_BYTES,
    maxBytesPerMessage: config.maxBytesPerMessage ?? DEFAULT_MAX_BYTES_PER_MESSAGE,
    maxCommittedEntriesPerReady:
      config.maxCommittedEntriesPerReady ?? DEFAULT_MAX_COMMITTED_ENTRIES_PER_READY,
    maxOutboxMessages: config.maxOutboxMessages ?? DEFAULT_MAX_OUTBOX_MESSAGES,
  };
  for (const [name, value] of Object.entries(limits)) assertPositiveInteger(value, name);
  const inSyncManaged = managesInSyncSet(mode);
  return {
    id: config.id,
    electionTimeoutTicks: config.electionTimeoutTicks,
    heartbeatIntervalTicks: config.heartbeatIntervalTicks,
    randomInt: config.randomInt,
    mode,
    managesInSyncSet: inSyncManaged,
    // Pair mode always pre-votes and never steps down for lack of a quorum: a leader goes on alone.
    // Witness mode always pre-votes too, and has its own check-quorum (WitnessLeader.quorumLost).
    preVote: inSyncManaged ? true : config.preVote,
    checkQuorum: inSyncManaged ? false : (config.checkQuorum ?? false),
    priorityNodeId: config.priorityNodeId ?? null,
    witnessNodeId: mode === 'witness' ? (config.witnessNodeId ?? null) : null,
    pairVoteWaitTicks,
    startupGraceTicks,
    limits,
  };
}

/** Throws unless the initial configuration fits the mode: who votes, who may be in sync. */
export function checkInitialConfiguration(settings: NodeSettings, initial: InitialState): void {
  validateConfiguration(initial.configuration);
  if (initial.snapshot !== null) validateConfiguration(initial.snapshot.configuration);
  const { mode, priorityNodeId } = settings;
  if (mode === 'pair') {
    assert.ok(initial.configuration.voters.length <= 2, 'pair mode has at most two voters');
    assert.ok(
      priorityNodeId === null || initial.configuration.voters.includes(priorityNodeId),
      `the priority node ${priorityNodeId} is not a voter`,
    );
  }
  if (mode === 'witness') {
    const { voters, inSync } = initial.configuration;
    const witness = settings.witnessNodeId;
    assert.ok(witness !== null, 'witness mode needs witnessNodeId');
    assert.ok(
      voters.length === 3 && voters.includes(witness),
      'witness mode has three voters: main, backup and the witness',
    );
    assert.ok(!inSync.includes(witness), 'the witness is never in the in-sync set');
    assert.notEqual(settings.id, witness, 'the witness runs WitnessCore, not RaftNode');
    assert.ok(
      priorityNodeId === null || (voters.includes(priorityNodeId) && priorityNodeId !== witness),
      `the priority node ${priorityNodeId} is not a data node`,
    );
  }
}

function assertPositiveInteger(value: number, name: string): void {
  assert.ok(Number.isSafeInteger(value) && value >= 1, `${name} must be a positive integer, not ${value}`);
}
