// Elections: how a data node campaigns, how it votes, and how it counts the answers. A campaign
// starts with a pre-vote when enabled (always in pair and witness modes), which asks for the next
// term without taking it; a won pre-vote, or none, makes the node a candidate in that term, and a
// won vote makes it leader (election-quorum.ts counts). A voter grants one vote per term, to a
// candidate whose log is at least as up to date as its own; the vote is in the hard state, which
// the driver persists before the answer leaves. Pair and witness modes add the rules in
// pair-mode.ts. The role changes themselves are the node's.
import assert from 'node:assert/strict';
import { electionResult } from './election-quorum.js';
import type { NodeView } from './node-view.js';
import { type CandidateState, nextOwnedTerm, type PairElectionRules } from './pair-mode.js';
import { type FarTermGate, MAX_TERM } from './term-bounds.js';
import type { Message, NodeId, RequestVoteMessage, RequestVoteResponseMessage } from './types.js';

/**
 * campaign: a pre-vote first when enabled; election: a real vote at once (after a won pre-vote);
 * transfer: a campaign that may disturb a known leader (after timeout_now).
 */
export type CampaignKind = 'campaign' | 'election' | 'transfer';

/** What elections read of their node, and the role changes they ask of it. */
export interface ElectionHost extends NodeView {
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  /** See managesInSyncSet (in-sync.ts). */
  readonly managesInSyncSet: boolean;
  readonly electionTimeoutTicks: number;
  readonly pairRules: PairElectionRules | null;
  readonly farTerms: FarTermGate;
  votedFor(): NodeId | null;
  /** The one leader this node has seen for a term. */
  knownLeader(): { term: number; id: NodeId } | null;
  /** Ticks since the election timer last restarted (a leader's contact, a vote granted). */
  electionElapsedTicks(): number;
  ticksSinceLeaderContact(): number;
  heardFromLeaderSinceStart(): boolean;
  heardFromPeerSinceStart(): boolean;
  lastMessageTickFrom(): ReadonlyMap<NodeId, number>;
  /** Whether this node sent the candidate timeout_now for this term (see Leadership). */
  isTransferringTo(candidate: NodeId, term: number): boolean;
  becomePreCandidate(): void;
  becomeCandidate(term: number): void;
  becomeLeader(): void;
  becomeFollower(term: number, leader: NodeId | null): void;
  /** Records the vote (in the hard state) and restarts the election timer. */
  voteFor(candidate: NodeId): void;
}

export class Election {
  /** Candidate and pre-candidate only: the votes received, bounded by the voters. */
  private readonly votes = new Map<NodeId, boolean>();
  /** Candidates: the campaign follows a timeout_now (its requests carry leadershipTransfer). */
  private transferCampaign = false;
  /**
   * Pair mode, candidate and pre-candidate only: the voters whose port refused the connection for
   * this campaign's request (see refused), bounded by the voters.
   */
  private readonly refusedConnection = new Set<NodeId>();

  constructor(private readonly host: ElectionHost) {}

  /** A new role: no campaign is under way. */
  reset(): void {
    this.votes.clear();
    this.refusedConnection.clear();
    this.transferCampaign = false;
  }

  get votesReceived(): number {
    return this.votes.size;
  }

  /** Whether the campaign under way follows a timeout_now. */
  get transferring(): boolean {
    return this.transferCampaign;
  }

  /** The term a campaign moves to: the next one, or the one the pair rules say. */
  campaignTerm(): number {
    const { host } = this;
    return host.pairRules?.campaignTerm(host.term(), host.configuration().voters) ?? host.term() + 1;
  }

  /**
   * Starts a campaign. In pair and witness modes a transfer pre-votes too (with the transfer flag,
   * which only the node transferring leadership honours), so that a timeout_now that the leader did
   * not send moves no term.
   */
  start(kind: CampaignKind): void {
    const { host } = this;
    if (host.role() === 'leader') {
      host.trace('is already leader; ignored the campaign');
      return;
    }
    if (!host.configuration().voters.includes(host.id)) {
      host.trace('is not a voter; ignored the campaign');
      return;
    }
    if (this.campaignTerm() > MAX_TERM) {
      host.trace(`cannot campaign: term ${this.campaignTerm()} is beyond the last term ${MAX_TERM}`);
      return;
    }
    // An election after a won pre-vote keeps the transfer flag of the campaign it continues.
    const transfer = kind === 'transfer' || (kind === 'election' && this.transferCampaign);
    const preVoteFirst =
      host.preVote && (kind === 'campaign' || (kind === 'transfer' && host.managesInSyncSet));
    // A new round of requests: refusals of the last round's no longer tell anything.
    this.refusedConnection.clear();
    if (preVoteFirst) {
      host.becomePreCandidate();
      this.transferCampaign = transfer;
      host.trace(`became pre-candidate at term ${host.term()}${transfer ? ' to take over leadership' : ''}`);
      this.requestVotes(true, transfer);
    } else {
      host.becomeCandidate(this.campaignTerm());
      this.transferCampaign = transfer;
      host.trace(`became candidate at term ${host.term()}`);
      this.requestVotes(false, transfer);
    }
  }

  private requestVotes(preVote: boolean, leadershipTransfer: boolean): void {
    const { id } = this.host;
    this.votes.set(id, true);
    this.sendVoteRequests(
      preVote,
      leadershipTransfer,
      this.host.configuration().voters.filter((voter) => voter !== id),
    );
    this.tally();
  }

  private sendVoteRequests(preVote: boolean, leadershipTransfer: boolean, voters: NodeId[]): void {
    const { host } = this;
    const log = host.log();
    for (const voter of voters) {
      host.send<RequestVoteMessage>(voter, {
        type: 'request_vote',
        term: preVote ? this.campaignTerm() : host.term(),
        lastLogIndex: log.lastIndex(),
        lastLogTerm: log.lastTerm(),
        preVote,
        leadershipTransfer,
      });
    }
  }

  private tally(): void {
    const { host } = this;
    const result = electionResult(host.configuration().voters, this.votes);
    if (result === 'won') {
      if (host.role() === 'pre_candidate') {
        host.trace(`won the pre-vote for term ${this.campaignTerm()}`);
        this.start('election');
      } else {
        host.becomeLeader();
      }
    } else if (result === 'lost') {
      host.trace(
        `lost the ${host.role() === 'pre_candidate' ? 'pre-vote' : 'election'} at term ${host.term()}`,
      );
      // A transfer that the leader did not grant (a timeout_now it did not send, or one it gave up)
      // leaves this node following that leader, as before: a follower without a leader would let
      // the next message from a later term move it.
      const known = host.knownLeader();
      const backTo = this.transferCampaign && known !== null && known.term === host.term() ? known.id : null;
      host.becomeFollower(host.term(), backTo);
    }
  }

  /**
   * Pair mode, on a tick: a pre-candidate or candidate whose peer has not answered within the vote
   * wait goes on as if it had agreed, if the pair rules let it; otherwise it asks again. Returns
   * whether it went on.
   */
  proceedOnSilence(): boolean {
    const { host } = this;
    const rules = host.pairRules;
    const role = host.role();
    if (rules === null || (role !== 'pre_candidate' && role !== 'candidate')) return false;
    const verdict = rules.weighSilence(this.candidateState(), host.nowTick());
    if (verdict === null) return false;
    if (!verdict.consent) {
      this.sendVoteRequests(role === 'pre_candidate', this.transferCampaign, verdict.silent);
      return false;
    }
    this.goOnAlone();
    return true;
  }

  /**
   * The transport could not deliver this node's vote request of this term (preVote: a pre-vote
   * request) to a voter: the voter's port refused the connection, so nothing listens there and no
   * answer will come. In pair mode a pre-candidate or candidate whose silent voters all refused goes
   * on at once, as it would after the vote wait (the same obstacles apply, and term ownership keeps
   * one leader per term); elsewhere, and for a request of another campaign, it changes nothing.
   */
  refused(voter: NodeId, term: number, preVote: boolean): void {
    const { host } = this;
    const rules = host.pairRules;
    const role = host.role();
    if (rules === null || voter === host.id || !host.configuration().voters.includes(voter)) return;
    const current =
      (role === 'pre_candidate' && preVote && term === this.campaignTerm()) ||
      (role === 'candidate' && !preVote && term === host.term());
    if (!current || this.votes.has(voter)) return;
    this.refusedConnection.add(voter);
    if (rules.weighRefusals(this.candidateState(), this.refusedConnection, host.nowTick()) === null) return;
    this.goOnAlone();
  }

  private candidateState(): CandidateState {
    const { host } = this;
    const configuration = host.configuration();
    return {
      voters: configuration.voters,
      inSync: configuration.inSync,
      votes: this.votes,
      lastIndex: host.log().lastIndex(),
      heardFromPeerSinceStart: host.heardFromPeerSinceStart(),
      lastMessageTickFrom: host.lastMessageTickFrom(),
    };
  }

  /** Pair mode: the silent voters count as consent; the pre-vote or the vote is won. */
  private goOnAlone(): void {
    const { host } = this;
    const configuration = host.configuration();
    if (host.role() === 'pre_candidate') {
      this.start('election');
    } else {
      assert.ok(
        nextOwnedTerm(host.term() - 1, host.id, configuration.voters) === host.term(),
        `${host.id} would win term ${host.term()} alone without owning it`,
      );
      host.becomeLeader();
    }
  }

  /**
   * A vote request or answer from a later term. Returns whether the node takes it (at the
   * message's term, except for pre-votes, which never change a term by themselves), or null when
   * the node's usual rule for a later term applies.
   */
  laterTerm(message: Message): boolean | null {
    const { host } = this;
    if (message.type === 'request_vote' && host.managesInSyncSet) {
      // Silence counts as consent in pair mode, so a refusal must be said out loud.
      const refusal = this.pairVoteRefusal(message);
      if (refusal !== null) {
        host.trace(
          `refused ${voteName(message.preVote)} for ${message.from} at term ${message.term} (${refusal})`,
        );
        this.answerVote(message, false);
        return false;
      }
      if (!message.preVote) host.becomeFollower(message.term, null);
      return true;
    }
    if (message.type === 'request_vote') {
      // With checkQuorum, a follower that heard from its leader within the election timeout
      // keeps it: a partitioned node rejoining must not depose a healthy leader.
      const inLease =
        host.checkQuorum &&
        host.leaderId() !== null &&
        host.electionElapsedTicks() < host.electionTimeoutTicks;
      if (inLease && !message.leadershipTransfer) {
        host.trace(
          `ignored a ${voteName(message.preVote)} request from ${message.from} at term ${message.term}`,
        );
        return false;
      }
      if (!message.preVote) host.becomeFollower(message.term, null);
      return true;
    }
    if (message.type === 'request_vote_response' && message.preVote && message.voteGranted) {
      // A granted pre-vote carries the term the pre-candidate proposed, not the voter's term.
      return true;
    }
    if (
      message.type === 'request_vote_response' &&
      message.preVote &&
      host.managesInSyncSet &&
      host.configuration().voters.includes(host.id) &&
      message.term === this.campaignTerm()
    ) {
      // A pair-mode refusal carries the term the pre-candidate proposed, so that it counts; it
      // answers our own request (perhaps a late one) and moves no term.
      return true;
    }
    return null;
  }

  /** A vote request at this node's term (a later one was taken first). */
  voteRequested(message: RequestVoteMessage): void {
    const { host } = this;
    const votedFor = host.votedFor();
    const pairRefusal = this.pairVoteRefusal(message);
    const canVote =
      pairRefusal === null &&
      (votedFor === message.from ||
        (votedFor === null && host.leaderId() === null) ||
        (message.preVote && message.term > host.term()));
    const upToDate = host.log().isUpToDate(message.lastLogIndex, message.lastLogTerm);
    const granted = canVote && upToDate;
    if (granted && message.preVote) host.farTerms.grantedPreVote(message.from, message.term, host.nowTick());
    // The vote is in hardState, which the driver persists before sending this answer.
    if (granted && !message.preVote) host.voteFor(message.from);
    let reason = '';
    if (!granted) {
      reason = canVote ? ' (log behind ours)' : ` (${pairRefusal ?? 'already voted or following a leader'})`;
    }
    host.trace(
      `${granted ? 'granted' : 'rejected'} ${voteName(message.preVote)} for ${message.from} at term ${message.term}${reason}`,
    );
    this.answerVote(message, granted);
  }

  answerVote(message: RequestVoteMessage, granted: boolean): void {
    const { host } = this;
    // A grant carries the requested term. A refusal carries ours; in pair mode never less than the
    // requested one, so that a candidate at a higher term than ours counts it instead of
    // discarding it as stale (a refusal moves no one's term below the voter's own).
    let term = granted ? message.term : host.term();
    if (!granted && host.managesInSyncSet) term = Math.max(host.term(), message.term);
    host.send<RequestVoteResponseMessage>(message.from, {
      type: 'request_vote_response',
      term,
      voteGranted: granted,
      preVote: message.preVote,
    });
  }

  /** Pair and witness modes: why this node refuses a candidate regardless of logs (pair-mode.ts). */
  private pairVoteRefusal(message: RequestVoteMessage): string | null {
    const { host } = this;
    const rules = host.pairRules;
    if (rules === null) return null;
    return rules.voteRefusal({
      role: host.role(),
      ticksSinceLeaderContact: host.ticksSinceLeaderContact(),
      heardFromLeaderSinceStart: host.heardFromLeaderSinceStart(),
      transferFromThisNode: message.leadershipTransfer && host.isTransferringTo(message.from, message.term),
    });
  }

  /** An answer to this node's (pre-)vote request. */
  voteAnswered(message: RequestVoteResponseMessage): void {
    const { host } = this;
    const role = host.role();
    // A pre-vote answer carries the term asked for when granted; a refusal carries ours in majority
    // mode and the one asked for in pair mode (see answerVote).
    const preVoteAnswerTerm = () =>
      host.managesInSyncSet || message.voteGranted ? this.campaignTerm() : host.term();
    const counts =
      (role === 'pre_candidate' && message.preVote && message.term === preVoteAnswerTerm()) ||
      (role === 'candidate' && !message.preVote && message.term === host.term());
    if (!counts) return;
    // A voter grants at most once per term, so a refusal after a grant is a late answer to an
    // older request; the grant stands.
    if (this.votes.get(message.from) !== true) this.votes.set(message.from, message.voteGranted);
    this.tally();
  }
}

function voteName(preVote: boolean): string {
  return preVote ? 'pre-vote' : 'vote';
}
