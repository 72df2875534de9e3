// A snapshot being taken: the state machine's frozen view at one applied index, written a slice
// at a time while the node goes on serving (Driver.maybeCompact schedules the slices through
// DriverScheduler.later). A snapshot of 100,000 leases and 200,000 remembered requests is about
// 30 MB; written in one go it held the leader's event loop for about a second, and every client
// operation waited behind it. Each slice now writes at most a fixed number of records, and the job
// keeps the longest slice it took, which the driver logs.
import type { Snapshot, SnapshotMetadata } from '@tandem/consensus';
import type { SnapshotEncoder } from '@tandem/ledger';
import { type LogHash, nodeSnapshotHeader } from './log-hash.js';

/** Records per slice by default: about 2 ms of work each at 100,000 leases on the 2-core machine. */
export const DEFAULT_SNAPSHOT_SLICE_RECORDS = 2048;
/** What an entry costs in the stored log beyond its data (key, term, index, checksum). */
export const LOG_ENTRY_OVERHEAD_BYTES = 32;
/** A slice slower than this is worth a warning (a garbage collection, or a starved machine). */
export const SLOW_SNAPSHOT_SLICE_MS = 100;

export class SnapshotJob {
  /** Set once the last slice is written: what storage is to keep. */
  snapshot: Snapshot | null = null;
  slices = 0;
  longestSliceMs = 0;
  /** How long taking the frozen view took (one turn, before the first slice). */
  viewMs = 0;
  /** When the compaction write was issued, once it is. */
  compactionStartedAtMs: number | null = null;

  constructor(
    private readonly encoder: SnapshotEncoder,
    readonly metadata: SnapshotMetadata,
    private readonly logHash: LogHash | null,
    /** The driver's applied-log byte count when the view was taken. */
    readonly logBytes: number,
    /** The operator's snapshot requests this job answers. */
    readonly requests: Array<(outcome: Snapshot | Error) => void>,
    readonly startedAtMs: number,
  ) {}

  get index(): number {
    return this.metadata.index;
  }

  get records(): number {
    return this.encoder.recordCount;
  }

  /**
   * Writes one slice of at most maxRecords records (and, after the last, joins the bytes), timed
   * by clock; true once the snapshot is complete.
   */
  step(maxRecords: number, clock: () => number): boolean {
    const startedMs = clock();
    if (this.encoder.writeSome(maxRecords)) {
      this.snapshot = {
        metadata: this.metadata,
        data: this.encoder.bytes(nodeSnapshotHeader(this.logHash)),
      };
    }
    this.slices += 1;
    this.longestSliceMs = Math.max(this.longestSliceMs, clock() - startedMs);
    return this.snapshot !== null;
  }
}
