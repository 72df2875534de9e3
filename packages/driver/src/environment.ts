// What the environment gives the driver: storage, transport, a scheduler, a logger, and what it
// may watch. Each is one small interface with its contract in its doc comment; the server and the
// simulation each implement them (LevelDB and gRPC; MemoryStorage and the simulated network).
import type { Entry, Message, RoleChange, Snapshot, SoftState } from '@tandem/consensus';
import type { Result } from '@tandem/ledger';
import type { PersistUpdate } from '@tandem/storage';

/**
 * The node's durable storage, as the driver uses it. Each call issues one write (one atomic batch,
 * one fsync) and calls `done` once it is durable, or with the error that stopped it. Writes become
 * durable in the order they were issued. `done` may run before the call returns.
 */
export interface DriverStorage {
  persist(update: PersistUpdate, done: (error: Error | null) => void): void;
  compact(snapshot: Snapshot, done: (error: Error | null) => void): void;
}

/**
 * Sends the core's messages to peers, in order per peer. Sending is fire-and-forget: a lost
 * message is the core's business (it retries). install_snapshot messages carry metadata only; the
 * transport attaches the stored snapshot.
 */
export interface DriverTransport {
  send(messages: Message[]): void;
}

/** Runs actions outside the current call. */
export interface DriverScheduler {
  /** Runs an action soon, after the current call returns (setImmediate; the simulation: at once). */
  defer(action: () => void): void;
  /**
   * Runs an action in a later turn, after the messages, calls and writes already waiting: the next
   * slice of a snapshot (setImmediate; the simulation: an event a moment later, so that other
   * events come between two slices).
   */
  later(action: () => void): void;
}

/** Where the driver says what it did; the server's winston logger has this shape. */
export interface DriverLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** What the environment may watch; none of it feeds back into the driver. */
export interface DriverEvents {
  /**
   * One change of the core's role, term or leader (Ready.roleChanges), in order: every one, even
   * those a Ready's soft state hides (a leader that stepped down and won a new term in one input).
   * `previous` is the role and leader before it.
   */
  roleChanged?(previous: SoftState, change: RoleChange): void;
  /** One committed entry was applied (result: null for noop and configuration entries). */
  entryApplied?(entry: Entry, result: Result | null): void;
  /** Entries through this index are applied. */
  applied?(throughIndex: number): void;
  /** A snapshot at this index began (its slices follow); snapshotTaken once it is stored. */
  snapshotBegun?(index: number): void;
  snapshotTaken?(snapshot: Snapshot): void;
  snapshotInstalled?(snapshot: Snapshot): void;
  historyDiscarded?(): void;
  /** A write failed: the driver refuses everything from now on. */
  failed?(error: Error): void;
}

export interface DriverLimits {
  /** Operations proposed as one batch at most (one Ready, one fsync). */
  maxBatchEntries: number;
  /** Queued plus waiting operations at most; more are refused as overloaded. */
  maxPendingOperations: number;
  /** An operation not committed within this is answered commit_timeout (it may still commit). */
  operationTimeoutMs: number;
  /** The largest entry the log takes: every replication message must fit a peer's request limit. */
  maxEntryBytes: number;
  /** Applied entries between two snapshots (POSITIVE_INFINITY: not by count). */
  snapshotEveryEntries: number;
  /**
   * Bytes of applied log (entry data plus LOG_ENTRY_OVERHEAD_BYTES each) between two snapshots;
   * unset: not by size. A snapshot is taken when either bound is reached.
   */
  snapshotEveryBytes?: number;
  /**
   * Records of the ledger a snapshot writes in one turn of the event loop, at most (default
   * DEFAULT_SNAPSHOT_SLICE_RECORDS): the bound on how long a snapshot holds up anything else.
   */
  snapshotSliceRecords?: number;
  /** A backup keeps at most this many solo entries uncompacted for a later merge. */
  maxRetainedSoloEntries: number;
  /** How often the leader looks for due leases (and records a missing cluster id). */
  leaseExpiryIntervalMs: number;
  /** The most a new leader extends leases by after a failover. */
  maxExtendMs: number;
}
