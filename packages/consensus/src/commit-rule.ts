// Tandem's commit rule differs from majority Raft: an entry is committed only once it is durable
// on every member of the in-sync set (and on the leader), so an acknowledged operation survives
// the loss of any one data node. As in Raft, the leader commits by counting only entries of its
// own term; earlier entries commit with them. This is the one place that decides it, so that
// changing the in-sync set is a matter of configuration entries.
import assert from 'node:assert/strict';
import type { Configuration, NodeId } from './types.js';

export interface CommitRuleInputs {
  configuration: Configuration;
  leaderId: NodeId;
  currentTerm: number;
  commitIndex: number;
  /** The highest index known durable on a member (for the leader: what its driver persisted). */
  matchIndexOf: (id: NodeId) => number;
  /** The term of the entry at an index in the leader's log. */
  termAt: (index: number) => number | undefined;
}

/** The commit index the leader may move to (the current one when nothing more commits). */
export function nextCommitIndex(inputs: CommitRuleInputs): number {
  const { configuration, leaderId, currentTerm, commitIndex, matchIndexOf, termAt } = inputs;
  assert.ok(configuration.inSync.length > 0, 'the in-sync set is never empty');
  // The leader counts even if a configuration left it out of the in-sync set.
  let durableIndex = matchIndexOf(leaderId);
  for (const id of configuration.inSync) {
    const matchIndex = matchIndexOf(id);
    assert.ok(Number.isSafeInteger(matchIndex) && matchIndex >= 0, `bad match index ${matchIndex} for ${id}`);
    durableIndex = Math.min(durableIndex, matchIndex);
  }
  // Terms never decrease along the log, so if the entry at durableIndex is of an older term, no
  // entry of the current term is durable everywhere yet.
  if (durableIndex <= commitIndex || termAt(durableIndex) !== currentTerm) return commitIndex;
  return durableIndex;
}
