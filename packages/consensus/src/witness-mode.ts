// Witness mode, the leader's side (the witness's own side is witness-core.ts). The leader sends
// the witness heartbeats (no entries) carrying its commit index, and keeps the witness's record of
// the in-sync set in step with its own configuration:
// - removing a data node: the witness records the smaller set FIRST, and only after its success
//   does the leader append the configuration entry that lets it commit without that node;
// - adding a data node back (or the leader itself): the entry is appended first and the witness is
//   told afterwards (a witness that lags behind an addition only refuses more, which is safe).
// One record is outstanding at a time; it is sent again every heartbeat interval until answered.
// A leader that hears from neither the other data node nor the witness steps down (check-quorum).
import assert from 'node:assert/strict';
import { sameMembers, withInSync } from './configuration.js';
import type { NodeView } from './node-view.js';
import type { Progress } from './progress.js';
import type {
  AppendEntriesMessage,
  Configuration,
  Message,
  NodeId,
  WitnessLinkStatus,
  WitnessRecordMessage,
  WitnessRecordResponseMessage,
} from './types.js';

export interface WitnessRecordRequest {
  inSync: NodeId[];
  configurationIndex: number;
  /** The record drops a member: the leader appends the configuration entry once it succeeds. */
  removal: boolean;
  sentAtTick: number;
}

/** What the leader knows of the witness. */
export class WitnessLink {
  /** The leader's tick when the witness last answered (a heartbeat or a record). */
  lastResponseTick = 0;
  /** The in-sync set the witness confirmed to this leader in its term; null until it did. */
  confirmedInSync: NodeId[] | null = null;
  /** The record sent and not yet answered. */
  pending: WitnessRecordRequest | null = null;
  /** The configurationIndex of this leader's latest record (0: none yet in this term). */
  private lastRecordIndex = 0;

  constructor(readonly witnessId: NodeId) {}

  /** A new leader knows nothing of what the witness holds; silence counts from lastHeardTick. */
  reset(lastHeardTick: number): void {
    this.lastResponseTick = lastHeardTick;
    this.confirmedInSync = null;
    this.pending = null;
    this.lastRecordIndex = 0;
  }

  /**
   * The configurationIndex for a new record: the natural one (the configuration entry's index, or
   * for a removal the index its entry will take), but always above every earlier record of this
   * leader, so that the witness, which keeps the highest of a term, orders a leader's records
   * exactly as they were sent, copies in flight included.
   */
  nextRecordIndex(natural: number): number {
    return Math.max(natural, this.lastRecordIndex + 1);
  }

  /**
   * Whether the witness confirmed exactly this set. While a record is pending the witness may hold
   * that one instead, so only `pending === null && confirmed(set)` means the witness holds the set.
   */
  confirmed(inSync: readonly NodeId[]): boolean {
    return this.confirmedInSync !== null && sameMembers(this.confirmedInSync, inSync);
  }

  request(inSync: readonly NodeId[], configurationIndex: number, removal: boolean, nowTick: number): void {
    assert.ok(inSync.length > 0, 'a recorded in-sync set is never empty');
    assert.equal(this.pending, null, 'one witness record at a time');
    assert.ok(configurationIndex > this.lastRecordIndex, 'records of one leader go up');
    this.lastRecordIndex = configurationIndex;
    this.pending = { inSync: [...inSync].sort(), configurationIndex, removal, sentAtTick: nowTick };
  }

  /**
   * The witness answered a record. Returns the request it answers when it succeeded (and clears
   * it); null when the answer is for another request or a refusal. A refusal drops the request so
   * that the leader starts over from its current configuration, and forgets what the witness
   * confirmed: another copy of the refused record may still be in flight and be taken, so only a
   * new record (with a higher index) says for sure what the witness holds.
   */
  answered(success: boolean, configurationIndex: number, nowTick: number): WitnessRecordRequest | null {
    this.lastResponseTick = nowTick;
    const pending = this.pending;
    if (pending === null || pending.configurationIndex !== configurationIndex) return null;
    this.pending = null;
    if (!success) {
      this.confirmedInSync = null;
      return null;
    }
    this.confirmedInSync = [...pending.inSync];
    return pending;
  }

  status(nowTick: number): WitnessLinkStatus {
    return {
      id: this.witnessId,
      lastResponseTicksAgo: nowTick - this.lastResponseTick,
      confirmedInSync: this.confirmedInSync === null ? null : [...this.confirmedInSync],
      pendingInSync: this.pending === null ? null : [...this.pending.inSync],
      pendingRemoval: this.pending?.removal ?? false,
    };
  }
}

/** What the leader's side of witness mode needs from its node. */
export interface WitnessLeaderHost extends NodeView {
  readonly heartbeatIntervalTicks: number;
  readonly failoverTimeoutTicks: number;
  /** The messages this node has sent since its last Ready. */
  outbox(): readonly Message[];
  /** Appends the leader's own configuration change (see Leadership). */
  appendConfigurationChange(configuration: Configuration): void;
}

/** The leader's side of witness mode: the node calls it only while it leads. */
export class WitnessLeader {
  /** Reset whenever this node wins. */
  private readonly link: WitnessLink;

  constructor(
    readonly witnessId: NodeId,
    private readonly host: WitnessLeaderHost,
  ) {
    this.link = new WitnessLink(witnessId);
  }

  /** The witness has a removal to record: the in-sync set changes no further meanwhile. */
  get removalPending(): boolean {
    return this.link.pending?.removal === true;
  }

  /** This node won: it knows nothing of what the witness holds; silence counts from lastHeardTick. */
  wonLeadership(lastHeardTick: number): void {
    this.link.reset(lastHeardTick);
    this.heartbeat();
  }

  /** An append without entries, carrying the commit index the witness keeps as acknowledged. */
  heartbeat(): void {
    this.host.send<AppendEntriesMessage>(this.witnessId, {
      type: 'append_entries',
      prevLogIndex: 0,
      prevLogTerm: 0,
      entries: [],
      leaderCommit: this.host.log().commitIndex,
    });
  }

  /**
   * Keeps the witness's record in step with the leader's in-sync set: sends the set when the witness
   * has not confirmed it (after winning, and after an addition), and repeats an unanswered record
   * every heartbeat interval.
   */
  sync(): void {
    const { link, host } = this;
    const nowTick = host.nowTick();
    const pending = link.pending;
    if (pending !== null) {
      if (nowTick - pending.sentAtTick >= host.heartbeatIntervalTicks) {
        pending.sentAtTick = nowTick;
        this.sendRecord(pending.inSync, pending.configurationIndex);
      }
      return;
    }
    const { inSync } = host.configuration();
    // A leader outside its own set adds itself first (in-sync.ts); the witness hears of it then.
    if (!inSync.includes(host.id) || link.confirmed(inSync)) return;
    const log = host.log();
    // A configuration taken from the snapshot has no entry of its own: the snapshot index stands in.
    const configurationIndex = link.nextRecordIndex(
      Math.max(log.lastConfigurationIndex(), log.snapshotIndex),
    );
    link.request(inSync, configurationIndex, false, nowTick);
    this.sendRecord(inSync, configurationIndex);
  }

  /** Asks the witness to record a smaller in-sync set; the entry is appended on its success. */
  recordRemoval(next: Configuration): void {
    const { link, host } = this;
    // While a record is unanswered the witness may hold it or the confirmed one: only a confirmed
    // set with nothing pending is certain (found by the randomized test, seed 276).
    if (link.pending === null && link.confirmed(next.inSync)) {
      host.appendConfigurationChange(next);
      return;
    }
    // A removal supersedes a record of the current set that is still unanswered.
    link.pending = null;
    // The entry will be appended after every index in the log now.
    const configurationIndex = link.nextRecordIndex(host.log().lastIndex() + 1);
    host.trace(`asks the witness to record in-sync set (${next.inSync.join(',')}) first`);
    link.request(next.inSync, configurationIndex, true, host.nowTick());
    this.sendRecord(next.inSync, configurationIndex);
  }

  heartbeatAnswered(): void {
    this.link.lastResponseTick = this.host.nowTick();
  }

  recordAnswered(message: WitnessRecordResponseMessage): void {
    const { host } = this;
    const answered = this.link.answered(message.success, message.configurationIndex, host.nowTick());
    if (answered === null) {
      if (!message.success) host.trace(`the witness refused the record at ${message.configurationIndex}`);
      return;
    }
    const configuration = host.configuration();
    if (!answered.removal || sameMembers(answered.inSync, configuration.inSync)) return;
    // The smaller set is durable on the witness: only now may the leader commit without the member.
    host.trace(`the witness recorded in-sync set (${answered.inSync.join(',')}); appending it`);
    host.appendConfigurationChange(withInSync(configuration, answered.inSync));
  }

  /**
   * Witness mode's check-quorum: a leader that has heard from neither the other data node nor the
   * witness for the failover timeout steps down (the driver then refuses writes and reads), so that
   * it stops serving before the other two could elect a new leader without it. Returns whether it
   * must step down.
   */
  quorumLost(followers: Iterable<Progress>): boolean {
    const { host } = this;
    let lastHeardTick = this.link.lastResponseTick;
    for (const progress of followers) lastHeardTick = Math.max(lastHeardTick, progress.lastResponseTick);
    const silentTicks = host.nowTick() - lastHeardTick;
    if (silentTicks < host.failoverTimeoutTicks) return false;
    host.trace(`heard from no other voter for ${silentTicks} ticks; stepping down at term ${host.term()}`);
    return true;
  }

  status(): WitnessLinkStatus {
    return this.link.status(this.host.nowTick());
  }

  private sendRecord(inSync: NodeId[], configurationIndex: number): void {
    const { host } = this;
    // The witness takes a record's acknowledged index only up to the commit index this leader
    // announced in a heartbeat of its term (see witness-core.ts), so a heartbeat goes first,
    // unless this Ready already carries one with the same commit index.
    const commitIndex = host.log().commitIndex;
    const announced = host
      .outbox()
      .some(
        (message) =>
          message.to === this.witnessId &&
          message.type === 'append_entries' &&
          message.leaderCommit === commitIndex,
      );
    if (!announced) this.heartbeat();
    host.send<WitnessRecordMessage>(this.witnessId, {
      type: 'witness_record',
      inSync: [...inSync],
      acknowledgedIndex: host.log().commitIndex,
      configurationIndex,
    });
  }
}
