// Pair mode: two data nodes, a main (the priority node) and a backup, either of which serves
// alone when the other is gone. Silence from the peer counts as consent in an election, so two
// candidates could each win the same term without hearing from the other; term ownership rules
// that out. Each term belongs to one voter, and a candidate that may have to win on silence
// campaigns only in a term it owns: a term won alone is owned by its winner, and a term won
// with the other's vote cannot also be won by the other (one vote per term). So there is never
// more than one leader per term, even in pair mode. (Two leaders in different terms remain
// possible after a clean cut between the nodes; see README.md.)
import assert from 'node:assert/strict';
import type { NodeId, Role } from './types.js';

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

/** What a voter's own state says about a vote request (see PairElectionRules.voteRefusal). */
export interface VoterState {
  role: Role;
  ticksSinceLeaderContact: number;
  heardFromLeaderSinceStart: boolean;
  /** The request carries the transfer flag and this node is transferring leadership to the candidate. */
  transferFromThisNode: boolean;
}

/** What a pre-candidate or candidate knows when it weighs its peer's silence. */
export interface CandidateState {
  voters: readonly NodeId[];
  inSync: readonly NodeId[];
  votes: ReadonlyMap<NodeId, boolean>;
  lastIndex: number;
  heardFromPeerSinceStart: boolean;
  /** When each voter last sent this node anything. */
  lastMessageTickFrom: ReadonlyMap<NodeId, number>;
}

/**
 * The election rules of pair mode, which the node consults: which term it campaigns in and who may
 * lead a term (term ownership), when it campaigns (the cold-start timeout), whether it grants a vote,
 * when it counts its peer's silence as consent, and the startup grace. Witness mode's data nodes
 * follow the part that does not depend on silence: they vote and time their campaigns the same way,
 * but terms are not owned, and only explicit votes count.
 */
export class PairElectionRules {
  /** Pair mode: a node may win on silence, hence terms are owned and there is a startup grace. */
  private readonly silenceIsConsent: boolean;
  /**
   * The highest commit index a leader announced since this node started. A node whose log ends
   * below it lacks acknowledged entries and must not win an election alone.
   */
  private highestKnownCommitIndex = 0;
  /**
   * The commit indices announced by the leader of the current term. Within a term a leader's commit
   * index never goes down, so a later, lower announcement shows that an earlier, higher one did not
   * come from it; highestKnownCommitIndex then falls back to what it was before that leader's
   * announcements plus its latest one, and one forged message cannot keep this node from ever
   * winning alone.
   */
  private commitAnnouncements: { from: NodeId; term: number; before: number; latest: number } | null = null;
  /** Candidates: ticks since the (pre-)vote requests went out. */
  private voteWaitElapsedTicks = 0;
  /** Candidates: the reason it cannot win alone was traced already. */
  private soloObstacleReported = false;

  constructor(
    private readonly options: {
      id: NodeId;
      /** Pair mode: true; witness mode: false. */
      silenceIsConsent: boolean;
      /** The main; null when none is configured. */
      priorityNodeId: NodeId | null;
      failoverTimeoutTicks: number;
      /** How long a candidate waits for its peer's answer before silence may count as consent. */
      voteWaitTicks: number;
      startupGraceTicks: number;
      trace: (line: string) => void;
      refuse: (kind: string, line: string) => void;
    },
  ) {
    this.silenceIsConsent = options.silenceIsConsent;
  }

  /** How long a follower waits without a leader before it campaigns (see pairElectionTimeoutTicks). */
  electionTimeoutTicks(heardFromLeaderSinceStart: boolean): number {
    const { id, priorityNodeId, failoverTimeoutTicks } = this.options;
    return pairElectionTimeoutTicks({
      failoverTimeoutTicks,
      isPriorityNode: priorityNodeId === id,
      hasPriorityNode: priorityNodeId !== null,
      heardFromLeaderSinceStart,
    });
  }

  /** The term a campaign moves to: in pair mode the next one this node owns. */
  campaignTerm(currentTerm: number, voters: readonly NodeId[]): number {
    if (!this.silenceIsConsent) return currentTerm + 1;
    return nextOwnedTerm(currentTerm, this.options.id, voters);
  }

  /** Whether a voter may lead a term: in pair mode only the term's owner does. */
  mayLead(voter: NodeId, term: number, voters: readonly NodeId[]): boolean {
    return !this.silenceIsConsent || !voters.includes(voter) || termOwner(term, voters) === voter;
  }

  /**
   * Why this node refuses a candidate regardless of logs, or null. A leader keeps its leadership,
   * and a node that heard from a leader within the failover timeout sticks to it (unless the leader
   * itself asked for the election with timeout_now). The main also refuses until it has itself been
   * without a leader for its timeout, even at start, so that it wins a cold start; a backup that has
   * seen no leader since it started has nothing to stick to.
   */
  voteRefusal(voter: VoterState): string | null {
    if (voter.transferFromThisNode) return null;
    if (voter.role === 'leader') return 'this node leads';
    if (voter.ticksSinceLeaderContact >= this.options.failoverTimeoutTicks) return null;
    if (!voter.heardFromLeaderSinceStart && this.options.priorityNodeId !== this.options.id) return null;
    return voter.heardFromLeaderSinceStart
      ? 'heard from a leader within the failover timeout'
      : 'the priority node has not been without a leader for its timeout';
  }

  /** A new candidacy (or none): the wait for the peer's answer starts over. */
  resetCandidacy(): void {
    this.voteWaitElapsedTicks = 0;
    this.soloObstacleReported = false;
  }

  /**
   * On a candidate's tick: once its peer has not answered within the vote wait, whether the silent
   * voters count as consent (consent: go on as if they had agreed) or not (ask them again, so that
   * silence is judged on a recent request: a peer that was down when the first one went out may be
   * up by the time the obstacle clears). Null while there is nothing to decide.
   */
  weighSilence(candidate: CandidateState, nowTick: number): { silent: NodeId[]; consent: boolean } | null {
    if (!this.silenceIsConsent) return null;
    this.voteWaitElapsedTicks += 1;
    if (this.voteWaitElapsedTicks < this.options.voteWaitTicks) return null;
    const { id } = this.options;
    const silent = candidate.voters.filter((voter) => voter !== id && !candidate.votes.has(voter));
    if (silent.length === 0) return null;
    const obstacle = this.soloElectionObstacle(candidate, nowTick);
    if (obstacle !== null) {
      if (!this.soloObstacleReported) {
        this.soloObstacleReported = true;
        this.options.trace(`cannot win without ${silent.join(',')}: ${obstacle}`);
      }
      this.voteWaitElapsedTicks = 0;
      return { silent, consent: false };
    }
    const waited = this.voteWaitElapsedTicks;
    this.options.trace(
      `heard nothing from ${silent.join(',')} for ${waited} tick${waited === 1 ? '' : 's'}; going on alone`,
    );
    return { silent, consent: true };
  }

  /**
   * When a vote request could not even be delivered because the peer's port refused the connection
   * (nothing listens there: its process is gone), waiting out the vote wait for its answer gains
   * nothing. Returns the silent voters to go on without, as weighSilence would after the wait, if
   * every silent voter refused and nothing else stands in the way; otherwise null, and the vote wait
   * goes on as usual (no request is sent again here, so refusals cannot loop).
   */
  weighRefusals(
    candidate: CandidateState,
    refused: ReadonlySet<NodeId>,
    nowTick: number,
  ): { silent: NodeId[] } | null {
    if (!this.silenceIsConsent) return null;
    const { id } = this.options;
    const silent = candidate.voters.filter((voter) => voter !== id && !candidate.votes.has(voter));
    if (silent.length === 0 || !silent.every((voter) => refused.has(voter))) return null;
    const obstacle = this.soloElectionObstacle(candidate, nowTick);
    if (obstacle !== null) {
      if (!this.soloObstacleReported) {
        this.soloObstacleReported = true;
        this.options.trace(
          `the connection to ${silent.join(',')} was refused, but it cannot win alone: ${obstacle}`,
        );
      }
      return null;
    }
    this.options.trace(`the connection to ${silent.join(',')} was refused; going on alone`);
    return { silent };
  }

  /** Why this node may not win an election on its own vote, or null if it may. */
  private soloElectionObstacle(candidate: CandidateState, nowTick: number): string | null {
    const { id, priorityNodeId, failoverTimeoutTicks } = this.options;
    if (!candidate.inSync.includes(id)) return 'not in its own in-sync set';
    // A backup that holds nothing has nothing to serve, and winning alone would make its empty log
    // the one the main must follow; only the main may start a fresh cluster on its own.
    if (candidate.lastIndex === 0 && id !== priorityNodeId)
      return 'an empty log (only the main starts alone)';
    if (candidate.lastIndex < this.highestKnownCommitIndex) {
      return `its log ends at ${candidate.lastIndex}, below the known commit index ${this.highestKnownCommitIndex}`;
    }
    const graceTicks = this.startupGraceRemainingTicks(candidate.heardFromPeerSinceStart, nowTick);
    if (graceTicks > 0) return `startup grace (${graceTicks} ticks left)`;
    // Silence is consent only from a peer that seems dead. A peer heard within the failover timeout
    // is alive (its answer is merely late, or it refused): wait for its explicit vote instead.
    for (const peer of candidate.voters) {
      const heardAtTick = peer === id ? undefined : candidate.lastMessageTickFrom.get(peer);
      if (heardAtTick !== undefined && nowTick - heardAtTick < failoverTimeoutTicks) {
        return `${peer} was heard ${nowTick - heardAtTick} ticks ago`;
      }
    }
    return null;
  }

  /**
   * Every pair node waits for its peer before it may win alone, whatever its log holds: a node that
   * starts empty (a replaced disk, a fresh backup) must not elect itself past a peer that is merely
   * slow to open a long log, because its empty log would then overwrite the peer's.
   */
  startupGraceRemainingTicks(heardFromPeerSinceStart: boolean, nowTick: number): number {
    if (!this.silenceIsConsent || heardFromPeerSinceStart) return 0;
    return Math.max(0, this.options.startupGraceTicks - nowTick);
  }

  /**
   * A leader announced its commit index (in an append), believed once two announcements of the same
   * leader in the same term reach it (a real leader announces it with every heartbeat).
   */
  noteAnnouncedCommit(from: NodeId, term: number, leaderCommit: number): void {
    let announcements = this.commitAnnouncements;
    if (announcements === null || announcements.from !== from || announcements.term !== term) {
      announcements = { from, term, before: this.highestKnownCommitIndex, latest: leaderCommit };
      this.commitAnnouncements = announcements;
    }
    if (leaderCommit < announcements.latest) {
      this.options.refuse(
        'commit_went_back',
        `${from} announced commit index ${leaderCommit} after ${announcements.latest} in term ${term}; the higher one is not believed`,
      );
    }
    announcements.latest = leaderCommit;
    this.highestKnownCommitIndex = Math.max(announcements.before, leaderCommit);
  }

  /** A leader's snapshot shows that its log is committed at least up to index. */
  snapshotCommitted(index: number): void {
    this.highestKnownCommitIndex = Math.max(this.highestKnownCommitIndex, index);
  }

  /** What this node knows to be committed starts over at index (a merge, a discarded history). */
  resetKnownCommitIndex(index: number): void {
    this.highestKnownCommitIndex = index;
  }
}
