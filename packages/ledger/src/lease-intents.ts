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
import { RetainedLog } from './retained-log.js';
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
  private readonly intents: RetainedLog<LeaseIntent>;

  constructor(maxEntries: number, retentionMs: number) {
    this.intents = new RetainedLog(maxEntries, retentionMs, (intent) => intent.atMs, 'lease intent book');
  }

  get size(): number {
    return this.intents.size;
  }

  record(intent: LeaseIntent): void {
    assert.ok(
      intent.action === 'renew' || intent.ttlMs === 0,
      `a release intent for lease ${intent.leaseId} carries a TTL`,
    );
    this.intents.push(intent);
  }

  /** The distinct lease ids of the kept records, in order of their first record. */
  leaseIds(): string[] {
    return [...new Set(this.intents.values().map((intent) => intent.leaseId))];
  }

  /** The kept records of one lease, in insertion order. */
  forLease(leaseId: string): LeaseIntent[] {
    return this.intents.filter((intent) => intent.leaseId === leaseId);
  }

  /** Removes the records of the lease asked by the workstation (once applied). */
  remove(leaseId: string, workstationId: string): void {
    this.intents.removeWhere(
      (intent) => intent.leaseId === leaseId && intent.workstationId === workstationId,
    );
  }

  /** Forgets what was asked longer than the retention before `clockMs` (in insertion order). */
  forgetBefore(clockMs: number): void {
    this.intents.forgetBefore(clockMs);
  }

  /** Kept records in insertion order (the snapshot's order). */
  values(): LeaseIntent[] {
    return this.intents.values();
  }
}
