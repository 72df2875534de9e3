// A log of records kept in insertion order and bounded twice: by count (the first inserted is
// forgotten first) and by age in entry time (a record older than the retention, by the time the
// caller names, is forgotten at the next forgetBefore). The seat history and the lease intent book
// are such logs. Replicated state is built on it, so everything is deterministic: no clock of its
// own, only the entry times it is given.
import assert from 'node:assert/strict';

export class RetainedLog<T> {
  /** Insertion order: the first is the one to forget first. */
  private records: T[] = [];
  /** Position of the first kept record in `records` (records before it are forgotten). */
  private start = 0;

  /** `timeOf` gives a record's time in entry time, for the retention. */
  constructor(
    private readonly maxEntries: number,
    private readonly retentionMs: number,
    private readonly timeOf: (record: T) => number,
    name: string,
  ) {
    assert.ok(Number.isSafeInteger(maxEntries) && maxEntries > 0, `the ${name} needs a positive bound`);
  }

  get size(): number {
    return this.records.length - this.start;
  }

  /** Appends a record (frozen), forgetting the first one beyond the bound. */
  push(record: T): void {
    this.records.push(Object.freeze({ ...record }));
    if (this.size > this.maxEntries) this.start += 1;
    this.compact();
  }

  /** Forgets, in insertion order, the records older than the retention before `clockMs`. */
  forgetBefore(clockMs: number): void {
    const oldestKeptMs = clockMs - this.retentionMs;
    while (this.start < this.records.length && this.timeOf(this.records[this.start] as T) < oldestKeptMs) {
      this.start += 1;
    }
    this.compact();
  }

  /** Kept records in insertion order (the snapshot's order). */
  values(): T[] {
    return this.records.slice(this.start);
  }

  /** The kept records that match, in insertion order. */
  filter(matches: (record: T) => boolean): T[] {
    const found: T[] = [];
    for (let position = this.start; position < this.records.length; position++) {
      const record = this.records[position] as T;
      if (matches(record)) found.push(record);
    }
    return found;
  }

  /** The last kept record that matches, and its position for replaceAt, or null. */
  findLast(matches: (record: T) => boolean): { record: T; position: number } | null {
    for (let position = this.records.length - 1; position >= this.start; position--) {
      const record = this.records[position] as T;
      if (matches(record)) return { record, position };
    }
    return null;
  }

  /** Replaces the record at a position findLast gave (frozen), keeping its place in the order. */
  replaceAt(position: number, record: T): void {
    assert.ok(position >= this.start && position < this.records.length, 'a kept position');
    this.records[position] = Object.freeze({ ...record });
  }

  /** Removes every kept record that matches, keeping the others in order. */
  removeWhere(matches: (record: T) => boolean): void {
    this.records = this.records.slice(this.start).filter((record) => !matches(record));
    this.start = 0;
  }

  /** Drops forgotten records from the array once they are half of it (amortised O(1) per record). */
  private compact(): void {
    if (this.start > 1024 && this.start * 2 > this.records.length) {
      this.records.splice(0, this.start);
      this.start = 0;
    }
  }
}
