// Log replication, both sides. The leader keeps a Progress per follower (progress.ts) and sends
// each what it needs: pipelined appends within a window, one probe at a time while it looks for the
// match point, a snapshot when the follower needs entries compacted away, heartbeats anchored at the
// follower's match index, and an empty append at nextIndex when pipelined appends may be lost. A
// follower appends what matches its log and says how far it matches; in pair mode it checks entries
// at or below its commit index instead of assuming them (a split brain can leave two histories).
import assert from 'node:assert/strict';
import { validateConfiguration } from './configuration.js';
import type { SplitBrainMerge } from './merge.js';
import type { NodeView } from './node-view.js';
import type { PairElectionRules } from './pair-mode.js';
import { Progress } from './progress.js';
import type { Limits } from './raft-config.js';
import type {
  AppendEntriesMessage,
  AppendEntriesResponseMessage,
  Entry,
  InstallSnapshotMessage,
  InstallSnapshotResponseMessage,
  NodeId,
  ProgressStatus,
} from './types.js';

const EMPTY_DATA = new Uint8Array(0);

/** What replication needs from its node. */
export interface ReplicationHost extends NodeView {
  readonly limits: Limits;
  /** The log changed under the configuration (a truncation, a configuration entry, a snapshot). */
  refreshConfiguration(): void;
}

export class Replication {
  /** Leader only: one entry per replication peer. */
  readonly progress = new Map<NodeId, Progress>();

  constructor(
    private readonly host: ReplicationHost,
    /** Pair mode only: a follower checks appends against its committed entries. */
    private readonly pair: { rules: PairElectionRules; merge: SplitBrainMerge } | null,
  ) {}

  // -------------------------------------------------------------------------------------------
  // The leader's side.

  /** A new leader (silence counts from the last message the peer sent: a vote, or a heartbeat). */
  addPeer(peer: NodeId, lastHeardTick: number): void {
    const progress = new Progress(this.host.log().lastIndex() + 1, this.host.limits.maxInflightMessages);
    // A new leader assumes its peers are alive until an election timeout proves otherwise.
    progress.recentActive = true;
    progress.lastResponseTick = lastHeardTick;
    progress.lastAcknowledgementTick = lastHeardTick;
    this.progress.set(peer, progress);
  }

  progressOf(id: NodeId): Progress {
    const progress = this.progress.get(id);
    assert.ok(progress !== undefined, `no progress for ${id}`);
    return progress;
  }

  /** New entries: each follower gets what its state and window allow. */
  sendAppendsToAll(): void {
    for (const [peer, progress] of this.progress) this.sendAppends(peer, progress, false);
  }

  /** Heartbeats also tell every peer the commit index (up to what each peer matches). */
  broadcastHeartbeats(): void {
    for (const [peer, progress] of this.progress) this.sendHeartbeat(peer, progress);
  }

  /** The heartbeat interval passed: a heartbeat each, or a probe where appends may be lost. */
  heartbeatInterval(): void {
    for (const [peer, progress] of this.progress) {
      if (progress.suspectLostAppends()) this.sendLossProbe(peer, progress);
      else this.sendHeartbeat(peer, progress);
      progress.matchIndexAtLastHeartbeat = progress.matchIndex;
    }
  }

  /** Sends as many appends as the follower's state and window allow. */
  sendAppends(peer: NodeId, progress: Progress, sendIfEmpty: boolean): void {
    let sendEmpty = sendIfEmpty;
    for (let round = 0; round <= this.host.limits.maxInflightMessages; round += 1) {
      if (!this.maybeSendAppend(peer, progress, sendEmpty)) return;
      sendEmpty = false;
    }
  }

  /** Returns whether entries were sent (so that another message might follow). */
  private maybeSendAppend(peer: NodeId, progress: Progress, sendIfEmpty: boolean): boolean {
    if (progress.isPaused()) return false;
    const { limits } = this.host;
    const log = this.host.log();
    const lastIndex = log.lastIndex();
    assert.ok(progress.nextIndex <= lastIndex + 1, `nextIndex ${progress.nextIndex} beyond ${lastIndex + 1}`);
    const prevLogIndex = progress.nextIndex - 1;
    const prevLogTerm = log.term(prevLogIndex);
    if (prevLogTerm === undefined) {
      this.sendSnapshot(peer, progress);
      return false;
    }
    const entries =
      progress.nextIndex <= lastIndex
        ? log.slice(progress.nextIndex, lastIndex, limits.maxEntriesPerMessage, limits.maxBytesPerMessage)
        : [];
    if (entries.length === 0 && !sendIfEmpty) return false;
    this.host.send<AppendEntriesMessage>(peer, {
      type: 'append_entries',
      prevLogIndex,
      prevLogTerm,
      entries,
      leaderCommit: log.commitIndex,
    });
    progress.sent(prevLogIndex + entries.length, entries.length);
    return entries.length > 0;
  }

  /** A heartbeat is an empty append at the follower's match point, so it never disturbs a pipeline. */
  private sendHeartbeat(peer: NodeId, progress: Progress): void {
    const prevLogTerm = this.host.log().term(progress.matchIndex);
    // A match point compacted away is replaced by index 0, which matches every log.
    if (prevLogTerm === undefined) this.sendEmptyAppend(peer, 0, 0);
    else this.sendEmptyAppend(peer, progress.matchIndex, prevLogTerm);
  }

  /**
   * An empty append at nextIndex - 1 (it also serves as the heartbeat). A follower that lost
   * pipelined appends lacks that index and refuses it, which turns the leader to probing; one
   * that merely has them in flight accepts it.
   */
  private sendLossProbe(peer: NodeId, progress: Progress): void {
    const prevLogIndex = progress.nextIndex - 1;
    const prevLogTerm = this.host.log().term(prevLogIndex);
    if (prevLogTerm === undefined) {
      progress.becomeProbe(progress.matchIndex + 1);
      this.sendAppends(peer, progress, true);
      return;
    }
    this.sendEmptyAppend(peer, prevLogIndex, prevLogTerm);
  }

  private sendEmptyAppend(peer: NodeId, prevLogIndex: number, prevLogTerm: number): void {
    this.host.send<AppendEntriesMessage>(peer, {
      type: 'append_entries',
      prevLogIndex,
      prevLogTerm,
      entries: [],
      leaderCommit: this.host.log().commitIndex,
    });
  }

  private sendSnapshot(peer: NodeId, progress: Progress): void {
    const metadata = this.host.log().snapshot();
    assert.ok(metadata !== null, 'entries are only compacted under a snapshot');
    this.host.send<InstallSnapshotMessage>(peer, {
      type: 'install_snapshot',
      snapshot: { metadata, data: EMPTY_DATA },
    });
    progress.becomeSnapshot(metadata.index);
    this.host.trace(`sent snapshot ${metadata.index}/${metadata.term} to ${peer}`);
  }

  /**
   * A follower answered an append. Returns its progress when it acknowledged (moved: its match
   * index went up), for the caller to commit and send more; null when there is nothing more to do.
   */
  appendAnswered(message: AppendEntriesResponseMessage): { progress: Progress; moved: boolean } | null {
    const { host } = this;
    const progress = this.progress.get(message.from);
    if (progress === undefined) return null;
    const log = host.log();
    if (message.success && message.matchIndex > log.lastIndex()) {
      host.refuse(
        'bad_answer',
        `ignored ${message.from}'s answer: it matches ${message.matchIndex}, beyond this leader's last index ${log.lastIndex()}`,
      );
      return null;
    }
    progress.recentActive = true;
    progress.answered(host.nowTick(), message.success);
    if (!message.success) {
      // A refusal without a conflict index answers an append of an older term (this node may have
      // led before and been elected again since the answer left): it says nothing about now.
      if (message.conflictIndex === 0) return null;
      let nextIndex = message.conflictIndex;
      if (message.conflictTerm > 0) {
        const lastOfTerm = log.lastIndexOfTerm(message.conflictTerm, log.lastIndex());
        if (lastOfTerm !== undefined) nextIndex = lastOfTerm + 1;
      }
      nextIndex = Math.min(nextIndex, log.lastIndex() + 1);
      // A probe is out already, from at or before where this answer points: the answer is to an
      // append sent before that probe (after one gap, every append of the pipelined window is
      // refused in turn), and the probe's own answer will say more. Probing again for each of
      // them sent the same entries up to maxInflightMessages times to a follower catching up.
      if (progress.state === 'probe' && progress.probeSent && nextIndex >= progress.nextIndex) return null;
      progress.becomeProbe(nextIndex);
      host.trace(`probes ${message.from} from ${progress.nextIndex} after a rejected append`);
      this.sendAppends(message.from, progress, true);
      return null;
    }
    const moved = progress.acknowledge(message.matchIndex);
    if (progress.state === 'replicate') {
      progress.inflights.freeTo(message.matchIndex);
      // An answer without progress while the window is full (a lost append, or a heartbeat) frees
      // one slot, so that the next append finds out whether a gap needs probing.
      if (!moved && progress.inflights.full()) progress.inflights.freeFirst();
    } else if (progress.state === 'probe') {
      if (moved) progress.becomeReplicate();
      else progress.probeSent = false;
    } else if (progress.matchIndex >= progress.pendingSnapshotIndex) {
      progress.becomeProbe(progress.matchIndex + 1);
    }
    return { progress, moved };
  }

  /** After appendAnswered: a prober answered without progress tries again, to learn the match point. */
  sendAfterAnswer(peer: NodeId, progress: Progress): void {
    const probeAgain = progress.state === 'probe' && progress.matchIndex < this.host.log().lastIndex();
    this.sendAppends(peer, progress, probeAgain);
  }

  /** A follower answered a snapshot; as appendAnswered. */
  snapshotAnswered(message: InstallSnapshotResponseMessage): { progress: Progress; moved: boolean } | null {
    const { host } = this;
    const progress = this.progress.get(message.from);
    if (progress === undefined) return null;
    if (message.success && message.matchIndex > host.log().lastIndex()) {
      host.refuse(
        'bad_answer',
        `ignored ${message.from}'s answer to a snapshot: it matches beyond this leader's log`,
      );
      return null;
    }
    progress.recentActive = true;
    progress.answered(host.nowTick(), message.success);
    // A refusal answers a snapshot of an older term (see appendAnswered).
    if (!message.success) return null;
    const moved = progress.acknowledge(message.matchIndex);
    if (progress.state === 'snapshot') progress.becomeProbe(progress.matchIndex + 1);
    // The answer a probe waits for (snapshotReported left the probe waiting) has come.
    else if (progress.state === 'probe') progress.probeSent = false;
    return { progress, moved };
  }

  /** The driver finished (or failed) streaming a snapshot to a follower. */
  snapshotReported(to: NodeId, finished: boolean): void {
    const progress = this.progress.get(to);
    if (progress === undefined || progress.state !== 'snapshot') return;
    const nextIndex = finished ? progress.pendingSnapshotIndex + 1 : progress.matchIndex + 1;
    progress.becomeProbe(nextIndex);
    // Wait for the follower's next answer (to a heartbeat) before sending again.
    progress.probeSent = true;
    this.host.trace(
      `snapshot to ${to} ${finished ? 'finished' : 'failed'}; probing from ${progress.nextIndex}`,
    );
  }

  /** The driver could not reach a follower: stop pipelining to it and probe again. */
  unreachable(to: NodeId): void {
    const progress = this.progress.get(to);
    if (progress === undefined || progress.state !== 'replicate') return;
    progress.becomeProbe(progress.matchIndex + 1);
  }

  status(inSync: readonly NodeId[]): Record<NodeId, ProgressStatus> {
    const status: Record<NodeId, ProgressStatus> = {};
    for (const [id, peer] of this.progress)
      status[id] = peer.status(this.host.nowTick(), inSync.includes(id));
    return status;
  }

  // -------------------------------------------------------------------------------------------
  // The follower's side.

  /** An append from the leader of the current term. */
  appendReceived(message: AppendEntriesMessage): void {
    const { prevLogIndex, prevLogTerm, entries } = message;
    assert.ok(Number.isSafeInteger(prevLogIndex) && prevLogIndex >= 0, `bad prevLogIndex ${prevLogIndex}`);
    for (const entry of entries)
      assert.ok(entry.term <= message.term, 'an entry cannot be newer than its leader');
    if (this.pair !== null) {
      this.pairAppendReceived(message, this.pair);
      return;
    }
    const log = this.host.log();
    if (prevLogIndex < log.commitIndex) {
      // Everything up to the commit index matches every leader's log; say how far that is.
      this.replyToAppend(message.from, true, log.commitIndex);
      return;
    }
    this.appendFromLeader(message, prevLogIndex, prevLogTerm, entries);
  }

  /** Appends what the leader sent after a point that is at or above the commit index. */
  private appendFromLeader(
    message: AppendEntriesMessage,
    prevLogIndex: number,
    prevLogTerm: number,
    entries: Entry[],
  ): void {
    const { host } = this;
    const log = host.log();
    const result = log.maybeAppend(prevLogIndex, prevLogTerm, entries);
    if (result === null) {
      const hint = log.conflictHint(prevLogIndex);
      // Normal while a leader probes for the match point, but a leader stuck in a loop would fill
      // the log with these: the driver rate-limits refusals by kind.
      host.refuse(
        'append_mismatch',
        `rejected append at ${prevLogIndex}/${prevLogTerm} from ${message.from}; conflict at ${hint.conflictIndex}/${hint.conflictTerm}`,
      );
      host.send<AppendEntriesResponseMessage>(message.from, {
        type: 'append_entries_response',
        success: false,
        matchIndex: 0,
        ...hint,
      });
      return;
    }
    if (result.truncatedFrom !== null) {
      host.trace(`truncated its log from ${result.truncatedFrom} to follow ${message.from}`);
    }
    if (result.truncatedFrom !== null || result.appendedConfiguration) host.refreshConfiguration();
    log.commitTo(Math.min(message.leaderCommit, result.lastNewIndex));
    this.replyToAppend(message.from, true, result.lastNewIndex);
  }

  /**
   * Pair mode: after a cut, the two nodes may each have committed entries alone, so "everything up
   * to our commit index matches every leader" no longer holds. Entries at or below the commit index
   * are checked against the log instead of assumed, a contradiction is refused (and reported in
   * status().divergence) rather than truncated, and the answer never claims more than the message
   * covered.
   */
  private pairAppendReceived(
    message: AppendEntriesMessage,
    pair: { rules: PairElectionRules; merge: SplitBrainMerge },
  ): void {
    const { prevLogIndex, prevLogTerm, entries } = message;
    const { host } = this;
    const { merge } = pair;
    const log = host.log();
    const commitIndex = log.commitIndex;
    pair.rules.noteAnnouncedCommit(message.from, host.term(), message.leaderCommit);
    if (merge.refuseDivergedLeader(message.from)) return;
    const conflictIndex = merge.committedConflict(prevLogIndex, prevLogTerm, entries);
    if (conflictIndex !== null) {
      const impossible = merge.impossibleDivergence(message.from, conflictIndex);
      if (impossible !== null) {
        host.refuse(
          'contradicts_committed',
          `refused append_entries from ${message.from} at term ${message.term}: ${impossible}`,
        );
        merge.refuseAppends(message.from);
        return;
      }
      merge.appendsDiverged(message.from, conflictIndex);
      return;
    }
    if (prevLogIndex >= commitIndex) {
      this.appendFromLeader(message, prevLogIndex, prevLogTerm, entries);
      return;
    }
    const beyondCommit = entries.filter((entry) => entry.index > commitIndex);
    if (beyondCommit.length === 0) {
      this.replyToAppend(message.from, true, prevLogIndex + entries.length);
      return;
    }
    // The entry at the commit index is in the message and matched ours: append from there.
    const commitTerm = log.term(commitIndex);
    assert.ok(commitTerm !== undefined, 'the commit index is never compacted away');
    this.appendFromLeader(message, commitIndex, commitTerm, beyondCommit);
  }

  replyToAppend(to: NodeId, success: boolean, matchIndex: number): void {
    this.host.send<AppendEntriesResponseMessage>(to, {
      type: 'append_entries_response',
      success,
      matchIndex,
      conflictIndex: 0,
      conflictTerm: 0,
    });
  }

  /** A snapshot from the leader of the current term. */
  snapshotReceived(message: InstallSnapshotMessage): void {
    const { host } = this;
    const { metadata } = message.snapshot;
    validateConfiguration(metadata.configuration);
    assert.ok(message.snapshot.data instanceof Uint8Array, 'snapshot data is bytes');
    assert.ok(
      metadata.index >= 1 && metadata.term >= 1 && metadata.term <= message.term,
      'bad snapshot metadata',
    );
    const respond = (matchIndex: number) =>
      host.send<InstallSnapshotResponseMessage>(message.from, {
        type: 'install_snapshot_response',
        success: true,
        matchIndex,
      });
    const respondRefusal = () =>
      host.send<InstallSnapshotResponseMessage>(message.from, {
        type: 'install_snapshot_response',
        success: false,
        matchIndex: 0,
      });
    if (this.pair !== null) {
      const { merge } = this.pair;
      const log = host.log();
      const conflictIndex = merge.snapshotConflict(metadata.index, metadata.term);
      const contradicts = conflictIndex !== null;
      const impossible = contradicts ? merge.impossibleDivergence(message.from, conflictIndex) : null;
      if (impossible !== null) {
        host.refuse(
          'contradicts_committed',
          `refused install_snapshot from ${message.from} at term ${message.term}: ${impossible}`,
        );
        respondRefusal();
        return;
      }
      this.pair.rules.snapshotCommitted(metadata.index);
      if (contradicts && !merge.isDivergedFrom(message.from))
        merge.snapshotDiverged(message.from, conflictIndex);
      if (merge.isDivergedFrom(message.from)) {
        respondRefusal();
        return;
      }
      if (metadata.index <= host.log().commitIndex) {
        // Claim no more than the snapshot covers: our commit index may be beyond the leader's log.
        respond(metadata.index);
        return;
      }
    }
    const log = host.log();
    if (metadata.index <= log.commitIndex) {
      respond(log.commitIndex);
      return;
    }
    if (log.matchTerm(metadata.index, metadata.term)) {
      // The log already holds the snapshot's last entry, hence everything before it.
      log.commitTo(metadata.index);
      host.trace(`already holds snapshot ${metadata.index}/${metadata.term}; committed up to it`);
      respond(metadata.index);
      return;
    }
    log.restore(message.snapshot);
    host.refreshConfiguration();
    host.trace(`restored snapshot ${metadata.index}/${metadata.term} from ${message.from}`);
    respond(metadata.index);
  }
}
