// Tandem's commit rule differs from majority Raft: an entry is committed only once it is durable
// on every member of the in-sync set (and on the leader), so an acknowledged operation survives
// the loss of any one data node. The in-sync set that decides index N is the one in effect at N
// (the latest configuration entry at or before N): entries that commit on fewer nodes always
// follow, in the log, the configuration entry that allowed it, so every node can tell later which
// of its entries were committed by whom. As in Raft, the leader commits by counting only entries
// of its own term; earlier entries commit with them. This is the one place that decides it.
import assert from 'node:assert/strict';
import type { Configuration, NodeId } from './types.js';

/** A configuration and the first index it governs; it lasts until the next span's firstIndex. */
export interface ConfigurationSpan {
  firstIndex: number;
  configuration: Configuration;
}

export interface CommitRuleInputs {
  /** The spans covering commitIndex + 1 .. lastIndex, in increasing order of firstIndex. */
  spans: ConfigurationSpan[];
  lastIndex: number;
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
  const { spans, lastIndex, leaderId, currentTerm, commitIndex, matchIndexOf, termAt } = inputs;
  // Later spans hold higher indices, so the first span (from the end) that commits gives the answer.
  for (let position = spans.length - 1; position >= 0; position -= 1) {
    const span = spans[position];
    assert.ok(span !== undefined && span.configuration.inSync.length > 0, 'the in-sync set is never empty');
    const spanLastIndex = (spans[position + 1]?.firstIndex ?? lastIndex + 1) - 1;
    // The leader counts even if a configuration left it out of the in-sync set.
    let durableIndex = Math.min(matchIndexOf(leaderId), spanLastIndex);
    for (const id of span.configuration.inSync) {
      const matchIndex = matchIndexOf(id);
      assert.ok(
        Number.isSafeInteger(matchIndex) && matchIndex >= 0,
        `bad match index ${matchIndex} for ${id}`,
      );
      durableIndex = Math.min(durableIndex, matchIndex);
    }
    // Terms never decrease along the log: if the entry at durableIndex is of an older term, no
    // entry of the current term in this span is durable everywhere yet.
    if (
      durableIndex >= span.firstIndex &&
      durableIndex > commitIndex &&
      termAt(durableIndex) === currentTerm
    ) {
      return durableIndex;
    }
  }
  return commitIndex;
}
