// Heap reclaim: one full garbage collection after a node's large one-off allocations.
//
// Restoring a snapshot at start, replaying the log found at start, installing a snapshot from the
// leader, taking one and streaming one to a peer each allocate hundreds of megabytes that are
// garbage a moment later (decoded text, the snapshot's buffers and chunks, intermediate arrays).
// V8 collects its old generation when the heap grows, or when it sees the program idle through
// its memory reducer, which does not always run: a node that goes quiet after such work may keep
// that garbage, and the RSS it makes, for as long as it stays quiet (docs/performance.md, Catch-up
// and memory). So after each such event the server asks V8 for one full collection: on a timer
// of its own, never inside the work that asked; only once the node has applied nothing for the
// settle time, since the collection holds up the event loop (a few hundred ms on a large ledger; a
// node that keeps applying entries allocates, and V8 collects on its own); and at most once per
// minimum interval.
//
// Node 20 has no gc() without --expose-gc on the command line. Setting that flag at run time
// exposes gc to contexts made afterwards, so this module makes one at load, takes its gc, and
// turns the flag off again: only this module holds the function. The collection frees the
// garbage for V8 to reuse; V8 gives the emptied pages back to the system only gradually, so the
// RSS falls later and less than the heap does. Compacting as well (V8's --compact-on-every-full-gc
// around the call) was tried and not kept: it first raised the RSS by the size of the live heap
// and, with 400 MB live, held the event loop for 1.4 s, longer than the failover timeout
// (docs/performance.md).
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { Logger } from './logger.js';

/**
 * The collection waits until the node has applied nothing for this long since the request (so the
 * work's last references, a finished RPC's buffers, go first, and a busy node is not held up).
 */
export const HEAP_RECLAIM_SETTLE_MS = 1_000;
/** Two collections at least this far apart; requests in between are served by one at the interval's end. */
export const HEAP_RECLAIM_MIN_INTERVAL_MS = 10_000;

/** V8's full collection, or null when this Node.js would not expose it. */
const v8FullCollection: (() => void) | null = exposeFullCollection();

function exposeFullCollection(): (() => void) | null {
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc: unknown = vm.runInNewContext('gc');
    v8.setFlagsFromString('--no-expose-gc');
    if (typeof gc !== 'function') return null;
    return () => {
      gc();
    };
  } catch {
    return null;
  }
}

/** Whether this process can ask V8 for a full collection (false: HeapReclaim does nothing). */
export function fullCollectionAvailable(): boolean {
  return v8FullCollection !== null;
}

export interface HeapReclaimOptions {
  logger: Logger;
  /** Default HEAP_RECLAIM_SETTLE_MS. */
  settleMs?: number;
  /** Default HEAP_RECLAIM_MIN_INTERVAL_MS. */
  minIntervalMs?: number;
  /** The collection itself (tests count it); V8's full collection (gc()) by default. */
  collect?: (() => void) | null;
  /** Milliseconds, for the settle time and the interval; performance.now by default. */
  now?: () => number;
}

const megabytes = (bytes: number) => Math.round(bytes / 1_048_576);

export class HeapReclaim {
  private readonly collect: (() => void) | null;
  private readonly settleMs: number;
  private readonly minIntervalMs: number;
  private timer: NodeJS.Timeout | null = null;
  /** Why the pending collection was asked for, in order, each once. */
  private readonly reasons = new Set<string>();
  private readonly now: () => number;
  private lastCollectedAtMs = Number.NEGATIVE_INFINITY;
  /** The latest request or applied entries (noteActivity). */
  private lastActivityAtMs = Number.NEGATIVE_INFINITY;
  private stopped = false;
  /** Collections run so far (the tests read it). */
  collections = 0;

  constructor(private readonly options: HeapReclaimOptions) {
    this.collect = options.collect === undefined ? v8FullCollection : options.collect;
    this.settleMs = options.settleMs ?? HEAP_RECLAIM_SETTLE_MS;
    this.minIntervalMs = options.minIntervalMs ?? HEAP_RECLAIM_MIN_INTERVAL_MS;
    this.now = options.now ?? (() => performance.now());
    if (this.collect === null)
      options.logger.warn('no full garbage collection available: the heap is not reclaimed after snapshots');
  }

  /**
   * A one-off allocation just ended (reason says which): one full collection follows once the
   * node has applied nothing for the settle time, and not before the end of the minimum interval
   * since the last one. Requests made while one is pending join it.
   */
  request(reason: string): void {
    if (this.stopped || this.collect === null) return;
    this.reasons.add(reason);
    const now = this.now();
    this.lastActivityAtMs = now;
    if (this.timer !== null) return;
    this.arm(Math.max(this.settleMs, this.lastCollectedAtMs + this.minIntervalMs - now));
  }

  /** The node applied entries: a pending collection waits until it has been quiet for the settle time. */
  noteActivity(): void {
    if (this.timer !== null) this.lastActivityAtMs = this.now();
  }

  /** Drops a pending collection; later requests are ignored. */
  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.reasons.clear();
  }

  private arm(delayMs: number): void {
    this.timer = setTimeout(() => this.run(), Math.max(1, delayMs));
    // A pending collection never keeps the process alive.
    this.timer.unref();
  }

  private run(): void {
    this.timer = null;
    const collect = this.collect;
    if (this.stopped || collect === null) return;
    const quietMs = this.now() - this.lastActivityAtMs;
    if (quietMs < this.settleMs) {
      this.arm(this.settleMs - quietMs);
      return;
    }
    const reasons = [...this.reasons];
    this.reasons.clear();
    const before = process.memoryUsage();
    const startedAtMs = performance.now();
    collect();
    const tookMs = Math.round(performance.now() - startedAtMs);
    this.lastCollectedAtMs = this.now();
    this.collections += 1;
    const after = process.memoryUsage();
    this.options.logger.info('heap reclaimed', {
      reasons,
      tookMs,
      heapUsedBeforeMb: megabytes(before.heapUsed),
      heapUsedAfterMb: megabytes(after.heapUsed),
      arrayBuffersBeforeMb: megabytes(before.arrayBuffers),
      arrayBuffersAfterMb: megabytes(after.arrayBuffers),
      rssBeforeMb: megabytes(before.rss),
      rssAfterMb: megabytes(after.rss),
    });
  }
}
