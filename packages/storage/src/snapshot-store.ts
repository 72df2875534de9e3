import type { Snapshot } from '@tandem/consensus';

/**
 * The latest snapshot: only one is kept, and a new one replaces it atomically.
 *
 * Contract:
 * - saveSnapshot requires the new snapshot's index to be at or above the kept one's (at the
 *   same index, with the same term). It keeps the log when the log holds the snapshot's last
 *   entry (same index and term), because then every entry after it is consistent with it; in
 *   any other case the whole log disagrees with or falls short of the snapshot and is removed.
 *   Entries at or below the snapshot's index are kept until compactPrefix removes them.
 * - A snapshot at index 0 (term 0) stands for the empty prefix, which every log shares.
 * - loadSnapshot returns the kept snapshot, or null; it verifies every stored piece and rejects
 *   with a CorruptRecordError naming 'snapshot' when one is damaged or missing.
 */
export interface SnapshotStore {
  saveSnapshot(snapshot: Snapshot): Promise<void>;
  loadSnapshot(): Promise<Snapshot | null>;
}
