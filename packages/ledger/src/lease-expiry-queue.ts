// A min-heap of (expiresAtMs, leaseId) so that a tick touches only the leases that are due.
// Entries are never updated in place: a renewal pushes a new entry and the old one goes stale.
// The owner discards stale entries as they surface (the lease is gone or its expiry differs) and
// rebuilds the heap when stale entries outnumber live ones. The heap is an index only: it is not
// part of snapshots or the state hash, and the owner sorts whatever it reports.

export interface ExpiryEntry {
  expiresAtMs: number;
  /** The log index and term that granted the lease; they break ties so the heap order is total. */
  grantIndex: number;
  grantTerm: number;
  leaseId: string;
}

function before(a: ExpiryEntry, b: ExpiryEntry): boolean {
  if (a.expiresAtMs !== b.expiresAtMs) return a.expiresAtMs < b.expiresAtMs;
  return a.grantIndex < b.grantIndex || (a.grantIndex === b.grantIndex && a.grantTerm < b.grantTerm);
}

export class LeaseExpiryQueue {
  private heap: ExpiryEntry[] = [];

  get size(): number {
    return this.heap.length;
  }

  peek(): ExpiryEntry | undefined {
    return this.heap[0];
  }

  push(entry: ExpiryEntry): void {
    const heap = this.heap;
    heap.push(entry);
    let child = heap.length - 1;
    while (child > 0) {
      const parent = (child - 1) >> 1;
      const parentEntry = heap[parent] as ExpiryEntry;
      if (!before(entry, parentEntry)) break;
      heap[child] = parentEntry;
      child = parent;
    }
    heap[child] = entry;
  }

  pop(): ExpiryEntry | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    let parent = 0;
    for (;;) {
      const left = parent * 2 + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      let smallest = left;
      if (right < heap.length && before(heap[right] as ExpiryEntry, heap[left] as ExpiryEntry))
        smallest = right;
      const smallestEntry = heap[smallest] as ExpiryEntry;
      if (!before(smallestEntry, last)) break;
      heap[parent] = smallestEntry;
      parent = smallest;
    }
    heap[parent] = last;
    return top;
  }

  /** Replaces the contents with exactly these entries (used after extend_leases and compaction). */
  rebuild(entries: ExpiryEntry[]): void {
    this.heap = [];
    for (const entry of entries) this.push(entry);
  }
}
