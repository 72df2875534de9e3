// The audit trail: every admin and operator operation the ledger applied, with who asked, in the
// order they were recorded. It is replicated state like the rest of the ledger (snapshotted and
// hashed), so every node holds the same trail and a compaction of the log does not shorten it. It is
// bounded by count and by age, the age measured in entry time (LedgerOptions), so that every node
// forgets the same records at the same entry.
import type { AuditAction, AuditRecord } from './types.js';

/** The order array is cut down once its dead head is this long and more than half of it. */
const COMPACT_AFTER_RECORDS = 1024;

export interface AuditQuery {
  /** Only records at or after this time (ledger clock). */
  sinceMs?: number;
  /** Only records about this licence. */
  licenceId?: string;
  /** Only these actions. */
  actions?: readonly AuditAction[];
  /** At most this many, the most recent ones. */
  limit?: number;
}

export interface AuditPage {
  /** Oldest first. */
  records: AuditRecord[];
  /** More records matched than the limit allowed; the oldest ones were left out. */
  truncated: boolean;
}

export class AuditTrail {
  /** Oldest first, from head on; records are frozen. */
  private records: AuditRecord[] = [];
  private head = 0;

  get size(): number {
    return this.records.length - this.head;
  }

  add(record: AuditRecord): void {
    this.records.push(record);
  }

  oldest(): AuditRecord | undefined {
    return this.records[this.head];
  }

  deleteOldest(): void {
    if (this.head >= this.records.length) return;
    this.head += 1;
    if (this.head >= COMPACT_AFTER_RECORDS && this.head * 2 >= this.records.length) {
      this.records = this.records.slice(this.head);
      this.head = 0;
    }
  }

  /** Every record, oldest first. */
  values(): AuditRecord[] {
    return this.records.slice(this.head);
  }

  /** The most recent records that match, oldest first (walked from the newest, so a small page is cheap). */
  query(query: AuditQuery): AuditPage {
    const limit = query.limit ?? Number.POSITIVE_INFINITY;
    const picked: AuditRecord[] = [];
    let truncated = false;
    for (let position = this.records.length - 1; position >= this.head; position--) {
      const record = this.records[position] as AuditRecord;
      if (query.sinceMs !== undefined && record.atMs < query.sinceMs) break;
      if (query.licenceId !== undefined && record.licenceId !== query.licenceId) continue;
      if (query.actions !== undefined && !query.actions.includes(record.action)) continue;
      if (picked.length >= limit) {
        truncated = true;
        break;
      }
      picked.push(record);
    }
    return { records: picked.reverse(), truncated };
  }
}
