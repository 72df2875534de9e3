// Stalls of a node's event loop, as its log reports them. The tick timer (tick-timer.ts) sees each
// firing that comes more than a heartbeat interval after the one before: the loop was blocked (a
// long apply, a garbage collection, a snapshot's write being prepared) or the process was stopped.
// Such a stall drops ticks, delays heartbeats and answers, and is often what explains a late
// failover, a member dropped from the in-sync set or a slow hand-back; without a line in the log
// it can only be guessed at. On a loaded machine stalls come in runs, so the log gets at most one
// line per interval, which counts the stalls since the last line and names the longest.
import type { Logger } from './logger.js';

/** At most one line per this many ms. */
export const STALL_LOG_INTERVAL_MS = 10_000;

export class StallLog {
  private count = 0;
  private longestMs = 0;
  private loggedAtMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly logger: Logger,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** The event loop was away for stalledMs. */
  note(stalledMs: number): void {
    this.count += 1;
    this.longestMs = Math.max(this.longestMs, stalledMs);
    const nowMs = this.clock();
    if (nowMs - this.loggedAtMs < STALL_LOG_INTERVAL_MS) return;
    this.logger.warn('the event loop stalled', {
      stalledMs: Math.round(stalledMs),
      // Since the previous line (this one included).
      stalls: this.count,
      longestMs: Math.round(this.longestMs),
    });
    this.loggedAtMs = nowMs;
    this.count = 0;
    this.longestMs = 0;
  }
}
