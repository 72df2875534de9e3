// How long the event loop stalled while a snapshot was taken: the figure issue 13 is about. The
// driver writes a snapshot in slices between client operations (packages/driver/src/snapshot-job.ts)
// and logs its longest slice; this watches the event loop itself, which also sees what the slices
// do not: taking the frozen view, the compaction's write, garbage collection. A timer that should
// fire every RESOLUTION_MS notes how late each firing is (perf_hooks' monitorEventLoopDelay
// forgets the first delay after a reset, which is the very turn a snapshot begins in). Logged with
// each snapshot as `event loop during snapshot`.
import type { Logger } from './logger.js';

/** How often the timer fires: a stall shorter than this is not seen. */
const RESOLUTION_MS = 10;

export class SnapshotStallMonitor {
  private readonly timer: NodeJS.Timeout;
  private lastTickMs = performance.now();
  private begunIndex: number | null = null;
  private longestStallMs = 0;

  constructor(private readonly logger: Logger) {
    this.timer = setInterval(() => this.tick(), RESOLUTION_MS);
    this.timer.unref();
  }

  /** A snapshot begins: the stalls from now on are counted for it. */
  begun(index: number): void {
    this.begunIndex = index;
    this.longestStallMs = 0;
  }

  /** The snapshot is stored: log the longest stall since it began. */
  taken(index: number): void {
    if (this.begunIndex === null) return;
    this.tick();
    this.logger.info('event loop during snapshot', {
      index,
      begunAtIndex: this.begunIndex,
      longestStallMs: Math.round(this.longestStallMs),
    });
    this.begunIndex = null;
  }

  stop(): void {
    clearInterval(this.timer);
    this.begunIndex = null;
  }

  private tick(): void {
    const nowMs = performance.now();
    const stallMs = nowMs - this.lastTickMs - RESOLUTION_MS;
    this.lastTickMs = nowMs;
    if (this.begunIndex !== null && stallMs > this.longestStallMs) this.longestStallMs = stallMs;
  }
}
