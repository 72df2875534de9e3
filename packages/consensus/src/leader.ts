// The leader's work, while a node leads: it appends its noop and what is proposed (ledger commands,
// merges, configuration changes), commits by the commit rule (commit-rule.ts) once entries are
// durable, heartbeats, steps down by check-quorum, and transfers leadership on request. In pair and
// witness modes it also keeps the in-sync set (in-sync.ts) and hands leadership back to the main
// (hand-back.ts). Sending to the followers is replication.ts; the role changes are the node's.
import assert from 'node:assert/strict';
import { nextCommitIndex } from './commit-rule.js';
import {
  configurationsEqual,
  drainedOf,
  encodeConfiguration,
  replicationPeers,
  validateConfiguration,
  withDrained,
} from './configuration.js';
import { hasActiveQuorum } from './election-quorum.js';
import {
  ConfigurationChangePendingError,
  DrainRefusedError,
  LeadershipTransferInProgressError,
  NotLeaderError,
  ProposalBackpressureError,
} from './errors.js';
import type { HandBack } from './hand-back.js';
import { maintainInSyncSet } from './in-sync.js';
import type { SplitBrainMerge } from './merge.js';
import type { NodeView } from './node-view.js';
import type { Progress } from './progress.js';
import type { Limits } from './raft-config.js';
import type { Replication } from './replication.js';
import type {
  AppendEntriesResponseMessage,
  Configuration,
  EntryKind,
  InstallSnapshotResponseMessage,
  MergeOffer,
  NodeId,
  ProposalPosition,
  ReplicationMode,
  TimeoutNowMessage,
} from './types.js';
import type { WitnessLeader } from './witness-mode.js';

const EMPTY_DATA = new Uint8Array(0);

/** What the leader's work reads of its node, and the role change it may ask for. */
export interface LeaderHost extends NodeView {
  readonly mode: ReplicationMode;
  /** See managesInSyncSet (in-sync.ts). */
  readonly managesInSyncSet: boolean;
  readonly witnessNodeId: NodeId | null;
  readonly limits: Limits;
  readonly electionTimeoutTicks: number;
  readonly heartbeatIntervalTicks: number;
  readonly checkQuorum: boolean;
  /** The configuration used when neither the log nor the snapshot holds one. */
  readonly baseConfiguration: Configuration;
  lastMessageTickFrom(): ReadonlyMap<NodeId, number>;
  /** The log changed under the configuration (a configuration entry). */
  refreshConfiguration(): void;
  becomeFollower(term: number, leader: NodeId | null): void;
}

/** The parts of the node the leader drives. */
export interface LeaderParts {
  replication: Replication;
  handBack: HandBack;
  merge: SplitBrainMerge;
  witness: WitnessLeader | null;
}

export class Leadership {
  /** The voter leadership is being transferred to, or null. */
  private transfereeId: NodeId | null = null;
  /** The index of the newest configuration entry (or the noop); one change may be uncommitted. */
  private pendingConfigurationIndex = 0;
  /** The commit index moved and the peers have not been told yet. */
  private commitBroadcastDue = false;
  private heartbeatElapsedTicks = 0;
  /** Ticks into the current election timeout: check-quorum and an abandoned transfer count them. */
  private electionElapsedTicks = 0;
  /**
   * The leadership transfer this node started last (it sent timeout_now), kept after it stops
   * leading: only the node transferring leadership honours the leadershipTransfer flag of a vote
   * request (pair and witness modes).
   */
  private transferSent: { to: NodeId; term: number; tick: number } | null = null;

  constructor(
    private readonly host: LeaderHost,
    private readonly parts: LeaderParts,
  ) {}

  get transferee(): NodeId | null {
    return this.transfereeId;
  }

  /** Whether the next Ready must tell the followers the commit index. */
  get commitToBroadcast(): boolean {
    return this.commitBroadcastDue;
  }

  /**
   * A member that said it is about to stop (RaftNode.leave) counts as silent for the in-sync set
   * until the tick given: it leaves the set at once and is not taken back meanwhile. Bounded by the
   * configuration's members. A member that did not stop after all is taken back once this runs out
   * (or said again with its next answer).
   */
  private readonly leavingUntilTick = new Map<NodeId, number>();

  private noteLeaving(member: NodeId): void {
    const { host } = this;
    if (!host.configuration().voters.includes(member)) return;
    if (!this.leavingUntilTick.has(member)) host.trace(`${member} says it is leaving`);
    this.leavingUntilTick.set(member, host.nowTick() + host.electionTimeoutTicks);
  }

  private leavingMembers(): NodeId[] {
    const now = this.host.nowTick();
    for (const [member, untilTick] of this.leavingUntilTick) {
      if (untilTick <= now) this.leavingUntilTick.delete(member);
    }
    return [...this.leavingUntilTick.keys()];
  }

  /** A new role: nothing of an earlier leadership carries over (but transferSent). */
  reset(): void {
    this.leavingUntilTick.clear();
    this.parts.replication.progress.clear();
    this.transfereeId = null;
    this.pendingConfigurationIndex = 0;
    this.commitBroadcastDue = false;
    this.heartbeatElapsedTicks = 0;
    this.electionElapsedTicks = 0;
  }

  /** The node just became leader (byTransfer: in a campaign started by timeout_now). */
  won(byTransfer: boolean): void {
    const { host, parts } = this;
    const lastMessageTickFrom = host.lastMessageTickFrom();
    for (const peer of this.replicationTargets(host.configuration())) {
      parts.replication.addPeer(peer, lastMessageTickFrom.get(peer) ?? 0);
    }
    if (parts.witness !== null) {
      parts.witness.wonLeadership(lastMessageTickFrom.get(parts.witness.witnessId) ?? 0);
    }
    host.trace(`became leader at term ${host.term()}`);
    parts.handBack.wonLeadership(host.nowTick(), byTransfer);
    parts.merge.wonLeadership();
    // The noop lets the leader commit entries of earlier terms, and no configuration change may
    // start before it commits.
    const position = this.append([{ kind: 'noop', data: EMPTY_DATA }]);
    this.pendingConfigurationIndex = position.lastIndex;
    // A leader that won on silence drops its silent peer from the in-sync set at once.
    this.maintainInSyncSet();
    this.syncWitness();
  }

  tick(): void {
    const { host, parts } = this;
    this.heartbeatElapsedTicks += 1;
    this.electionElapsedTicks += 1;
    if (parts.witness?.quorumLost(parts.replication.progress.values())) {
      host.becomeFollower(host.term(), null);
      return;
    }
    if (this.electionElapsedTicks >= host.electionTimeoutTicks) {
      this.electionElapsedTicks = 0;
      if (host.checkQuorum) {
        const { progress } = parts.replication;
        const active = (id: NodeId) => id === host.id || progress.get(id)?.recentActive === true;
        if (!hasActiveQuorum(host.configuration().voters, active)) {
          host.trace(`lost contact with a quorum; stepping down at term ${host.term()}`);
          host.becomeFollower(host.term(), null);
          return;
        }
        for (const follower of progress.values()) follower.recentActive = false;
      }
      if (this.transfereeId !== null) {
        host.trace(`abandoned the leadership transfer to ${this.transfereeId}`);
        this.transfereeId = null;
        parts.handBack.transferAbandoned(host.nowTick());
      }
    }
    if (this.heartbeatElapsedTicks >= host.heartbeatIntervalTicks) {
      this.heartbeatElapsedTicks = 0;
      this.commitBroadcastDue = false;
      parts.replication.heartbeatInterval();
      parts.witness?.heartbeat();
    }
    this.maintainInSyncSet();
    this.syncWitness();
  }

  // -------------------------------------------------------------------------------------------
  // Proposals.

  /** See RaftNode.propose. */
  propose(kind: 'normal', data: Uint8Array[]): ProposalPosition {
    const { limits } = this.host;
    assert.equal(kind, 'normal', 'only normal entries are proposed; configurations use proposeConfiguration');
    assert.ok(Array.isArray(data) && data.length > 0, 'a proposal holds at least one entry');
    assert.ok(
      data.length <= limits.maxProposalEntries,
      `a proposal holds at most ${limits.maxProposalEntries} entries, not ${data.length}`,
    );
    for (const item of data) {
      assert.ok(item instanceof Uint8Array, 'entry data is a Uint8Array');
      assert.ok(
        item.byteLength <= limits.maxEntryBytes,
        `entry data is at most ${limits.maxEntryBytes} bytes, not ${item.byteLength}`,
      );
    }
    this.assertCanPropose(data.length);
    return this.append(data.map((item) => ({ kind: 'normal', data: item })));
  }

  /** See RaftNode.proposeMerge. */
  proposeMerge(offer: MergeOffer, data: Uint8Array[]): ProposalPosition {
    const { host, parts } = this;
    if (host.role() !== 'leader') {
      parts.merge.offerDropped(offer);
      throw new NotLeaderError(host.leaderId(), host.term());
    }
    try {
      // An offer whose entries all cancel out (none left to re-apply) still takes one entry, so
      // that its commit tells the backup it is merged.
      assert.ok(data.length >= 1, 'a merge takes at least one entry');
      this.assertCanPropose(data.length);
    } catch (error) {
      parts.merge.offerDropped(offer);
      throw error;
    }
    for (const item of data) {
      assert.ok(item.byteLength <= host.limits.maxEntryBytes, 'a merge entry is within the entry size limit');
    }
    const position = this.append(data.map((item) => ({ kind: 'normal' as const, data: item })));
    parts.merge.offerProposed(offer, position.lastIndex);
    host.trace(
      `proposed the merge of ${offer.from}'s entries ${offer.firstIndex}..${offer.throughIndex} at ${position.lastIndex}`,
    );
    return position;
  }

  /** See RaftNode.proposeConfiguration. */
  proposeConfiguration(configuration: Configuration): ProposalPosition {
    const { host } = this;
    validateConfiguration(configuration);
    this.assertCanPropose(1);
    assert.ok(configuration.voters.includes(host.id), 'the leader cannot remove itself from the voters');
    assert.ok(configuration.inSync.includes(host.id), 'the leader cannot remove itself from the in-sync set');
    // A removal must be recorded with the witness first; the leader manages the set itself.
    assert.notEqual(host.mode, 'witness', 'witness mode: the leader manages the in-sync set itself');
    if (host.mode === 'pair') {
      assert.ok(
        configurationsEqual(
          { voters: configuration.voters, inSync: [host.id] },
          { voters: host.configuration().voters, inSync: [host.id] },
        ),
        'pair mode changes only the in-sync set, never the voters',
      );
    }
    if (this.pendingConfigurationIndex > host.log().commitIndex) {
      throw new ConfigurationChangePendingError(this.pendingConfigurationIndex);
    }
    return this.append([{ kind: 'configuration', data: encodeConfiguration(configuration) }]);
  }

  private assertCanPropose(entryCount: number): void {
    const { host } = this;
    if (host.role() !== 'leader') throw new NotLeaderError(host.leaderId(), host.term());
    if (this.transfereeId !== null) throw new LeadershipTransferInProgressError(this.transfereeId);
    const log = host.log();
    const uncommitted = log.lastIndex() - log.commitIndex;
    if (uncommitted + entryCount > host.limits.maxUncommittedEntries) {
      throw new ProposalBackpressureError(uncommitted, host.limits.maxUncommittedEntries);
    }
  }

  /** Appends entries of this term and sends them; a configuration entry takes effect at once. */
  private append(items: { kind: EntryKind; data: Uint8Array }[]): ProposalPosition {
    const { host } = this;
    assert.equal(host.role(), 'leader', 'only the leader appends new entries');
    const log = host.log();
    const term = host.term();
    const firstIndex = log.lastIndex() + 1;
    const entries = items.map((item, offset) => ({
      index: firstIndex + offset,
      term,
      kind: item.kind,
      data: item.data,
    }));
    log.append(entries);
    const lastConfiguration = entries.findLast((entry) => entry.kind === 'configuration');
    if (lastConfiguration !== undefined) {
      this.pendingConfigurationIndex = lastConfiguration.index;
      host.refreshConfiguration();
    }
    // A configuration change may loosen the commit rule at once.
    this.commit();
    this.parts.replication.sendAppendsToAll();
    return { firstIndex, lastIndex: firstIndex + entries.length - 1, term };
  }

  /** The leader's own configuration change: no proposal checks, the callers made theirs. */
  appendConfigurationChange(configuration: Configuration): void {
    assert.ok(configuration.inSync.includes(this.host.id), 'the leader stays in the in-sync set');
    this.append([{ kind: 'configuration', data: encodeConfiguration(configuration) }]);
  }

  // -------------------------------------------------------------------------------------------
  // Commitment.

  /** Commits up to the index durable on every in-sync member, if it is of the current term. */
  commit(): boolean {
    const { host } = this;
    if (host.role() !== 'leader') return false;
    const log = host.log();
    const { progress } = this.parts.replication;
    const commitIndex = nextCommitIndex({
      spans: log.configurationSpans(log.commitIndex, host.baseConfiguration),
      lastIndex: log.lastIndex(),
      leaderId: host.id,
      currentTerm: host.term(),
      commitIndex: log.commitIndex,
      matchIndexOf: (id) => (id === host.id ? log.durableLastIndex() : (progress.get(id)?.matchIndex ?? 0)),
      termAt: (index) => log.term(index),
    });
    const moved = log.commitTo(commitIndex);
    // Several acknowledgements between two Readies move the commit index once per Ready.
    if (moved) {
      this.commitBroadcastDue = progress.size > 0;
      this.parts.merge.committed(log.commitIndex);
    }
    return moved;
  }

  /** Before a Ready: heartbeats tell every peer the commit index (up to what each peer matches). */
  broadcastCommitIfDue(): void {
    if (!this.commitBroadcastDue) return;
    this.commitBroadcastDue = false;
    this.parts.replication.broadcastHeartbeats();
  }

  appendAnswered(message: AppendEntriesResponseMessage): void {
    if (this.host.role() !== 'leader') return;
    if (message.leaving === true && message.from !== this.host.witnessNodeId) this.noteLeaving(message.from);
    const { replication } = this.parts;
    const answer = replication.appendAnswered(message);
    if (answer === null) return;
    if (answer.moved) this.matchMoved(message.from, answer.progress);
    replication.sendAfterAnswer(message.from, answer.progress);
    this.maintainInSyncSet();
  }

  snapshotAnswered(message: InstallSnapshotResponseMessage): void {
    if (this.host.role() !== 'leader') return;
    const { replication } = this.parts;
    const answer = replication.snapshotAnswered(message);
    if (answer === null) return;
    if (answer.moved) this.matchMoved(message.from, answer.progress);
    replication.sendAppends(message.from, answer.progress, false);
    this.maintainInSyncSet();
  }

  private matchMoved(peer: NodeId, progress: Progress): void {
    this.commit();
    if (this.transfereeId === peer && progress.matchIndex === this.host.log().lastIndex()) {
      this.sendTimeoutNow(peer);
    }
  }

  /** The configuration changed: replicate to its members, and transfer only to a voter. */
  configurationChanged(configuration: Configuration): void {
    const { progress } = this.parts.replication;
    const peers = this.replicationTargets(configuration);
    const lastMessageTickFrom = this.host.lastMessageTickFrom();
    for (const peer of peers) {
      if (!progress.has(peer)) this.parts.replication.addPeer(peer, lastMessageTickFrom.get(peer) ?? 0);
    }
    for (const peer of [...progress.keys()]) if (!peers.includes(peer)) progress.delete(peer);
    if (this.transfereeId !== null && !configuration.voters.includes(this.transfereeId)) {
      this.transfereeId = null;
    }
  }

  /** Every node the leader replicates to; in witness mode, never the witness. */
  private replicationTargets(configuration: Configuration): NodeId[] {
    return replicationPeers(configuration, this.host.id).filter((peer) => peer !== this.host.witnessNodeId);
  }

  // -------------------------------------------------------------------------------------------
  // Leadership transfer.

  /** See RaftNode.transferLeadership. */
  transfer(transferee: NodeId): void {
    const { host } = this;
    if (host.role() !== 'leader') throw new NotLeaderError(host.leaderId(), host.term());
    assert.ok(host.configuration().voters.includes(transferee), `${transferee} is not a voter`);
    assert.notEqual(transferee, host.witnessNodeId, 'the witness never leads');
    if (transferee === host.id || this.transfereeId === transferee) return;
    const progress = this.parts.replication.progress.get(transferee);
    assert.ok(progress !== undefined, `no progress for voter ${transferee}`);
    this.transfereeId = transferee;
    // The transfer gets one election timeout to complete.
    this.electionElapsedTicks = 0;
    host.trace(`started transferring leadership to ${transferee} at term ${host.term()}`);
    if (progress.matchIndex === host.log().lastIndex()) {
      this.sendTimeoutNow(transferee);
    } else {
      this.parts.replication.sendAppends(transferee, progress, false);
    }
  }

  private sendTimeoutNow(peer: NodeId): void {
    const { host } = this;
    host.trace(`sent timeout_now to ${peer}`);
    this.transferSent = { to: peer, term: host.term(), tick: host.nowTick() };
    host.send<TimeoutNowMessage>(peer, { type: 'timeout_now' });
  }

  /**
   * The node this one sent timeout_now within the last election timeout, or null: until the new
   * leader makes itself known, the likeliest leader (a hint for clients).
   */
  recentTransferTarget(): NodeId | null {
    const sent = this.transferSent;
    if (sent === null || this.host.nowTick() - sent.tick > this.host.electionTimeoutTicks) return null;
    return sent.to;
  }

  /**
   * Whether this node sent the candidate timeout_now within the last election timeout, for the term
   * the candidate campaigns in (the leader's term, plus at most a skip in pair mode).
   */
  isTransferringTo(candidate: NodeId, term: number): boolean {
    const sent = this.transferSent;
    return (
      sent !== null &&
      sent.to === candidate &&
      term > sent.term &&
      term <= sent.term + this.host.configuration().voters.length &&
      this.host.nowTick() - sent.tick <= this.host.electionTimeoutTicks
    );
  }

  // -------------------------------------------------------------------------------------------
  // Pair and witness modes.

  /**
   * See RaftNode.setDrained. Draining the leader itself is refused unless another data node that
   * is not drained is in sync and answering: it must be able to take over, or the drain would
   * promise a move that cannot happen.
   */
  setDrained(node: NodeId, drained: boolean): ProposalPosition | null {
    const { host, parts } = this;
    if (host.role() !== 'leader') throw new NotLeaderError(host.leaderId(), host.term());
    const configuration = host.configuration();
    if (!host.managesInSyncSet)
      throw new DrainRefusedError('unsupported', 'drains need a pair or witness cluster');
    if (!configuration.voters.includes(node) || node === host.witnessNodeId) {
      throw new DrainRefusedError('not_data_node', `${node} is not a data node of this cluster`);
    }
    const current = drainedOf(configuration);
    if (current.includes(node) === drained) {
      // Nothing to change; a hand-off the drain asked for starts again without its back-off.
      parts.handBack.drainChanged();
      return null;
    }
    const next = drained ? [...current, node] : current.filter((id) => id !== node);
    const dataNodes = configuration.voters.filter((id) => id !== host.witnessNodeId);
    const leaders = dataNodes.filter((id) => !next.includes(id));
    if (leaders.length === 0) {
      throw new DrainRefusedError(
        'no_leader_left',
        `every other data node is drained; ${node} must stay able to lead`,
      );
    }
    if (drained && node === host.id) {
      const { progress } = parts.replication;
      const able = leaders.filter((id) => {
        const peer = progress.get(id);
        return (
          peer !== undefined &&
          configuration.inSync.includes(id) &&
          host.nowTick() - peer.lastAcknowledgementTick < host.electionTimeoutTicks
        );
      });
      if (able.length === 0) {
        throw new DrainRefusedError(
          'no_successor',
          `no other data node (${leaders.join(', ')}) is in sync and answering, so none could take leadership over from ${node}`,
        );
      }
    }
    if (parts.witness?.removalPending === true)
      throw new ConfigurationChangePendingError(host.log().lastIndex() + 1);
    if (this.pendingConfigurationIndex > host.log().commitIndex) {
      throw new ConfigurationChangePendingError(this.pendingConfigurationIndex);
    }
    this.assertCanPropose(1);
    host.trace(`${drained ? 'drains' : 'undrains'} ${node}`);
    parts.handBack.drainChanged();
    return this.append([
      { kind: 'configuration', data: encodeConfiguration(withDrained(configuration, next)) },
    ]);
  }

  /**
   * On every leader tick and answer, never during a leadership transfer: at most one change of the
   * in-sync set (in-sync.ts); once the set is settled, the hand-back to the main (hand-back.ts).
   */
  private maintainInSyncSet(): void {
    const { host, parts } = this;
    if (!host.managesInSyncSet || host.role() !== 'leader' || this.transfereeId !== null) return;
    const { witness, replication } = parts;
    // Witness mode: nothing changes while the witness has a removal to record.
    if (witness?.removalPending === true) return;
    const log = host.log();
    const configuration = host.configuration();
    const lastConfigurationIndex = log.lastConfigurationIndex();
    const settled = maintainInSyncSet({
      id: host.id,
      configuration,
      witnessId: host.witnessNodeId,
      nowTick: host.nowTick(),
      failoverTimeoutTicks: host.electionTimeoutTicks,
      commitIndex: log.commitIndex,
      lastIndex: log.lastIndex(),
      lastConfigurationIndex,
      lastConfigurationIsOwn: log.term(lastConfigurationIndex) === host.term(),
      pendingConfigurationIndex: this.pendingConfigurationIndex,
      maxEntriesPerMessage: host.limits.maxEntriesPerMessage,
      maxUncommittedEntries: host.limits.maxUncommittedEntries,
      progressOf: (id) => replication.progressOf(id),
      leaving: this.leavingMembers(),
      appendConfigurationChange: (next) => this.appendConfigurationChange(next),
      recordRemovalWithWitness: witness === null ? null : (next) => witness.recordRemoval(next),
      trace: (line) => host.trace(line),
    });
    if (!settled) return;
    const target = parts.handBack.start(
      configuration,
      (id) => replication.progressOf(id).lastAcknowledgementTick,
      host.nowTick(),
    );
    if (target !== null) this.transfer(target);
  }

  private syncWitness(): void {
    if (this.host.role() === 'leader') this.parts.witness?.sync();
  }
}
