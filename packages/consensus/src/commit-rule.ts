// Tandem's commit rule differs from majority Raft: an entry is committed only once it is durable
// on every member of the in-sync set, so an acknowledged operation survives the loss of any one
// data node. The leader still commits only entries of its own term by counting (Raft's rule);
// earlier entries commit with them. This is the one place that decides how far the log is
// durable on the in-sync set, so that changing the in-sync set is a matter of configuration.
import assert from 'node:assert/strict';
import type { Configuration, NodeId } from './types.js';

/**
 * The highest index durable on every in-sync member. matchIndexOf gives, for each member, the
 * highest index known durable there (for the leader itself: what its driver has persisted).
 */
export function inSyncDurableIndex(configuration: Configuration, matchIndexOf: (id: NodeId) => number): number {
  assert.ok(configuration.inSync.length > 0, 'the in-sync set is never empty');
  let durableIndex = Number.POSITIVE_INFINITY;
  for (const id of configuration.inSync) {
    const matchIndex = matchIndexOf(id);
    assert.ok(Number.isSafeInteger(matchIndex) && matchIndex >= 0, `bad match index ${matchIndex} for ${id}`);
    durableIndex = Math.min(durableIndex, matchIndex);
  }
  return durableIndex;
}
