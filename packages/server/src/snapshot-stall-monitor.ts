// How long the event loop stalled while a snapshot was taken: the figure issue 13 is about. The
// driver writes a snapshot in slices between client operations (packages/driver/src/snapshot-job.ts)
// and logs its longest slice; this watches the event loop itself (perf_hooks), which also sees what
// the slices do not: taking the frozen view, joining the bytes, the compaction's write, and garbage
// collection. Logged with each snapshot as `event loop during snapshot`.
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import type { Logger } from './logger.js';

/** The histogram's sampling interval: a stall shorter than this is not seen. */
const RESOLUTION_MS = 10;

export class SnapshotStallMonitor {
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  private begunIndex: number | null = null;

  constructor(private readonly logger: Logger) {
    // Always on: the histogram records a delay only between two of its own ticks, so one enabled
    // when a snapshot begins would miss a stall in the very turn that follows.
    this.histogram.enable();
  }

  /** A snapshot begins: the stalls from now on are counted for it. */
  begun(index: number): void {
    this.begunIndex = index;
    this.histogram.reset();
  }

  /** The snapshot is stored: log the longest stall since it began. */
  taken(index: number): void {
    if (this.begunIndex === null) return;
    this.logger.info('event loop during snapshot', {
      index,
      begunAtIndex: this.begunIndex,
      longestStallMs: Math.round(this.histogram.max / 1e5) / 10,
      p99StallMs: Math.round(this.histogram.percentile(99) / 1e5) / 10,
    });
    this.begunIndex = null;
  }

  stop(): void {
    this.histogram.disable();
    this.begunIndex = null;
  }
}
