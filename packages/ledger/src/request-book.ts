// The remembered requests, by request id, in the order they were remembered, held compactly. A node
// remembers up to hundreds of thousands of them, nearly all of them a usage report's or a lease's
// answer, so a record is not kept as the objects it is handed out as (a record, a result and an
// outcome, each with boxed timestamps: about 320 bytes at 200,000 usage reports) but as one slot
// across columns: typed arrays for the numbers, the request id, and one reference (the lease of a
// lease answer, the licence id of a usage answer, or any other result object as it is). A record
// asked for is rebuilt, frozen, with the same fields in the same order, so it is equal to the one
// remembered (and a replayed answer is the same bytes). Any result of another shape is kept as it is.
//
// The slots form a ring, oldest first: the ledger forgets the oldest record on almost every entry,
// which is then constant time. A record deleted from the middle (only merges do that) leaves a
// dead slot until it reaches the head or the ring is laid out again. The order is the order of a
// Map with the same insertions and deletions, which snapshots and the state hash rely on.
//
// The book also estimates the bytes each record costs, so that the ledger can bound it by bytes as
// well as by count (idempotencyMaxBytes): the estimate is a function of the record alone, so every
// node (and a ledger restored from a snapshot) counts the same total and forgets the same records.
import assert from 'node:assert/strict';
import type { RequestRecord, RequestRecordList, RequestSink } from './snapshot.js';
import type { Lease, Result } from './types.js';

/** The smallest ring; it grows and shrinks by powers of two. */
const MIN_CAPACITY = 1024;

/** The estimated bytes of a compact record beyond its request id: columns, map entry, string header. */
export const COMPACT_RECORD_BYTES = 112;
/** A result kept as an object costs about this many bytes plus one per character of its canonical JSON. */
const OBJECT_BYTES = 64;

/** How a slot's result is held. */
const GENERIC = 0;
/** `{ ok: true, outcome: { kind: 'lease', lease } }`: the reference is the (frozen) lease. */
const LEASE = 1;
/** `{ ok: true, outcome: { kind: 'usage', licenceId, periodStartMs, used, remaining } }`. */
const USAGE = 2;
/** The same with remaining null (a licence without a quota). */
const USAGE_UNMETERED = 3;

function keysAre(value: object, keys: readonly string[]): boolean {
  const actual = Object.keys(value);
  return actual.length === keys.length && actual.every((key, position) => key === keys[position]);
}

const RESULT_KEYS = ['ok', 'outcome'];
const LEASE_OUTCOME_KEYS = ['kind', 'lease'];
const USAGE_OUTCOME_KEYS = ['kind', 'licenceId', 'periodStartMs', 'used', 'remaining'];

/** The compact form a result can be held in; GENERIC when it has another shape. */
function shapeOf(result: Result): number {
  if (result.ok !== true || !keysAre(result, RESULT_KEYS)) return GENERIC;
  const outcome = result.outcome;
  if (outcome.kind === 'lease') {
    return keysAre(outcome, LEASE_OUTCOME_KEYS) && Object.isFrozen(outcome.lease) ? LEASE : GENERIC;
  }
  if (outcome.kind === 'usage' && keysAre(outcome, USAGE_OUTCOME_KEYS)) {
    if (typeof outcome.licenceId !== 'string') return GENERIC;
    if (typeof outcome.periodStartMs !== 'number' || typeof outcome.used !== 'number') return GENERIC;
    if (outcome.remaining === null) return USAGE_UNMETERED;
    return typeof outcome.remaining === 'number' ? USAGE : GENERIC;
  }
  return GENERIC;
}

/**
 * The length of the value's canonical JSON (canonical.ts). Key order changes no JSON text's length,
 * so JSON.stringify (native) gives it without sorting every object's keys: a restore counts every
 * remembered licence activation, file and all, and canonicalJson took 0.3 s of a restarted main's
 * start for 4,096 of them. Results hold only strings, finite numbers, booleans, null, arrays and
 * plain objects (no undefined in an array, no toJSON), for which the two lengths are equal.
 */
function jsonLength(value: unknown): number {
  return JSON.stringify(value).length;
}

/**
 * The estimated bytes a remembered result costs beyond a compact record: nothing for a lease or
 * usage answer, else its size as objects. Decided by what the result says, never by how the book
 * holds it (a restored result may have its fields in another order), so every node counts alike.
 */
function resultBytes(result: Result | undefined): number {
  if (result === undefined) return 0;
  if (result.ok && (result.outcome.kind === 'lease' || result.outcome.kind === 'usage')) return 0;
  return OBJECT_BYTES + jsonLength(result);
}

/** The estimated bytes a record costs (see idempotencyMaxBytes): the same on every node. */
export function requestRecordBytes(record: RequestRecord): number {
  return (
    COMPACT_RECORD_BYTES +
    record.requestId.length +
    resultBytes(record.result) +
    // Kept as objects whatever they say.
    (record.otherSideResult === undefined ? 0 : OBJECT_BYTES + jsonLength(record.otherSideResult))
  );
}

/** The slots of a ring, or of a view copied from it. */
class Columns {
  readonly requestIds: (string | undefined)[];
  readonly indexes: Float64Array;
  readonly atMs: Float64Array;
  readonly fingerprints: Int32Array;
  readonly shapes: Uint8Array;
  /** The lease (LEASE), the licence id (USAGE...) or the result (GENERIC). */
  readonly references: unknown[];
  readonly periodStartsMs: Float64Array;
  readonly used: Float64Array;
  readonly remaining: Float64Array;
  /** requestRecordBytes of the record. */
  readonly bytes: Int32Array;

  constructor(readonly capacity: number) {
    this.requestIds = new Array<string | undefined>(capacity).fill(undefined);
    this.indexes = new Float64Array(capacity);
    this.atMs = new Float64Array(capacity);
    this.fingerprints = new Int32Array(capacity);
    this.shapes = new Uint8Array(capacity);
    this.references = new Array<unknown>(capacity).fill(undefined);
    this.periodStartsMs = new Float64Array(capacity);
    this.used = new Float64Array(capacity);
    this.remaining = new Float64Array(capacity);
    this.bytes = new Int32Array(capacity);
  }

  write(slot: number, record: RequestRecord): void {
    const { result } = record;
    const shape = shapeOf(result);
    this.requestIds[slot] = record.requestId;
    this.indexes[slot] = record.index;
    this.atMs[slot] = record.atMs;
    this.fingerprints[slot] = record.fingerprint;
    this.shapes[slot] = shape;
    this.bytes[slot] = requestRecordBytes(record);
    this.periodStartsMs[slot] = 0;
    this.used[slot] = 0;
    this.remaining[slot] = 0;
    if (shape === GENERIC || !result.ok) {
      this.references[slot] = result;
    } else if (result.outcome.kind === 'lease') {
      this.references[slot] = result.outcome.lease;
    } else if (result.outcome.kind === 'usage') {
      this.references[slot] = result.outcome.licenceId;
      this.periodStartsMs[slot] = result.outcome.periodStartMs;
      this.used[slot] = result.outcome.used;
      this.remaining[slot] = result.outcome.remaining ?? 0;
    }
  }

  copySlot(from: number, to: Columns, slot: number): void {
    to.requestIds[slot] = this.requestIds[from];
    to.indexes[slot] = this.indexes[from] as number;
    to.atMs[slot] = this.atMs[from] as number;
    to.fingerprints[slot] = this.fingerprints[from] as number;
    to.shapes[slot] = this.shapes[from] as number;
    to.references[slot] = this.references[from];
    to.periodStartsMs[slot] = this.periodStartsMs[from] as number;
    to.used[slot] = this.used[from] as number;
    to.remaining[slot] = this.remaining[from] as number;
    to.bytes[slot] = this.bytes[from] as number;
  }

  clear(slot: number): void {
    this.requestIds[slot] = undefined;
    this.references[slot] = undefined;
  }

  result(slot: number): Result {
    const reference = this.references[slot];
    switch (this.shapes[slot]) {
      case LEASE:
        return Object.freeze({
          ok: true,
          outcome: Object.freeze({ kind: 'lease', lease: reference as Lease }),
        });
      case USAGE:
      case USAGE_UNMETERED:
        return Object.freeze({
          ok: true,
          outcome: Object.freeze({
            kind: 'usage',
            licenceId: reference as string,
            periodStartMs: this.periodStartsMs[slot] as number,
            used: this.used[slot] as number,
            remaining: this.shapes[slot] === USAGE ? (this.remaining[slot] as number) : null,
          }),
        });
      default:
        return reference as Result;
    }
  }

  record(slot: number, otherSideResult: Result | undefined): RequestRecord {
    const requestId = this.requestIds[slot];
    assert.ok(requestId !== undefined, 'a dead slot has no record');
    const base = {
      requestId,
      index: this.indexes[slot] as number,
      atMs: this.atMs[slot] as number,
      result: this.result(slot),
      fingerprint: this.fingerprints[slot] as number,
    };
    return Object.freeze(otherSideResult === undefined ? base : { ...base, otherSideResult });
  }
}

/**
 * The records of a book at one moment, copied (the columns, not rebuilt records) so that the book
 * can go on changing while a snapshot is written from it; a record is rebuilt when read.
 */
class RequestBookView implements RequestRecordList {
  constructor(
    private readonly columns: Columns,
    readonly length: number,
    private readonly otherSideResults: ReadonlyMap<string, Result>,
  ) {}

  at(position: number): RequestRecord | undefined {
    if (!Number.isInteger(position) || position < 0 || position >= this.length) return undefined;
    const requestId = this.columns.requestIds[position] as string;
    return this.columns.record(position, this.otherSideResults.get(requestId));
  }

  *[Symbol.iterator](): IterableIterator<RequestRecord> {
    for (let position = 0; position < this.length; position++) yield this.at(position) as RequestRecord;
  }
}

/**
 * Remembered requests appended in order and held like the book's slots: where a snapshot being
 * restored puts them (decodeSnapshotWith), so that they are not all objects at once.
 */
export class RequestRecordColumns implements RequestSink {
  private columns = new Columns(MIN_CAPACITY);
  private count = 0;
  private readonly otherSideResults = new Map<string, Result>();

  get length(): number {
    return this.count;
  }

  push(record: RequestRecord): void {
    if (this.count === this.columns.capacity) {
      const next = new Columns(this.columns.capacity * 2);
      for (let slot = 0; slot < this.count; slot++) this.columns.copySlot(slot, next, slot);
      this.columns = next;
    }
    this.columns.write(this.count, record);
    if (record.otherSideResult !== undefined)
      this.otherSideResults.set(record.requestId, record.otherSideResult);
    this.count += 1;
  }

  at(position: number): RequestRecord | undefined {
    if (!Number.isInteger(position) || position < 0 || position >= this.count) return undefined;
    return this.columns.record(
      position,
      this.otherSideResults.get(this.columns.requestIds[position] as string),
    );
  }

  *[Symbol.iterator](): IterableIterator<RequestRecord> {
    for (let position = 0; position < this.count; position++) yield this.at(position) as RequestRecord;
  }
}

export class RequestBook {
  /** The slot of each remembered request. */
  private readonly slots = new Map<string, number>();
  private columns = new Columns(MIN_CAPACITY);
  /** The slot of the oldest record (or of a dead one before it). */
  private head = 0;
  /** Slots in use from the head, dead ones included. */
  private used = 0;
  /** The other side's answers (RequestRecord.otherSideResult), kept only after a split brain. */
  private readonly otherSideResults = new Map<string, Result>();
  private estimatedBytes = 0;

  get size(): number {
    return this.slots.size;
  }

  /** The estimated bytes of every record (requestRecordBytes). */
  get bytes(): number {
    return this.estimatedBytes;
  }

  has(requestId: string): boolean {
    return this.slots.has(requestId);
  }

  get(requestId: string): RequestRecord | undefined {
    const slot = this.slots.get(requestId);
    return slot === undefined ? undefined : this.columns.record(slot, this.otherSideResults.get(requestId));
  }

  /** Remembers a request not remembered yet, as the newest. */
  add(record: RequestRecord): void {
    assert.ok(!this.slots.has(record.requestId), `request ${record.requestId} is already remembered`);
    if (this.used === this.columns.capacity) this.layOut(capacityFor(this.slots.size + 1));
    const slot = (this.head + this.used) & (this.columns.capacity - 1);
    this.used += 1;
    this.columns.write(slot, record);
    this.slots.set(record.requestId, slot);
    if (record.otherSideResult !== undefined)
      this.otherSideResults.set(record.requestId, record.otherSideResult);
    this.estimatedBytes += this.bytesAt(slot);
  }

  /** Changes a remembered request's record in place: it keeps its position in the order. */
  replace(record: RequestRecord): void {
    const slot = this.slots.get(record.requestId);
    assert.ok(slot !== undefined, `request ${record.requestId} is not remembered`);
    this.estimatedBytes -= this.bytesAt(slot);
    this.columns.write(slot, record);
    if (record.otherSideResult === undefined) this.otherSideResults.delete(record.requestId);
    else this.otherSideResults.set(record.requestId, record.otherSideResult);
    this.estimatedBytes += this.bytesAt(slot);
  }

  delete(requestId: string): void {
    const slot = this.slots.get(requestId);
    if (slot === undefined) return;
    this.forget(slot);
    this.skipDead();
    this.shrinkIfSparse();
  }

  /** The time of the record remembered first among those still remembered. */
  oldestAtMs(): number | undefined {
    return this.used === 0 ? undefined : this.columns.atMs[this.head];
  }

  /** The record remembered first among those still remembered. */
  oldest(): RequestRecord | undefined {
    return this.used === 0 ? undefined : this.get(this.columns.requestIds[this.head] as string);
  }

  /** Forgets the record remembered first. */
  deleteOldest(): void {
    if (this.used === 0) return;
    this.forget(this.head);
    this.skipDead();
    this.shrinkIfSparse();
  }

  /** Every record, oldest first, as they stand now: a copy the book's later changes leave alone. */
  view(): RequestBookView {
    const copy = new Columns(Math.max(1, this.slots.size));
    let position = 0;
    this.eachLiveSlot((slot) => {
      this.columns.copySlot(slot, copy, position);
      position += 1;
    });
    const others = new Map(this.otherSideResults);
    return new RequestBookView(copy, position, others);
  }

  /**
   * The records as they stand, read in place: valid only until the book next changes (the state
   * hash reads it at once). Each record is rebuilt as it is read.
   */
  live(): RequestRecordList {
    const book = this;
    const slots: number[] = [];
    this.eachLiveSlot((slot) => slots.push(slot));
    return {
      length: slots.length,
      at: (position) => {
        const slot = slots[position];
        return slot === undefined ? undefined : book.recordAt(slot);
      },
      *[Symbol.iterator]() {
        for (const slot of slots) yield book.recordAt(slot);
      },
    };
  }

  private recordAt(slot: number): RequestRecord {
    return this.columns.record(slot, this.otherSideResults.get(this.columns.requestIds[slot] as string));
  }

  private eachLiveSlot(visit: (slot: number) => void): void {
    const mask = this.columns.capacity - 1;
    for (let offset = 0; offset < this.used; offset++) {
      const slot = (this.head + offset) & mask;
      if (this.columns.requestIds[slot] !== undefined) visit(slot);
    }
  }

  private bytesAt(slot: number): number {
    return this.columns.bytes[slot] as number;
  }

  private forget(slot: number): void {
    const requestId = this.columns.requestIds[slot];
    assert.ok(requestId !== undefined, 'forgetting a dead slot');
    this.estimatedBytes -= this.bytesAt(slot);
    this.slots.delete(requestId);
    this.otherSideResults.delete(requestId);
    this.columns.clear(slot);
  }

  /** Moves the head past dead slots, so that it is the oldest record's (or the ring is empty). */
  private skipDead(): void {
    const mask = this.columns.capacity - 1;
    while (this.used > 0 && this.columns.requestIds[this.head] === undefined) {
      this.head = (this.head + 1) & mask;
      this.used -= 1;
    }
  }

  private shrinkIfSparse(): void {
    if (this.columns.capacity > MIN_CAPACITY && this.slots.size * 4 < this.columns.capacity) {
      this.layOut(capacityFor(this.slots.size * 2));
    }
  }

  /** Copies the live records, in order, into a ring of the given capacity starting at slot 0. */
  private layOut(capacity: number): void {
    assert.ok(capacity >= this.slots.size, 'a ring smaller than its records');
    const next = new Columns(capacity);
    let position = 0;
    this.eachLiveSlot((slot) => {
      this.columns.copySlot(slot, next, position);
      this.slots.set(next.requestIds[position] as string, position);
      position += 1;
    });
    this.columns = next;
    this.head = 0;
    this.used = position;
  }
}

/** The smallest power of two at least MIN_CAPACITY and at least the records. */
function capacityFor(records: number): number {
  let capacity = MIN_CAPACITY;
  while (capacity < records) capacity *= 2;
  return capacity;
}
