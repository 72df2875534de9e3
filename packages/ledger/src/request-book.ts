// The remembered requests, by request id, in the order they were remembered. The ledger forgets
// the oldest one on almost every entry, and a Map alone is a poor queue: V8 leaves a deleted entry
// as a hole until the table is rebuilt, so finding the first live entry walks over every hole
// deleted since (tens of thousands at 100,000 remembered requests, on every entry). The order is
// therefore kept a second time, in an array read from a moving head, which finds the oldest record
// in constant time. The Map's own order, which snapshots and the state hash use, is unchanged.
// Map.set on a key already present keeps its place, so replacing a record needs no bookkeeping.
import assert from 'node:assert/strict';
import type { RequestRecord } from './snapshot.js';

/** The order array is cut down once its dead head is this long and more than half of it. */
const COMPACT_AFTER_IDS = 1024;

export class RequestBook {
  private readonly records = new Map<string, RequestRecord>();
  /**
   * Every request id in the order it was added. An id deleted other than as the oldest leaves a
   * stale place behind, counted in staleIds: when it was added again, its earlier place is the
   * stale one. Places before head are gone.
   */
  private order: string[] = [];
  private head = 0;
  /** Stale places in the order, by request id; only merges make them, so this stays small. */
  private readonly staleIds = new Map<string, number>();

  get size(): number {
    return this.records.size;
  }

  has(requestId: string): boolean {
    return this.records.has(requestId);
  }

  get(requestId: string): RequestRecord | undefined {
    return this.records.get(requestId);
  }

  /** Remembers a request not remembered yet, as the newest. */
  add(record: RequestRecord): void {
    assert.ok(!this.records.has(record.requestId), `request ${record.requestId} is already remembered`);
    this.records.set(record.requestId, record);
    this.order.push(record.requestId);
  }

  /** Changes a remembered request's record in place: it keeps its position in the order. */
  replace(record: RequestRecord): void {
    assert.ok(this.records.has(record.requestId), `request ${record.requestId} is not remembered`);
    this.records.set(record.requestId, record);
  }

  delete(requestId: string): void {
    if (this.records.delete(requestId)) this.staleIds.set(requestId, (this.staleIds.get(requestId) ?? 0) + 1);
  }

  /** The record remembered first among those still remembered. */
  oldest(): RequestRecord | undefined {
    this.skipStale();
    const requestId = this.order[this.head];
    return requestId === undefined ? undefined : this.records.get(requestId);
  }

  /** Forgets the record remembered first. */
  deleteOldest(): void {
    this.skipStale();
    const requestId = this.order[this.head];
    if (requestId === undefined) return;
    this.records.delete(requestId);
    this.head += 1;
    this.compact();
  }

  /** Every record, oldest first. */
  values(): IterableIterator<RequestRecord> {
    return this.records.values();
  }

  private skipStale(): void {
    for (;;) {
      const requestId = this.order[this.head];
      if (requestId === undefined) return;
      const stale = this.staleIds.get(requestId);
      if (stale === undefined) return;
      if (stale === 1) this.staleIds.delete(requestId);
      else this.staleIds.set(requestId, stale - 1);
      this.head += 1;
    }
  }

  private compact(): void {
    if (this.head < COMPACT_AFTER_IDS || this.head * 2 < this.order.length) return;
    this.order = this.order.slice(this.head);
    this.head = 0;
  }
}
