// Witness mode, the leader's side: what it knows of the witness (see witness-core.ts). The leader
// sends the witness heartbeats (no entries) carrying its commit index, and keeps the witness's
// record of the in-sync set in step with its own configuration:
// - removing a data node: the witness records the smaller set FIRST, and only after its success
//   does the leader append the configuration entry that lets it commit without that node;
// - adding a data node back (or the leader itself): the entry is appended first and the witness is
//   told afterwards (a witness that lags behind an addition only refuses more, which is safe).
// One record is outstanding at a time; it is sent again every heartbeat interval until answered.
import assert from 'node:assert/strict';
import type { NodeId, WitnessLinkStatus } from './types.js';

export interface WitnessRecordRequest {
  inSync: NodeId[];
  configurationIndex: number;
  /** The record drops a member: the leader appends the configuration entry once it succeeds. */
  removal: boolean;
  sentAtTick: number;
}

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

export function sameMembers(left: readonly NodeId[], right: readonly NodeId[]): boolean {
  const sortedRight = [...right].sort();
  return (
    left.length === right.length && [...left].sort().every((id, position) => id === sortedRight[position])
  );
}
