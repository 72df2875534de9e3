// An in-memory NodeStorage for tests and the deterministic simulation. It plans every write with
// the same rules as LevelStorage (storage-state.ts), so the two accept and refuse the same calls
// and end in the same state.
//
// Crash model. A MemoryStorage is one process's handle on a simulated disk. The disk holds what
// is durable; the handle also sees writes that are written but not yet synced, as a process sees
// its own writes in the page cache.
// - durability 'immediate' (the default): every write is durable when it is called, and its
//   promise resolves at once.
// - durability 'manual': a write is applied to what the handle sees at once, but stays pending
//   (not durable, its promise unsettled) until the test calls flush(). crash() then loses every
//   pending write, as a power failure between write and fsync would.
// crash() kills the handle (every later call rejects with StorageError 'closed'; the promises of
// lost writes never settle, as in a process that no longer exists) and returns a new handle on
// the same disk, as a restarted process would open. reopen() does the same after a clean close().

import assert from 'node:assert/strict';
import type { Entry, HardState, Snapshot } from '@tandem/consensus';
import { CorruptRecordError, StorageError } from './errors.js';
import type { NodeStorage, PersistUpdate, StoredNodeState } from './node-storage.js';
import {
  assertReadRange,
  copyHardState,
  copySnapshotMetadata,
  DEFAULT_MAX_ENTRIES_PER_WRITE,
  EMPTY_STORAGE_STATE,
  firstIndexOf,
  lastIndexOf,
  planWrite,
  type StorageState,
  snapshotIndexOf,
  storedTermNeededFor,
  type WritePlan,
  type WriteRequest,
} from './storage-state.js';

export type Durability = 'immediate' | 'manual';

export interface MemoryStorageOptions {
  /** When writes become durable: at once ('immediate', the default) or at flush() ('manual'). */
  durability?: Durability;
  /** The most writes that may wait for flush() in 'manual' mode (default 1 024). */
  maxPendingWrites?: number;
  /** The most entries one write may carry (default 65 536, as LevelStorage). */
  maxEntriesPerWrite?: number;
}

const DEFAULT_MAX_PENDING_WRITES = 1_024;

/** What a disk (or a handle's view of it) holds. Entries and snapshots are never mutated. */
interface StorageImage {
  state: StorageState;
  readonly entries: Map<number, Entry>;
  snapshot: Snapshot | null;
}

interface PendingWrite {
  readonly plan: WritePlan;
  readonly resolve: () => void;
}

type HandleStatus = 'open' | 'closed' | 'crashed';

export class MemoryStorage implements NodeStorage {
  /** Shared by every handle on the same disk; only durable writes reach it. */
  private disk: StorageImage;
  /** The disk plus this handle's pending writes. */
  private visible: StorageImage;
  private readonly pending: PendingWrite[] = [];
  private readonly durability: Durability;
  private readonly maxPendingWrites: number;
  private readonly maxEntriesPerWrite: number;
  private status: HandleStatus = 'open';

  /** A handle on a new, empty disk. */
  constructor(options: MemoryStorageOptions = {}) {
    this.durability = options.durability ?? 'immediate';
    this.maxPendingWrites = options.maxPendingWrites ?? DEFAULT_MAX_PENDING_WRITES;
    this.maxEntriesPerWrite = options.maxEntriesPerWrite ?? DEFAULT_MAX_ENTRIES_PER_WRITE;
    assert(Number.isSafeInteger(this.maxPendingWrites) && this.maxPendingWrites > 0, 'maxPendingWrites');
    assert(
      Number.isSafeInteger(this.maxEntriesPerWrite) && this.maxEntriesPerWrite > 0,
      'maxEntriesPerWrite',
    );
    this.disk = { state: EMPTY_STORAGE_STATE, entries: new Map(), snapshot: null };
    this.visible = cloneImage(this.disk);
  }

  /** A new handle on an existing disk, with the same options as this one. */
  private openOnDisk(): MemoryStorage {
    const handle = new MemoryStorage({
      durability: this.durability,
      maxPendingWrites: this.maxPendingWrites,
      maxEntriesPerWrite: this.maxEntriesPerWrite,
    });
    handle.disk = this.disk;
    handle.visible = cloneImage(this.disk);
    return handle;
  }

  /** How many writes wait for flush() ('manual' mode only; always 0 in 'immediate' mode). */
  get pendingWriteCount(): number {
    return this.pending.length;
  }

  /**
   * Makes the oldest writeCount pending writes durable (all of them by default) and resolves
   * their promises, in order, as an fsync that completes would.
   */
  flush(writeCount: number = this.pending.length): void {
    this.assertOpen();
    assert(
      Number.isSafeInteger(writeCount) && writeCount >= 0 && writeCount <= this.pending.length,
      `cannot flush ${writeCount} of ${this.pending.length} pending writes`,
    );
    for (const write of this.pending.splice(0, writeCount)) {
      applyPlan(this.disk, write.plan);
      write.resolve();
    }
  }

  /**
   * Simulates a power failure: every pending write is lost and this handle is dead. Returns a
   * handle on what was durable, as a restarted process would find it.
   */
  crash(): MemoryStorage {
    assert(this.status !== 'crashed', 'this handle has already crashed');
    this.status = 'crashed';
    this.pending.length = 0;
    return this.openOnDisk();
  }

  /** After close(): a new handle on the same disk, as a process restarted cleanly would open. */
  reopen(): MemoryStorage {
    assert.equal(this.status, 'closed', 'reopen() needs a closed handle');
    return this.openOnDisk();
  }

  firstIndex(): number {
    this.assertOpen();
    return firstIndexOf(this.visible.state);
  }

  lastIndex(): number {
    this.assertOpen();
    return lastIndexOf(this.visible.state);
  }

  async read(fromIndex: number, toIndexExclusive: number): Promise<Entry[]> {
    this.assertOpen();
    assertReadRange(this.visible.state, fromIndex, toIndexExclusive);
    return this.readEntries(fromIndex, toIndexExclusive);
  }

  append(entries: Entry[]): Promise<void> {
    return this.write({ entries });
  }

  truncateSuffix(fromIndex: number): Promise<void> {
    return this.write({ truncateFrom: fromIndex });
  }

  compactPrefix(throughIndex: number): Promise<void> {
    return this.write({ compactThrough: throughIndex });
  }

  async loadHardState(): Promise<HardState | null> {
    this.assertOpen();
    const { hardState } = this.visible.state;
    return hardState === null ? null : copyHardState(hardState);
  }

  saveHardState(state: HardState): Promise<void> {
    return this.write({ hardState: state });
  }

  saveSnapshot(snapshot: Snapshot): Promise<void> {
    return this.write({ snapshot });
  }

  async loadSnapshot(): Promise<Snapshot | null> {
    this.assertOpen();
    return copySnapshot(this.visible.snapshot);
  }

  async load(): Promise<StoredNodeState> {
    this.assertOpen();
    const { state } = this.visible;
    return {
      hardState: state.hardState === null ? null : copyHardState(state.hardState),
      snapshot: copySnapshot(this.visible.snapshot),
      entries: this.readEntries(snapshotIndexOf(state) + 1, lastIndexOf(state) + 1),
    };
  }

  persist(update: PersistUpdate): Promise<void> {
    const snapshot = update.snapshot ?? null;
    return this.write({
      ...(update.discardHistory === true ? { discardHistory: true } : {}),
      snapshot,
      entries: update.entries ?? [],
      hardState: update.hardState ?? null,
      ...(snapshot === null ? {} : { compactThrough: snapshot.metadata.index }),
    });
  }

  compact(snapshot: Snapshot): Promise<void> {
    return this.write({ snapshot, requireSnapshotMatch: true, compactThrough: snapshot.metadata.index });
  }

  /** A clean shutdown: the pending writes are flushed first, as LevelStorage waits for its own. */
  async close(): Promise<void> {
    if (this.status !== 'open') {
      return;
    }
    this.flush();
    this.status = 'closed';
  }

  private assertOpen(): void {
    if (this.status !== 'open') {
      throw new StorageError('closed', `Memory storage handle is ${this.status}`, { retryable: false });
    }
  }

  private async write(request: WriteRequest): Promise<void> {
    this.assertOpen();
    const state = this.visible.state;
    let storedTerm: number | null = null;
    if (request.snapshot !== undefined && request.snapshot !== null) {
      const neededIndex = storedTermNeededFor(state, request.snapshot.metadata.index);
      if (neededIndex !== null) {
        storedTerm = (this.readEntries(neededIndex, neededIndex + 1)[0] as Entry).term;
      }
    }
    const copied: WriteRequest = {
      ...request,
      ...(request.entries === undefined ? {} : { entries: request.entries.map(copyEntry) }),
      ...(request.snapshot === undefined || request.snapshot === null
        ? {}
        : { snapshot: { metadata: request.snapshot.metadata, data: new Uint8Array(request.snapshot.data) } }),
    };
    const plan = planWrite(state, copied, storedTerm, this.maxEntriesPerWrite);
    if (this.durability === 'immediate') {
      applyPlan(this.visible, plan);
      applyPlan(this.disk, plan);
      return;
    }
    assert(
      this.pending.length < this.maxPendingWrites,
      `more than ${this.maxPendingWrites} writes wait for flush()`,
    );
    applyPlan(this.visible, plan);
    return new Promise<void>((resolve) => {
      this.pending.push({ plan, resolve });
    });
  }

  private readEntries(fromIndex: number, toIndexExclusive: number): Entry[] {
    const entries: Entry[] = [];
    for (let index = fromIndex; index < toIndexExclusive; index++) {
      const entry = this.visible.entries.get(index);
      if (entry === undefined) {
        // Unreachable unless this class has a bug; reported as LevelStorage reports a gap.
        throw new CorruptRecordError('log entry', index, 'missing: the log has a gap');
      }
      entries.push(copyEntry(entry));
    }
    return entries;
  }
}

function applyPlan(image: StorageImage, plan: WritePlan): void {
  for (const range of plan.deletions) {
    for (let index = range.first; index <= range.last; index++) {
      image.entries.delete(index);
    }
  }
  for (const entry of plan.entries) {
    image.entries.set(entry.index, entry);
  }
  if (plan.snapshotRemoved) {
    image.snapshot = null;
  }
  if (plan.snapshot !== null) {
    image.snapshot = plan.snapshot;
  }
  image.state = plan.next;
}

function cloneImage(image: StorageImage): StorageImage {
  return { state: image.state, entries: new Map(image.entries), snapshot: image.snapshot };
}

function copyEntry(entry: Entry): Entry {
  return { index: entry.index, term: entry.term, kind: entry.kind, data: new Uint8Array(entry.data) };
}

function copySnapshot(snapshot: Snapshot | null): Snapshot | null {
  if (snapshot === null) {
    return null;
  }
  return { metadata: copySnapshotMetadata(snapshot.metadata), data: new Uint8Array(snapshot.data) };
}
