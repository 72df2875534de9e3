// NodeStorage on LevelDB. Every write is one batch written with sync: true, so it is durable and
// atomic when its promise resolves. Writes run one at a time in call order, because each is
// planned against the state the previous one left. The log bounds, the hard state and the
// snapshot metadata are kept in memory, verified once at open.

import assert from 'node:assert/strict';
import { constants as fsConstants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import type { Entry, HardState, Snapshot } from '@tandem/consensus';
import { ClassicLevel } from 'classic-level';
import { CorruptRecordError, StorageDirectoryError, StorageError } from './errors.js';
import type { AreaOperation, KeyValueArea } from './key-value-area.js';
import { makeDirectory } from './make-directory.js';
import type { NodeStorage, PersistUpdate, StoredNodeState } from './node-storage.js';
import {
  chunkCountFor,
  decodeEntryRecord,
  decodeFormatRecord,
  decodeHardStateRecord,
  decodeLogKey,
  decodeSnapshotChunkKey,
  decodeSnapshotChunkRecord,
  decodeSnapshotMetadataRecord,
  encodeEntryRecord,
  encodeFormatRecord,
  encodeHardStateRecord,
  encodeLogKey,
  encodeSnapshotChunkKey,
  encodeSnapshotChunkRecord,
  encodeSnapshotMetadataRecord,
  FORMAT_KEY,
  FORMAT_VERSION,
  HARD_STATE_KEY,
  LOG_KEYS_END,
  SNAPSHOT_CHUNK_KEYS_END,
  SNAPSHOT_METADATA_KEY,
  type SnapshotLayout,
} from './record-encoding.js';
import type { StorageObserver } from './storage-observer.js';
import {
  assertReadRange,
  copyHardState,
  copySnapshotMetadata,
  DEFAULT_MAX_ENTRIES_PER_WRITE,
  firstIndexOf,
  type LogRange,
  lastIndexOf,
  planWrite,
  type StorageState,
  snapshotIndexOf,
  storedTermNeededFor,
  type WritePlan,
  type WriteRequest,
} from './storage-state.js';

export interface LevelStorageOptions {
  /** Snapshot data is stored in chunks of this many bytes under separate keys (default 1 MiB). */
  snapshotChunkBytes?: number;
  /** The most entries one write may carry (default 65 536). */
  maxEntriesPerWrite?: number;
  /** Told about every durable write (its duration and size), for metrics; none by default. */
  observer?: StorageObserver;
}

export const DEFAULT_SNAPSHOT_CHUNK_BYTES = 1024 * 1024;
/** Chunk sizes are bounded so a chunk stays a reasonable LevelDB value. */
const MAX_SNAPSHOT_CHUNK_BYTES = 64 * 1024 * 1024;
/** How many records one iterator step fetches from LevelDB. */
const ITERATOR_STEP_RECORDS = 1_024;
/**
 * Log entries a compaction deletes per write after its snapshot is durable. Building a batch costs
 * the event loop about 10 µs per deletion (one native call each): deleting the 80,000 entries of
 * 16 MiB of log in the snapshot's own batch stalled it for over a second.
 */
export const LOG_DELETIONS_PER_WRITE = 4096;

/**
 * Operations of an area's batch (key-value-area.ts) added per event-loop turn; a larger batch is
 * built over several turns and written whole.
 */
export const AREA_OPERATIONS_PER_TURN = 2048;

type Database = ClassicLevel<Uint8Array, Uint8Array>;
type BatchOperation = { type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'del'; key: Uint8Array };

interface OpenedState {
  readonly state: StorageState;
  readonly snapshotLayout: SnapshotLayout | null;
}

export class LevelStorage implements NodeStorage {
  /** The absolute path of the database directory. */
  readonly directory: string;
  private readonly database: Database;
  private readonly snapshotChunkBytes: number;
  private readonly maxEntriesPerWrite: number;
  private readonly observer: StorageObserver | null;
  private state: StorageState;
  private snapshotLayout: SnapshotLayout | null;
  /** Settles when every write called so far has finished; never rejects. */
  private writesDone: Promise<void> = Promise.resolve();
  /** Set when a write failed: the state on disk is then unknown, so nothing more is attempted. */
  private failure: StorageError | null = null;
  /** Set by close(): later calls reject, while reads and writes already called complete. */
  private closing = false;
  /**
   * Entries a compaction removed from the log that are still on disk, deleted a step at a time
   * (LOG_DELETIONS_PER_WRITE) in writes of their own, each queued behind the writes called
   * meanwhile. They are at or below the snapshot index, so nothing reads them; a crash leaves
   * them, and the next compaction deletes them (open() takes them as part of the log).
   */
  private trailingDeletion: LogRange | null = null;
  private trailingDeletionQueued = false;
  private readonly readsInFlight = new Set<Promise<void>>();
  /** Area batches being built over several turns (see area()); close() waits for them. */
  private readonly areaBatchesInFlight = new Set<Promise<void>>();

  private constructor(
    directory: string,
    database: Database,
    opened: OpenedState,
    snapshotChunkBytes: number,
    maxEntriesPerWrite: number,
    observer: StorageObserver | null,
  ) {
    this.directory = directory;
    this.observer = observer;
    this.database = database;
    this.state = opened.state;
    this.snapshotLayout = opened.snapshotLayout;
    this.snapshotChunkBytes = snapshotChunkBytes;
    this.maxEntriesPerWrite = maxEntriesPerWrite;
  }

  /**
   * Opens (creating if needed) the database in directory. Verifies the format, the hard state,
   * the snapshot metadata and the bounds of the log; the entries and snapshot chunks themselves
   * are verified when load() or read() returns them. Rejects with a StorageDirectoryError when
   * the directory cannot be created or written, with a StorageError 'locked' when another
   * process has it open, and with a CorruptRecordError when a verified record is damaged.
   */
  static async open(directory: string, options: LevelStorageOptions = {}): Promise<LevelStorage> {
    const snapshotChunkBytes = options.snapshotChunkBytes ?? DEFAULT_SNAPSHOT_CHUNK_BYTES;
    const maxEntriesPerWrite = options.maxEntriesPerWrite ?? DEFAULT_MAX_ENTRIES_PER_WRITE;
    assert(
      Number.isSafeInteger(snapshotChunkBytes) &&
        snapshotChunkBytes > 0 &&
        snapshotChunkBytes <= MAX_SNAPSHOT_CHUNK_BYTES,
      `snapshotChunkBytes ${snapshotChunkBytes} must lie in [1, ${MAX_SNAPSHOT_CHUNK_BYTES}]`,
    );
    assert(Number.isSafeInteger(maxEntriesPerWrite) && maxEntriesPerWrite > 0, 'maxEntriesPerWrite');
    const absoluteDirectory = resolvePath(directory);
    await prepareDirectory(absoluteDirectory);
    const database: Database = new ClassicLevel<Uint8Array, Uint8Array>(absoluteDirectory, {
      keyEncoding: 'view',
      valueEncoding: 'view',
    });
    try {
      await database.open();
    } catch (error) {
      throw describeOpenFailure(absoluteDirectory, error);
    }
    try {
      const opened = await readOpenedState(database, absoluteDirectory);
      return new LevelStorage(
        absoluteDirectory,
        database,
        opened,
        snapshotChunkBytes,
        maxEntriesPerWrite,
        options.observer ?? null,
      );
    } catch (error) {
      await database.close();
      throw error;
    }
  }

  /**
   * A named area of this database for derived data (see key-value-area.ts); the name is letters
   * and digits. Closed with the storage.
   */
  area(name: string): KeyValueArea {
    assert.ok(/^[a-z][a-z0-9-]{0,31}$/.test(name), `area name ${name} must be letters and digits`);
    const sublevel = this.database.sublevel<string, string>(name, {
      keyEncoding: 'utf8',
      valueEncoding: 'utf8',
    });
    return {
      get: (key) => sublevel.get(key),
      getMany: (keys) => sublevel.getMany([...keys]),
      batch: async (operations: readonly AreaOperation[], options) => {
        this.assertUsable();
        const sync = options?.sync ?? false;
        // Through the root database, which takes LevelDB's sync option, with each write in the area.
        // (The typings tie a batch's sublevel to the root's encodings, which differ here.)
        if (operations.length <= AREA_OPERATIONS_PER_TURN) {
          const writes = operations.map((operation) => ({
            ...operation,
            sublevel,
          })) as unknown as BatchOperation[];
          await this.database.batch(writes, { sync });
          return;
        }
        // Building a batch costs the event loop tens of µs per operation: the report index's first
        // write after a snapshot install (100,000 open leases) held it for 8 s in one turn, long
        // enough for the leader's keepalive to drop the connection and send the snapshot again.
        // A chained batch is built a slice per turn and written whole, so it stays atomic.
        const chained = this.database.batch();
        const where = { sublevel } as unknown as Record<string, never>;
        let written = false;
        const building = (async () => {
          for (let start = 0; start < operations.length; start += AREA_OPERATIONS_PER_TURN) {
            if (start > 0) await new Promise((resolve) => setImmediate(resolve));
            // A close() meanwhile waits for this batch, as for any write already called.
            if (this.failure !== null) throw this.failure;
            for (const operation of operations.slice(start, start + AREA_OPERATIONS_PER_TURN)) {
              if (operation.type === 'put') chained.put(operation.key, operation.value, where);
              else chained.del(operation.key, where);
            }
          }
          written = true;
          await chained.write({ sync });
        })();
        this.areaBatchesInFlight.add(building);
        try {
          await building;
        } catch (error) {
          // A batch never written is closed, which frees what it held; write() closes its own.
          if (!written) await chained.close().catch(() => undefined);
          throw error;
        } finally {
          this.areaBatchesInFlight.delete(building);
        }
      },
      entries: (range) =>
        sublevel.iterator({
          gte: range.gte,
          lt: range.lt,
          ...(range.limit === undefined ? {} : { limit: range.limit }),
        }),
      clear: (range) => sublevel.clear({ gte: range.gte, lt: range.lt }),
    };
  }

  firstIndex(): number {
    this.assertUsable();
    return firstIndexOf(this.state);
  }

  lastIndex(): number {
    this.assertUsable();
    return lastIndexOf(this.state);
  }

  read(fromIndex: number, toIndexExclusive: number): Promise<Entry[]> {
    return this.afterWrites(() => {
      assertReadRange(this.state, fromIndex, toIndexExclusive);
      return this.readEntries(fromIndex, toIndexExclusive);
    });
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

  loadHardState(): Promise<HardState | null> {
    return this.afterWrites(() =>
      this.state.hardState === null ? null : copyHardState(this.state.hardState),
    );
  }

  saveHardState(state: HardState): Promise<void> {
    return this.write({ hardState: state });
  }

  saveSnapshot(snapshot: Snapshot): Promise<void> {
    return this.write({ snapshot });
  }

  loadSnapshot(): Promise<Snapshot | null> {
    return this.afterWrites(() => this.readSnapshot());
  }

  load(): Promise<StoredNodeState> {
    return this.afterWrites(async () => {
      // Both iterators are created in this same turn, so they read one version of the database.
      const hardState = this.state.hardState === null ? null : copyHardState(this.state.hardState);
      const snapshotIndex = snapshotIndexOf(this.state);
      const lastIndex = lastIndexOf(this.state);
      const snapshotRead = this.readSnapshot();
      const entriesRead = this.readEntries(snapshotIndex + 1, lastIndex + 1);
      const [snapshot, entries] = await Promise.all([snapshotRead, entriesRead]);
      return { hardState, snapshot, entries };
    });
  }

  persist(update: PersistUpdate): Promise<void> {
    const snapshot = update.snapshot ?? null;
    const request: WriteRequest = {
      ...(update.discardHistory === true ? { discardHistory: true } : {}),
      snapshot,
      entries: update.entries ?? [],
      hardState: update.hardState ?? null,
      ...(snapshot === null ? {} : { compactThrough: snapshot.metadata.index }),
    };
    return this.write(request);
  }

  compact(snapshot: Snapshot): Promise<void> {
    return this.write({ snapshot, requireSnapshotMatch: true, compactThrough: snapshot.metadata.index });
  }

  async close(): Promise<void> {
    if (this.closing) {
      return;
    }
    this.closing = true;
    await this.writesDone;
    await Promise.allSettled(this.areaBatchesInFlight);
    await Promise.allSettled(this.readsInFlight);
    await this.database.close();
  }

  private assertUsable(): void {
    if (this.closing) {
      throw new StorageError('closed', `Storage in ${this.directory} is closed`, { retryable: false });
    }
    if (this.failure !== null) {
      throw this.failure;
    }
  }

  /**
   * Runs a read once the writes called so far have finished. The read starts in the very turn
   * the last of them settles, before any later write starts, so the cached state matches the
   * version of the database its iterators see.
   */
  private afterWrites<T>(read: () => T | Promise<T>): Promise<T> {
    try {
      this.assertUsable();
    } catch (error) {
      return Promise.reject(error);
    }
    const result = this.writesDone.then(() => {
      if (this.failure !== null) {
        throw this.failure;
      }
      return read();
    });
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    this.readsInFlight.add(settled);
    void settled.then(() => this.readsInFlight.delete(settled));
    return result;
  }

  private write(request: WriteRequest): Promise<void> {
    try {
      this.assertUsable();
    } catch (error) {
      return Promise.reject(error);
    }
    const written = this.writesDone.then(() => this.performWrite(request));
    this.writesDone = written.then(
      () => undefined,
      () => undefined,
    );
    return written;
  }

  private async performWrite(request: WriteRequest): Promise<void> {
    if (this.failure !== null) {
      throw this.failure;
    }
    let storedTerm: number | null = null;
    if (request.snapshot !== undefined && request.snapshot !== null) {
      const neededIndex = storedTermNeededFor(this.state, request.snapshot.metadata.index);
      if (neededIndex !== null) {
        const [entry] = await this.readEntries(neededIndex, neededIndex + 1);
        storedTerm = (entry as Entry).term;
      }
    }
    const plan = planWrite(this.state, request, storedTerm, this.maxEntriesPerWrite);
    // A compaction writes its snapshot now and deletes the log under it afterwards; any other
    // write that deletes entries takes the trailing ones along, so none outlives a discarded log.
    const compaction = request.requireSnapshotMatch === true;
    const deferred = compaction ? plan.deletions : [];
    const trailing = compaction ? null : this.trailingDeletion;
    const { operations, snapshotLayout } = this.operationsFor({
      ...plan,
      deletions: compaction
        ? []
        : trailing === null || plan.deletions.length === 0
          ? plan.deletions
          : [trailing, ...plan.deletions],
    });
    if (!compaction && trailing !== null && plan.deletions.length > 0) this.trailingDeletion = null;
    if (operations.length > 0) {
      const startedMs = performance.now();
      try {
        await this.database.batch(operations, { sync: true });
      } catch (error) {
        this.failure = new StorageError('io_error', `Write to ${this.directory} failed: ${String(error)}`, {
          retryable: false,
          cause: error,
        });
        throw this.failure;
      }
      this.observer?.onWrite({
        durationMs: performance.now() - startedMs,
        entries: plan.entries.length,
        bytes: batchBytes(operations),
        snapshotBytes: plan.snapshot === null ? null : plan.snapshot.data.byteLength,
      });
    }
    this.state = plan.next;
    if (snapshotLayout !== undefined) {
      this.snapshotLayout = snapshotLayout;
    }
    for (const range of deferred) this.deleteLater(range);
  }

  /** Adds a range to the trailing deletion (ranges arrive in order from the log's start). */
  private deleteLater(range: LogRange): void {
    const trailing = this.trailingDeletion;
    this.trailingDeletion =
      trailing === null
        ? range
        : { first: Math.min(trailing.first, range.first), last: Math.max(trailing.last, range.last) };
    this.queueTrailingDeletion();
  }

  /** Queues the next step of the trailing deletion behind the writes called so far. */
  private queueTrailingDeletion(): void {
    if (this.trailingDeletionQueued || this.trailingDeletion === null || this.closing) return;
    this.trailingDeletionQueued = true;
    this.writesDone = this.writesDone.then(async () => {
      this.trailingDeletionQueued = false;
      const range = this.trailingDeletion;
      if (range === null || this.failure !== null || this.closing) return;
      const last = Math.min(range.last, range.first + LOG_DELETIONS_PER_WRITE - 1);
      const operations: BatchOperation[] = [];
      for (let index = range.first; index <= last; index++)
        operations.push({ type: 'del', key: encodeLogKey(index) });
      try {
        // Not synced: nothing depends on these deletions, and a crash only leaves entries behind.
        await this.database.batch(operations, { sync: false });
      } catch (error) {
        this.failure = new StorageError('io_error', `Write to ${this.directory} failed: ${String(error)}`, {
          retryable: false,
          cause: error,
        });
        return;
      }
      // A write meanwhile may have taken the rest along.
      if (this.trailingDeletion === range) {
        this.trailingDeletion = last >= range.last ? null : { first: last + 1, last: range.last };
      }
      this.queueTrailingDeletion();
    });
  }

  private operationsFor(plan: WritePlan): {
    operations: BatchOperation[];
    snapshotLayout: SnapshotLayout | null | undefined;
  } {
    const operations: BatchOperation[] = [];
    for (const range of plan.deletions) {
      for (let index = range.first; index <= range.last; index++) {
        operations.push({ type: 'del', key: encodeLogKey(index) });
      }
    }
    for (const entry of plan.entries) {
      operations.push({ type: 'put', key: encodeLogKey(entry.index), value: encodeEntryRecord(entry) });
    }
    let snapshotLayout: SnapshotLayout | null | undefined;
    if (plan.snapshotRemoved && this.snapshotLayout !== null) {
      operations.push({ type: 'del', key: SNAPSHOT_METADATA_KEY });
      for (let chunkNumber = 0; chunkNumber < this.snapshotLayout.chunkCount; chunkNumber++) {
        operations.push({ type: 'del', key: encodeSnapshotChunkKey(chunkNumber) });
      }
      snapshotLayout = null;
    }
    if (plan.snapshot !== null) {
      const { metadata, data } = plan.snapshot;
      const chunkCount = chunkCountFor(data.byteLength, this.snapshotChunkBytes);
      snapshotLayout = {
        metadata: copySnapshotMetadata(metadata),
        dataBytes: data.byteLength,
        chunkBytes: this.snapshotChunkBytes,
        chunkCount,
      };
      operations.push({
        type: 'put',
        key: SNAPSHOT_METADATA_KEY,
        value: encodeSnapshotMetadataRecord(snapshotLayout),
      });
      for (let chunkNumber = 0; chunkNumber < chunkCount; chunkNumber++) {
        const start = chunkNumber * this.snapshotChunkBytes;
        const bytes = data.subarray(start, Math.min(start + this.snapshotChunkBytes, data.byteLength));
        operations.push({
          type: 'put',
          key: encodeSnapshotChunkKey(chunkNumber),
          value: encodeSnapshotChunkRecord(metadata.index, chunkNumber, bytes),
        });
      }
      // The previous snapshot's extra chunks go in the same batch, so no stale chunk survives.
      const previousChunkCount =
        this.snapshotLayout === null || plan.snapshotRemoved ? 0 : this.snapshotLayout.chunkCount;
      for (let chunkNumber = chunkCount; chunkNumber < previousChunkCount; chunkNumber++) {
        operations.push({ type: 'del', key: encodeSnapshotChunkKey(chunkNumber) });
      }
    }
    if (plan.hardState !== null) {
      operations.push({ type: 'put', key: HARD_STATE_KEY, value: encodeHardStateRecord(plan.hardState) });
    }
    return { operations, snapshotLayout };
  }

  /**
   * Reads and verifies entries [fromIndex, toIndexExclusive). The iterator is created before the
   * first await, so it reads the version of the database of the moment of the call.
   */
  private readEntries(fromIndex: number, toIndexExclusive: number): Promise<Entry[]> {
    if (fromIndex >= toIndexExclusive) {
      return Promise.resolve([]);
    }
    const iterator = this.database.iterator({
      gte: encodeLogKey(fromIndex),
      lt: encodeLogKey(toIndexExclusive),
    });
    const collect = async (): Promise<Entry[]> => {
      const entries: Entry[] = [];
      let expectedIndex = fromIndex;
      try {
        for (;;) {
          const records = await iterator.nextv(ITERATOR_STEP_RECORDS);
          if (records.length === 0) {
            break;
          }
          for (const [key, value] of records) {
            const index = decodeLogKey(key);
            if (index !== expectedIndex) {
              throw new CorruptRecordError('log entry', expectedIndex, 'missing: the log has a gap');
            }
            entries.push(decodeEntryRecord(value, index));
            expectedIndex++;
          }
        }
      } finally {
        await iterator.close();
      }
      if (expectedIndex !== toIndexExclusive) {
        throw new CorruptRecordError('log entry', expectedIndex, 'missing: the log has a gap');
      }
      return entries;
    };
    return collect();
  }

  /** Reads and verifies the kept snapshot; the iterator is created before the first await. */
  private readSnapshot(): Promise<Snapshot | null> {
    const layout = this.snapshotLayout;
    if (layout === null) {
      return Promise.resolve(null);
    }
    const iterator = this.database.iterator({
      gte: encodeSnapshotChunkKey(0),
      lt: SNAPSHOT_CHUNK_KEYS_END,
    });
    const collect = async (): Promise<Snapshot> => {
      const data = new Uint8Array(layout.dataBytes);
      let expectedChunk = 0;
      let offset = 0;
      try {
        for (;;) {
          const records = await iterator.nextv(ITERATOR_STEP_RECORDS);
          if (records.length === 0) {
            break;
          }
          for (const [key, value] of records) {
            const chunkNumber = decodeSnapshotChunkKey(key);
            if (chunkNumber !== expectedChunk || chunkNumber >= layout.chunkCount) {
              throw new CorruptRecordError(
                'snapshot',
                null,
                `found chunk key ${String(chunkNumber)} where chunk ${expectedChunk} of ${layout.chunkCount} belongs`,
              );
            }
            const bytes = decodeSnapshotChunkRecord(value, layout.metadata.index, chunkNumber);
            const expectedBytes = Math.min(layout.chunkBytes, layout.dataBytes - offset);
            if (bytes.byteLength !== expectedBytes) {
              throw new CorruptRecordError(
                'snapshot',
                null,
                `chunk ${chunkNumber} holds ${bytes.byteLength} bytes, not ${expectedBytes}`,
              );
            }
            data.set(bytes, offset);
            offset += bytes.byteLength;
            expectedChunk++;
          }
        }
      } finally {
        await iterator.close();
      }
      if (expectedChunk !== layout.chunkCount) {
        throw new CorruptRecordError(
          'snapshot',
          null,
          `chunk ${expectedChunk} of ${layout.chunkCount} is missing`,
        );
      }
      return { metadata: copySnapshotMetadata(layout.metadata), data };
    };
    return collect();
  }
}

/** The bytes a batch puts (keys and values); deletions count nothing. */
function batchBytes(operations: readonly BatchOperation[]): number {
  let bytes = 0;
  for (const operation of operations) {
    if (operation.type === 'put') bytes += operation.key.byteLength + operation.value.byteLength;
  }
  return bytes;
}

async function prepareDirectory(directory: string): Promise<void> {
  try {
    makeDirectory(directory);
  } catch (error) {
    throw new StorageDirectoryError(directory, `it cannot be created (${describeCause(error)})`, error);
  }
  try {
    const status = await stat(directory);
    if (!status.isDirectory()) {
      throw new StorageDirectoryError(directory, 'it is not a directory');
    }
    await access(directory, fsConstants.R_OK | fsConstants.W_OK);
  } catch (error) {
    if (error instanceof StorageDirectoryError) {
      throw error;
    }
    throw new StorageDirectoryError(
      directory,
      `it is not readable and writable (${describeCause(error)})`,
      error,
    );
  }
}

function describeOpenFailure(directory: string, error: unknown): StorageError {
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause;
  if (cause?.code === 'LEVEL_LOCKED') {
    return new StorageError('locked', `Storage directory ${directory} is locked by another process`, {
      retryable: true,
      cause: error,
    });
  }
  return new StorageDirectoryError(directory, `LevelDB cannot open it (${describeCause(error)})`, error);
}

function describeCause(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}

async function readOpenedState(database: Database, directory: string): Promise<OpenedState> {
  const formatRecord = await database.get(FORMAT_KEY);
  if (formatRecord === undefined) {
    const anyKey = await database.keys({ limit: 1 }).all();
    if (anyKey.length > 0) {
      throw new StorageError(
        'unsupported_format',
        `${directory} holds a database that is not Tandem storage`,
        {
          retryable: false,
        },
      );
    }
    await database.put(FORMAT_KEY, encodeFormatRecord(), { sync: true });
  } else {
    const version = decodeFormatRecord(formatRecord);
    if (version !== FORMAT_VERSION) {
      throw new StorageError(
        'unsupported_format',
        `${directory} holds storage format ${version}; this version reads format ${FORMAT_VERSION}`,
        { retryable: false },
      );
    }
  }

  const hardStateRecord = await database.get(HARD_STATE_KEY);
  const hardState = hardStateRecord === undefined ? null : decodeHardStateRecord(hardStateRecord);
  const metadataRecord = await database.get(SNAPSHOT_METADATA_KEY);
  const snapshotLayout = metadataRecord === undefined ? null : decodeSnapshotMetadataRecord(metadataRecord);
  const snapshotIndex = snapshotLayout === null ? 0 : snapshotLayout.metadata.index;

  const logRange = { gte: encodeLogKey(0), lt: LOG_KEYS_END };
  const [firstKey] = await database.keys({ ...logRange, limit: 1 }).all();
  const [lastKey] = await database.keys({ ...logRange, limit: 1, reverse: true }).all();
  let stored: StorageState['stored'] = null;
  if (firstKey !== undefined && lastKey !== undefined) {
    const first = decodeLogKey(firstKey);
    const last = decodeLogKey(lastKey);
    if (first === null || last === null) {
      throw new CorruptRecordError('log entry', null, 'a log key is malformed');
    }
    if (first > snapshotIndex + 1) {
      throw new CorruptRecordError('log entry', snapshotIndex + 1, `missing: the log starts at ${first}`);
    }
    if (last < snapshotIndex) {
      throw new CorruptRecordError(
        'log entry',
        last + 1,
        `missing: the log ends below snapshot ${snapshotIndex}`,
      );
    }
    stored = { first, last };
  }
  const state: StorageState = { hardState, snapshot: snapshotLayout?.metadata ?? null, stored };
  if (hardState !== null && hardState.commitIndex > lastIndexOf(state)) {
    throw new CorruptRecordError(
      'hard state',
      null,
      `commit index ${hardState.commitIndex} is beyond the last log index ${lastIndexOf(state)}`,
    );
  }
  return { state, snapshotLayout };
}
