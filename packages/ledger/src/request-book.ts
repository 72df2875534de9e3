// The remembered requests, by request id, in the order they were remembered. The ledger forgets
// the oldest one on almost every entry, and a Map alone is a poor queue: V8 leaves a deleted entry
// as a hole until the table is rebuilt, so finding the first live entry walks over every hole
// deleted since (tens of thousands at 100,000 remembered requests, on every entry). The order is
// therefore kept a second time, in an array read from a moving head, which finds the oldest record
// in constant time. The Map's own order, which snapshots and the state hash use, is unchanged.
import assert from 'node:assert/strict';
import type { RequestRecord } from './snapshot.js';

/** One remembered request; replaced as a whole when a record changes, so the order array sees it. */
interface RequestSlot {
  record: RequestRecord;
}

/** The order array is cut down once its dead head is this long and more than half of it. */
const COMPACT_AFTER_SLOTS = 1024;

export class RequestBook {
  private readonly slots = new Map<string, RequestSlot>();
  /**
   * Every slot in the order it was added. A slot whose request was deleted (or deleted and added
   * again, which makes a new slot) is stale: the Map no longer holds it. Entries before head are
   * gone.
   */
  private order: RequestSlot[] = [];
  private head = 0;

  get size(): number {
    return this.slots.size;
  }

  has(requestId: string): boolean {
    return this.slots.has(requestId);
  }

  get(requestId: string): RequestRecord | undefined {
    return this.slots.get(requestId)?.record;
  }

  /** Remembers a request not remembered yet, as the newest. */
  add(record: RequestRecord): void {
    assert.ok(!this.slots.has(record.requestId), `request ${record.requestId} is already remembered`);
    const slot: RequestSlot = { record };
    this.slots.set(record.requestId, slot);
    this.order.push(slot);
  }

  /** Changes a remembered request's record in place: it keeps its position in the order. */
  replace(record: RequestRecord): void {
    const slot = this.slots.get(record.requestId);
    assert.ok(slot !== undefined, `request ${record.requestId} is not remembered`);
    slot.record = record;
  }

  delete(requestId: string): void {
    this.slots.delete(requestId);
  }

  /** The record remembered first among those still remembered. */
  oldest(): RequestRecord | undefined {
    this.skipStale();
    return this.order[this.head]?.record;
  }

  /** Forgets the record remembered first. */
  deleteOldest(): void {
    this.skipStale();
    const slot = this.order[this.head];
    if (slot === undefined) return;
    this.slots.delete(slot.record.requestId);
    this.head += 1;
    this.compact();
  }

  /** Every record, oldest first. */
  *records(): IterableIterator<RequestRecord> {
    for (const slot of this.slots.values()) yield slot.record;
  }

  private skipStale(): void {
    for (;;) {
      const slot = this.order[this.head];
      if (slot === undefined || this.slots.get(slot.record.requestId) === slot) return;
      this.head += 1;
    }
  }

  private compact(): void {
    if (this.head < COMPACT_AFTER_SLOTS || this.head * 2 < this.order.length) return;
    this.order = this.order.slice(this.head);
    this.head = 0;
  }
}
