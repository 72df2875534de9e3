// Tombstones of releases and renewals that reached the wrong side of a split brain. In pair mode
// each side grants leases the other does not know; a workstation that releases (or renews) a lease
// on the side that did not grant it would otherwise be told lease_not_found while the lease lives
// on in the merged ledger. So that side records what the workstation asked (a lease_intent
// command): the lease, the workstation, the action and when. A merge that brings the lease applies
// the tombstone at its own time if the same workstation holds the lease, and removes it.
//
// Bounded by count and by age in entry time, like the seat history. Replicated state: in the
// snapshot and the state hash.
import assert from 'node:assert/strict';
import type { LeaseIntentAction } from './types.js';

/** One recorded intent; frozen. */
export interface LeaseIntent {
  leaseId: string;
  /** The workstation that asked: the tombstone applies only to a lease it holds. */
  workstationId: string;
  action: LeaseIntentAction;
  /** For a renewal, the TTL asked for (0: the lease's own); 0 for a release. */
  ttlMs: number;
  /** When it was asked, in leader time: the entry's time (a merged intent's: the backup's). */
  atMs: number;
  /** The log entry that recorded it (a merge's entry for a merged intent). */
  index: number;
}

export class LeaseIntentBook {
  /** Insertion order: the first is the one to forget first. */
  private intents: LeaseIntent[] = [];
  /** Position of the first kept record in `intents` (records before it are forgotten). */
  private start = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly retentionMs: number,
  ) {
    assert.ok(
      Number.isSafeInteger(maxEntries) && maxEntries > 0,
      'the lease intent book needs a positive bound',
    );
  }

  get size(): number {
    return this.intents.length - this.start;
  }

  record(intent: LeaseIntent): void {
    assert.ok(
      intent.action === 'renew' || intent.ttlMs === 0,
      `a release intent for lease ${intent.leaseId} carries a TTL`,
    );
    this.intents.push(Object.freeze({ ...intent }));
    if (this.size > this.maxEntries) this.start += 1;
    this.compact();
  }

  /** The distinct lease ids of the kept records, in order of their first record. */
  leaseIds(): string[] {
    const ids = new Set<string>();
    for (let position = this.start; position < this.intents.length; position++) {
      ids.add((this.intents[position] as LeaseIntent).leaseId);
    }
    return [...ids];
  }

  /** The kept records of one lease, in insertion order. */
  forLease(leaseId: string): LeaseIntent[] {
    const found: LeaseIntent[] = [];
    for (let position = this.start; position < this.intents.length; position++) {
      const intent = this.intents[position] as LeaseIntent;
      if (intent.leaseId === leaseId) found.push(intent);
    }
    return found;
  }

  /** Removes the records of the lease asked by the workstation (once applied). */
  remove(leaseId: string, workstationId: string): void {
    this.intents = this.intents
      .slice(this.start)
      .filter((intent) => intent.leaseId !== leaseId || intent.workstationId !== workstationId);
    this.start = 0;
  }

  /** Forgets what was asked longer than the retention before `clockMs` (in insertion order). */
  forgetBefore(clockMs: number): void {
    const oldestKeptMs = clockMs - this.retentionMs;
    while (
      this.start < this.intents.length &&
      (this.intents[this.start] as LeaseIntent).atMs < oldestKeptMs
    ) {
      this.start += 1;
    }
    this.compact();
  }

  /** Kept records in insertion order (the snapshot's order). */
  values(): LeaseIntent[] {
    return this.intents.slice(this.start);
  }

  /** Drops forgotten records from the array once they are half of it (amortised O(1) per record). */
  private compact(): void {
    if (this.start > 1024 && this.start * 2 > this.intents.length) {
      this.intents.splice(0, this.start);
      this.start = 0;
    }
  }
}
