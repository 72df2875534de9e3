// A named area of a node's LevelDB for data derived beside the log (the server's usage-report
// index): its own key prefix (a LevelDB sublevel, `!name!`, which no storage key starts with), text
// keys and values, and batches that are atomic within the area. Writes to the area and the
// storage's own writes go to one database in the order they are issued, so a durable later write (a
// compaction) implies the earlier ones are durable too. A batch of more than a few thousand
// operations is built over several event-loop turns (level-storage.ts) and issued when complete:
// storage writes called meanwhile go first, so a caller that needs its batch before a later write
// awaits the batch first (as the report index's flush before a compaction does).

/** One write of a batch. */
export type AreaOperation = { type: 'put'; key: string; value: string } | { type: 'del'; key: string };

/** A key range: keys >= gte and < lt; limit bounds how many are read. */
export interface AreaRange {
  gte: string;
  lt: string;
  limit?: number;
}

export interface KeyValueArea {
  get(key: string): Promise<string | undefined>;
  getMany(keys: readonly string[]): Promise<Array<string | undefined>>;
  /** Atomic; durable before it resolves when sync is true. */
  batch(operations: readonly AreaOperation[], options?: { sync?: boolean }): Promise<void>;
  /** Key order; at most range.limit records. */
  entries(range: AreaRange): AsyncIterable<[string, string]>;
  /** Deletes every key in the range. */
  clear(range: { gte: string; lt: string }): Promise<void>;
}
