import type { Entry } from '@tandem/consensus';

/**
 * The Raft log: a contiguous run of entries, possibly preceded by a snapshot that covers
 * everything before it.
 *
 * Contract:
 * - Stored entries are always contiguous. firstIndex() is the first stored index, or
 *   snapshotIndex + 1 when no entry is stored. lastIndex() is the last stored index, or the
 *   snapshot's index when no entry is stored (0 when there is neither), so
 *   firstIndex() <= lastIndex() + 1 always holds and equality means the log is empty. Both are
 *   answered from memory and reflect every write whose promise has resolved.
 * - A write is durable (synced) when its promise resolves, and atomic: after a crash it is
 *   entirely present or entirely absent.
 * - Wrong calls (a gap, reading outside [firstIndex, lastIndex + 1), removing a committed entry)
 *   are programmer errors: the promise rejects with an AssertionError and nothing is written.
 * - Reads verify every record's checksum and the log's contiguity and reject with a
 *   CorruptRecordError naming the index; a bad record is never skipped or truncated.
 */
export interface LogStore {
  /** The first stored index, or snapshotIndex + 1 when no entry is stored. */
  firstIndex(): number;
  /** The last stored index, or the snapshot's index when no entry is stored; 0 when nothing. */
  lastIndex(): number;
  /**
   * The entries with fromIndex <= index < toIndexExclusive, in order. Requires
   * firstIndex() <= fromIndex <= toIndexExclusive <= lastIndex() + 1.
   */
  read(fromIndex: number, toIndexExclusive: number): Promise<Entry[]>;
  /**
   * Appends contiguous entries (indices increasing by one, terms never decreasing) in one synced
   * batch. entries[0].index must lie in (snapshotIndex, lastIndex() + 1]; when it is at or below
   * lastIndex() the stored suffix from that index is replaced, and the entries after the new
   * last index are removed, which must not remove a committed entry. An empty array is a no-op.
   */
  append(entries: Entry[]): Promise<void>;
  /**
   * Removes every entry with index >= fromIndex. Requires snapshotIndex < fromIndex <=
   * lastIndex() + 1 and fromIndex > the stored commit index.
   */
  truncateSuffix(fromIndex: number): Promise<void>;
  /**
   * Removes every entry with index <= throughIndex. Only under a saved snapshot: requires
   * throughIndex <= snapshotIndex, so the snapshot still covers what is removed.
   */
  compactPrefix(throughIndex: number): Promise<void>;
}
