// A node's tick timer as a loaded machine runs it: a firing is sometimes late by a step or more,
// and the server's TickPacer (@tandem/driver) turns each firing into the ticks due by the clock,
// at most a heartbeat interval's worth (maxTicksPerFiring), dropping the excess. So the simulation runs the very pacing that
// tandemd's Replica and witness server run, and its checks (a leader that serves past check-quorum,
// linearizability, the witness's vote lease) hold with late timers too. Lateness comes from a
// stream of its own, so the seed's other streams are as they were without it. Only the timer is
// late here while messages still arrive; a timer held up for long while messages and requests are
// served cannot happen in one event loop (a blocked loop blocks both), and a leader whose
// check-quorum timer alone stood still would rightly fail the stale-leader check.
import { maxTicksPerFiring, TickPacer } from '@tandem/driver';
import type { SimulationRandom } from './random.js';

export class SimulatedTickTimer {
  private pacer: TickPacer;

  constructor(
    private readonly random: SimulationRandom,
    /** The chance that a firing due in this step comes later (0: every step fires). */
    private readonly lateProbability: number,
    private readonly tickIntervalMs: number,
    private readonly heartbeatIntervalTicks: number,
    nowMs: number,
  ) {
    this.pacer = this.pacerFrom(nowMs);
  }

  /** The process started again: its timer starts from now. */
  restart(nowMs: number): void {
    this.pacer = this.pacerFrom(nowMs);
  }

  private pacerFrom(nowMs: number): TickPacer {
    return new TickPacer(this.tickIntervalMs, nowMs, maxTicksPerFiring(this.heartbeatIntervalTicks));
  }

  /** Called every step: the ticks the process gets now (0 while its timer is late). */
  fire(nowMs: number): number {
    // Without late timers every step gives one tick, exactly as before the pacer was modelled.
    if (this.lateProbability === 0) return 1;
    if (this.random.chance(this.lateProbability)) return 0;
    return this.pacer.due(nowMs);
  }
}
