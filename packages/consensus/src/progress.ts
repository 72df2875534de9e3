// What the leader knows about one follower's log, and how it sends to it:
// probe: one message at a time until the follower's match point is found;
// replicate: pipelined, nextIndex optimistic, bounded by the in-flight window;
// snapshot: the follower needs entries the leader compacted away; wait for the snapshot.
import assert from 'node:assert/strict';
import { Inflights } from './inflights.js';
import type { ProgressState, ProgressStatus } from './types.js';

export class Progress {
  /** Highest index known to be durable on the follower and to match the leader's log. */
  matchIndex = 0;
  /** Next index to send. */
  nextIndex: number;
  state: ProgressState = 'probe';
  /** In probe state: a message was sent and the follower has not answered since. */
  probeSent = false;
  /** In snapshot state: the index of the snapshot being sent. */
  pendingSnapshotIndex = 0;
  /** Whether the follower answered during the current election timeout (for checkQuorum). */
  recentActive = false;
  /** matchIndex when the previous heartbeat went out; no movement since suggests lost appends. */
  matchIndexAtLastHeartbeat = 0;
  /** The leader's tick count when the follower last answered (any append or snapshot response). */
  lastResponseTick = 0;
  /** The leader's tick count when the follower last acknowledged (a successful response). */
  lastAcknowledgementTick = 0;
  readonly inflights: Inflights;

  constructor(nextIndex: number, maxInflightMessages: number) {
    assert.ok(nextIndex >= 1, 'nextIndex starts at 1');
    this.nextIndex = nextIndex;
    this.inflights = new Inflights(maxInflightMessages);
  }

  /** Records an acknowledged match; returns whether matchIndex moved. Never moves backwards. */
  acknowledge(matchIndex: number): boolean {
    const moved = matchIndex > this.matchIndex;
    if (moved) this.matchIndex = matchIndex;
    this.nextIndex = Math.max(this.nextIndex, matchIndex + 1);
    this.assertConsistent();
    return moved;
  }

  becomeProbe(nextIndex: number): void {
    this.state = 'probe';
    this.probeSent = false;
    this.pendingSnapshotIndex = 0;
    this.inflights.reset();
    this.nextIndex = Math.max(nextIndex, this.matchIndex + 1);
    this.assertConsistent();
  }

  becomeReplicate(): void {
    this.state = 'replicate';
    this.probeSent = false;
    this.pendingSnapshotIndex = 0;
    this.inflights.reset();
    this.nextIndex = this.matchIndex + 1;
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.state = 'snapshot';
    this.probeSent = false;
    this.pendingSnapshotIndex = snapshotIndex;
    this.inflights.reset();
  }

  /** Records that entries up to lastIndex went out (lastIndex = nextIndex - 1 for an empty probe). */
  sent(lastIndex: number, entryCount: number): void {
    if (this.state === 'replicate') {
      if (entryCount === 0) return;
      this.nextIndex = lastIndex + 1;
      this.inflights.add(lastIndex);
    } else {
      assert.equal(this.state, 'probe', 'nothing is appended to a follower waiting for a snapshot');
      this.probeSent = true;
    }
  }

  /**
   * Pipelined appends are outstanding but the match point has not moved for a whole heartbeat
   * interval: some may be lost. (Slow ones are harmless to probe behind.) Outstanding means sent
   * and not acknowledged, whether or not the window still counts them: an answer without progress
   * frees a slot, and if nothing new is proposed afterwards only this probe finds the gap.
   */
  suspectLostAppends(): boolean {
    return (
      this.state === 'replicate' &&
      this.nextIndex > this.matchIndex + 1 &&
      this.matchIndex === this.matchIndexAtLastHeartbeat
    );
  }

  /** Whether the leader must not send more appends to this follower for now. */
  isPaused(): boolean {
    if (this.state === 'probe') return this.probeSent;
    if (this.state === 'replicate') return this.inflights.full();
    return true;
  }

  /** Records an answer at the leader's tick count; acknowledged when it was a success. */
  answered(elapsedTicks: number, acknowledged: boolean): void {
    this.lastResponseTick = elapsedTicks;
    if (acknowledged) this.lastAcknowledgementTick = elapsedTicks;
  }

  status(elapsedTicks: number, inSync: boolean): ProgressStatus {
    return {
      matchIndex: this.matchIndex,
      nextIndex: this.nextIndex,
      state: this.state,
      inflightMessages: this.inflights.count,
      recentActive: this.recentActive,
      lastResponseTicksAgo: elapsedTicks - this.lastResponseTick,
      lastAcknowledgementTicksAgo: elapsedTicks - this.lastAcknowledgementTick,
      inSync,
    };
  }

  private assertConsistent(): void {
    assert.ok(
      this.nextIndex > this.matchIndex,
      `nextIndex ${this.nextIndex} <= matchIndex ${this.matchIndex}`,
    );
  }
}
