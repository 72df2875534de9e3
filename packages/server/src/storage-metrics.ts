// Storage metrics: the latency of each synced write (the fsync the whole cluster waits on), how
// much one write carries (group commit at work), and the snapshots written. Fed by the storage's
// observer (@tandem/storage's StorageObserver), one call per durable write.
import type { StorageObserver, StorageWrite } from '@tandem/storage';
import { Gauge, Histogram, type Registry } from 'prom-client';

/** From half a millisecond (a fast SSD) to 2.5 s (a disk in trouble). */
const WRITE_SECONDS_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** Up to the storage's own limit of 65 536 entries a write. */
const WRITE_ENTRIES_BUCKETS = [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 1024, 4096, 16384, 65536];
/** 256 B to 64 MiB, by fours. */
const WRITE_BYTES_BUCKETS = [256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];
const SNAPSHOT_SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class StorageMetrics implements StorageObserver {
  private readonly writeSeconds: Histogram;
  private readonly writeEntries: Histogram;
  private readonly writeBytes: Histogram;
  private readonly snapshotWriteSeconds: Histogram;
  private readonly snapshotBytes: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    this.writeSeconds = new Histogram({
      name: 'tandem_storage_write_seconds',
      help: 'Time of one durable storage write, from the batch to its fsync returning.',
      buckets: WRITE_SECONDS_BUCKETS,
      registers,
    });
    this.writeEntries = new Histogram({
      name: 'tandem_storage_write_entries',
      help: 'Log entries carried by one durable storage write (group commit).',
      buckets: WRITE_ENTRIES_BUCKETS,
      registers,
    });
    this.writeBytes = new Histogram({
      name: 'tandem_storage_write_bytes',
      help: 'Bytes of records put by one durable storage write.',
      buckets: WRITE_BYTES_BUCKETS,
      registers,
    });
    this.snapshotWriteSeconds = new Histogram({
      name: 'tandem_storage_snapshot_write_seconds',
      help: 'Time of a durable write that saved a snapshot (taken here or received from the leader).',
      buckets: SNAPSHOT_SECONDS_BUCKETS,
      registers,
    });
    this.snapshotBytes = new Gauge({
      name: 'tandem_storage_snapshot_bytes',
      help: 'Size of the snapshot data last saved (0 until one is saved by this process).',
      registers,
    });
  }

  onWrite(write: StorageWrite): void {
    const seconds = write.durationMs / 1000;
    this.writeSeconds.observe(seconds);
    this.writeEntries.observe(write.entries);
    this.writeBytes.observe(write.bytes);
    if (write.snapshotBytes !== null) {
      this.snapshotWriteSeconds.observe(seconds);
      this.snapshotBytes.set(write.snapshotBytes);
    }
  }
}
