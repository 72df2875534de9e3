// How many of the core's ticks are due when a node's tick timer fires. The core counts time in
// ticks (the failover timeout is a number of them), and a server used to give it one tick per timer
// firing; under load the timer fires late (every 11–13 ms for a 10 ms tick), so a 1,000 ms timeout
// took 1.1–1.3 s. The pacer gives as many ticks as whole intervals have passed on a monotonic clock,
// so the core's count follows the wall clock.
//
// It never lets the count run ahead of the clock over any stretch of time: ticks are due at fixed
// steps of the interval from an anchor, and when more than maxTicksPerFiring are due (the process
// was stopped, or the event loop blocked), the excess is dropped rather than delivered later. A
// backlog delivered later would make "ticks since the leader was heard" exceed the time since it
// was heard (a contact read just after a stall, then the stall's ticks on top of it), and a witness
// would give up its leader lease early. Dropping it only makes the node slower, as before.
import assert from 'node:assert/strict';

/**
 * Ticks one firing delivers at most: after a stall the timer runs before the messages that waited
 * meanwhile are read, so a firing must not advance the core by much; 5 ticks also absorbs the
 * lateness of a loaded machine's timers many times over.
 */
export const MAX_TICKS_PER_FIRING = 5;

/**
 * The most ticks one firing gives, for a node whose heartbeat is heartbeatIntervalTicks: a
 * heartbeat interval's worth (a longer stall has missed heartbeats anyway), at least
 * MAX_TICKS_PER_FIRING. tandemd and the simulation both pace their timers with it.
 */
export function maxTicksPerFiring(heartbeatIntervalTicks: number): number {
  return Math.max(MAX_TICKS_PER_FIRING, Math.floor(heartbeatIntervalTicks));
}

export class TickPacer {
  /** The time of the last tick delivered (or of the start), on the pacer's clock. */
  private anchorMs: number;
  private droppedTicks = 0;

  constructor(
    private readonly tickIntervalMs: number,
    startMs: number,
    private readonly maxTicksPerFiring: number = MAX_TICKS_PER_FIRING,
  ) {
    assert.ok(tickIntervalMs > 0, `the tick interval must be positive, not ${tickIntervalMs}`);
    assert.ok(
      Number.isSafeInteger(maxTicksPerFiring) && maxTicksPerFiring >= 1,
      `maxTicksPerFiring must be a positive integer, not ${maxTicksPerFiring}`,
    );
    this.anchorMs = startMs;
  }

  /** Ticks dropped after stalls so far (for logs and tests). */
  get dropped(): number {
    return this.droppedTicks;
  }

  /** The ticks due at nowMs (a monotonic clock), at most maxTicksPerFiring; 0 when none is. */
  due(nowMs: number): number {
    // A clock that went back (it must not) gives no tick until it passes the anchor again.
    const whole = Math.floor((nowMs - this.anchorMs) / this.tickIntervalMs);
    if (whole <= 0) return 0;
    if (whole > this.maxTicksPerFiring) {
      this.droppedTicks += whole - this.maxTicksPerFiring;
      this.anchorMs = nowMs;
      return this.maxTicksPerFiring;
    }
    this.anchorMs += whole * this.tickIntervalMs;
    return whole;
  }
}
