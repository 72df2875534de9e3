// The node's tick timer: the consensus core (or the witness core) counts time in ticks, and this
// gives it the ticks that the wall clock says are due (TickPacer), not one per firing, so that a
// loaded machine's late timers do not stretch the failover timeout (issue 13, goal 5).
//
// Each firing hands its ticks over in the same turn's check phase (setImmediate), after the poll
// phase has read what the sockets hold: after a stall, the heartbeats and acknowledgements that
// waited are taken before the stall's ticks, so a follower does not campaign, nor a leader give up
// a member, on a contact it had merely not read yet. A firing gives at most one heartbeat interval
// of ticks (and at least MAX_TICKS_PER_FIRING); the rest of a longer stall is dropped, never
// delivered later, so a count of ticks never exceeds the time it stands for.
import { maxTicksPerFiring as maxTicksForHeartbeat, TickPacer } from '@tandem/driver';

export interface TickTimerOptions {
  tickIntervalMs: number;
  heartbeatIntervalMs: number;
  /** One tick of the core. */
  tick: () => void;
  /**
   * The timer fired stalledMs after its previous firing, more than a heartbeat interval (the event
   * loop was blocked, or the process stopped): what the node's log says, since the ticks of the
   * stall are dropped and a long stall explains a late failover, a lost member or a slow hand-back.
   */
  stalled?: (stalledMs: number) => void;
}

/** The most ticks one firing gives: a heartbeat interval's worth, at least MAX_TICKS_PER_FIRING. */
export function maxTicksPerFiring(tickIntervalMs: number, heartbeatIntervalMs: number): number {
  return maxTicksForHeartbeat(heartbeatIntervalMs / tickIntervalMs);
}

/** Starts the timer; clearInterval on the result stops it (a tick already handed over may follow). */
export function startTickTimer(options: TickTimerOptions): NodeJS.Timeout {
  const { tickIntervalMs, heartbeatIntervalMs, tick } = options;
  const pacer = new TickPacer(
    tickIntervalMs,
    performance.now(),
    maxTicksPerFiring(tickIntervalMs, heartbeatIntervalMs),
  );
  let firedAtMs = performance.now();
  return setInterval(() => {
    const nowMs = performance.now();
    if (nowMs - firedAtMs > heartbeatIntervalMs) options.stalled?.(nowMs - firedAtMs);
    firedAtMs = nowMs;
    setImmediate(() => {
      for (let due = pacer.due(performance.now()); due > 0; due -= 1) tick();
    });
  }, tickIntervalMs);
}
