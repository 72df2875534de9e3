// Pair mode: two data nodes, a main (the priority node) and a backup, either of which serves
// alone when the other is gone. Silence from the peer counts as consent in an election, so two
// candidates could each win the same term without hearing from the other; term ownership rules
// that out. Each term belongs to one voter, and a candidate that may have to win on silence
// campaigns only in a term it owns: a term won alone is owned by its winner, and a term won
// with the other's vote cannot also be won by the other (one vote per term). So there is never
// more than one leader per term, even in pair mode. (Two leaders in different terms remain
// possible after a clean cut between the nodes; see README.md.)
import assert from 'node:assert/strict';
import type { NodeId } from './types.js';

/** The owner of term t is the voter at position (t - 1) mod n of the sorted voters. */
export function termOwner(term: number, voters: readonly NodeId[]): NodeId {
  assert.ok(Number.isSafeInteger(term) && term >= 1, `bad term ${term}`);
  assert.ok(voters.length > 0, 'a term needs voters to own it');
  const sorted = [...voters].sort();
  const owner = sorted[(term - 1) % sorted.length];
  assert.ok(owner !== undefined);
  return owner;
}

/** The smallest term above afterTerm that id owns. */
export function nextOwnedTerm(afterTerm: number, id: NodeId, voters: readonly NodeId[]): number {
  assert.ok(voters.includes(id), `${id} is not a voter and owns no term`);
  assert.ok(Number.isSafeInteger(afterTerm) && afterTerm >= 0, `bad term ${afterTerm}`);
  for (let term = afterTerm + 1; term <= afterTerm + voters.length; term += 1) {
    if (termOwner(term, voters) === id) return term;
  }
  assert.fail(`no term owned by ${id} after ${afterTerm}`);
}

/**
 * How long a pair-mode follower waits without a leader before it campaigns. The main, and any
 * node that has already followed a leader since it started, waits the failover timeout. A backup
 * that has not yet seen a leader (a cold start) waits half as long again, so that when both start
 * together the main campaigns first and wins.
 */
export function pairElectionTimeoutTicks(options: {
  failoverTimeoutTicks: number;
  isPriorityNode: boolean;
  hasPriorityNode: boolean;
  heardFromLeaderSinceStart: boolean;
}): number {
  const { failoverTimeoutTicks } = options;
  if (!options.hasPriorityNode || options.isPriorityNode || options.heardFromLeaderSinceStart) {
    return failoverTimeoutTicks;
  }
  return failoverTimeoutTicks + Math.ceil(failoverTimeoutTicks / 2);
}
