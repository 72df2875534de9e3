// A min-heap of (expiresAtMs, lease slot) so that a tick touches only the leases that are due.
// Entries are never updated in place: a renewal pushes a new entry and the old one goes stale.
// The owner discards stale entries as they surface (the slot is no longer live or its expiry
// differs) and rebuilds the heap when stale entries outnumber live ones. The heap is an index only:
// it is not part of snapshots or the state hash, and the owner sorts whatever it reports.
//
// Held as two parallel arrays, the times unboxed in a double array and the slots by reference,
// rather than one object per entry: at 100,000 live leases an entry object with its boxed time
// cost about 80 bytes, the two array places cost 16.

/** What the heap orders by besides the time: the grant, so that the order is total. */
export interface ExpiryHolder {
  /** The log index and term that granted the lease. */
  readonly grantIndex: number;
  readonly grantTerm: number;
}

function before(aMs: number, a: ExpiryHolder, bMs: number, b: ExpiryHolder): boolean {
  if (aMs !== bMs) return aMs < bMs;
  return a.grantIndex < b.grantIndex || (a.grantIndex === b.grantIndex && a.grantTerm < b.grantTerm);
}

export class LeaseExpiryQueue<T extends ExpiryHolder> {
  private times: number[] = [];
  private holders: T[] = [];

  get size(): number {
    return this.holders.length;
  }

  /** The earliest expiry in the heap (possibly a stale entry's). */
  peekMs(): number | undefined {
    return this.times[0];
  }

  /** The holder of the earliest entry. */
  peek(): T | undefined {
    return this.holders[0];
  }

  push(expiresAtMs: number, holder: T): void {
    const { times, holders } = this;
    times.push(expiresAtMs);
    holders.push(holder);
    let child = holders.length - 1;
    while (child > 0) {
      const parent = (child - 1) >> 1;
      const parentMs = times[parent] as number;
      const parentHolder = holders[parent] as T;
      if (!before(expiresAtMs, holder, parentMs, parentHolder)) break;
      times[child] = parentMs;
      holders[child] = parentHolder;
      child = parent;
    }
    times[child] = expiresAtMs;
    holders[child] = holder;
  }

  /** Removes the earliest entry. */
  pop(): void {
    const { times, holders } = this;
    const lastMs = times.pop();
    const last = holders.pop();
    if (lastMs === undefined || last === undefined || holders.length === 0) return;
    let parent = 0;
    for (;;) {
      const left = parent * 2 + 1;
      if (left >= holders.length) break;
      const right = left + 1;
      let smallest = left;
      if (
        right < holders.length &&
        before(times[right] as number, holders[right] as T, times[left] as number, holders[left] as T)
      )
        smallest = right;
      const smallestMs = times[smallest] as number;
      const smallestHolder = holders[smallest] as T;
      if (!before(smallestMs, smallestHolder, lastMs, last)) break;
      times[parent] = smallestMs;
      holders[parent] = smallestHolder;
      parent = smallest;
    }
    times[parent] = lastMs;
    holders[parent] = last;
  }

  /** Replaces the contents with one entry per holder (used after extend_leases and compaction). */
  rebuild(holders: Iterable<T>, expiresAtMsOf: (holder: T) => number): void {
    this.times = [];
    this.holders = [];
    for (const holder of holders) this.push(expiresAtMsOf(holder), holder);
  }
}
