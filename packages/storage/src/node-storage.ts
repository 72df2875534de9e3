import type { Entry, HardState, Snapshot } from '@tandem/consensus';
import type { LogStore } from './log-store.js';
import type { SnapshotStore } from './snapshot-store.js';
import type { StableStore } from './stable-store.js';

/** What a node finds on disk when it starts. */
export interface StoredNodeState {
  hardState: HardState | null;
  snapshot: Snapshot | null;
  /** Every entry after the snapshot (after index 0 when there is none), contiguous. */
  entries: Entry[];
}

/** One durable write for one Ready; null or absent parts are left as they are. */
export interface PersistUpdate {
  /**
   * Before the other parts: remove every entry and the snapshot (the commit index may then go
   * back). Only for a pair-mode backup whose solo entries the main merged.
   */
  discardHistory?: boolean;
  hardState?: HardState | null;
  entries?: Entry[];
  snapshot?: Snapshot | null;
}

/**
 * Everything one node keeps on disk. Writes are applied in the order they are called, one at a
 * time; a read sees every write called before it.
 */
export interface NodeStorage extends LogStore, StableStore, SnapshotStore {
  /**
   * Reads everything back after a restart, verifying every record: a damaged record or a gap in
   * the log rejects with a CorruptRecordError naming the index (or 'hard state' or 'snapshot').
   */
  load(): Promise<StoredNodeState>;
  /**
   * The write the driver makes once per Ready: ONE atomic batch, synced once, so that many
   * client operations share one fsync. Applied in this order:
   * 1. a received snapshot, as saveSnapshot does, and then every entry at or below its index is
   *    removed (entries after it survive only when the log holds the snapshot's last entry);
   * 2. entries, as append does (replacing a stored suffix when needed);
   * 3. the hard state, as saveHardState does, checked against the log that results.
   * When any part breaks the contract the promise rejects and nothing at all is written.
   */
  persist(update: PersistUpdate): Promise<void>;
  /**
   * Saves a snapshot the node took of its own state and removes every entry at or below its
   * index. The snapshot must describe this log: its index is at most lastIndex() and the log (or
   * the kept snapshot) holds its last entry with the same term. Once the promise resolves the
   * snapshot is durable and the entries are gone from every read; LevelStorage deletes them from
   * disk in later writes of their own, and after a crash open() finds those left as part of the log.
   */
  compact(snapshot: Snapshot): Promise<void>;
  /** Waits for the writes in flight, then releases the storage; later calls reject ('closed'). */
  close(): Promise<void>;
}
