// A bounded min-heap of items due at a simulated time. Items due at the same millisecond come out
// in the order they were pushed, which keeps every run of a seed identical.
import assert from 'node:assert/strict';

interface Slot<T> {
  atMs: number;
  sequence: number;
  item: T;
}

export class TimedQueue<T> {
  private readonly heap: Slot<T>[] = [];
  private nextSequence = 0;

  constructor(readonly maxItems: number) {
    assert.ok(Number.isSafeInteger(maxItems) && maxItems > 0, 'a timed queue needs a positive bound');
  }

  get size(): number {
    return this.heap.length;
  }

  /** Returns false (and keeps nothing) when the queue is full. */
  push(atMs: number, item: T): boolean {
    assert.ok(Number.isFinite(atMs), `an item needs a finite time, not ${atMs}`);
    if (this.heap.length >= this.maxItems) return false;
    this.heap.push({ atMs, sequence: this.nextSequence, item });
    this.nextSequence += 1;
    this.siftUp(this.heap.length - 1);
    return true;
  }

  /** The time of the earliest item, or null when empty. */
  peekTime(): number | null {
    return this.heap[0]?.atMs ?? null;
  }

  /** Removes and returns the earliest item if it is due at or before nowMs. */
  popDue(nowMs: number): { atMs: number; item: T } | null {
    const first = this.heap[0];
    if (first === undefined || first.atMs > nowMs) return null;
    const last = this.heap.pop() as Slot<T>;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.siftDown(0);
    }
    return { atMs: first.atMs, item: first.item };
  }

  /** Every item, in no particular order (for inspection only). */
  items(): T[] {
    return this.heap.map((slot) => slot.item);
  }

  /** Removes every item for which keep returns false. */
  filter(keep: (item: T) => boolean): number {
    const kept = this.heap.filter((slot) => keep(slot.item));
    const removed = this.heap.length - kept.length;
    if (removed === 0) return 0;
    this.heap.length = 0;
    for (const slot of kept) {
      this.heap.push(slot);
      this.siftUp(this.heap.length - 1);
    }
    return removed;
  }

  private before(left: Slot<T>, right: Slot<T>): boolean {
    return left.atMs < right.atMs || (left.atMs === right.atMs && left.sequence < right.sequence);
  }

  private siftUp(start: number): void {
    let position = start;
    while (position > 0) {
      const parent = (position - 1) >> 1;
      const slot = this.heap[position] as Slot<T>;
      const parentSlot = this.heap[parent] as Slot<T>;
      if (!this.before(slot, parentSlot)) return;
      this.heap[position] = parentSlot;
      this.heap[parent] = slot;
      position = parent;
    }
  }

  private siftDown(start: number): void {
    let position = start;
    for (;;) {
      const left = position * 2 + 1;
      const right = left + 1;
      let smallest = position;
      if (
        left < this.heap.length &&
        this.before(this.heap[left] as Slot<T>, this.heap[smallest] as Slot<T>)
      ) {
        smallest = left;
      }
      if (
        right < this.heap.length &&
        this.before(this.heap[right] as Slot<T>, this.heap[smallest] as Slot<T>)
      ) {
        smallest = right;
      }
      if (smallest === position) return;
      const slot = this.heap[position] as Slot<T>;
      this.heap[position] = this.heap[smallest] as Slot<T>;
      this.heap[smallest] = slot;
      position = smallest;
    }
  }
}
