// The leases that ended lately: what a merge needs to find over-grants that were over before the
// heal. In pair mode both sides of a split grant seats; a lease the main granted and released during
// the split is gone from its live leases by the time the backup's entries arrive, yet it was held
// at the same time as the backup's. So every ended lease is remembered with its lifetime, bounded
// by count and by age in entry time, and a merge sweeps these with the live leases (over-grant.ts).
//
// Replicated state like the rest of the ledger: in the snapshot and the state hash, so a node
// restored from a snapshot records the same incidents as one that applied every entry.
import assert from 'node:assert/strict';

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
  /** Insertion order: the first is the one to forget first. */
  private readonly ended: EndedLease[] = [];
  /** Position of the first kept record in `ended` (records before it are forgotten). */
  private start = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly retentionMs: number,
  ) {
    assert.ok(Number.isSafeInteger(maxEntries) && maxEntries > 0, 'the seat history needs a positive bound');
  }

  get size(): number {
    return this.ended.length - this.start;
  }

  record(ended: EndedLease): void {
    assert.ok(ended.endedAtMs >= ended.grantedAtMs, `lease ${ended.leaseId} ends before it was granted`);
    this.ended.push(Object.freeze({ ...ended }));
    if (this.size > this.maxEntries) this.start += 1;
    this.compact();
  }

  /**
   * A lease the other side of a split brain kept renewing after this side had ended it: it was held
   * until `heldUntilMs` after all. Extends its record, or (forgotten, or never ended here) records
   * it anew.
   */
  extend(ended: EndedLease): void {
    for (let position = this.ended.length - 1; position >= this.start; position--) {
      const record = this.ended[position] as EndedLease;
      if (record.leaseId !== ended.leaseId) continue;
      if (ended.endedAtMs > record.endedAtMs) {
        this.ended[position] = Object.freeze({ ...record, endedAtMs: ended.endedAtMs });
      }
      return;
    }
    this.record(ended);
  }

  /** The kept record of this lease, or undefined. */
  find(leaseId: string): EndedLease | undefined {
    for (let position = this.ended.length - 1; position >= this.start; position--) {
      const record = this.ended[position] as EndedLease;
      if (record.leaseId === leaseId) return record;
    }
    return undefined;
  }

  /** Forgets the record of a lease that is live again (a merge honoured the backup's renewal). */
  forget(leaseId: string): void {
    for (let position = this.ended.length - 1; position >= this.start; position--) {
      if ((this.ended[position] as EndedLease).leaseId === leaseId) {
        this.ended.splice(position, 1);
        return;
      }
    }
  }

  /** Forgets what ended longer than the retention before `clockMs` (in insertion order). */
  forgetBefore(clockMs: number): void {
    const oldestKeptMs = clockMs - this.retentionMs;
    while (
      this.start < this.ended.length &&
      (this.ended[this.start] as EndedLease).endedAtMs < oldestKeptMs
    ) {
      this.start += 1;
    }
    this.compact();
  }

  /** Kept records in insertion order (the snapshot's order). */
  values(): EndedLease[] {
    return this.ended.slice(this.start);
  }

  /** The kept records of one licence that ended after `afterMs`. */
  endedAfter(licenceId: string, afterMs: number): EndedLease[] {
    const found: EndedLease[] = [];
    for (let position = this.start; position < this.ended.length; position++) {
      const record = this.ended[position] as EndedLease;
      if (record.licenceId === licenceId && record.endedAtMs > afterMs) found.push(record);
    }
    return found;
  }

  /** Drops forgotten records from the array once they are half of it (amortised O(1) per record). */
  private compact(): void {
    if (this.start > 1024 && this.start * 2 > this.ended.length) {
      this.ended.splice(0, this.start);
      this.start = 0;
    }
  }
}
