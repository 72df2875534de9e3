// The in-sync set, kept by the leader in pair and witness modes: the data nodes that hold every
// acknowledged entry, which an entry needs to commit (commit-rule.ts). A follower that stops
// acknowledging leaves it, so that the leader goes on alone, and comes back once it holds the
// leader's log. Each change is a configuration entry, effective when appended, so the commit rule
// follows at once. In witness mode a removal is recorded with the witness before its entry is
// appended (witness-mode.ts); the decision is the same.
import { withInSync } from './configuration.js';
import type { Progress } from './progress.js';
import type { Configuration, NodeId, ReplicationMode } from './types.js';

/**
 * Pair and witness modes: the leader keeps the in-sync set itself (maintainInSyncSet), and what
 * makes that safe comes with it: elections by the pair rules (pair-mode.ts), followers that stick to
 * a leader they hear, a pre-vote always, and a failover timeout that is not randomized. In majority
 * mode the driver changes the set with proposeConfiguration.
 */
export function managesInSyncSet(mode: ReplicationMode): boolean {
  return mode !== 'majority';
}

/** What the leader knows when it looks at its in-sync set. */
export interface InSyncLeader {
  id: NodeId;
  /** The leader's latest configuration (committed or not). */
  configuration: Configuration;
  /** Witness mode: the witness, never in the set; null otherwise. */
  witnessId: NodeId | null;
  nowTick: number;
  failoverTimeoutTicks: number;
  commitIndex: number;
  lastIndex: number;
  /** The index of the latest configuration entry in the log (0: none). */
  lastConfigurationIndex: number;
  /** That entry is of the leader's own term: its own change, not one it inherited. */
  lastConfigurationIsOwn: boolean;
  /** The index of the leader's newest configuration entry or of its noop (see RaftNode). */
  pendingConfigurationIndex: number;
  maxEntriesPerMessage: number;
  maxUncommittedEntries: number;
  progressOf(id: NodeId): Progress;
  /** Members that said they are about to stop (RaftNode.leave): they count as silent. */
  leaving: readonly NodeId[];
  /** Appends the leader's own configuration change. */
  appendConfigurationChange(configuration: Configuration): void;
  /** Witness mode: has the witness record a removal before its entry is appended; null otherwise. */
  recordRemovalWithWitness: ((configuration: Configuration) => void) | null;
  trace(line: string): void;
}

/**
 * Changes the in-sync set, at most once per call:
 * 1. an in-sync follower that has acknowledged nothing for the failover timeout, or said it is
 *    leaving (RaftNode.leave), leaves the set (the leader then commits alone), and a leader outside
 *    its own set adds itself;
 * 2. a follower outside the set that holds the leader's log, or all but one message of it, comes
 *    back in.
 * Returns whether the set is settled: nothing changed and no change is uncommitted.
 */
export function maintainInSyncSet(leader: InSyncLeader): boolean {
  const { id, configuration, nowTick, failoverTimeoutTicks, commitIndex, lastConfigurationIndex } = leader;
  const { voters, inSync } = configuration;
  // A member that has acknowledged nothing for the failover timeout leaves the in-sync set at
  // once, even over an uncommitted configuration entry: that entry could not commit without the
  // silent member anyway (and entries commit only with one of this term). The leader itself
  // always belongs (one that won with its peer's explicit vote while out of the set holds every
  // committed entry all the same); adding it waits for the leader's own pending change, if any.
  const silent = inSync.filter(
    (member) =>
      member !== id &&
      (leader.leaving.includes(member) ||
        nowTick - leader.progressOf(member).lastAcknowledgementTick >= failoverTimeoutTicks),
  );
  const ownChangePending = lastConfigurationIndex > commitIndex && leader.lastConfigurationIsOwn;
  if (silent.length > 0 || (!inSync.includes(id) && !ownChangePending)) {
    for (const member of silent) {
      const silentTicks = nowTick - leader.progressOf(member).lastAcknowledgementTick;
      leader.trace(
        leader.leaving.includes(member)
          ? `removes ${member} from the in-sync set: it is leaving`
          : `removes ${member} from the in-sync set: no acknowledgement for ${silentTicks} ticks`,
      );
    }
    if (!inSync.includes(id)) leader.trace('adds itself to the in-sync set');
    const next = withInSync(
      configuration,
      voters.filter((member) => member === id || (inSync.includes(member) && !silent.includes(member))),
    );
    // Witness mode: the witness records a removal before the entry that makes it count.
    if (silent.length > 0 && leader.recordRemovalWithWitness !== null) leader.recordRemovalWithWitness(next);
    else leader.appendConfigurationChange(next);
    return false;
  }
  // Re-admission (and the hand-back) wait until no change (nor the noop) is uncommitted.
  if (lastConfigurationIndex > commitIndex || leader.pendingConfigurationIndex > commitIndex) return false;
  const { lastIndex } = leader;
  for (const member of voters) {
    if (member === id || member === leader.witnessId || inSync.includes(member)) continue;
    if (leader.leaving.includes(member)) continue;
    const progress = leader.progressOf(member);
    const answering = nowTick - progress.lastAcknowledgementTick < failoverTimeoutTicks;
    const withinLimit = lastIndex - commitIndex < leader.maxUncommittedEntries;
    // Within one message of the end, and taking pipelined appends: under steady load a member
    // rarely holds the whole log at one instant. Readmitting it a little behind is safe: the
    // configuration entry reaches it only after every entry before it, and every later entry
    // commits only with its acknowledgement. Commits then wait at most one append for it.
    const lagEntries = lastIndex - progress.matchIndex;
    const closeBehind =
      lagEntries === 0 || (progress.state === 'replicate' && lagEntries <= leader.maxEntriesPerMessage);
    if (closeBehind && answering && withinLimit) {
      leader.trace(
        lagEntries === 0
          ? `adds ${member} back to the in-sync set: it holds the whole log (${lastIndex})`
          : `adds ${member} back to the in-sync set: it holds ${progress.matchIndex} of ${lastIndex}`,
      );
      leader.appendConfigurationChange(
        withInSync(
          configuration,
          voters.filter((other) => other === member || inSync.includes(other)),
        ),
      );
      return false;
    }
  }
  return true;
}
