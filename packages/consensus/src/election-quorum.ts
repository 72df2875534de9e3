// Elections need a majority of the voters. Kept apart from the commit rule: the two quorums are
// different on purpose (see commit-rule.ts).
import type { NodeId } from './types.js';

export type ElectionResult = 'won' | 'lost' | 'pending';

export function majority(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}

/** Tallies the votes of voters only; votes from non-voters are ignored. */
export function electionResult(voters: NodeId[], votes: ReadonlyMap<NodeId, boolean>): ElectionResult {
  let granted = 0;
  let rejected = 0;
  for (const voter of voters) {
    const vote = votes.get(voter);
    if (vote === true) granted += 1;
    if (vote === false) rejected += 1;
  }
  const needed = majority(voters.length);
  if (granted >= needed) return 'won';
  if (rejected > voters.length - needed) return 'lost';
  return 'pending';
}

/** Whether the voters that are active (self always is) form a majority. */
export function hasActiveQuorum(voters: NodeId[], isActive: (id: NodeId) => boolean): boolean {
  return voters.filter(isActive).length >= majority(voters.length);
}
