// The leases that ended lately: what a merge needs to find over-grants that were over before the
// heal. In pair mode both sides of a split grant seats; a lease the main granted and released during
// the split is gone from its live leases by the time the backup's entries arrive, yet it was held
// at the same time as the backup's. So every ended lease is remembered with its lifetime, bounded
// by count and by age in entry time, and a merge sweeps these with the live leases (over-grant.ts).
//
// Replicated state like the rest of the ledger: in the snapshot and the state hash, so a node
// restored from a snapshot records the same incidents as one that applied every entry.
import assert from 'node:assert/strict';
import { RetainedLog } from './retained-log.js';

/** One ended lease's lifetime; frozen. */
export interface EndedLease {
  leaseId: string;
  licenceId: string;
  /** The term of the entry that granted it (from its id). */
  grantTerm: number;
  grantedAtMs: number;
  /**
   * When it ended, in leader time: the release's entry time (a merged release's is the backup's),
   * or the expiry time for a lease a tick expired.
   */
  endedAtMs: number;
  /** A tick expired it (rather than a release, revoke or deactivation). */
  expired: boolean;
}

export class SeatHistory {
  private readonly ended: RetainedLog<EndedLease>;

  constructor(maxEntries: number, retentionMs: number) {
    this.ended = new RetainedLog(maxEntries, retentionMs, (record) => record.endedAtMs, 'seat history');
  }

  get size(): number {
    return this.ended.size;
  }

  record(ended: EndedLease): void {
    assert.ok(ended.endedAtMs >= ended.grantedAtMs, `lease ${ended.leaseId} ends before it was granted`);
    this.ended.push(ended);
  }

  /**
   * A lease the other side of a split brain kept renewing after this side had ended it: it was held
   * until `ended.endedAtMs` after all. Extends its record, or (forgotten, or never ended here)
   * records it anew.
   */
  extend(ended: EndedLease): void {
    const found = this.ended.findLast((record) => record.leaseId === ended.leaseId);
    if (found === null) {
      this.record(ended);
      return;
    }
    if (ended.endedAtMs > found.record.endedAtMs) {
      this.ended.replaceAt(found.position, { ...found.record, endedAtMs: ended.endedAtMs });
    }
  }

  /** The kept record of this lease, or undefined. */
  find(leaseId: string): EndedLease | undefined {
    return this.ended.findLast((record) => record.leaseId === leaseId)?.record;
  }

  /** Forgets the record of a lease that is live again (a merge honoured the backup's renewal). */
  forget(leaseId: string): void {
    this.ended.removeWhere((record) => record.leaseId === leaseId);
  }

  /** Forgets what ended longer than the retention before `clockMs` (in insertion order). */
  forgetBefore(clockMs: number): void {
    this.ended.forgetBefore(clockMs);
  }

  /** Kept records in insertion order (the snapshot's order). */
  values(): EndedLease[] {
    return this.ended.values();
  }

  /** The kept records of one licence that ended after `afterMs`. */
  endedAfter(licenceId: string, afterMs: number): EndedLease[] {
    return this.ended.filter((record) => record.licenceId === licenceId && record.endedAtMs > afterMs);
  }
}
