// What a storage tells whoever watches it (the server's metrics) about each durable write. An
// interface here, so that storage depends on no metrics library; the calls are cheap and made
// after the write, never in the way of it.

/** One synced batch that was written (a write with nothing to do is not reported). */
export interface StorageWrite {
  /** From the start of the batch write to its sync returning, in milliseconds. */
  durationMs: number;
  /** Log entries the batch put. */
  entries: number;
  /** Bytes of the records the batch put (keys and values). */
  bytes: number;
  /** Bytes of the snapshot data the batch saved; null when it saved none. */
  snapshotBytes: number | null;
}

export interface StorageObserver {
  /** Called once per durable write, after it succeeded. Must not throw. */
  onWrite(write: StorageWrite): void;
}
